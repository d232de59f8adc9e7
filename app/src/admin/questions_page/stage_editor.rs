//! `/admin/questions/stages/{key}`: create or edit one stage, with a live preview of the stage
//! as people will see it.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_params_map};

use super::{
    condition_editor::ConditionEditor,
    form_inputs::{set_enabled, set_skippable, set_stage, set_trigger, CheckInput, FieldOrStage, TextInput},
    questions_config, MakeFormSecret, SaveStage,
};
use crate::{
    admin::console::AdminFrame, admin::questions::rules_condition, admin::questions::StageForm, error::AppError, prompt::StagePreview,
};
use domain::{profiling::ProfilingConfig, profiling::VersionedConfig};

#[component]
pub(crate) fn StageEditPage() -> impl IntoView {
    let params = use_params_map();
    let key = move || params.read().get("key").unwrap_or_default();
    let config = Resource::new(|| (), |_| questions_config());
    view! {
        <AdminFrame title="Stage">
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || config.get().map(|r| match r {
                    Ok(VersionedConfig { version, config }) => {
                        let key = key();
                        if key == "new" {
                            let blank = StageForm { trigger: "login".into(), min_logins: "2".into(), skippable: Some("on".into()), enabled: Some("on".into()), cooldown_logins: "1".into(), ..Default::default() };
                            return view! { <StageEditor version=version original=None initial=blank config=config /> }.into_any();
                        }
                        match config.stages.iter().find(|s| s.key.as_str() == key) {
                            Some(s) => {
                                let initial = StageForm::from_stage(s);
                                view! { <StageEditor version=version original=Some(key.clone()) initial=initial config=config.clone() /> }.into_any()
                            }
                            None => view! { <p class="error" role="alert">"There is no stage " <code>{key}</code> "."</p> }.into_any(),
                        }
                    }
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Suspense>
        </AdminFrame>
    }
}

#[component]
fn StageEditor(version: i64, original: Option<String>, initial: StageForm, config: ProfilingConfig) -> impl IntoView {
    let save = ServerAction::<SaveStage>::new();
    let form = RwSignal::new(FieldOrStage::Stage(initial.clone()));
    let errors = Signal::derive(move || match save.value().get() {
        Some(Err(AppError::Invalid(map))) => map,
        _ => BTreeMap::new(),
    });
    let general = move || match save.value().get() {
        Some(Err(AppError::Invalid(map))) => map.get("").cloned(),
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };
    let known_fields = config.fields.clone();
    let preview = move || {
        let FieldOrStage::Stage(s) = form.get() else { return ().into_any() };
        let fields: Vec<_> =
            s.fields.split([',', '\n']).map(str::trim).filter_map(|k| known_fields.iter().find(|f| f.key.as_str() == k).cloned()).collect();
        let intro = Some(s.intro.trim().to_string()).filter(|i| !i.is_empty());
        // Who it is for, in words: the condition as the rules (or the JSON) now say it.
        let when = match rules_condition(&s.condition_join, &s.rules) {
            Ok(Some(c)) => Some(c.describe()),
            Ok(None) => serde_json::from_str::<domain::profiling::Condition>(s.condition.trim()).ok().map(|c| c.describe()),
            Err(problem) => Some(problem),
        };
        view! {
            <p class="muted" data-testid="preview-when">{match when {
                Some(w) => format!("Asked only when {w}."),
                None => "Asked of everyone the stage reaches.".to_string(),
            }}</p>
            <StagePreview title=s.title.clone() intro=intro fields=fields skippable=s.skippable.is_some() />
        }
        .into_any()
    };
    let i = initial;
    let secret_panel = (original.is_some() && !i.form_url.is_empty()).then(|| original.clone().unwrap_or_default());
    let heading = if original.is_some() { "Edit stage" } else { "New stage" };
    let targets: Vec<String> = {
        let mut t: Vec<String> = config.fields.iter().map(|f| f.target.to_string()).collect();
        t.extend(domain::profile::RootAttribute::ALL.iter().map(|a| a.as_str().to_string()));
        t.sort();
        t.dedup();
        t
    };
    let field_keys = config.fields.iter().map(|f| format!("{} ({})", f.key, f.label)).collect::<Vec<_>>().join(", ");
    view! {
        <div class="editor">
            <div class="stack">
            <ActionForm action=save attr:class="stack" attr:aria-label=heading>
                <input type="hidden" name="original" value=original.clone().unwrap_or_default() />
                <input type="hidden" name="version" value=version.to_string() />
                <TextInput name="key" label="Key" value=i.key.clone() errors=errors help="a-z, 0-9 and _, starting with a letter" set=set_stage!(key) form=form />
                <TextInput name="title" label="Title" value=i.title.clone() errors=errors set=set_stage!(title) form=form />
                <TextInput name="intro" label="Introduction" value=i.intro.clone() errors=errors multiline=true
                    help="*emphasis*, **strong**, [a link](https://…) and - lists; other markup shows as typed" set=set_stage!(intro) form=form />
                <div class="field">
                    <label for="q-trigger">"Shown"</label>
                    <select id="q-trigger" name="form[trigger]" aria-describedby="q-trigger-error"
                        on:change=move |ev| form.update(|f| set_trigger(f, event_target_value(&ev)))>
                        <option value="signup" selected=i.trigger == "signup">"At signup"</option>
                        <option value="login" selected=i.trigger == "login">"At a later login"</option>
                        <option value="context" selected=i.trigger == "context">"In a place of the site (context)"</option>
                    </select>
                    <p id="q-trigger-error" class="error field-error" role="alert">{move || errors.get().get("trigger").cloned()}</p>
                </div>
                <TextInput name="min_logins" label="From login number (login stages)" value=i.min_logins.clone() errors=errors set=set_stage!(min_logins) form=form />
                <TextInput name="max_logins" label="Until login number (login stages)" value=i.max_logins.clone() errors=errors
                    help="blank: every later login; the same number as above: at that login only" set=set_stage!(max_logins) form=form />
                <TextInput name="context_name" label="Context name (context stages, e.g. article)" value=i.context_name.clone() errors=errors set=set_stage!(context_name) form=form />
                <TextInput name="context_tags" label="Only where tagged (comma-separated, optional)" value=i.context_tags.clone() errors=errors set=set_stage!(context_tags) form=form />
                <TextInput name="fields" label="Fields, in the order asked (comma-separated keys)" value=i.fields.clone() errors=errors set=set_stage!(fields) form=form />
                <p class="help">"Fields: " {field_keys}</p>
                <ConditionEditor join=i.condition_join.clone() rules=i.rules.clone() condition_json=i.condition.clone() targets=targets errors=errors form=form />
                <CheckInput name="skippable" label="People may skip it" checked=i.skippable.is_some() set=set_skippable form=form />
                <TextInput name="cooldown_days" label="After a skip, wait (days)" value=i.cooldown_days.clone() errors=errors set=set_stage!(cooldown_days) form=form />
                <TextInput name="cooldown_logins" label="After a skip, wait (logins)" value=i.cooldown_logins.clone() errors=errors set=set_stage!(cooldown_logins) form=form />
                <CheckInput name="enabled" label="Enabled" checked=i.enabled.is_some() set=set_enabled form=form />
                <fieldset class="stack">
                    <legend>"External form (optional)"</legend>
                    <p class="help">"Ask this stage's fields in a form on another site: people are sent there with a signed token and come back to /continue with their answers (see docs/MANUAL.md, “External forms”)."</p>
                    <TextInput name="form_url" label="Form address" value=i.form_url.clone() errors=errors help="https://forms.example.com/work — leave empty to ask here" set=set_stage!(form_url) form=form />
                    <TextInput name="token_minutes" label="Tokens valid for (minutes, 1–60)" value=i.token_minutes.clone() errors=errors help="default 10" set=set_stage!(token_minutes) form=form />
                </fieldset>
                <p class="error" role="alert">{general}</p>
                <div class="actions">
                    <button type="submit">"Save stage"</button>
                    <A href="/admin/questions">"Cancel"</A>
                </div>
            </ActionForm>
            {secret_panel.map(|stage| view! { <FormSecretPanel stage=stage /> })}
            </div>
            <div class="preview-pane" aria-live="polite">
                <h2 class="preview-heading">"Live preview"</h2>
                {preview}
            </div>
        </div>
    }
}

/// An external form stage's signing secret: made here, shown once.
#[component]
fn FormSecretPanel(stage: String) -> impl IntoView {
    let make = ServerAction::<MakeFormSecret>::new();
    let made = move || {
        match make.value().get() {
        Some(Ok(s)) => Some(
            view! {
                <p role="status">"The form's new secret (shown this once; the old one no longer works):"</p>
                <p><code data-testid="form-secret">{s.secret}</code></p>
                <p>"Its tokens name the issuer: " <code data-testid="form-issuer">{s.issuer.unwrap_or_else(|| "AskOnce's address (the default)".to_string())}</code></p>
            }
            .into_any(),
        ),
        Some(Err(e)) => Some(view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any()),
        None => None,
    }
    };
    view! {
        <section class="card" aria-labelledby="form-secret-heading">
            <h2 id="form-secret-heading">"Form secret"</h2>
            <p><A href=format!("/admin/questions/stages/{stage}/round-trips")>"Recent round trips to the form"</A></p>
            <p class="help">"The form checks AskOnce's token and signs its answers with this secret (HS256). Setting a new one stops the old one at once."</p>
            <ActionForm action=make>
                <input type="hidden" name="stage" value=stage />
                <label for="form-own-secret">"The site's own secret (optional)"</label>
                <input id="form-own-secret" name="secret" type="password" autocomplete="off" minlength="32" maxlength="128" aria-describedby="form-own-secret-help" />
                <p class="help" id="form-own-secret-help">"At least 32 characters, e.g. the SESSION_TOKEN_SECRET an Arengu flow already uses. Leave it empty and AskOnce makes one."</p>
                <label for="form-issuer">"Issuer the form's tokens name (optional)"</label>
                <input id="form-issuer" name="issuer" type="text" maxlength="128" aria-describedby="form-issuer-help" />
                <p class="help" id="form-issuer-help">"Arengu's flows sign with an issuer of your choosing; AskOnce's address is the default. Empty keeps it as it is; a single - sets it back."</p>
                <button type="submit" disabled=move || make.pending().get()>"Set the secret"</button>
            </ActionForm>
            {made}
        </section>
    }
}
