//! `/admin/questions`: fields and stages — list, create, edit, reorder, enable/disable,
//! delete — with errors next to the inputs and a live preview of the stage as people see it.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_params_map};

use super::{
    console::AdminFrame,
    questions::{FieldForm, StageForm},
};
use crate::{
    error::AppError,
    profiling::{prompt_ui::StagePreview, FieldKind, ProfilingConfig},
};

#[server(endpoint = "admin/questions/get")]
pub async fn questions_config() -> Result<ProfilingConfig, AppError> {
    let (state, _) = super::access::ssr::require_admin().await?;
    crate::profiling::ssr::load_config(&state.db).await.map_err(|e| crate::error::ssr::internal("loading questions", e))
}

/// Creates (`original` empty) or changes a field. Errors come back per input.
#[server(endpoint = "admin/questions/field")]
pub async fn save_field(#[server(default)] original: Option<String>, form: FieldForm) -> Result<(), AppError> {
    use super::questions::{problems_by_input, Edit};
    let (state, me) = super::access::ssr::require_admin().await?;
    let field = form.to_field().map_err(AppError::Invalid)?;
    let prefix = format!("fields.{}", field.key);
    let original = ssr::key(original)?;
    ssr::apply(&state, &me, Edit::SaveField { original, field }, |p| problems_by_input(p, &prefix)).await?;
    leptos_axum::redirect("/admin/questions");
    Ok(())
}

#[server(endpoint = "admin/questions/stage")]
pub async fn save_stage(#[server(default)] original: Option<String>, form: StageForm) -> Result<(), AppError> {
    use super::questions::{problems_by_input, Edit};
    let (state, me) = super::access::ssr::require_admin().await?;
    let stage = form.to_stage().map_err(AppError::Invalid)?;
    let prefix = format!("stages.{}", stage.key);
    let original = ssr::key(original)?;
    ssr::apply(&state, &me, Edit::SaveStage { original, stage }, |p| problems_by_input(p, &prefix)).await?;
    leptos_axum::redirect("/admin/questions");
    Ok(())
}

/// `kind`: field | stage; `action`: up | down | delete | enable | disable.
#[server(endpoint = "admin/questions/action")]
pub async fn question_action(kind: String, key: String, action: String) -> Result<(), AppError> {
    use super::questions::{Direction, Edit};
    let (state, me) = super::access::ssr::require_admin().await?;
    let key = crate::profiling::FieldKey::parse(&key).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let edit = match (kind.as_str(), action.as_str()) {
        ("field", "up") => Edit::MoveField(key, Direction::Up),
        ("field", "down") => Edit::MoveField(key, Direction::Down),
        ("field", "delete") => Edit::DeleteField(key),
        ("stage", "up") => Edit::MoveStage(key, Direction::Up),
        ("stage", "down") => Edit::MoveStage(key, Direction::Down),
        ("stage", "delete") => Edit::DeleteStage(key),
        ("stage", "enable") => Edit::SetStageEnabled(key, true),
        ("stage", "disable") => Edit::SetStageEnabled(key, false),
        _ => return Err(AppError::BadRequest("Unknown action.".into())),
    };
    ssr::apply(&state, &me, edit, |p| BTreeMap::from([(String::new(), p.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; "))]))
        .await
}

#[cfg(feature = "ssr")]
mod ssr {
    use std::collections::BTreeMap;

    use super::super::questions::{ssr::QuestionsError, Edit, EditError};
    use crate::{
        auth::SessionUser,
        error::{ssr::internal, AppError},
        profiling::{ConfigProblem, FieldKey},
        state::AppState,
    };

    pub fn key(original: Option<String>) -> Result<Option<FieldKey>, AppError> {
        match original.filter(|o| !o.trim().is_empty()) {
            None => Ok(None),
            Some(o) => FieldKey::parse(o.trim()).map(Some).map_err(|e| AppError::BadRequest(e.to_string())),
        }
    }

    /// Applies `edit` as the signed-in admin `me`; a refused edit comes back with its
    /// problems placed (per input, or as one message) by `place`.
    pub async fn apply(
        state: &AppState,
        me: &SessionUser,
        edit: Edit,
        place: impl Fn(&[ConfigProblem]) -> BTreeMap<String, String>,
    ) -> Result<(), AppError> {
        super::super::questions::ssr::edit(&state.db, edit, ("admin", Some(&me.user_id))).await.map(|_| ()).map_err(|e| map_error(e, place))
    }

    fn map_error(err: QuestionsError, place: impl Fn(&[ConfigProblem]) -> BTreeMap<String, String>) -> AppError {
        match err {
            QuestionsError::Edit(EditError::Problems(p)) => AppError::Invalid(place(&p)),
            QuestionsError::Edit(EditError::NotFound(_)) => AppError::NotFound,
            QuestionsError::Profiling(e) => internal("saving questions", e),
        }
    }
}

fn trigger_text(t: &crate::profiling::Trigger) -> String {
    use crate::profiling::Trigger;
    match t {
        Trigger::Signup => "at signup".into(),
        Trigger::Login { min_logins } => format!("at login, from login {min_logins} on"),
        Trigger::Context { name, tags } if tags.is_empty() => format!("in context “{name}”"),
        Trigger::Context { name, tags } => format!("in context “{name}” tagged {}", tags.join(", ")),
    }
}

#[component]
pub fn QuestionsPage() -> impl IntoView {
    view! {
        <AdminFrame title="Questions">
            <QuestionLists />
        </AdminFrame>
    }
}

/// A small form posting one action on one item (reorder, toggle, delete).
#[component]
fn ItemAction(action: ServerAction<QuestionAction>, kind: &'static str, key: String, what: &'static str, label: String) -> impl IntoView {
    let class = if what == "delete" { "link-button danger" } else { "link-button" };
    view! {
        <ActionForm action=action attr:class="inline">
            <input type="hidden" name="kind" value=kind />
            <input type="hidden" name="key" value=key />
            <input type="hidden" name="action" value=what />
            <button type="submit" class=class aria-label=label>{what}</button>
        </ActionForm>
    }
}

#[component]
fn QuestionLists() -> impl IntoView {
    let act = ServerAction::<QuestionAction>::new();
    let config = Resource::new(move || act.version().get(), |_| questions_config());
    let act_error = move || match act.value().get() {
        Some(Err(AppError::Invalid(map))) => Some(map.into_values().collect::<Vec<_>>().join(" ")),
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };
    view! {
        <p class="error" role="alert">{act_error}</p>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || config.get().map(|r| match r {
                Ok(config) => view! {
                    <section aria-labelledby="stages-heading">
                        <h2 id="stages-heading">"Stages"</h2>
                        <p class="muted">"Considered in this order. At most one login stage is shown per sign-in."</p>
                        <table class="data" data-testid="stage-list">
                            <thead><tr><th scope="col">"Stage"</th><th scope="col">"When"</th><th scope="col">"Fields"</th><th scope="col">"State"</th><th scope="col">"Actions"</th></tr></thead>
                            <tbody>
                                {config.stages.clone().into_iter().map(|s| {
                                    let key = s.key.to_string();
                                    let toggle = if s.enabled { "disable" } else { "enable" };
                                    view! {
                                        <tr>
                                            <th scope="row"><A href=format!("/admin/questions/stages/{key}")>{s.title.clone()}</A> " " <code>{key.clone()}</code></th>
                                            <td>{trigger_text(&s.trigger)}</td>
                                            <td>{s.fields.iter().map(|f| f.to_string()).collect::<Vec<_>>().join(", ")}</td>
                                            <td>{if s.enabled { "enabled" } else { "disabled" }}</td>
                                            <td class="row-actions">
                                                <ItemAction action=act kind="stage" key=key.clone() what="up" label=format!("Move stage {key} up") />
                                                <ItemAction action=act kind="stage" key=key.clone() what="down" label=format!("Move stage {key} down") />
                                                <ItemAction action=act kind="stage" key=key.clone() what=toggle label=format!("{toggle} stage {key}") />
                                                <ItemAction action=act kind="stage" key=key.clone() what="delete" label=format!("Delete stage {key}") />
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        <p><A href="/admin/questions/stages/new">"New stage"</A></p>
                    </section>
                    <section aria-labelledby="fields-heading">
                        <h2 id="fields-heading">"Fields"</h2>
                        <table class="data" data-testid="field-list">
                            <thead><tr><th scope="col">"Field"</th><th scope="col">"Kind"</th><th scope="col">"Stored in"</th><th scope="col">"Known from claims"</th><th scope="col">"Actions"</th></tr></thead>
                            <tbody>
                                {config.fields.clone().into_iter().map(|f| {
                                    let key = f.key.to_string();
                                    let kind = serde_json::to_value(f.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
                                    view! {
                                        <tr>
                                            <th scope="row"><A href=format!("/admin/questions/fields/{key}")>{f.label.clone()}</A> " " <code>{key.clone()}</code></th>
                                            <td>{kind}</td>
                                            <td><code>{f.target.to_string()}</code></td>
                                            <td>{f.claims.join(", ")}</td>
                                            <td class="row-actions">
                                                <ItemAction action=act kind="field" key=key.clone() what="up" label=format!("Move field {key} up") />
                                                <ItemAction action=act kind="field" key=key.clone() what="down" label=format!("Move field {key} down") />
                                                <ItemAction action=act kind="field" key=key.clone() what="delete" label=format!("Delete field {key}") />
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        <p><A href="/admin/questions/fields/new">"New field"</A></p>
                    </section>
                    <p class="muted">
                        "The whole configuration can also be exported and imported: "
                        <code>"askonce profiling export"</code> " / " <code>"askonce profiling import FILE"</code> ", or "
                        <code>"GET/PUT /api/v2/profiling-config"</code> "."
                    </p>
                }.into_any(),
                Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}

/// One labelled text input bound to the form signal, with its error.
#[component]
fn TextInput<F: Fn(&mut FieldOrStage, String) + Copy + Send + Sync + 'static>(
    name: &'static str,
    #[prop(into)] label: String,
    value: String,
    errors: Signal<BTreeMap<String, String>>,
    #[prop(optional)] help: Option<&'static str>,
    set: F,
    form: RwSignal<FieldOrStage>,
    #[prop(optional)] multiline: bool,
) -> impl IntoView {
    let id = format!("q-{name}");
    let error_id = format!("{id}-error");
    let help_id = format!("{id}-help");
    let described = format!("{help_id} {error_id}");
    let error = move || errors.get().get(name).cloned();
    let invalid = move || error().is_some().then_some("true");
    let input = if multiline {
        view! {
            <textarea id=id.clone() name=format!("form[{name}]") rows="4" aria-describedby=described.clone() aria-invalid=invalid
                on:input=move |ev| form.update(|f| set(f, event_target_value(&ev)))>{value}</textarea>
        }
        .into_any()
    } else {
        view! {
            <input id=id.clone() name=format!("form[{name}]") value=value aria-describedby=described.clone() aria-invalid=invalid
                on:input=move |ev| form.update(|f| set(f, event_target_value(&ev))) />
        }
        .into_any()
    };
    view! {
        <div class="field">
            <label for=id>{label}</label>
            {input}
            <p id=help_id class="help">{help}</p>
            <p id=error_id class="error field-error" role="alert">{error}</p>
        </div>
    }
}

/// A labelled checkbox bound to the form signal.
#[component]
fn CheckInput<F: Fn(&mut FieldOrStage, bool) + Copy + Send + Sync + 'static>(
    name: &'static str,
    #[prop(into)] label: String,
    checked: bool,
    set: F,
    form: RwSignal<FieldOrStage>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label class="check">
                <input type="checkbox" name=format!("form[{name}]") value="on" checked=checked
                    on:change=move |ev| form.update(|f| set(f, event_target_checked(&ev))) />
                " " {label}
            </label>
        </div>
    }
}

/// The form being edited, field or stage (one signal type keeps the input components simple).
#[derive(Debug, Clone, PartialEq)]
pub enum FieldOrStage {
    Field(FieldForm),
    Stage(StageForm),
}

impl FieldOrStage {
    fn field(&mut self) -> Option<&mut FieldForm> {
        match self {
            FieldOrStage::Field(f) => Some(f),
            FieldOrStage::Stage(_) => None,
        }
    }
    fn stage(&mut self) -> Option<&mut StageForm> {
        match self {
            FieldOrStage::Stage(s) => Some(s),
            FieldOrStage::Field(_) => None,
        }
    }
}

macro_rules! set_field {
    ($name:ident) => {
        |f: &mut FieldOrStage, v: String| {
            if let Some(f) = f.field() {
                f.$name = v;
            }
        }
    };
}

macro_rules! set_stage {
    ($name:ident) => {
        |f: &mut FieldOrStage, v: String| {
            if let Some(s) = f.stage() {
                s.$name = v;
            }
        }
    };
}

fn checked(v: bool) -> Option<String> {
    v.then(|| "on".to_string())
}

fn set_required(f: &mut FieldOrStage, v: bool) {
    if let Some(f) = f.field() {
        f.required = checked(v);
    }
}

fn set_user_editable(f: &mut FieldOrStage, v: bool) {
    if let Some(f) = f.field() {
        f.user_editable = checked(v);
    }
}

fn set_skippable(f: &mut FieldOrStage, v: bool) {
    if let Some(s) = f.stage() {
        s.skippable = checked(v);
    }
}

fn set_kind(f: &mut FieldOrStage, v: String) {
    if let Some(f) = f.field() {
        f.kind = v;
    }
}

fn set_trigger(f: &mut FieldOrStage, v: String) {
    if let Some(s) = f.stage() {
        s.trigger = v;
    }
}

fn set_enabled(f: &mut FieldOrStage, v: bool) {
    if let Some(s) = f.stage() {
        s.enabled = checked(v);
    }
}

const KINDS: [(&str, &str); 12] = [
    ("text", "Text"),
    ("textarea", "Longer text"),
    ("email", "Email address"),
    ("phone", "Phone number"),
    ("url", "Web address"),
    ("number", "Number"),
    ("date", "Date"),
    ("dropdown", "Dropdown"),
    ("radio", "Radio buttons"),
    ("checkbox", "Checkbox"),
    ("multiselect", "Multiple choice"),
    ("consent", "Consent (yes/no)"),
];

#[component]
pub fn FieldEditPage() -> impl IntoView {
    let params = use_params_map();
    let key = move || params.read().get("key").unwrap_or_default();
    let config = Resource::new(|| (), |_| questions_config());
    view! {
        <AdminFrame title="Field">
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || config.get().map(|r| match r {
                    Ok(config) => {
                        let key = key();
                        if key == "new" {
                            let blank = FieldForm { kind: "text".into(), user_editable: Some("on".into()), ..Default::default() };
                            return view! { <FieldEditor original=None initial=blank /> }.into_any();
                        }
                        match config.fields.iter().find(|f| f.key.as_str() == key) {
                            Some(f) => view! { <FieldEditor original=Some(key.clone()) initial=FieldForm::from_field(f) /> }.into_any(),
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
fn FieldEditor(original: Option<String>, initial: FieldForm) -> impl IntoView {
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
                <TextInput name="claims" label="Provider claims that answer it" value=i.claims.clone() errors=errors help="comma-separated, in order of preference (job_title, title)" set=set_field!(claims) form=form />
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

#[component]
pub fn StageEditPage() -> impl IntoView {
    let params = use_params_map();
    let key = move || params.read().get("key").unwrap_or_default();
    let config = Resource::new(|| (), |_| questions_config());
    view! {
        <AdminFrame title="Stage">
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || config.get().map(|r| match r {
                    Ok(config) => {
                        let key = key();
                        if key == "new" {
                            let blank = StageForm { trigger: "login".into(), min_logins: "2".into(), skippable: Some("on".into()), enabled: Some("on".into()), cooldown_logins: "1".into(), ..Default::default() };
                            return view! { <StageEditor original=None initial=blank config=config /> }.into_any();
                        }
                        match config.stages.iter().find(|s| s.key.as_str() == key) {
                            Some(s) => {
                                let initial = StageForm::from_stage(s);
                                view! { <StageEditor original=Some(key.clone()) initial=initial config=config.clone() /> }.into_any()
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
fn StageEditor(original: Option<String>, initial: StageForm, config: ProfilingConfig) -> impl IntoView {
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
        view! { <StagePreview title=s.title.clone() intro=intro fields=fields skippable=s.skippable.is_some() /> }.into_any()
    };
    let i = initial;
    let heading = if original.is_some() { "Edit stage" } else { "New stage" };
    let field_keys = config.fields.iter().map(|f| format!("{} ({})", f.key, f.label)).collect::<Vec<_>>().join(", ");
    view! {
        <div class="editor">
            <ActionForm action=save attr:class="stack" attr:aria-label=heading>
                <input type="hidden" name="original" value=original.clone().unwrap_or_default() />
                <TextInput name="key" label="Key" value=i.key.clone() errors=errors help="a-z, 0-9 and _, starting with a letter" set=set_stage!(key) form=form />
                <TextInput name="title" label="Title" value=i.title.clone() errors=errors set=set_stage!(title) form=form />
                <TextInput name="intro" label="Introduction" value=i.intro.clone() errors=errors set=set_stage!(intro) form=form />
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
                <TextInput name="context_name" label="Context name (context stages, e.g. article)" value=i.context_name.clone() errors=errors set=set_stage!(context_name) form=form />
                <TextInput name="context_tags" label="Only where tagged (comma-separated, optional)" value=i.context_tags.clone() errors=errors set=set_stage!(context_tags) form=form />
                <TextInput name="fields" label="Fields, in the order asked (comma-separated keys)" value=i.fields.clone() errors=errors set=set_stage!(fields) form=form />
                <p class="help">"Fields: " {field_keys}</p>
                <TextInput name="condition" label="Only when (optional JSON condition)" value=i.condition.clone() errors=errors help="e.g. {\"op\": \"missing\", \"target\": \"user_metadata.company\"}" set=set_stage!(condition) form=form />
                <CheckInput name="skippable" label="People may skip it" checked=i.skippable.is_some() set=set_skippable form=form />
                <TextInput name="cooldown_days" label="After a skip, wait (days)" value=i.cooldown_days.clone() errors=errors set=set_stage!(cooldown_days) form=form />
                <TextInput name="cooldown_logins" label="After a skip, wait (logins)" value=i.cooldown_logins.clone() errors=errors set=set_stage!(cooldown_logins) form=form />
                <CheckInput name="enabled" label="Enabled" checked=i.enabled.is_some() set=set_enabled form=form />
                <p class="error" role="alert">{general}</p>
                <div class="actions">
                    <button type="submit">"Save stage"</button>
                    <A href="/admin/questions">"Cancel"</A>
                </div>
            </ActionForm>
            <div class="preview-pane" aria-live="polite">
                <h2 class="preview-heading">"Live preview"</h2>
                {preview}
            </div>
        </div>
    }
}

#[allow(dead_code)]
fn _kinds_cover_every_kind(kind: FieldKind) -> &'static str {
    // Adding a kind breaks this match: add it to KINDS too.
    match kind {
        FieldKind::Text | FieldKind::Textarea | FieldKind::Email | FieldKind::Phone | FieldKind::Url | FieldKind::Number => "",
        FieldKind::Date | FieldKind::Dropdown | FieldKind::Radio | FieldKind::Checkbox | FieldKind::Multiselect | FieldKind::Consent => "",
    }
}
