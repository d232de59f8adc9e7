//! Signing in: the pages (`/login`, forgotten and reset passwords) and the password's server
//! functions. Every way of signing in ends in the one flow `services::sign_in::finish` (the
//! provider callback in `server::routes::auth`, the password here, next the OpenID Provider's
//! authorization).

pub mod login_page;
pub mod password;
pub mod recovery_page;

pub(crate) use login_page::LoginPage;
pub use password::{PasswordSignIn, PasswordSignUp};
pub(crate) use recovery_page::{ForgotPasswordPage, ResetPasswordPage};
