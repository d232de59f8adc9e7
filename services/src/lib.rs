//! AskOnce's server-only services: what the pages' server functions, the management API, the
//! CLI and the background workers call. Each service takes what it needs (a database
//! connection, the configured admins, the outbound client) as arguments; none reaches for a
//! request's context, so the same call works from a page, an API handler or a test.
//!
//! Below this crate is `domain` (pure: the engine, fields, the profile's shapes); above it
//! `app` (pages, components and thin `#[server]` functions) and `server` (routes, middleware,
//! the CLI). `profile`, `profiling`, `identity`, `hooks`, `external_form` and `activity`
//! re-export their `domain` module beside the stored side, so one path names both.
// Tests may fail loudly: an unwrap in a test is an assertion.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod account;
pub mod activity;
pub mod audit;
pub mod auth;
pub mod db;
pub mod email;
pub mod entities;
pub mod error;
pub mod external_form;
pub mod hooks;
pub mod identity;
pub mod net;
pub mod openid_provider;
pub mod outbound;
pub mod profile;
pub mod profiling;
pub mod sign_in;
pub mod status;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;

#[cfg(test)]
mod schema_tests;
