//! AskOnce's pure domain: what a profile is, what may be asked of it and when, and the values
//! both sides of the wire agree on. No I/O: it compiles to wasm for the browser (client-side
//! validation runs the same rules) and natively for the server.
//!
//! Nothing here reads a database, a session or a clock of its own: callers pass `now`. The
//! server-only features add what the browser never needs: `openapi` (the management API's
//! schemas) and `phone` (full phone number validation; the browser checks the shape).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod activity;
pub mod api_scope;
pub mod auth;
pub mod external_form;
pub mod hooks;
pub mod identity;
pub mod openid_provider;
pub mod profile;
pub mod profiling;
pub mod return_to;
pub mod status;
pub mod token_id;
pub mod user_id;
pub mod web_address;
