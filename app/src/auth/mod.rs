//! Signing in and out: the session user, guards, and safe return addresses.

pub mod return_to;

pub use return_to::ReturnTo;
