//! Identity providers ("connections"). How their claims become profile attributes is the
//! pure `domain::identity`; this module adds the server's side: the login-time upsert of
//! identities keyed by (connection, sub), linking and unlinking.

pub use domain::identity::*;

#[cfg(feature = "ssr")]
pub mod ssr;
