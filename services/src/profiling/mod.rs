//! Progressive profiling (`domain::profiling`: the engine, fields, stages), stored: the configuration in the database (`config_store`),
//! the history of prompts (`events`), and the flow that follows the engine's decisions —
//! claim values copied in, answers saved, skips recorded (`flow`).

pub use domain::profiling::*;

mod config_store;
mod consents;
mod due;
mod events;
mod flow;
mod reporting;

pub use config_store::{load_config, load_versioned, replace_config, seed_defaults_if_empty, BasedOn, ConfigAudit};
pub use consents::consent_history;
pub(crate) use consents::note_forgotten;
pub use consents::{consent_statuses, withdraw_consent, write_values_recording_consent, WithdrawError};
pub use due::required_stage_due;
pub use events::history_for;
pub use events::prompt_history;
pub use events::AskedBy;
#[cfg(test)]
pub(crate) use flow::answer_stage;
pub(crate) use flow::answer_stage_from;
pub use flow::{
    answer_stage_for_app, answer_stage_in, askable_by_app, current_value, due_prompt, due_prompt_for, facts_for, login_moment, mark_shown,
    next_prompt, open_prompt, skip_stage, skip_stage_by, would_ask,
};
pub use reporting::change_report;

use std::collections::BTreeMap;

use sea_orm::DbErr;

use crate::profile::store::{self, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ProfilingError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("the stored profiling configuration is unreadable: {0}")]
    Corrupt(String),
    #[error("that question stage is not open for you now")]
    StageNotOpen,
    #[error("this stage cannot be skipped")]
    NotSkippable,
    #[error("some answers need attention")]
    Invalid(BTreeMap<String, AnswerProblem>),
    #[error("the profile changed while saving; please try again")]
    Conflict,
    /// The configuration changed since the editor read it (or kept changing while it was read).
    #[error("the questions were changed by someone else")]
    ConfigChanged,
}

/// What an editor is told when the questions changed under them.
pub const CONFIG_CHANGED: &str =
    "The questions were changed by someone else since you opened them. Reload to see their change, then make yours again.";

/// What the person is told; the HTTP status follows from the variant (`app::error::AppError::status_code`).
impl From<ProfilingError> for crate::error::ServiceError {
    fn from(err: ProfilingError) -> Self {
        use crate::error::ServiceError;
        match err {
            ProfilingError::Invalid(problems) => ServiceError::Invalid(problems.into_iter().map(|(k, v)| (k, v.to_string())).collect()),
            ProfilingError::StageNotOpen => ServiceError::Conflict("These questions are no longer open. Reload the page.".into()),
            ProfilingError::NotSkippable => ServiceError::BadRequest("These questions cannot be skipped.".into()),
            ProfilingError::Conflict => ServiceError::Conflict("Your profile changed meanwhile. Please try again.".into()),
            ProfilingError::ConfigChanged => ServiceError::Conflict(CONFIG_CHANGED.into()),
            other => crate::error::internal("progressive profiling", other),
        }
    }
}

impl store::WriteRace for ProfilingError {
    fn lost_race(&self) -> bool {
        matches!(self, ProfilingError::Conflict)
    }
}

impl From<StoreError> for ProfilingError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict => ProfilingError::Conflict,
            StoreError::Db(e) => ProfilingError::Db(e),
        }
    }
}
