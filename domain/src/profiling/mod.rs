//! Progressive profiling: the fields a site asks for, the stages that ask them, and the
//! engine that decides what to ask now — never what is already known.
//! Pure and shared with the browser (client-side validation uses the same rules).

pub mod answer;
pub mod change_report;
pub mod config;
pub mod consent;
pub mod edit;
pub mod engine;
pub mod field;
pub mod form_answer;
pub mod headless;
pub mod intro;
pub mod required;
pub mod stage;
pub mod steps;

#[cfg(test)]
mod engine_tests;

pub use answer::{validate_answer, AnswerProblem};
pub use config::{ConfigProblem, ValidConfig};
pub use engine::{decide, Decision, EventKind, Moment, PastEvent, ProfileFacts, ProfilingConfig, Prompt, VersionedConfig};
pub use field::{Field, FieldKey, FieldKind, Target};
pub use form_answer::FormAnswer;
pub use stage::{Condition, Cooldown, ExternalForm, Stage, StageKey, Trigger};
