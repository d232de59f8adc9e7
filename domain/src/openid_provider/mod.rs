//! The OpenID Provider's rules that need no I/O: what kinds of application there are, which
//! scopes exist and what claims each releases, and how an authorization request is checked
//! (OpenID Connect Core 1.0 §3.1.2, RFC 6749 §4.1, RFC 7636). The server's side —
//! clients stored, keys, codes, tokens — is `services::openid_provider`; the endpoints are
//! `server::routes::openid_provider`.

pub mod application;
pub mod authorization;
pub mod client;
pub mod error;
pub mod scope;

pub use authorization::{AuthorizationRequest, Prompt};
pub use client::AppType;
pub use error::ErrorCode;
pub use scope::Scopes;
