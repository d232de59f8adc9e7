//! Hooks on the server: the store (`store`) and the calls a sign-in makes (`run`).

pub mod run;
pub mod store;

pub use run::{run_sign_in_hooks, SignIn, Verdict, UNAVAILABLE};
pub use store::HookError;
