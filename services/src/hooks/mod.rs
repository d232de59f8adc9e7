//! Hooks (`domain::hooks`: what a site owner configures and what the wire carries), on the
//! server: the store (`store`), the calls a sign-in makes (`run`) and their signature.

pub use domain::hooks::*;

pub mod signature;

pub mod run;
pub mod store;

pub(crate) use run::run_sign_in_hooks;
pub use run::{SignIn, Verdict};
pub use store::HookError;
