//! The local connection: accounts whose email and password AskOnce keeps itself. Its
//! identities are rows like any provider's, keyed by (connection, subject = the user id), so
//! the connection's name belongs with identities; signing up and checking passwords is
//! `auth::accounts`.

/// The connection name of local accounts (Auth0's default database connection name).
pub const PASSWORD_CONNECTION: &str = "Username-Password-Authentication";
