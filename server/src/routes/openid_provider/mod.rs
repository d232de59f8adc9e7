//! The OpenID Provider's endpoints (OpenID Connect Core 1.0, Discovery 1.0, RFC 6749, 7636,
//! 9207). Thin: each parses its request, calls `services::openid_provider`, and writes the
//! answer in the protocol's shape. What is supported and what deliberately is not is listed
//! in docs/OPENID_PROVIDER.md.
//!
//! - `discovery`: `/.well-known/openid-configuration` and the JWKS;
//! - `authorize`: `/authorize` (GET and POST) and `/authorize/continue`, where a sign-in and
//!   its questions end with a code for the application;
//! - `token`: `/oauth/token`;
//! - `userinfo`: `/userinfo` (GET and POST).
//!
//! The token and userinfo endpoints authenticate clients and bearers, never cookies: they
//! read no session, and the cross-site check lets them through (`middleware::csrf`).

mod authorize;
pub(crate) use authorize::CONTINUE_PATH;
mod discovery;
mod respond;
mod token;
mod userinfo;

use app::state::AppState;
use axum::{routing::get, Router};
use services::openid_provider::{discovery as paths, Provider};

/// What the endpoints share.
#[derive(Clone)]
pub struct ProviderRoutes {
    pub app: AppState,
    pub provider: Provider,
}

pub fn router<S: Clone + Send + Sync + 'static>(state: ProviderRoutes) -> Router<S> {
    Router::new()
        .route(paths::DISCOVERY_PATH, get(discovery::configuration))
        .route(paths::JWKS_PATH, get(discovery::jwks))
        .route(paths::AUTHORIZE_PATH, get(authorize::authorize_get).post(authorize::authorize_post))
        .route(authorize::CONTINUE_PATH, get(authorize::continue_authorization))
        .route(paths::TOKEN_PATH, axum::routing::post(token::token))
        .route(paths::USERINFO_PATH, get(userinfo::userinfo_get).post(userinfo::userinfo_post))
        .with_state(state)
}

/// The paths that authenticate clients or bearers rather than cookies, which the cross-site
/// request check lets through, and the authorization endpoint, which a client's page may
/// post to (Core §3.1.2.1) and which changes nothing of the person's.
pub fn is_cross_site_endpoint(path: &str) -> bool {
    [paths::TOKEN_PATH, paths::USERINFO_PATH, paths::AUTHORIZE_PATH].contains(&path)
}
