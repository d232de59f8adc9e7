//! Consent records: what a person agreed to (or refused), to which version of the purpose
//! text, and when. A consent field's purpose is versioned: changing its text makes a new
//! version ([`carry_versions`]), and people who agreed to an older one are asked again when
//! the field says so ([`ConsentTerms::reask`]). Pure: the records live in `consent_records`
//! (`ssr`), append-only, so the history of a person's consent is never rewritten.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::field::{Field, FieldKey, FieldKind};

/// The longest purpose text, in characters.
pub const MAX_PURPOSE_CHARS: usize = 2000;

/// What a consent field asks agreement to.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentTerms {
    /// What the answer is used for, shown with the question and kept with each record.
    pub purpose: String,
    /// Counted up by AskOnce whenever `purpose` changes (a higher number sent in an edit is
    /// kept: a way to ask everyone again without rewording).
    #[serde(default = "first_version")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub version: u32,
    /// Ask again, at the field's stage, people whose agreement is to an older version.
    #[serde(default = "yes")]
    pub reask: bool,
}

fn first_version() -> u32 {
    1
}

fn yes() -> bool {
    true
}

/// The purpose and version a consent field's answer is recorded against: its terms, or for
/// a consent field without terms its label as version 1.
pub fn terms_of(field: &Field) -> Option<ConsentTerms> {
    if field.kind != FieldKind::Consent {
        return None;
    }
    Some(field.consent.clone().unwrap_or_else(|| ConsentTerms { purpose: field.label.clone(), version: 1, reask: false }))
}

/// Gives each consent field in `next` its version: the one before while the purpose reads the
/// same, one more when it changed, never lower than what `next` itself says. "Before" is the
/// stored field, and `recorded` — the highest version any record of the key carries, with its
/// purpose — so a field deleted and made again, or a purpose cleared back to the label,
/// never reuses a version people agreed to other words under. Applied to every configuration
/// saved (console, API, import), so no path can reword a purpose without a new version. A
/// consent field without terms that needs a version above 1 gets terms (its label as the
/// purpose, not asked again).
pub fn carry_versions(previous: &[Field], recorded: &BTreeMap<FieldKey, (u32, String)>, next: &mut [Field]) {
    for field in next.iter_mut() {
        let Some(now) = terms_of(field) else { continue };
        let before = previous.iter().find(|p| p.key == field.key).and_then(terms_of);
        let record = recorded.get(&field.key);
        let (floor, same_words) = match (&before, record) {
            (Some(b), r) => (b.version.max(r.map_or(0, |r| r.0)), b.purpose.trim() == now.purpose.trim()),
            (None, Some((version, purpose))) => (*version, purpose.trim() == now.purpose.trim()),
            (None, None) => (0, true),
        };
        let carried = match floor {
            0 => 1,
            v if same_words => v,
            v => v.saturating_add(1),
        };
        let version = now.version.max(carried).max(1);
        if field.consent.is_some() || version > 1 {
            field.consent = Some(ConsentTerms { version, ..now });
        }
    }
}

/// The latest word a person gave on one consent field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GivenConsent {
    pub version: u32,
    pub granted: bool,
}

/// Whether the engine asks `field` again although it has an answer: the person agreed to an
/// older version of a purpose that asks again on change. A refusal is not re-asked (asking
/// again until someone says yes is what consent rules forbid).
pub(crate) fn needs_asking_again(field: &Field, given: Option<&GivenConsent>) -> bool {
    match (&field.consent, given) {
        (Some(terms), Some(given)) if field.kind == FieldKind::Consent => terms.reask && given.granted && given.version < terms.version,
        _ => false,
    }
}

/// One entry of a person's consent history, as the profile page, the API and the export
/// show it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsentRecord {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub field: FieldKey,
    pub purpose: String,
    pub version: u32,
    pub granted: bool,
    /// Who gave it: `user` (here or on the profile page) or `form:<stage>`.
    pub source: String,
    pub at: DateTime<Utc>,
}

/// One consent field as a person sees it on their profile: the current purpose and their
/// latest word on it (`None`: never answered).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsentStatus {
    pub field: FieldKey,
    pub label: String,
    pub purpose: String,
    pub version: u32,
    pub latest: Option<ConsentRecord>,
}

impl ConsentStatus {
    /// Agreed, to this version or an older one.
    pub fn granted(&self) -> bool {
        self.latest.as_ref().is_some_and(|r| r.granted)
    }

    /// Agreed to an older wording than the one in force.
    pub fn outdated(&self) -> bool {
        self.latest.as_ref().is_some_and(|r| r.granted && r.version < self.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiling::field::{Target, Validation};

    fn consent(key: &str, purpose: &str, version: u32) -> Field {
        Field {
            key: FieldKey::parse(key).unwrap(),
            label: "Newsletter".into(),
            help: None,
            kind: FieldKind::Consent,
            target: Target::UserMetadata(key.into()),
            validation: Validation::default(),
            claims: vec![],
            user_editable: true,
            consent: Some(ConsentTerms { purpose: purpose.into(), version, reask: true }),
            from: None,
        }
    }

    #[test]
    fn a_reworded_purpose_gets_the_next_version_and_the_same_words_keep_theirs() {
        let none = BTreeMap::new();
        let before = [consent("news", "Articles by email", 3)];
        let mut same = [consent("news", "  Articles by email ", 1)];
        carry_versions(&before, &none, &mut same);
        assert_eq!(same[0].consent.as_ref().unwrap().version, 3, "a client sending an old number cannot lower it");
        let mut reworded = [consent("news", "Articles and offers by email", 3)];
        carry_versions(&before, &none, &mut reworded);
        assert_eq!(reworded[0].consent.as_ref().unwrap().version, 4);
        let mut forced = [consent("news", "Articles by email", 7)];
        carry_versions(&before, &none, &mut forced);
        assert_eq!(forced[0].consent.as_ref().unwrap().version, 7, "a deliberate higher number is kept");
        let mut new = [consent("other", "Partners", 0)];
        carry_versions(&before, &none, &mut new);
        assert_eq!(new[0].consent.as_ref().unwrap().version, 1);
    }

    #[test]
    fn versions_never_go_back_to_words_people_agreed_to_under_another_number() {
        // Made again after a deletion: records of version 4 exist for the key.
        let recorded = BTreeMap::from([(FieldKey::parse("news").unwrap(), (4, "Old words".to_string()))]);
        let mut again = [consent("news", "New words", 1)];
        carry_versions(&[], &recorded, &mut again);
        assert_eq!(again[0].consent.as_ref().unwrap().version, 5);
        let mut same = [consent("news", "Old words", 1)];
        carry_versions(&[], &recorded, &mut same);
        assert_eq!(same[0].consent.as_ref().unwrap().version, 4);

        // The purpose cleared: the label becomes the purpose, as the next version.
        let before = [consent("news", "Articles by email", 2)];
        let mut cleared = [consent("news", "", 1)];
        cleared[0].consent = None;
        carry_versions(&before, &BTreeMap::new(), &mut cleared);
        assert_eq!(cleared[0].consent, Some(ConsentTerms { purpose: "Newsletter".into(), version: 3, reask: false }));

        // A field without terms whose label is reworded.
        let mut plain = consent("news", "", 1);
        plain.consent = None;
        let mut relabelled = [Field { label: "Newsletter and offers".into(), ..plain.clone() }];
        carry_versions(&[plain.clone()], &BTreeMap::new(), &mut relabelled);
        assert_eq!(relabelled[0].consent.as_ref().map(|t| t.version), Some(2));
        let mut unchanged = [plain.clone()];
        carry_versions(&[plain], &BTreeMap::new(), &mut unchanged);
        assert_eq!(unchanged[0].consent, None, "nothing to record: stays without terms");
    }

    #[test]
    fn only_an_agreement_to_an_older_version_is_asked_again() {
        let field = consent("news", "Articles", 2);
        let old_yes = GivenConsent { version: 1, granted: true };
        let old_no = GivenConsent { version: 1, granted: false };
        let current_yes = GivenConsent { version: 2, granted: true };
        assert!(needs_asking_again(&field, Some(&old_yes)));
        assert!(!needs_asking_again(&field, Some(&old_no)), "a refusal is respected");
        assert!(!needs_asking_again(&field, Some(&current_yes)));
        assert!(!needs_asking_again(&field, None), "no record: the ordinary rules decide");
        let mut quiet = field.clone();
        quiet.consent.as_mut().unwrap().reask = false;
        assert!(!needs_asking_again(&quiet, Some(&old_yes)), "the site owner chose not to ask again");
    }

    #[test]
    fn a_consent_field_without_terms_records_against_its_label() {
        let mut field = consent("news", "x", 1);
        field.consent = None;
        assert_eq!(terms_of(&field), Some(ConsentTerms { purpose: "Newsletter".into(), version: 1, reask: false }));
        field.kind = FieldKind::Checkbox;
        assert_eq!(terms_of(&field), None);
    }
}
