//! Checking one answer against its field: the same rules in the browser (as the person
//! types) and on the server (for real). Returns the value to store, normalized: trimmed text,
//! numbers as numbers, phone numbers in E.164, choices as their values.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::field::{Field, FieldKind};
use crate::profile::Email;

/// What is wrong with an answer, in words for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AnswerProblem {
    #[error("Please answer this question.")]
    Required,
    #[error("Use at least {0} characters.")]
    TooShort(usize),
    #[error("Use at most {0} characters.")]
    TooLong(usize),
    #[error("{0}")]
    Pattern(String),
    #[error("Enter a number.")]
    NotANumber,
    #[error("Enter {0} or more.")]
    BelowMin(String),
    #[error("Enter {0} or less.")]
    AboveMax(String),
    #[error("Choose one of the options.")]
    NotAnOption,
    #[error("Choose at least {0}.")]
    TooFewChoices(usize),
    #[error("Choose at most {0}.")]
    TooManyChoices(usize),
    #[error("Enter an email address like name@example.com.")]
    InvalidEmail,
    #[error("Enter a web address starting with https://")]
    InvalidUrl,
    #[error("Enter a phone number with its country code, like +44 20 7946 0958.")]
    InvalidPhone,
    #[error("Enter a date like 2026-11-22.")]
    InvalidDate,
}

/// Validates the raw form values for `field` (several for a multiselect). `Ok(None)`: left
/// blank, allowed because the field is optional.
pub fn validate_answer(field: &Field, raw: &[String]) -> Result<Option<Value>, AnswerProblem> {
    let rules = &field.validation;
    let first = raw.iter().map(|s| s.trim()).find(|s| !s.is_empty()).unwrap_or("");

    match field.kind {
        FieldKind::Hidden => return Ok(None),
        FieldKind::Checkbox => {
            let checked = matches!(first, "on" | "true" | "yes" | "1");
            if rules.required && !checked {
                return Err(AnswerProblem::Required);
            }
            return Ok(Some(Value::Bool(checked)));
        }
        FieldKind::Consent => {
            return match first {
                "yes" | "true" | "on" => Ok(Some(Value::Bool(true))),
                "no" | "false" => Ok(Some(Value::Bool(false))),
                "" if rules.required => Err(AnswerProblem::Required),
                "" => Ok(None),
                _ => Err(AnswerProblem::NotAnOption),
            };
        }
        FieldKind::Multiselect => {
            let mut chosen: Vec<&str> = Vec::new();
            for c in raw.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
                if !rules.options.iter().any(|o| o.value == c) {
                    return Err(AnswerProblem::NotAnOption);
                }
                // A choice sent twice (a crafted form) counts once.
                if !chosen.contains(&c) {
                    chosen.push(c);
                }
            }
            if chosen.is_empty() {
                return if rules.required { Err(AnswerProblem::Required) } else { Ok(None) };
            }
            if let Some(min) = rules.min_choices.filter(|m| chosen.len() < *m) {
                return Err(AnswerProblem::TooFewChoices(min));
            }
            if let Some(max) = rules.max_choices.filter(|m| chosen.len() > *m) {
                return Err(AnswerProblem::TooManyChoices(max));
            }
            // Stored in the order of the options, so the same choices are the same value.
            let ordered: Vec<&str> = rules.options.iter().map(|o| o.value.as_str()).filter(|v| chosen.contains(v)).collect();
            return Ok(Some(Value::from(ordered)));
        }
        _ => {}
    }

    if first.is_empty() {
        return if rules.required { Err(AnswerProblem::Required) } else { Ok(None) };
    }
    let chars = first.chars().count();
    if let Some(min) = rules.min_length.filter(|m| chars < *m) {
        return Err(AnswerProblem::TooShort(min));
    }
    // Every text answer is bounded, configured or not: profiles are not file storage.
    let max = rules.max_length.unwrap_or(match field.kind {
        FieldKind::Textarea => 2000,
        _ => 256,
    });
    if chars > max {
        return Err(AnswerProblem::TooLong(max));
    }
    if let Some(pattern) = &rules.pattern {
        let anchored = format!("^(?:{pattern})$");
        match regex_lite::Regex::new(&anchored) {
            Ok(re) if re.is_match(first) => {}
            // An invalid pattern is refused when the configuration is saved; if one slips
            // through, refusing every answer would lock people out, so it is ignored here.
            Err(_) => {}
            Ok(_) => {
                return Err(AnswerProblem::Pattern(
                    rules.pattern_hint.clone().unwrap_or_else(|| "This answer is not in the expected format.".into()),
                ))
            }
        }
    }

    match field.kind {
        FieldKind::Text | FieldKind::Textarea => Ok(Some(Value::from(first))),
        FieldKind::Email => Email::parse(first).map(|e| Some(Value::from(e.as_str()))).map_err(|_| AnswerProblem::InvalidEmail),
        FieldKind::Url => {
            let ok = (first.starts_with("https://") || first.starts_with("http://"))
                && first.len() > "https://".len()
                && !first.chars().any(char::is_whitespace);
            if ok {
                Ok(Some(Value::from(first)))
            } else {
                Err(AnswerProblem::InvalidUrl)
            }
        }
        FieldKind::Phone => phone::to_e164(first).map(|p| Some(Value::from(p))),
        FieldKind::Number => {
            let n: f64 = first.replace(',', ".").parse().map_err(|_| AnswerProblem::NotANumber)?;
            if !crate::profile::metadata::exact_number(n) {
                return Err(AnswerProblem::NotANumber);
            }
            if let Some(min) = rules.min.filter(|m| n < *m) {
                return Err(AnswerProblem::BelowMin(min.to_string()));
            }
            if let Some(max) = rules.max.filter(|m| n > *m) {
                return Err(AnswerProblem::AboveMax(max.to_string()));
            }
            Ok(Some(serde_json::Number::from_f64(n).map(Value::Number).unwrap_or(Value::Null)))
        }
        FieldKind::Date => chrono::NaiveDate::parse_from_str(first, "%Y-%m-%d")
            .map(|d| Some(Value::from(d.format("%Y-%m-%d").to_string())))
            .map_err(|_| AnswerProblem::InvalidDate),
        FieldKind::Dropdown | FieldKind::Radio => {
            if rules.options.iter().any(|o| o.value == first) {
                Ok(Some(Value::from(first)))
            } else {
                Err(AnswerProblem::NotAnOption)
            }
        }
        FieldKind::Checkbox | FieldKind::Consent | FieldKind::Multiselect => Ok(None),
        // Never answered in a form: taken from the context (`HiddenContext`).
        FieldKind::Hidden => Ok(None),
    }
}

/// Phone numbers: on the server the `phonenumber` crate (libphonenumber's metadata) checks the
/// number is valid for its country and formats it as E.164. The browser, which does not carry
/// that metadata, checks the shape only; the server has the last word.
mod phone {
    use super::AnswerProblem;

    #[cfg(feature = "phone")]
    pub(crate) fn to_e164(input: &str) -> Result<String, AnswerProblem> {
        let number = phonenumber::parse(None, input).map_err(|_| AnswerProblem::InvalidPhone)?;
        if !phonenumber::is_valid(&number) {
            return Err(AnswerProblem::InvalidPhone);
        }
        Ok(number.format().mode(phonenumber::Mode::E164).to_string())
    }

    #[cfg(not(feature = "phone"))]
    pub(crate) fn to_e164(input: &str) -> Result<String, AnswerProblem> {
        let digits: String = input.chars().filter(char::is_ascii_digit).collect();
        let shape_ok = input.trim_start().starts_with('+')
            && (8..=15).contains(&digits.len())
            && input.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
        if shape_ok {
            Ok(format!("+{digits}"))
        } else {
            Err(AnswerProblem::InvalidPhone)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiling::field::{Choice, FieldKey, Target, Validation};

    fn field(kind: FieldKind, validation: Validation) -> Field {
        Field {
            key: FieldKey::parse("f").unwrap(),
            label: "F".into(),
            help: None,
            kind,
            target: Target::UserMetadata("f".into()),
            validation,
            claims: vec![],
            user_editable: true,
            consent: None,
            from: None,
        }
    }

    fn one(s: &str) -> Vec<String> {
        vec![s.to_string()]
    }

    #[test]
    fn required_text_must_be_given_and_is_trimmed() {
        let f = field(FieldKind::Text, Validation { required: true, ..Default::default() });
        assert_eq!(validate_answer(&f, &one("   ")), Err(AnswerProblem::Required));
        assert_eq!(validate_answer(&f, &one("  Ada ")), Ok(Some(Value::from("Ada"))));
    }

    #[test]
    fn optional_blank_answers_are_none() {
        let f = field(FieldKind::Text, Validation::default());
        assert_eq!(validate_answer(&f, &[]), Ok(None));
    }

    #[test]
    fn lengths_and_patterns_are_enforced() {
        let f = field(
            FieldKind::Text,
            Validation {
                min_length: Some(2),
                max_length: Some(5),
                pattern: Some("[0-9]+".into()),
                pattern_hint: Some("Digits only.".into()),
                ..Default::default()
            },
        );
        assert_eq!(validate_answer(&f, &one("1")), Err(AnswerProblem::TooShort(2)));
        assert_eq!(validate_answer(&f, &one("123456")), Err(AnswerProblem::TooLong(5)));
        assert_eq!(validate_answer(&f, &one("12a")), Err(AnswerProblem::Pattern("Digits only.".into())));
        assert_eq!(validate_answer(&f, &one("123")), Ok(Some(Value::from("123"))));
    }

    #[test]
    fn unbounded_text_is_still_bounded() {
        let f = field(FieldKind::Text, Validation::default());
        assert_eq!(validate_answer(&f, &one(&"x".repeat(300))), Err(AnswerProblem::TooLong(256)));
    }

    #[test]
    fn numbers_respect_min_and_max() {
        let f = field(FieldKind::Number, Validation { min: Some(1.0), max: Some(10.0), ..Default::default() });
        assert_eq!(validate_answer(&f, &one("abc")), Err(AnswerProblem::NotANumber));
        assert_eq!(validate_answer(&f, &one("0")), Err(AnswerProblem::BelowMin("1".into())));
        assert_eq!(validate_answer(&f, &one("11")), Err(AnswerProblem::AboveMax("10".into())));
        assert_eq!(validate_answer(&f, &one("2,5")), Ok(Some(serde_json::json!(2.5))));
    }

    #[test]
    fn choices_must_be_options() {
        let options = vec![Choice { value: "a".into(), label: "A".into() }, Choice { value: "b".into(), label: "B".into() }];
        let d = field(FieldKind::Dropdown, Validation { options: options.clone(), ..Default::default() });
        assert_eq!(validate_answer(&d, &one("c")), Err(AnswerProblem::NotAnOption));
        assert_eq!(validate_answer(&d, &one("a")), Ok(Some(Value::from("a"))));
        let m = field(FieldKind::Multiselect, Validation { options, required: true, ..Default::default() });
        assert_eq!(validate_answer(&m, &[]), Err(AnswerProblem::Required));
        assert_eq!(validate_answer(&m, &["a".into(), "b".into()]), Ok(Some(serde_json::json!(["a", "b"]))));
        assert_eq!(validate_answer(&m, &["a".into(), "z".into()]), Err(AnswerProblem::NotAnOption));
    }

    #[test]
    fn multiselect_answers_are_lists_within_their_bounds_in_option_order() {
        let options: Vec<Choice> = ["a", "b", "c"].iter().map(|v| Choice { value: v.to_string(), label: v.to_uppercase() }).collect();
        let m = field(FieldKind::Multiselect, Validation { options, min_choices: Some(2), max_choices: Some(2), ..Default::default() });
        let raw = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(validate_answer(&m, &raw(&[""])), Ok(None), "optional and nothing chosen");
        assert_eq!(validate_answer(&m, &raw(&["", "a"])), Err(AnswerProblem::TooFewChoices(2)));
        assert_eq!(validate_answer(&m, &raw(&["a", "b", "c"])), Err(AnswerProblem::TooManyChoices(2)));
        assert_eq!(validate_answer(&m, &raw(&["c", "a", "c"])), Ok(Some(serde_json::json!(["a", "c"]))));
    }

    #[test]
    fn consent_no_is_an_answer_and_checkbox_absence_is_false() {
        let c = field(FieldKind::Consent, Validation::default());
        assert_eq!(validate_answer(&c, &one("no")), Ok(Some(Value::Bool(false))));
        assert_eq!(validate_answer(&c, &one("yes")), Ok(Some(Value::Bool(true))));
        assert_eq!(validate_answer(&c, &[]), Ok(None));
        let b = field(FieldKind::Checkbox, Validation::default());
        assert_eq!(validate_answer(&b, &[]), Ok(Some(Value::Bool(false))));
    }

    #[test]
    fn emails_urls_and_dates_are_parsed() {
        let e = field(FieldKind::Email, Validation::default());
        assert_eq!(validate_answer(&e, &one("nope")), Err(AnswerProblem::InvalidEmail));
        let u = field(FieldKind::Url, Validation::default());
        assert_eq!(validate_answer(&u, &one("javascript:alert(1)")), Err(AnswerProblem::InvalidUrl));
        assert!(validate_answer(&u, &one("https://example.com/me")).is_ok());
        let d = field(FieldKind::Date, Validation::default());
        assert_eq!(validate_answer(&d, &one("22/11/2026")), Err(AnswerProblem::InvalidDate));
        assert_eq!(validate_answer(&d, &one("2026-11-22")), Ok(Some(Value::from("2026-11-22"))));
    }

    #[cfg(feature = "phone")]
    #[test]
    fn phone_numbers_are_validated_and_stored_as_e164() {
        let p = field(FieldKind::Phone, Validation::default());
        assert_eq!(validate_answer(&p, &one("+44 20 7946 0958")), Ok(Some(Value::from("+442079460958"))));
        assert_eq!(validate_answer(&p, &one("+1 (415) 555-2671")), Ok(Some(Value::from("+14155552671"))));
        assert_eq!(validate_answer(&p, &one("12345")), Err(AnswerProblem::InvalidPhone));
        assert_eq!(validate_answer(&p, &one("+44 12")), Err(AnswerProblem::InvalidPhone));
    }
}
