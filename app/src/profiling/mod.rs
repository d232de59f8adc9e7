//! Progressive profiling. The engine, fields, stages and answers' validation are the pure
//! `domain::profiling` (the required-stage rules too); this module adds the prompt's
//! components and server functions, and (server side) the stored configuration, events and
//! answers.

pub use domain::profiling::*;

#[cfg(feature = "ssr")]
pub mod ssr;
