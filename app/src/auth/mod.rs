//! Signing in and out: the session user, guards, and safe return addresses.

pub mod password;
pub mod return_to;

pub use return_to::ReturnTo;
