//! `/admin/questions/fields/{key}`: create or edit one field, with the errors beside each input.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_params_map};

use super::{
    form_inputs::{set_field, set_kind, set_reask, set_required, set_user_editable, CheckInput, FieldOrStage, TextInput, KINDS},
    questions_config, SaveField,
};
use crate::{admin::console::AdminFrame, admin::questions::FieldForm, error::AppError, prompt::StagePreview};
use domain::profiling::VersionedConfig;

#[component]
pub(crate) fn FieldEditPage() -> impl IntoView {
    let params = use_params_map();
    let key = move || params.read().get("key").unwrap_or_default();
    let config = Resource::new(|| (), |_| questions_config());
    view! {
        <AdminFrame title="Field">
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || config.get().map(|r| match r {
                    Ok(VersionedConfig { version, config }) => {
                        let key = key();
                        if key == "new" {
                            let blank = FieldForm { kind: "text".into(), user_editable: Some("on".into()), reask: Some("on".into()), ..Default::default() };
                            return view! { <FieldEditor version=version original=None initial=blank /> }.into_any();
                        }
                        match config.fields.iter().find(|f| f.key.as_str() == key) {
                            Some(f) => view! { <FieldEditor version=version original=Some(key.clone()) initial=FieldForm::from_field(f) /> }.into_any(),
                            None => view! { <p class="error" role="alert">"There is no field " <code>{key}</code> "."</p> }.into_any(),
                        }
                    }
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Suspense>
        </AdminFrame>
    }
}

#[component]
fn FieldEditor(version: i64, original: Option<String>, initial: FieldForm) -> impl IntoView {
    let save = ServerAction::<SaveField>::new();
    let form = RwSignal::new(FieldOrStage::Field(initial.clone()));
    let errors = Signal::derive(move || match save.value().get() {
        Some(Err(AppError::Invalid(map))) => map,
        _ => BTreeMap::new(),
    });
    let general = move || match save.value().get() {
        Some(Err(AppError::Invalid(map))) => map.get("").cloned().or_else(|| map.get("validation").cloned()),
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };
    let preview = move || match form.get() {
        FieldOrStage::Field(f) => match f.to_field() {
            Ok(field) => view! { <StagePreview title="Preview" intro=None fields=vec![field] /> }.into_any(),
            Err(_) => view! { <p class="muted">"The preview appears once the key, kind and target are valid."</p> }.into_any(),
        },
        FieldOrStage::Stage(_) => ().into_any(),
    };
    let i = initial;
    let heading = if original.is_some() { "Edit field" } else { "New field" };
    view! {
        <div class="editor">
            <ActionForm action=save attr:class="stack" attr:aria-label=heading>
                <input type="hidden" name="original" value=original.clone().unwrap_or_default() />
                <input type="hidden" name="version" value=version.to_string() />
                <TextInput name="key" label="Key" value=i.key.clone() errors=errors help="a-z, 0-9 and _, starting with a letter" set=set_field!(key) form=form />
                <TextInput name="label" label="Question (label)" value=i.label.clone() errors=errors set=set_field!(label) form=form />
                <TextInput name="help" label="Help text" value=i.help.clone() errors=errors set=set_field!(help) form=form />
                <div class="field">
                    <label for="q-kind">"Kind of answer"</label>
                    <select id="q-kind" name="form[kind]" aria-describedby="q-kind-error"
                        on:change=move |ev| form.update(|f| set_kind(f, event_target_value(&ev)))>
                        {KINDS.into_iter().map(|(v, l)| view! { <option value=v selected=i.kind == v>{l}</option> }).collect_view()}
                    </select>
                    <p id="q-kind-error" class="error field-error" role="alert">{move || errors.get().get("kind").cloned()}</p>
                </div>
                <TextInput name="target" label="Stored in" value=i.target.clone() errors=errors help="a root attribute (given_name, family_name, nickname, locale, …) or user_metadata.<key>" set=set_field!(target) form=form />
                <CheckInput name="required" label="An answer is required" checked=i.required.is_some() set=set_required form=form />
                <TextInput name="min_length" label="Shortest answer (characters)" value=i.min_length.clone() errors=errors set=set_field!(min_length) form=form />
                <TextInput name="max_length" label="Longest answer (characters)" value=i.max_length.clone() errors=errors set=set_field!(max_length) form=form />
                <TextInput name="pattern" label="Pattern (regular expression the whole answer must match)" value=i.pattern.clone() errors=errors set=set_field!(pattern) form=form />
                <TextInput name="pattern_hint" label="Pattern in words" value=i.pattern_hint.clone() errors=errors help="shown when an answer does not match, e.g. “five digits”" set=set_field!(pattern_hint) form=form />
                <TextInput name="min" label="Smallest number" value=i.min.clone() errors=errors set=set_field!(min) form=form />
                <TextInput name="max" label="Largest number" value=i.max.clone() errors=errors set=set_field!(max) form=form />
                <TextInput name="options" label="Choices" value=i.options.clone() errors=errors help="one a line: value = Label" set=set_field!(options) form=form multiline=true />
                <TextInput name="min_choices" label="Fewest choices (multiselect)" value=i.min_choices.clone() errors=errors set=set_field!(min_choices) form=form />
                <TextInput name="max_choices" label="Most choices (multiselect)" value=i.max_choices.clone() errors=errors set=set_field!(max_choices) form=form />
                <TextInput name="from" label="Taken from (hidden fields)" value=i.from.clone() errors=errors
                    help="query:ref (the ?ref= of the page they came by), tags (what they were reading) or connection (how they signed in)" set=set_field!(from) form=form />
                <TextInput name="claims" label="Provider claims that answer it" value=i.claims.clone() errors=errors help="comma-separated, in order of preference (job_title, title)" set=set_field!(claims) form=form />
                <TextInput name="purpose" label="Purpose of the agreement (consent fields)" value=i.purpose.clone() errors=errors help="shown with the question and kept with each answer; a new wording is a new version" set=set_field!(purpose) form=form multiline=true />
                <input type="hidden" name="form[consent_version]" value=i.consent_version.clone() />
                {(!i.consent_version.is_empty()).then(|| view! { <p class="muted" data-testid="consent-version">{format!("Wording in force: version {}", i.consent_version)}</p> })}
                <CheckInput name="reask" label="Ask again people who agreed to an earlier wording" checked=i.reask.is_some() set=set_reask form=form />
                <CheckInput name="user_editable" label="People may edit their answer on their profile" checked=i.user_editable.is_some() set=set_user_editable form=form />
                <p class="error" role="alert">{general}</p>
                <div class="actions">
                    <button type="submit">"Save field"</button>
                    <A href="/admin/questions">"Cancel"</A>
                </div>
            </ActionForm>
            <div class="preview-pane" aria-live="polite">{preview}</div>
        </div>
    }
}
