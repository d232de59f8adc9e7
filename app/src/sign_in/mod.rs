//! Signing in: the pages (`/login`, forgotten and reset passwords), the password's server
//! functions, and — server side — the one flow every way of signing in ends with
//! ([`flow::finish`]: the provider callback in `server::routes::auth`, the password here, next
//! the OpenID Provider's authorization).

#[cfg(feature = "ssr")]
pub mod flow;
pub mod login_page;
pub mod password;
pub mod recovery_page;

#[cfg(feature = "ssr")]
pub use flow::{finish, Authenticated, Finished, Services};
pub(crate) use login_page::LoginPage;
pub use password::{PasswordSignIn, PasswordSignUp};
pub(crate) use recovery_page::{ForgotPasswordPage, ResetPasswordPage};
