//! The stage editor's "Only when" part: rules (a profile value, a test, a value) combined by
//! all or any, as form inputs that post without JavaScript. A nested combination the rules
//! cannot show stays editable as JSON below them.

use std::collections::BTreeMap;

use leptos::prelude::*;

use super::form_inputs::{set_stage, FieldOrStage, TextInput};
use crate::admin::questions::{RuleForm, RULE_TESTS};

/// Blank rows offered beyond the rules already there (filled ones are kept, blank ones
/// ignored), and the fewest rows shown.
const SPARE_ROWS: usize = 1;
const MIN_ROWS: usize = 3;

fn set_rule(f: &mut FieldOrStage, i: usize, part: &'static str, value: String) {
    if let Some(s) = f.stage() {
        if s.rules.len() <= i {
            s.rules.resize(i + 1, RuleForm::default());
        }
        let rule = &mut s.rules[i];
        match part {
            "target" => rule.target = value,
            "test" => rule.test = value,
            _ => rule.value = value,
        }
    }
}

fn set_join(f: &mut FieldOrStage, value: String) {
    if let Some(s) = f.stage() {
        s.condition_join = value;
    }
}

#[component]
pub(super) fn ConditionEditor(
    join: String,
    rules: Vec<RuleForm>,
    condition_json: String,
    /// Where answers can be stored, offered as the rules' values.
    targets: Vec<String>,
    errors: Signal<BTreeMap<String, String>>,
    form: RwSignal<FieldOrStage>,
) -> impl IntoView {
    let rows = (rules.len() + SPARE_ROWS).max(MIN_ROWS);
    let mut rules = rules;
    rules.resize(rows, RuleForm::default());
    let error = move || errors.get().get("rules").cloned();
    view! {
        <fieldset class="stack condition-editor" aria-describedby="q-rules-help q-rules-error">
            <legend>"Only when (optional)"</legend>
            <p id="q-rules-help" class="help">"Leave the rules empty to ask everyone the stage reaches. A rule with no value chosen is ignored."</p>
            <div class="field">
                <label for="q-condition-join">"Ask when"</label>
                <select id="q-condition-join" name="form[condition_join]" on:change=move |ev| form.update(|f| set_join(f, event_target_value(&ev)))>
                    <option value="all" selected=join != "any">"all of these rules hold"</option>
                    <option value="any" selected=join == "any">"any of these rules holds"</option>
                </select>
            </div>
            <datalist id="q-targets">
                {targets.into_iter().map(|t| view! { <option value=t></option> }).collect_view()}
            </datalist>
            {rules.into_iter().enumerate().map(|(i, rule)| {
                let n = i + 1;
                let id = |part: &str| format!("q-rule-{n}-{part}");
                let name = |part: &str| format!("form[rules][{i}][{part}]");
                view! {
                    <div class="rule" role="group" aria-label=format!("Rule {n}") data-testid=format!("rule-{n}")>
                        <div class="field">
                            <label for=id("target")>{format!("Rule {n}: value")}</label>
                            <input id=id("target") name=name("target") list="q-targets" value=rule.target placeholder="user_metadata.company"
                                on:input=move |ev| form.update(|f| set_rule(f, i, "target", event_target_value(&ev))) />
                        </div>
                        <div class="field">
                            <label for=id("test")>"test"</label>
                            <select id=id("test") name=name("test") on:change=move |ev| form.update(|f| set_rule(f, i, "test", event_target_value(&ev)))>
                                {RULE_TESTS.into_iter().map(|(v, words)| view! { <option value=v selected=rule.test == v>{words}</option> }).collect_view()}
                            </select>
                        </div>
                        <div class="field">
                            <label for=id("value")>"compared with"</label>
                            <input id=id("value") name=name("value") value=rule.value placeholder="pro, team"
                                on:input=move |ev| form.update(|f| set_rule(f, i, "value", event_target_value(&ev))) />
                        </div>
                    </div>
                }
            }).collect_view()}
            <p id="q-rules-error" class="error field-error" role="alert">{error}</p>
            <TextInput name="condition" label="Or a nested condition as JSON (used when no rule is filled in)" value=condition_json errors=errors
                help="all / any / not over exists, missing, equals, in — see docs/CONFIGURATION.md, “Conditions”" set=set_stage!(condition) form=form multiline=true />
        </fieldset>
    }
}
