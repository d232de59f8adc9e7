//! Hooks on the server: the store (`store`) and the calls a sign-in makes (`run`).

pub mod run;
pub mod store;

pub(crate) use run::run_sign_in_hooks;
pub use run::{SignIn, Verdict};
pub use store::HookError;
