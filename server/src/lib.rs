//! The AskOnce server: configuration, database, sessions, HTTP routing and the CLI commands.
//! The binary (`askonce`) is a thin `main` over [`cli::run`].
// Tests may fail loudly: an unwrap in a test is an assertion.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod api;
pub mod cli;
pub mod config;
pub mod connections;
pub mod error;
pub mod http;
pub mod mail_worker;
pub mod middleware;
pub mod prompting;
pub mod routes;
pub mod serve;
pub mod sessions;
pub mod startup;
pub mod telemetry;
