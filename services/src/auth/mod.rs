//! Accounts and signing in: local accounts and their passwords, imported hashes, emailed
//! links, verification and recovery, the browser session's keys, signed-in devices, the
//! wrong-password throttle and who is an admin. The pure rules are `domain::auth`.

pub mod accounts;
pub mod credentials;
pub mod devices;
pub mod imported_hash;
pub mod links;
pub mod password;
pub mod recovery;
pub mod roles;
pub mod session;
pub mod sign_ins;
pub mod throttle;
pub mod verification;
