//! Multi-step stages (Auth0 Forms' steps): a stage's fields split into pages, with Back and
//! Continue. The rule: each step is checked when it is sent (Continue), with the same rules
//! as any answer; what was typed is kept in the person's session between steps (never in
//! the profile); everything is stored together only when the last step is sent, and checked
//! once more then. Back keeps what was typed and checks nothing. Skipping skips the whole
//! stage and forgets what was typed. Without JavaScript each step is a page load of the same
//! page; with it, the form changes in place.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{validate_answer, AnswerProblem, Prompt};

/// The session key the draft lives under (one multi-step stage at a time).
pub const SESSION_KEY: &str = "askonce.stage_draft";

/// A multi-step stage in progress.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StepDraft {
    pub stage: String,
    /// The step to show (0-based).
    pub step: usize,
    /// Form values typed so far, by field key.
    pub typed: BTreeMap<String, Vec<String>>,
}

/// Which button sent the step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Go {
    Back,
    Continue,
}

impl Go {
    pub fn parse(button: Option<&str>) -> Go {
        if button == Some("back") {
            Go::Back
        } else {
            Go::Continue
        }
    }
}

/// What sending a step leads to.
#[derive(Debug, Clone, PartialEq)]
pub enum StepOutcome {
    /// Show `draft.step` next, keeping `draft`.
    Moved(StepDraft),
    /// The last step was sent: store these answers (all steps').
    Finished(BTreeMap<String, Vec<String>>),
    /// This step's answers need attention; the draft keeps what was typed.
    Invalid(StepDraft, BTreeMap<String, AnswerProblem>),
}

/// Applies step `sent` of `prompt` (with `answers`) to `draft`. The step is the one the page
/// showed, so the browser's own Back button and a stale page still land on the right fields.
pub fn advance(prompt: &Prompt, draft: Option<StepDraft>, sent: usize, go: Go, answers: &BTreeMap<String, Vec<String>>) -> StepOutcome {
    let stage = prompt.stage.to_string();
    let mut draft = draft.filter(|d| d.stage == stage).unwrap_or(StepDraft { stage, ..Default::default() });
    let last = prompt.step_count() - 1;
    let step = sent.min(last);
    let fields = prompt.fields_of_step(step);
    for field in &fields {
        let key = field.key.to_string();
        draft.typed.insert(key.clone(), answers.get(&key).cloned().unwrap_or_default());
    }
    if go == Go::Back {
        draft.step = step.saturating_sub(1);
        return StepOutcome::Moved(draft);
    }
    let problems: BTreeMap<String, AnswerProblem> = fields
        .iter()
        .filter_map(|f| {
            validate_answer(f, draft.typed.get(f.key.as_str()).map(Vec::as_slice).unwrap_or(&[])).err().map(|p| (f.key.to_string(), p))
        })
        .collect();
    if !problems.is_empty() {
        draft.step = step;
        return StepOutcome::Invalid(draft, problems);
    }
    if step < last {
        draft.step = step + 1;
        StepOutcome::Moved(draft)
    } else {
        StepOutcome::Finished(draft.typed)
    }
}

/// A prompt as the person left it: on the step their draft is at, with what they typed.
pub fn resume(mut prompt: Prompt, draft: Option<StepDraft>) -> Prompt {
    if let Some(draft) = draft.filter(|d| d.stage == prompt.stage.as_str()) {
        prompt.step = draft.step.min(prompt.step_count() - 1);
        prompt.typed = draft.typed;
    }
    prompt
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiling::{
        field::{FieldKey, FieldKind, Target, Validation},
        Field,
    };

    fn field(k: &str, required: bool) -> Field {
        Field {
            key: FieldKey::parse(k).unwrap(),
            label: k.into(),
            help: None,
            kind: FieldKind::Text,
            target: Target::UserMetadata(k.into()),
            validation: Validation { required, ..Default::default() },
            claims: vec![],
            user_editable: true,
            consent: None,
            from: None,
        }
    }

    fn two_steps() -> Prompt {
        Prompt {
            stage: FieldKey::parse("work").unwrap(),
            title: "Work".into(),
            intro: None,
            skippable: true,
            fields: vec![field("job", true), field("company", true), field("team", false)],
            external: false,
            steps: vec![vec![FieldKey::parse("job").unwrap()], vec![FieldKey::parse("company").unwrap(), FieldKey::parse("team").unwrap()]],
            step: 0,
            typed: BTreeMap::new(),
        }
    }

    fn form(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<String>> {
        pairs.iter().map(|(k, v)| (k.to_string(), vec![v.to_string()])).collect()
    }

    #[test]
    fn each_step_is_checked_when_sent_and_everything_is_stored_at_the_last() {
        let prompt = two_steps();
        let StepOutcome::Invalid(draft, problems) = advance(&prompt, None, 0, Go::Continue, &form(&[("job", " ")])) else { panic!() };
        assert_eq!(problems.keys().collect::<Vec<_>>(), ["job"]);
        assert_eq!(draft.step, 0);
        let StepOutcome::Moved(draft) = advance(&prompt, Some(draft), 0, Go::Continue, &form(&[("job", "Engineer")])) else { panic!() };
        assert_eq!(draft.step, 1, "on to step 2; nothing stored yet");
        // Back keeps what was typed on the page left, unchecked.
        let StepOutcome::Moved(back) = advance(&prompt, Some(draft.clone()), 1, Go::Back, &form(&[("company", "")])) else { panic!() };
        assert_eq!((back.step, back.typed["job"].clone()), (0, vec!["Engineer".to_string()]));
        let resumed = resume(prompt.clone(), Some(back.clone()));
        assert_eq!((resumed.step, resumed.typed["job"].clone()), (0, vec!["Engineer".to_string()]));
        let StepOutcome::Finished(all) = advance(&prompt, Some(draft), 1, Go::Continue, &form(&[("company", "Acme"), ("team", "")])) else {
            panic!()
        };
        assert_eq!(all, form(&[("job", "Engineer"), ("company", "Acme"), ("team", "")]));
    }

    #[test]
    fn a_draft_of_another_stage_or_a_step_past_the_end_is_not_trusted() {
        let prompt = two_steps();
        let other = StepDraft { stage: "name".into(), step: 1, typed: form(&[("job", "Spy")]) };
        let StepOutcome::Invalid(draft, _) = advance(&prompt, Some(other), 7, Go::Continue, &form(&[])) else { panic!() };
        assert_eq!((draft.stage.as_str(), draft.step), ("work", 1), "clamped to the last step");
        assert!(!draft.typed.contains_key("job"), "nothing carried over from another stage");
    }
}
