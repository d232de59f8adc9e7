//! `/admin/questions`: fields and stages — list, create, edit, reorder, enable/disable,
//! delete — with errors next to the inputs and a live preview of the stage as people see it.
//!
//! The server functions are here; the pages are `list` (both tables and their actions),
//! `field_editor` and `stage_editor`, sharing the inputs of `form_inputs`.

mod change_report;
mod condition_editor;
mod field_editor;
mod form_inputs;
mod list;
mod round_trips;
mod stage_editor;

pub(crate) use change_report::StageReportPage;
pub(crate) use field_editor::FieldEditPage;
pub(crate) use list::QuestionsPage;
pub(crate) use round_trips::RoundTripsPage;
pub(crate) use stage_editor::StageEditPage;

use leptos::prelude::*;

use super::questions::{FieldForm, StageForm};
use crate::error::AppError;
use domain::profiling::VersionedConfig;

/// The configuration with its revision: every form of these pages posts the revision back
/// (`version`), so a save based on what someone else has changed since is refused (409,
/// "changed by someone else, reload") instead of undoing their change.
#[server(endpoint = "admin/questions/get")]
pub async fn questions_config() -> Result<VersionedConfig, AppError> {
    let (state, _) = super::access::ssr::require_admin().await?;
    services::profiling::load_versioned(&state.db).await.map_err(AppError::from)
}

/// Creates (`original` empty) or changes a field. Errors come back per input.
#[server(endpoint = "admin/questions/field")]
pub async fn save_field(
    #[server(default)] original: Option<String>,
    form: FieldForm,
    #[server(default)] version: Option<i64>,
) -> Result<(), AppError> {
    use super::questions::problems_by_input;
    use domain::profiling::edit::Edit;
    let (state, me) = super::access::ssr::require_admin().await?;
    let field = form.to_field().map_err(AppError::Invalid)?;
    let prefix = format!("fields.{}", field.key);
    let original = ssr::key(original)?;
    let key = field.key.clone();
    ssr::apply(&state, &me, Edit::SaveField { original, field }, version, |p| problems_by_input(p, &prefix)).await?;
    // The list says what changed and links to who each stage asking it now reaches.
    leptos_axum::redirect(&format!("/admin/questions?changed={key}"));
    Ok(())
}

#[server(endpoint = "admin/questions/stage")]
pub async fn save_stage(
    #[server(default)] original: Option<String>,
    form: StageForm,
    #[server(default)] version: Option<i64>,
) -> Result<(), AppError> {
    use super::questions::problems_by_input;
    use domain::profiling::edit::Edit;
    let (state, me) = super::access::ssr::require_admin().await?;
    let stage = form.to_stage().map_err(AppError::Invalid)?;
    let prefix = format!("stages.{}", stage.key);
    let original = ssr::key(original)?;
    let key = stage.key.clone();
    ssr::apply(&state, &me, Edit::SaveStage { original, stage }, version, |p| problems_by_input(p, &prefix)).await?;
    leptos_axum::redirect(&format!("/admin/questions?changed={key}"));
    Ok(())
}

/// Sets the signing secret of external form stage `stage` — the site's own (`secret`, at
/// least 32 bytes) or, left empty, a new one AskOnce makes — and, when not empty, the issuer
/// its returned tokens name (`-` sets it back to AskOnce's address). The old secret stops
/// working; the secret is returned this once.
#[server(endpoint = "admin/questions/form-secret")]
pub async fn make_form_secret(
    stage: String,
    #[server(default)] secret: Option<String>,
    #[server(default)] issuer: Option<String>,
) -> Result<domain::external_form::FormSecret, AppError> {
    use services::external_form::{set_form_secret, FormError, FormSecretChoice};
    let (state, me) = super::access::ssr::require_admin().await?;
    let secret = secret.filter(|s| !s.is_empty());
    let issuer = issuer.map(|i| i.trim().to_string()).filter(|i| !i.is_empty()).map(|i| if i == "-" { String::new() } else { i });
    let actor = services::audit::Actor::Admin(&me.user_id);
    match set_form_secret(&state.db, &state.external_forms, &stage, FormSecretChoice { secret, issuer }, actor).await {
        Ok(set) => Ok(domain::external_form::FormSecret { stage, secret: set.secret, issuer: set.issuer }),
        Err(FormError::NoSuchStage(_)) => Err(AppError::NotFound),
        Err(e @ FormError::NotExternal(_)) => Err(AppError::BadRequest(format!("{e}: save it with a form address first"))),
        Err(e @ (FormError::InvalidSetting(_) | FormError::Configured)) => Err(AppError::BadRequest(e.to_string())),
        Err(e) => Err(crate::error::ssr::internal("setting a form secret", e)),
    }
}

/// The most recent round trips to external form stage `stage`'s form (newest first): the
/// console's "Executions" view.
#[server(endpoint = "admin/questions/form-round-trips")]
pub async fn form_round_trips(stage: String) -> Result<Vec<domain::external_form::RoundTrip>, AppError> {
    let (state, _me) = super::access::ssr::require_admin().await?;
    services::external_form::recent_round_trips(&state.db, &stage, 50)
        .await
        .map_err(|e| crate::error::ssr::internal("reading a form's round trips", e))
}

/// `kind`: field | stage; `action`: up | down | delete | enable | disable.
#[server(endpoint = "admin/questions/action")]
pub async fn question_action(kind: String, key: String, action: String, #[server(default)] version: Option<i64>) -> Result<(), AppError> {
    let (state, me) = super::access::ssr::require_admin().await?;
    let edit = super::questions::edit_from_action(&kind, &key, &action).map_err(AppError::BadRequest)?;
    ssr::apply(&state, &me, edit, version, |p| {
        std::collections::BTreeMap::from([(String::new(), p.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; "))])
    })
    .await
}

#[cfg(feature = "ssr")]
mod ssr {
    use std::collections::BTreeMap;

    use super::super::questions::ssr::QuestionsError;
    use crate::{auth::SessionUser, error::ssr::internal, error::AppError, state::AppState};
    use domain::profiling::edit::{Edit, EditError};
    use domain::{profiling::ConfigProblem, profiling::FieldKey};

    pub fn key(original: Option<String>) -> Result<Option<FieldKey>, AppError> {
        match original.filter(|o| !o.trim().is_empty()) {
            None => Ok(None),
            Some(o) => FieldKey::parse(o.trim()).map(Some).map_err(|e| AppError::BadRequest(e.to_string())),
        }
    }

    /// Applies `edit` as the signed-in admin `me`, if the configuration is still at `version`
    /// (the revision the page showed; the pages' forms always send it, a caller without it
    /// gets what the API gives a write without `If-Match`: the edit applied to what is
    /// current); a refused edit comes back with its problems placed (per input, or as one
    /// message) by `place`.
    pub async fn apply(
        state: &AppState,
        me: &SessionUser,
        edit: Edit,
        version: Option<i64>,
        place: impl Fn(&[ConfigProblem]) -> BTreeMap<String, String>,
    ) -> Result<(), AppError> {
        super::super::questions::ssr::edit(&state.db, edit, services::audit::Actor::Admin(&me.user_id), version)
            .await
            .map(|_| ())
            .map_err(|e| map_error(e, place))
    }

    fn map_error(err: QuestionsError, place: impl Fn(&[ConfigProblem]) -> BTreeMap<String, String>) -> AppError {
        match err {
            QuestionsError::Edit(EditError::Problems(p)) => AppError::Invalid(place(&p)),
            QuestionsError::Edit(EditError::NotFound(_)) => AppError::NotFound,
            QuestionsError::Profiling(e @ services::profiling::ProfilingError::ConfigChanged) => e.into(),
            QuestionsError::Profiling(e) => internal("saving questions", e),
        }
    }
}
