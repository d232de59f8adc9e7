//! The AskOnce server: configuration, database, sessions, HTTP routing and the CLI commands.
//! The binary (`askonce`) is a thin `main` over [`cli::run`].
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::todo, clippy::await_holding_lock)]
// Tests may fail loudly: an unwrap in a test is an assertion.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod admin_cli;
pub mod analytics_csv;
pub mod api;
pub mod auth_routes;
pub mod cli;
pub mod client_ip;
pub mod command_error;
pub mod config;
pub mod connections;
pub mod csp;
pub mod csrf;
pub mod external_form_routes;
pub mod form_posts;
pub mod health;
pub mod http;
pub mod mail_worker;
pub mod me;
pub mod nul_input;
pub mod profiling_cli;
pub mod rate_limit;
pub mod render_limit;
pub mod required_stage;
pub mod serve;
pub mod server_fn_errors;
pub mod session_user;
pub mod sessions;
pub mod startup;
pub mod telemetry;
