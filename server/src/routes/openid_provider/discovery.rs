//! `/.well-known/openid-configuration` and `/.well-known/jwks.json`.

use axum::{
    extract::State,
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
    Json,
};
use services::openid_provider::discovery;

use super::{respond, ProviderRoutes};

pub(super) async fn configuration(State(s): State<ProviderRoutes>) -> Response {
    match discovery::metadata(&s.provider) {
        Ok(metadata) => cached(Json(metadata).into_response(), "public, max-age=300"),
        Err(err) => respond::server_error("building the discovery document", &err),
    }
}

pub(super) async fn jwks(State(s): State<ProviderRoutes>) -> Response {
    match s.provider.keys.current().await {
        // Short: a rotation's new key must reach the applications before it signs much.
        Ok(ring) => cached(Json(&ring.published).into_response(), "public, max-age=60"),
        Err(err) => respond::server_error("loading the signing keys", &err),
    }
}

fn cached(mut response: Response, policy: &'static str) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    response
}
