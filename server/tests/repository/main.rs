//! Checks of the repository itself rather than the running app: the direction of crates and
//! modules, where error responses are built, and the documentation's links. No server is
//! started; they read files.
// Tests may fail loudly: an unwrap here is an assertion.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod docs_links;
mod embed_budget;
mod errors;
mod layers;
mod secrets;
