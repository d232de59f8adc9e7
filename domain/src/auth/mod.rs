//! Signing in, as far as it is pure: the rules a new password must meet and what an emailed
//! link is for. The pages use these in the browser; the services crate's `auth` enforces them.

pub mod links;
pub mod password;
