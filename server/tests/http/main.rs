//! AskOnce's HTTP and CLI tests, in one test binary: the server is linked once, not once per
//! file, and every module shares one harness (`harness`): [`harness::TestApp`] starts the
//! real application on port 0 with a fresh database and owns the requests tests make to set
//! up a case (sign up, sign in, call the API, …), each failing loudly when the app refuses.
//!
//! Modules are named after what they test; `scripts/test.sh` counts the `cli::` tests as the
//! CLI layer and the others as the HTTP layer. Run one module with
//! `cargo test -p server --features app/test-support --test http -- <module>::`.
// Tests and benches may fail loudly: an unwrap here is an assertion.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod harness;

mod admin;
mod applications;
mod attacks;
mod attacks_network;
mod attacks_openid_provider;
mod auth;
mod bench;
mod cli;

mod concurrency;
mod consents;
mod crash;
mod email;
mod external_forms;
mod forms_and_console;
mod hooks;
mod hostile_input;
mod instances;
mod lifecycle;
mod linking;
mod log_secrets;
mod oidc_security;
mod openid_provider;
mod prompt_api;
mod prompt_tokens;
mod raw_text;
mod real_provider;
mod required_stage;
mod rp_logout;
mod self_service;
mod site;
