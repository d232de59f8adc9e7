//! Asking in context for an application: the operations of the prompt API once its caller is
//! checked — the stage due at a place, shown, answered, skipped — shared by the browser-facing
//! `/api/prompt` (a prompt token: `routes::prompt_api`) and the management API's
//! `/api/v2/users/{id}/prompt` (a server's token: `api::prompts`). Thin over
//! `services::profiling`: the same decision, validation, consents and events as `/welcome`.

use app::state::AppState;
use axum::{
    http::header,
    response::{IntoResponse, Response},
    Json,
};
use domain::{
    profiling::{
        field::HiddenContext,
        headless::{AnswersBody, DueAnswer, DueStage, Place},
        steps::{advance, Go, StepDraft, StepOutcome},
    },
    user_id::UserId,
};
use serde_json::json;
use services::entities::users;
use services::profiling::{AskedBy, ProfilingError};

use crate::error::HttpError;

/// A refusal, written at the edge (boxed: a response is large, and most calls succeed).
pub struct Refused(pub(crate) Box<Response>);

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        *self.0
    }
}

impl From<HttpError> for Refused {
    fn from(err: HttpError) -> Self {
        Refused(Box::new(err.into_response()))
    }
}

impl From<ProfilingError> for Refused {
    fn from(err: ProfilingError) -> Self {
        Refused(Box::new(profiling_refusal(err)))
    }
}

/// Who asks (an application, by `client_id`), for whom, and where: what every operation of
/// the prompt API needs once its caller is checked. The management API's
/// `/api/v2/users/{id}/prompt` uses the same operations for machines.
pub(crate) struct Asking<'a> {
    pub app: &'a AppState,
    /// The person, as the caller's check read them (read once per call).
    pub person: &'a users::Model,
    pub client_id: &'a str,
    pub place: Place,
}

impl Asking<'_> {
    fn asked_by(&self) -> AskedBy {
        AskedBy { client_id: self.client_id.to_string(), page: self.place.page.as_ref().map(|p| p.without_query().to_string()) }
    }

    fn user_id(&self) -> UserId {
        self.person.user_id()
    }

    /// Whether `[email] require_verified` still holds the person back: nothing is asked
    /// then (answering would be refused), as on AskOnce's own pages.
    async fn held_back(&self) -> Result<bool, Refused> {
        Ok(app::auth::ssr::must_verify_email(self.app, self.person).await.map_err(HttpError::from)?)
    }

    fn refuse_when_held(held: bool) -> Result<(), Refused> {
        if held {
            return Err(HttpError::forbidden(app::auth::ssr::VERIFY_FIRST).into());
        }
        Ok(())
    }

    /// The stage due here, or `{"prompt": null}`. Records nothing.
    pub(crate) async fn due(&self) -> Result<Response, Refused> {
        if self.held_back().await? {
            return Ok(no_store(json!(DueAnswer { prompt: None })));
        }
        let prompt = services::profiling::due_prompt_for(&self.app.db, self.person, &self.place.moment()).await?;
        // A stage asked by a form elsewhere is a link to where it starts (on AskOnce).
        let external = |p: &domain::profiling::Prompt| {
            let start = domain::external_form::start_path(p.stage.as_str(), None);
            format!("{}{start}", self.app.site.public_url.trim_end_matches('/'))
        };
        // A stage that would write root attributes is asked on AskOnce's own pages only.
        let prompt =
            prompt.filter(services::profiling::askable_by_app).map(|p| DueStage::from_prompt(&p, p.external.then(|| external(&p))));
        Ok(no_store(json!(DueAnswer { prompt })))
    }

    /// The page rendered `stage` (counted once per window).
    pub(crate) async fn shown(&self, stage: &str) -> Result<Response, Refused> {
        Self::refuse_when_held(self.held_back().await?)?;
        let asked_by = self.asked_by();
        let recorded = services::profiling::mark_shown(&self.app.db, &self.user_id(), stage, &self.place.moment(), Some(&asked_by)).await?;
        Ok(no_store(json!({ "recorded": recorded })))
    }

    /// The answers, checked exactly as `/welcome` checks them and stored with provenance
    /// `app:<client_id>`. A multi-step stage may send `step` to check one step (nothing
    /// stored: `{"outcome": "moved", "step": next}`); the last step, or no step, stores every
    /// answer.
    pub(crate) async fn answer(&self, body: &AnswersBody) -> Result<Response, Refused> {
        Self::refuse_when_held(self.held_back().await?)?;
        let moment = self.place.moment();
        let values = body.form_values();
        if let Some(step) = body.step {
            let open = services::profiling::open_prompt(&self.app.db, &self.user_id(), &body.stage, &moment).await?;
            // The page keeps what was typed (there is no session here): the step is checked the
            // way `/welcome` checks it, with everything sent so far as the draft.
            if step.saturating_add(1) < open.step_count() {
                let draft = StepDraft { stage: body.stage.clone(), step, typed: values.clone() };
                return match advance(&open, Some(draft), step, Go::Continue, &values) {
                    StepOutcome::Moved(next) => Ok(no_store(json!({ "outcome": "moved", "step": next.step }))),
                    StepOutcome::Invalid(_, problems) => Err(ProfilingError::Invalid(problems).into()),
                    StepOutcome::Finished(_) => Ok(no_store(json!({ "outcome": "moved", "step": step.saturating_add(1) }))),
                };
            }
        }
        let hidden = HiddenContext {
            query: HiddenContext::parse_query(self.place.page.as_ref().map(|p| p.query()).unwrap_or("")),
            tags: self.place.tags.clone(),
            connection: None,
        };
        let asked_by = self.asked_by();
        services::profiling::answer_stage_for_app(&self.app.db, &self.user_id(), &body.stage, &moment, &values, &hidden, &asked_by).await?;
        Ok(no_store(json!({ "outcome": "saved" })))
    }

    /// `stage` waits out its cooldown.
    pub(crate) async fn skip(&self, stage: &str) -> Result<Response, Refused> {
        Self::refuse_when_held(self.held_back().await?)?;
        let asked_by = self.asked_by();
        services::profiling::skip_stage_by(&self.app.db, &self.user_id(), stage, &self.place.moment(), Some(&asked_by)).await?;
        Ok(no_store(json!({ "outcome": "skipped" })))
    }
}

fn no_store(body: serde_json::Value) -> Response {
    ([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

/// A profiling refusal in the API's words; invalid answers name their fields.
fn profiling_refusal(err: ProfilingError) -> Response {
    match err {
        ProfilingError::Invalid(problems) => {
            HttpError::invalid_answers(problems.into_iter().map(|(k, p)| (k, p.to_string())).collect()).into_response()
        }
        ProfilingError::StageNotOpen => HttpError::conflict("That stage is not the one due here now.").into_response(),
        ProfilingError::NotSkippable => HttpError::bad_request("This stage cannot be skipped.").into_response(),
        ProfilingError::Conflict => HttpError::conflict("The profile changed meanwhile. Please try again.").into_response(),
        other => HttpError::internal("the prompt API", other).into_response(),
    }
}
