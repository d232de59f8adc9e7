//! The profile (`domain::profile`: its shapes, provenance and rules), stored: every write
//! goes through `store`, every read of the whole profile through `read`.

pub use domain::profile::*;

pub mod read;
pub mod store;
