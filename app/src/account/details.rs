//! Editing your own details on `/profile`: the fields a site owner marked user-editable, with
//! the same validation as the question stages. A value a provider re-sends at each sign-in is
//! shown read-only, with why: an edit would be overwritten at the next login.

use std::collections::BTreeMap;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use domain::{profiling::Field, profiling::FormAnswer};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditableField {
    pub field: Field,
    /// The current value as the form's inputs hold it (a multiselect's choices, "yes" for a
    /// ticked box), so editing starts from what is stored.
    pub value: Vec<String>,
    /// The current value in words (choices by their labels), for a field shown read-only.
    pub shown: Option<String>,
    /// Why it cannot be edited here, when it cannot.
    pub locked: Option<String>,
}

/// The signed-in person's editable fields.
#[server]
pub async fn my_editable_fields() -> Result<Vec<EditableField>, AppError> {
    let state = crate::state::AppState::current()?;
    let me = crate::auth::ssr::require_user().await?;
    ssr::editable_fields(&state, &me.user_id).await
}

/// Saves edits to the signed-in person's details (form: `answers[<field>]=…`).
#[server(endpoint = "profile/details")]
pub async fn update_my_details(#[server(default)] answers: BTreeMap<String, FormAnswer>) -> Result<(), AppError> {
    let state = crate::state::AppState::current()?;
    let me = crate::auth::ssr::require_user().await?;
    ssr::update(&state, &me.user_id, answers).await?;
    // Without JavaScript the browser comes back to the page by this redirect, and the query
    // is how the page knows to say "Saved." (with JavaScript the client follows it too).
    leptos_axum::redirect("/profile?saved=details");
    Ok(())
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use std::collections::BTreeMap;

    use chrono::Utc;

    use super::EditableField;
    use crate::{error::ssr::internal, error::AppError, state::AppState};
    use domain::{
        identity::SyncPolicy, profile::Source, profiling::form_answer::describe_value, profiling::form_answer::form_values,
        profiling::validate_answer, profiling::FormAnswer, profiling::Target,
    };
    use services::{
        entities::users, profiling::current_value as current, profiling::load_config, profiling::write_values_recording_consent,
        profiling::ProfilingError,
    };

    fn lock_reason(state: &AppState, user: &users::Model, target: &Target) -> Option<String> {
        let source: Source = user.provenance.get(target.to_string())?.get("source")?.as_str()?.parse().ok()?;
        match source {
            Source::Claim { connection, .. } if state.connections.sync_policy(&connection) == Some(SyncPolicy::OnEachLogin) => {
                Some(format!("Comes from {connection} at each sign-in; change it there."))
            }
            _ => None,
        }
    }

    async fn load_user(state: &AppState, user_id: &domain::user_id::UserId) -> Result<users::Model, AppError> {
        services::profile::store::load(&state.db, user_id).await.map_err(|e| internal("loading a user", e))?.ok_or(AppError::Unauthorized)
    }

    pub(crate) async fn editable_fields(state: &AppState, user_id: &domain::user_id::UserId) -> Result<Vec<EditableField>, AppError> {
        let user = load_user(state, user_id).await?;
        fields_for(state, &user).await
    }

    async fn fields_for(state: &AppState, user: &users::Model) -> Result<Vec<EditableField>, AppError> {
        let config = load_config(&state.db).await.map_err(|e| internal("loading fields", e))?;
        Ok(config
            .fields
            .into_iter()
            // A hidden field is the context's word, not the person's answer.
            .filter(|f| f.user_editable && f.kind != domain::profiling::FieldKind::Hidden)
            .map(|f| {
                let stored = current(user, &f.target);
                EditableField {
                    value: stored.as_ref().map(form_values).unwrap_or_default(),
                    shown: stored.as_ref().map(|v| describe_value(Some(&f), v)),
                    locked: lock_reason(state, user, &f.target),
                    field: f,
                }
            })
            .collect())
    }

    pub async fn update(
        state: &AppState,
        user_id: &domain::user_id::UserId,
        answers: BTreeMap<String, FormAnswer>,
    ) -> Result<(), AppError> {
        let answers = &answers;
        let saved = services::profile::store::retry(|| async move {
            // One read of the profile per attempt: the fields' state and the compare-and-swap
            // version come from the same row.
            let user = load_user(state, user_id).await?;
            let fields = fields_for(state, &user).await?;
            let mut problems = BTreeMap::new();
            let mut values = Vec::new();
            for editable in fields.iter().filter(|e| e.locked.is_none()) {
                let field = &editable.field;
                // Only fields present in the form change; absent ones are left alone.
                let Some(FormAnswer(raw)) = answers.get(field.key.as_str()) else { continue };
                // A question never answered and left blank here is not an edit (it stays for
                // its stage to ask); clearing an existing answer is, and follows the rules.
                if raw.iter().all(|r| r.trim().is_empty()) && current(&user, &field.target).is_none() {
                    continue;
                }
                match validate_answer(field, raw) {
                    Ok(Some(v)) if current(&user, &field.target).as_ref() != Some(&v) => {
                        values.push((field.target.clone(), v, Source::User));
                    }
                    Ok(_) => {}
                    Err(p) => {
                        problems.insert(field.key.to_string(), p.to_string());
                    }
                }
            }
            if !problems.is_empty() {
                return Err(Attempt::Refused(AppError::Invalid(problems)));
            }
            if values.is_empty() {
                return Ok(());
            }
            // A consent changed here is recorded like one given at its stage.
            let asked: Vec<domain::profiling::Field> = fields.into_iter().map(|e| e.field).collect();
            write_values_recording_consent(&state.db, &asked, &user, &values, Utc::now()).await.map_err(|e| match e {
                ProfilingError::Conflict => Attempt::LostRace,
                e => Attempt::Refused(internal("saving details", e)),
            })
        })
        .await;
        match saved {
            Ok(()) => Ok(()),
            Err(Attempt::LostRace) => Err(AppError::Conflict("Your profile changed meanwhile. Please try again.".into())),
            Err(Attempt::Refused(e)) => Err(e),
        }
    }

    /// How one attempt at saving ended when it did not: refused (the person is told why), or
    /// someone wrote the profile meanwhile (tried again from a fresh read).
    enum Attempt {
        Refused(AppError),
        LostRace,
    }

    impl From<AppError> for Attempt {
        fn from(err: AppError) -> Self {
            Attempt::Refused(err)
        }
    }

    impl services::profile::store::WriteRace for Attempt {
        fn lost_race(&self) -> bool {
            matches!(self, Attempt::LostRace)
        }
    }
}

/// The editable fields and the action that saves them, created by the page above any
/// `<Suspense>` (see `sessions::SessionsData` for why).
#[derive(Clone, Copy)]
pub struct DetailsData {
    pub save: ServerAction<UpdateMyDetails>,
    pub fields: Resource<Result<Vec<EditableField>, AppError>>,
}

impl DetailsData {
    /// `changed`: what else on the page changes these fields (forgetting an answer, unlinking
    /// an account, choosing the primary one); the fields load again after each. A stale form
    /// would post a forgotten answer back on the next save.
    pub fn new(changed: impl Fn() -> usize + Send + Sync + 'static) -> Self {
        let save = ServerAction::<UpdateMyDetails>::new();
        let fields = Resource::new(move || (save.version().get(), changed()), |_| my_editable_fields());
        Self { save, fields }
    }
}

/// The "Edit your details" card.
#[component]
pub(crate) fn EditDetails(data: DetailsData) -> impl IntoView {
    let DetailsData { save, fields } = data;
    let errors = Signal::derive(move || match save.value().get() {
        Some(Err(AppError::Invalid(map))) => map,
        _ => BTreeMap::new(),
    });
    // What is not about one field (the profile changed meanwhile, a refused request).
    let general = move || match save.value().get() {
        Some(Err(AppError::Invalid(_))) | Some(Ok(_)) | None => None,
        Some(Err(e)) => Some(e.to_string()),
    };
    let query = leptos_router::hooks::use_query_map();
    // A save in this page (with JavaScript), or the redirect of a plain form post that saved.
    let saved = move || match save.value().get() {
        Some(result) => result.is_ok(),
        None => query.read().get("saved").as_deref() == Some("details"),
    };
    view! {
        <section class="card" aria-labelledby="edit-heading">
            <h2 id="edit-heading">"Edit your details"</h2>
            <Suspense fallback=|| ()>
                {move || fields.get().and_then(Result::ok).map(|list| view! {
                    <ActionForm action=save attr:class="stack" attr:novalidate=true>
                        {list.into_iter().map(|e| match e.locked {
                            Some(reason) => view! {
                                <div class="field" data-field=e.field.key.to_string()>
                                    <span class="label">{e.field.label.clone()}</span>
                                    <span>{e.shown.unwrap_or_else(|| "—".into())}</span>
                                    <p class="help">{reason}</p>
                                </div>
                            }.into_any(),
                            None => view! {
                                <crate::prompt::FieldInput field=e.field value=e.value errors />
                            }.into_any(),
                        }).collect_view()}
                        <p class="error" role="alert">{general}</p>
                        <p role="status" class="muted">{move || saved().then_some("Saved.")}</p>
                        <button type="submit" disabled=move || save.pending().get()>"Save"</button>
                    </ActionForm>
                })}
            </Suspense>
        </section>
    }
}
