//! Your account: the `/profile` page and what people do there with their own data — see
//! where each value came from, edit the details a site owner made editable, manage linked
//! accounts and signed-in sessions, download everything, delete the account.
//!
//! It sits above the domains it composes (profile, identity, profiling, auth); none of them
//! depends on it.

pub mod activity;
pub mod apps;
pub mod consents;
pub mod details;
pub mod page;
pub mod security;
pub mod sessions;
