//! The site owner's console (`/admin`): the staged questions, a simulator of the engine, the
//! user directory, analytics, hooks, applications and API tokens. Every page and server function here starts with
//! [`access::ssr::require_admin`]; the management API (`/api/v2`, in the server crate) uses
//! the same services with bearer tokens.

pub mod access;
pub mod analytics;
pub mod analytics_page;
pub mod api_tokens;
pub mod applications_page;
#[cfg(feature = "ssr")]
pub mod bulk;
pub mod console;
pub mod hooks_page;
pub mod new_user;
pub mod outbox_page;
pub mod questions;
pub mod questions_page;
pub mod simulator;
pub mod simulator_page;
pub mod tokens_page;
pub mod user_query;
#[cfg(feature = "ssr")]
pub mod user_search;
pub mod users;
pub mod users_page;
