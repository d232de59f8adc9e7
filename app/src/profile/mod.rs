//! The unified profile. Its shapes and rules are the pure `domain::profile`; this module adds
//! the server's side: the store every write goes through, and reading a whole profile.

pub use domain::profile::*;

#[cfg(feature = "ssr")]
pub mod read;
#[cfg(feature = "ssr")]
pub mod store;
