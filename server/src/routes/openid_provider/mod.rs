//! The OpenID Provider's endpoints (OpenID Connect Core 1.0, Discovery 1.0, RFC 6749, 7636,
//! 9207). Thin: each parses its request, calls `services::openid_provider`, and writes the
//! answer in the protocol's shape. What is supported and what deliberately is not is listed
//! in docs/OPENID_PROVIDER.md.
//!
//! - `discovery`: `/.well-known/openid-configuration` and the JWKS;
//! - `authorize`: `/authorize` (GET and POST) and `/authorize/continue`, where a sign-in and
//!   its questions end with a code for the application;
//! - `token`: `/oauth/token`, `/oauth/revoke`, `/oauth/introspect`;
//! - `userinfo`: `/userinfo` (GET and POST);
//! - `logout`: `/oidc/logout` (RP-initiated logout) and its confirmation.
//!
//! The token and userinfo endpoints authenticate clients and bearers, never cookies: they
//! read no session, and the cross-site check lets them through (`middleware::csrf`).

mod authorize;
mod binding;
mod cors;
mod discovery;
mod logout;
mod params;
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
    /// `app.provider`, at hand.
    pub provider: Provider,
    /// Wrong client secrets, per client and network. Per network only: a secret is 32+
    /// random characters, so guessing is hopeless anyway, while an account-wide ceiling would
    /// let ten networks lock an application out of its token endpoint.
    pub client_throttle: std::sync::Arc<services::auth::throttle::PasswordThrottle>,
}

pub fn router<S: Clone + Send + Sync + 'static>(state: ProviderRoutes) -> Router<S> {
    use axum::routing::post;
    // What a single-page app calls from the browser: CORS for registered web origins.
    let browser_called = Router::new()
        .route(paths::DISCOVERY_PATH, get(discovery::configuration).options(no_content))
        .route(paths::JWKS_PATH, get(discovery::jwks).options(no_content))
        .route(paths::TOKEN_PATH, post(token::token).options(no_content))
        .route(paths::REVOCATION_PATH, post(token::revoke).options(no_content))
        .route(paths::USERINFO_PATH, get(userinfo::userinfo_get).post(userinfo::userinfo_post).options(no_content))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), cors::allow_registered_origins));
    Router::new()
        .merge(browser_called)
        .route(paths::AUTHORIZE_PATH, get(authorize::authorize_get).post(authorize::authorize_post))
        .route(paths::CONTINUE_PATH, get(authorize::resume_after_sign_in))
        .route(paths::INTROSPECTION_PATH, post(token::introspect))
        .route(paths::END_SESSION_PATH, get(logout::logout_get).post(logout::logout_post))
        .route(paths::LOGOUT_CONFIRM_PATH, post(logout::confirm))
        .with_state(state)
}

/// A preflight's answer (the CORS layer adds its headers).
async fn no_content() -> axum::http::StatusCode {
    axum::http::StatusCode::NO_CONTENT
}
