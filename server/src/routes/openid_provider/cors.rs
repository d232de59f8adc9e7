//! CORS for the endpoints a single-page app calls from the browser — token, revocation,
//! userinfo, JWKS, discovery — and only for origins an application registered in
//! `web_origins`. Any other origin gets no CORS headers, so the browser keeps the answer
//! from the page. Credentials (cookies) are never allowed: these endpoints do not read them.

use axum::{
    extract::{Request, State},
    http::{header, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::ProviderRoutes;

pub(super) async fn allow_registered_origins(State(s): State<ProviderRoutes>, request: Request, next: Next) -> Response {
    let origin = request.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()).map(str::to_string);
    let allowed = match &origin {
        Some(origin) => match services::openid_provider::clients::is_web_origin(&s.app.db, origin).await {
            Ok(allowed) => allowed,
            Err(err) => {
                tracing::warn!(error = %err, "could not read the applications' web origins");
                false
            }
        },
        None => false,
    };
    let preflight = request.method() == Method::OPTIONS;
    let mut response = if preflight { StatusCode::NO_CONTENT.into_response() } else { next.run(request).await };
    let headers = response.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    if let (true, Some(origin)) = (allowed, origin) {
        if let Ok(value) = HeaderValue::from_str(&origin) {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
            if preflight {
                headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST"));
                headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("authorization, content-type"));
                headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
            }
        }
    }
    response
}
