//! Asking: the `/welcome` page (a login-time stage) and `<ProgressivePrompt/>` (a stage in
//! context, inline), both rendering one stage's unknown fields as an accessible form that
//! posts without JavaScript and updates in place with it.

// `answer_prompt` takes one argument per field of the form people's browsers post (without
// JavaScript too): a flat form keeps the names plain (`stage`, `step`, `answers[…]`). The
// `#[server]` macro makes a browser-side function of it as well, which an attribute on the
// function does not reach; hence the module-wide allowance.
#![allow(clippy::too_many_arguments)]

use std::collections::BTreeMap;

use crate::escaping::{PageTitle, TextArea};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::error::AppError;
use domain::profiling::{Field, FieldKind, FormAnswer, Prompt};

/// What answering a step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum AnswerOutcome {
    /// The stage's answers are stored.
    Saved,
    /// A multi-step stage moved to another step (nothing stored yet).
    Moved,
}

/// The login-time stage to show now, if any.
#[server(endpoint = "profiling/prompt")]
pub async fn login_prompt() -> Result<Option<Prompt>, AppError> {
    let session = crate::auth::ssr::session().await?;
    let (state, me) = ssr::context().await?;
    let moment = services::profiling::login_moment(me.logins_count);
    let prompt = services::profiling::next_prompt(&state.db, &me.user_id, &moment).await.map_err(AppError::from)?;
    ssr::resume(&session, prompt).await
}

/// The stage to offer in a place of the app (`article`, with its tags), if any. Anonymous
/// visitors are offered nothing.
#[server]
pub async fn context_prompt(context: String, tags: Vec<String>) -> Result<Option<Prompt>, AppError> {
    let state = crate::state::AppState::current()?;
    let session = crate::auth::ssr::session().await?;
    let Some(me) = crate::auth::ssr::current_user().await? else {
        return Ok(None);
    };
    // Held back until the address is verified (`[email] require_verified`): nothing is asked
    // before that (answering would be refused).
    if me.must_verify_email {
        return Ok(None);
    }
    let moment = domain::profiling::Moment::Context { name: context, tags };
    let prompt = services::profiling::next_prompt(&state.db, &me.user_id, &moment).await.map_err(AppError::from)?;
    ssr::resume(&session, prompt).await
}

/// Saves the answers to a stage. `context`/`tags` name the place for an inline prompt;
/// without them it is the login-time stage. `return_to`: where to go next (login stage).
/// A multi-step stage sends one `step` at a time (`go=back` for Back), see `domain::profiling::steps`.
#[server(endpoint = "profiling/answer")]
pub async fn answer_prompt(
    stage: String,
    context: Option<String>,
    tags: Option<String>,
    return_to: Option<String>,
    #[server(default)] answers: BTreeMap<String, FormAnswer>,
    // The query of the page the person was reading (`ref=newsletter`), for hidden fields.
    #[server(default)] page_query: Option<String>,
    #[server(default)] step: Option<usize>,
    #[server(default)] go: Option<String>,
) -> Result<AnswerOutcome, AppError> {
    let session = crate::auth::ssr::session().await?;
    let (state, me) = ssr::context().await?;
    let moment = ssr::moment(&me, context, tags);
    let mut answers: BTreeMap<String, Vec<String>> = answers.into_iter().map(|(k, v)| (k, v.0)).collect();
    // A multi-step stage's form says which step it sends: that step is checked and kept; only
    // the last one stores. (A one-page form sends no step and is not looked up twice.)
    let open = match step {
        Some(_) => Some(services::profiling::open_prompt(&state.db, &me.user_id, &stage, &moment).await.map_err(AppError::from)?),
        None => None,
    };
    if let Some(open) = open.filter(|p| p.step_count() > 1) {
        use domain::profiling::steps::{advance, Go, StepDraft, StepOutcome, SESSION_KEY};
        let draft: Option<StepDraft> = session.get(SESSION_KEY).await.map_err(|e| crate::error::ssr::internal("reading a draft", e))?;
        match advance(&open, draft, step.unwrap_or(0), Go::parse(go.as_deref()), &answers) {
            StepOutcome::Moved(draft) => {
                session.insert(SESSION_KEY, draft).await.map_err(|e| crate::error::ssr::internal("keeping a draft", e))?;
                return Ok(AnswerOutcome::Moved);
            }
            StepOutcome::Invalid(draft, problems) => {
                session.insert(SESSION_KEY, draft).await.map_err(|e| crate::error::ssr::internal("keeping a draft", e))?;
                return Err(services::profiling::ProfilingError::Invalid(problems).into());
            }
            StepOutcome::Finished(all) => answers = all,
        }
    }
    let hidden = domain::profiling::field::HiddenContext {
        query: domain::profiling::field::HiddenContext::parse_query(page_query.as_deref().unwrap_or("")),
        tags: match &moment {
            domain::profiling::Moment::Context { tags, .. } => tags.clone(),
            _ => Vec::new(),
        },
        connection: None,
    };
    services::profiling::answer_stage_in(&state.db, &me.user_id, &stage, &moment, &answers, &hidden).await.map_err(AppError::from)?;
    let _ = session.remove::<domain::profiling::steps::StepDraft>(domain::profiling::steps::SESSION_KEY).await;
    ssr::continue_to(return_to).await;
    Ok(AnswerOutcome::Saved)
}

/// Skips a stage; it waits out its cooldown.
#[server(endpoint = "profiling/skip")]
pub async fn skip_prompt(stage: String, context: Option<String>, tags: Option<String>, return_to: Option<String>) -> Result<(), AppError> {
    let session = crate::auth::ssr::session().await?;
    let (state, me) = ssr::context().await?;
    let moment = ssr::moment(&me, context, tags);
    services::profiling::skip_stage(&state.db, &me.user_id, &stage, &moment).await.map_err(AppError::from)?;
    // Skipping a multi-step stage forgets what was typed in it.
    let _ = session.remove::<domain::profiling::steps::StepDraft>(domain::profiling::steps::SESSION_KEY).await;
    ssr::continue_to(return_to).await;
    Ok(())
}

#[cfg(feature = "ssr")]
pub(crate) use ssr::plain_form_post;

#[cfg(feature = "ssr")]
mod ssr {
    use crate::{auth::ssr::require_user, auth::ReturnTo, auth::SessionUser, error::AppError, state::AppState};
    use domain::profiling::Moment;

    pub async fn context() -> Result<(AppState, SessionUser), AppError> {
        Ok((AppState::current()?, require_user().await?))
    }

    pub fn moment(me: &SessionUser, context: Option<String>, tags: Option<String>) -> Moment {
        match context.filter(|c| !c.is_empty()) {
            Some(name) => Moment::Context {
                name,
                tags: tags.unwrap_or_default().split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_string).collect(),
            },
            None => services::profiling::login_moment(me.logins_count),
        }
    }

    /// `prompt` on the step the person's draft is at (`domain::profiling::steps`).
    pub async fn resume(
        session: &tower_sessions::Session,
        prompt: Option<domain::profiling::Prompt>,
    ) -> Result<Option<domain::profiling::Prompt>, AppError> {
        let Some(prompt) = prompt else { return Ok(None) };
        if prompt.step_count() < 2 {
            return Ok(Some(prompt));
        }
        let draft =
            session.get(domain::profiling::steps::SESSION_KEY).await.map_err(|e| crate::error::ssr::internal("reading a draft", e))?;
        Ok(Some(domain::profiling::steps::resume(prompt, draft)))
    }

    pub(crate) async fn continue_to(return_to: Option<String>) {
        if let Some(rt) = return_to.filter(|r| !r.is_empty()) {
            let target = ReturnTo::or_home(Some(&rt));
            // A hydrated page follows a redirect with the app's router, which knows only the
            // app's pages: for a server route it loads the page itself (`StageForm`). A plain
            // form post (no JavaScript) is redirected here as always.
            if domain::return_to::is_server_route(target.as_str()) && !plain_form_post().await {
                return;
            }
            leptos_axum::redirect(target.as_str());
        }
    }

    /// Whether the request is a browser's plain form post (it asks for HTML), not the
    /// hydrated page's call (the test leptos_axum makes).
    pub(crate) async fn plain_form_post() -> bool {
        leptos_axum::extract::<axum::http::HeaderMap>().await.is_ok_and(|h| crate::error::ssr::accepts_html(&h))
    }
}

/// The form for one stage. `context`/`tags`: an inline prompt's place; `return_to`: where
/// a login-time stage continues.
#[component]
fn StageForm(
    prompt: Prompt,
    #[prop(optional)] context: Option<String>,
    #[prop(optional)] tags: Option<String>,
    #[prop(optional)] return_to: Option<String>,
    answer: ServerAction<AnswerPrompt>,
    skip: ServerAction<SkipPrompt>,
) -> impl IntoView {
    let field_errors = move || match answer.value().get() {
        Some(Err(AppError::Invalid(map))) => map,
        _ => BTreeMap::new(),
    };
    // Answered or skipped, a login stage that continues at a server route (an application's
    // sign-in: `/authorize/continue`) gets there by a full page load: the server sends no
    // redirect for the app's router to follow (`ssr::continue_to`).
    #[cfg(not(feature = "ssr"))]
    if let Some(target) = return_to.clone().filter(|rt| domain::return_to::is_server_route(rt)) {
        Effect::new(move |_| {
            let answered = matches!(answer.value().get(), Some(Ok(AnswerOutcome::Saved)));
            let skipped = matches!(skip.value().get(), Some(Ok(())));
            if answered || skipped {
                let _ = window().location().assign(&target);
            }
        });
    }
    let general_error = move || match answer.value().get().map(|r| r.map(|_| ())).or_else(|| skip.value().get()) {
        Some(Err(AppError::Invalid(_))) | None | Some(Ok(())) => None,
        Some(Err(e)) => Some(e.to_string()),
    };
    // A multi-step stage shows one step: its fields, what was typed before, Back and Continue.
    let steps = prompt.step_count();
    let step = prompt.step.min(steps - 1);
    let step_fields = prompt.fields_of_step(step);
    let typed = prompt.typed.clone();
    let heading_id = format!("stage-{}-heading", prompt.stage);
    let stage = prompt.stage.to_string();
    // For hidden fields: the query of the page being read — here, or (a login stage) the one
    // the person will return to.
    let location = leptos_router::hooks::use_location();
    let page_query = {
        let return_to = return_to.clone();
        move || match &return_to {
            Some(rt) => rt.split_once('?').map(|(_, q)| q.to_string()).unwrap_or_default(),
            None => location.search.get().trim_start_matches('?').to_string(),
        }
    };
    let hidden = {
        let (stage, context, tags, return_to) = (stage.clone(), context.clone(), tags.clone(), return_to.clone());
        let page_query = page_query.clone();
        move || {
            view! {
                <input type="hidden" name="page_query" value=page_query.clone() />
                <input type="hidden" name="stage" value=stage.clone() />
                <input type="hidden" name="context" value=context.clone().unwrap_or_default() />
                <input type="hidden" name="tags" value=tags.clone().unwrap_or_default() />
                <input type="hidden" name="return_to" value=return_to.clone().unwrap_or_default() />
                {(steps > 1).then(|| view! { <input type="hidden" name="step" value=step.to_string() /> })}
            }
        }
    };
    let labelled_by = heading_id.clone();
    let hidden_for_skip = hidden.clone();
    view! {
        <section class="card stage" aria-labelledby=labelled_by data-stage=stage.clone()>
            <h2 id=heading_id>{prompt.title.clone()}</h2>
            {prompt.intro.clone().map(|i| view! { <Intro markdown=i /> })}
            {(steps > 1).then(|| view! { <p class="muted step-count" data-testid="step-count">{format!("Step {} of {steps}", step + 1)}</p> })}
            <ActionForm action=answer attr:class="stack" attr:novalidate=true>
                {hidden}
                // Keyed by field: another step's fields are new inputs showing what was typed
                // in them (a re-render in place would keep the old inputs' typed values).
                <For
                    each=move || step_fields.clone()
                    key=|f| f.key.clone()
                    children=move |f| {
                        let value = typed.get(f.key.as_str()).cloned().unwrap_or_default();
                        view! { <FieldInput field=f errors=Signal::derive(field_errors) value /> }
                    }
                />
                <p class="error" role="alert">{general_error}</p>
                <div class="actions">
                    // Continue first: pressing Enter in a field submits with the first button.
                    <button type="submit" name="go" value="continue" disabled=move || answer.pending().get()>"Continue"</button>
                    {(step > 0).then(|| view! {
                        <button type="submit" name="go" value="back" class="secondary" formnovalidate=true disabled=move || answer.pending().get()>"Back"</button>
                    })}
                </div>
            </ActionForm>
            {prompt.skippable.then(|| view! {
                <ActionForm action=skip attr:class="inline skip-form">
                    {hidden_for_skip.clone()}
                    <button type="submit" class="link-button" disabled=move || skip.pending().get()>"Skip for now"</button>
                </ActionForm>
            })}
        </section>
    }
}

/// A stage's introduction: its safe Markdown subset as HTML (`domain::profiling::intro`).
#[component]
fn Intro(markdown: String) -> impl IntoView {
    view! { <div class="intro muted" inner_html=domain::profiling::intro::render(&markdown)></div> }
}

/// A stage exactly as people see it, for the console's live preview: the same markup and
/// inputs as the real form, inert (nothing can be typed or sent).
#[component]
pub(crate) fn StagePreview(
    #[prop(into)] title: String,
    intro: Option<String>,
    fields: Vec<Field>,
    #[prop(optional)] skippable: bool,
) -> impl IntoView {
    view! {
        <section class="card stage preview" aria-label="Preview" data-testid="stage-preview" inert=true>
            <h2>{title}</h2>
            {intro.map(|i| view! { <Intro markdown=i /> })}
            <div class="stack">
                {fields.into_iter().map(|f| view! { <FieldInput field=f errors=Signal::derive(BTreeMap::new) /> }).collect_view()}
                <div class="actions"><button type="button" disabled=true>"Continue"</button></div>
            </div>
            {skippable.then(|| view! { <button type="button" class="link-button" disabled=true>"Skip for now"</button> })}
        </section>
    }
}

/// One field: label, input of the right kind, help and error tied to it for screen readers.
/// `value`: the current answer as form values, when editing one (shown filled in / selected).
#[component]
pub(crate) fn FieldInput(field: Field, errors: Signal<BTreeMap<String, String>>, #[prop(optional)] value: Vec<String>) -> impl IntoView {
    let current = value.first().cloned().unwrap_or_default();
    let is_current = move |v: &str| value.iter().any(|c| c == v);
    let key = field.key.to_string();
    let id = format!("field-{key}");
    let help_id = format!("{id}-help");
    let error_id = format!("{id}-error");
    let name = format!("answers[{key}]");
    // A list: a multiselect's choices, or a checkbox's tick after the blank that says "not
    // ticked" (an unticked box posts nothing, and an edit must be able to untick it).
    let list_name = format!("answers[{key}][]");
    // The same rules as the server, checked as the person leaves a field; the server's
    // verdict (after Continue) wins when there is one.
    let local_error = RwSignal::new(None::<String>);
    let check = {
        let field = field.clone();
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            local_error.set(domain::profiling::validate_answer(&field, &[value]).err().map(|e| e.to_string()));
        }
    };
    let error = {
        let key = key.clone();
        move || errors.get().get(&key).cloned().or_else(|| local_error.get())
    };
    let invalid = {
        let error = error.clone();
        move || error().is_some().then_some("true")
    };
    let described = format!("{help_id} {error_id}");
    let required = field.validation.required;
    let label = field.label.clone();
    let input = match field.kind {
        // Never shown (the engine never asks one; this is for completeness).
        FieldKind::Hidden => return ().into_any(),
        FieldKind::Consent => view! {
            <fieldset aria-describedby=described.clone() aria-invalid=invalid.clone()>
                <legend>{label.clone()}</legend>
                // The wording agreed to is recorded with the answer (`profiling::consent`).
                {field.consent.as_ref().map(|t| view! { <p class="purpose" data-consent-version=t.version.to_string()>{t.purpose.clone()}</p> })}
                <label><input type="radio" name=name.clone() value="yes" required=required checked=current == "yes" />" Yes"</label>
                <label><input type="radio" name=name.clone() value="no" checked=current == "no" />" No"</label>
            </fieldset>
        }.into_any(),
        FieldKind::Checkbox => view! {
            <input type="hidden" name=list_name.clone() value="" />
            <label><input id=id.clone() type="checkbox" name=list_name.clone() value="yes" checked=is_current("yes") aria-describedby=described.clone() />" " {label.clone()}</label>
        }.into_any(),
        FieldKind::Dropdown => view! {
            <label for=id.clone()>{label.clone()}</label>
            <select id=id.clone() name=name.clone() required=required aria-describedby=described.clone() aria-invalid=invalid.clone() on:change=check.clone()>
                <option value="">"Choose…"</option>
                {field.validation.options.iter().map(|o| view! { <option value=o.value.clone() selected=is_current(&o.value)>{o.label.clone()}</option> }).collect_view()}
            </select>
        }.into_any(),
        // Tick boxes rather than `<select multiple>`: choosing several needs no Ctrl-click
        // and each choice is announced on its own. The blank first value sends "none chosen"
        // (so an edit can clear the list).
        FieldKind::Multiselect => {
            let bounds = choice_bounds(field.validation.min_choices, field.validation.max_choices);
            view! {
                <fieldset aria-describedby=described.clone() aria-invalid=invalid.clone() data-kind="multiselect">
                    <legend>{label.clone()} {bounds.map(|b| view! { <span class="muted">" (" {b} ")"</span> })}</legend>
                    <input type="hidden" name=list_name.clone() value="" />
                    {field.validation.options.iter().map(|o| view! {
                        <label><input type="checkbox" name=list_name.clone() value=o.value.clone() checked=is_current(&o.value) />" " {o.label.clone()}</label>
                    }).collect_view()}
                </fieldset>
            }.into_any()
        }
        FieldKind::Radio => view! {
            <fieldset aria-describedby=described.clone() aria-invalid=invalid.clone()>
                <legend>{label.clone()}</legend>
                {field.validation.options.iter().map(|o| view! {
                    <label><input type="radio" name=name.clone() value=o.value.clone() required=required checked=is_current(&o.value) />" " {o.label.clone()}</label>
                }).collect_view()}
            </fieldset>
        }.into_any(),
        FieldKind::Textarea => view! {
            <label for=id.clone()>{label.clone()}</label>
            <TextArea value=current.clone() {..} id=id.clone() name=name.clone() required=required aria-describedby=described.clone() aria-invalid=invalid.clone()
                on:change=check.clone() maxlength=field.validation.max_length.map(|m| m.to_string()) />
        }.into_any(),
        kind => {
            let input_type = match kind {
                FieldKind::Email => "email",
                FieldKind::Phone => "tel",
                FieldKind::Url => "url",
                FieldKind::Number => "number",
                FieldKind::Date => "date",
                _ => "text",
            };
            view! {
                <label for=id.clone()>{label.clone()}</label>
                <input id=id.clone() type=input_type name=name.clone() required=required value=current.clone()
                    aria-describedby=described.clone() aria-invalid=invalid.clone() on:change=check.clone()
                    maxlength=field.validation.max_length.map(|m| m.to_string()) />
            }.into_any()
        }
    };
    view! {
        <div class="field" data-field=key.clone()>
            {input}
            <p id=help_id class="help">{field.help.clone()}</p>
            <p id=error_id class="error field-error" role="alert">{error}</p>
        </div>
    }
    .into_any()
}

/// "choose 1 to 3", "choose at least 2", "choose up to 3".
fn choice_bounds(min: Option<usize>, max: Option<usize>) -> Option<String> {
    match (min, max) {
        (Some(a), Some(b)) if a == b => Some(format!("choose {a}")),
        (Some(a), Some(b)) => Some(format!("choose {a} to {b}")),
        (Some(a), None) => Some(format!("choose at least {a}")),
        (None, Some(b)) => Some(format!("choose up to {b}")),
        (None, None) => None,
    }
}

/// `/welcome`: the question stage of this sign-in, then on to `return_to`.
#[component]
pub(crate) fn WelcomePage() -> impl IntoView {
    let query = use_query_map();
    let return_to = move || crate::auth::ReturnTo::or_home(query.read().get("return_to").as_deref()).to_string();
    let answer = ServerAction::<AnswerPrompt>::new();
    let skip = ServerAction::<SkipPrompt>::new();
    let moved = steps_moved(answer);
    let prompt = Resource::new(move || moved.get(), |_| login_prompt());
    let form_problem = move || query.read().get("form_problem").and_then(|c| domain::external_form::FormProblem::from_code(&c));
    view! {
        <PageTitle text="Welcome" />
        <Suspense fallback=|| view! { <p>"One moment…"</p> }>
            {move || prompt.get().map(|result| match result {
                Ok(Some(p)) if p.external => view! { <ExternalStage prompt=p return_to=return_to() problem=form_problem() skip /> }.into_any(),
                Ok(Some(p)) => view! { <StageForm prompt=p return_to=return_to() answer skip /> }.into_any(),
                Ok(None) => view! { <NothingToAsk return_to=return_to() /> }.into_any(),
                Err(AppError::Unauthorized) => view! {
                    <p>"Please " <a href="/login">"sign in"</a> " first."</p>
                }.into_any(),
                Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}

/// A stage asked by a form on another site (`domain::external_form`): the person is sent
/// there at once (a server-side redirect during SSR, a page load after hydration). After a
/// problem with the form's answers they stay here instead, are told what went wrong, and may
/// open the form again (or skip, if the stage allows).
#[component]
fn ExternalStage(
    prompt: Prompt,
    return_to: String,
    problem: Option<domain::external_form::FormProblem>,
    skip: ServerAction<SkipPrompt>,
) -> impl IntoView {
    let href = domain::external_form::start_path(prompt.stage.as_str(), Some(&return_to));
    if problem.is_none() {
        #[cfg(feature = "ssr")]
        leptos_axum::redirect(&href);
        #[cfg(not(feature = "ssr"))]
        {
            let target = href.clone();
            // `/forms/…` is a server route, not a page of the app: a full page load.
            Effect::new(move |_| {
                let _ = window().location().assign(&target);
            });
        }
    }
    let heading_id = format!("stage-{}-heading", prompt.stage);
    let labelled_by = heading_id.clone();
    let stage = prompt.stage.to_string();
    let stage_for_skip = stage.clone();
    let skip_error = move || match skip.value().get() {
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };
    view! {
        <section class="card stage" aria-labelledby=labelled_by data-stage=stage>
            <h2 id=heading_id>{prompt.title.clone()}</h2>
            {prompt.intro.clone().map(|i| view! { <Intro markdown=i /> })}
            {problem.map(|p| view! { <p class="error" role="alert" data-testid="form-problem">{p.to_string()}</p> })}
            <p class="error" role="alert">{skip_error}</p>
            <div class="actions">
                // `rel=external`: a server route, not a page of the app — the router must not
                // take the click.
                <a class="button" href=href rel="external" data-testid="open-external-form">
                    {if problem.is_some() { "Open the form again" } else { "Continue to the form" }}
                </a>
            </div>
            {prompt.skippable.then(|| view! {
                <ActionForm action=skip attr:class="inline skip-form">
                    <input type="hidden" name="stage" value=stage_for_skip.clone() />
                    <input type="hidden" name="return_to" value=return_to.clone() />
                    <button type="submit" class="link-button" disabled=move || skip.pending().get()>"Skip for now"</button>
                </ActionForm>
            })}
        </section>
    }
}

/// Counts the moves between the steps of a multi-step stage (with JavaScript): the stage is
/// read again after each, to show the next step in place.
fn steps_moved(answer: ServerAction<AnswerPrompt>) -> RwSignal<usize> {
    let moved = RwSignal::new(0usize);
    Effect::new(move |_| {
        if matches!(answer.value().get(), Some(Ok(AnswerOutcome::Moved))) {
            moved.update(|n| *n += 1);
        }
    });
    moved
}

/// Nothing to ask: continue at once (a server-side redirect during SSR; a client-side one
/// after hydration).
#[component]
fn NothingToAsk(return_to: String) -> impl IntoView {
    #[cfg(feature = "ssr")]
    leptos_axum::redirect(&return_to);
    #[cfg(not(feature = "ssr"))]
    {
        let navigate = leptos_router::hooks::use_navigate();
        let target = return_to.clone();
        Effect::new(move |_| {
            if domain::return_to::is_server_route(&target) {
                // Not a page of the app: the server answers it (an application's sign-in).
                let _ = window().location().assign(&target);
            } else {
                navigate(&target, Default::default());
            }
        });
    }
    view! { <p>"All set. " <a href=return_to>"Continue"</a></p> }
}

/// An inline question stage for a place in the app (`context`), e.g. articles with `tags`.
/// Disappears once answered or skipped, without a page reload.
#[component]
pub(crate) fn ProgressivePrompt(#[prop(into)] context: String, #[prop(optional)] tags: Vec<String>) -> impl IntoView {
    let answer = ServerAction::<AnswerPrompt>::new();
    let skip = ServerAction::<SkipPrompt>::new();
    let done = move || matches!(answer.value().get(), Some(Ok(AnswerOutcome::Saved))) || matches!(skip.value().get(), Some(Ok(())));
    let tags_joined = tags.join(",");
    let prompt = {
        let (context, tags) = (context.clone(), tags.clone());
        let moved = steps_moved(answer);
        Resource::new(move || moved.get(), move |_| context_prompt(context.clone(), tags.clone()))
    };
    view! {
        <Suspense fallback=|| ()>
            {move || {
                if done() {
                    return Some(view! { <p class="muted" role="status" data-testid="prompt-thanks">"Thanks — noted."</p> }.into_any());
                }
                prompt.get().and_then(Result::ok).flatten().map(|p| view! {
                    <aside class="inline-prompt" data-testid="progressive-prompt">
                        <StageForm prompt=p context=context.clone() tags=tags_joined.clone() answer skip />
                    </aside>
                }.into_any())
            }}
        </Suspense>
    }
}
