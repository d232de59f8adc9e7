//! Identities (`domain::identity`: claims normalized per provider), stored: the login-time
//! upsert, linking and unlinking, and the primary identity.

pub use domain::identity::*;

mod store;
pub use store::*;
