//! Signing in and out: local accounts, the session user, guards, and safe return addresses.

#[cfg(feature = "ssr")]
pub mod accounts;
pub mod password;
pub mod return_to;

pub use return_to::ReturnTo;
