//! The NUL character (U+0000) is refused wherever outside text enters: PostgreSQL stores no
//! NUL in text (SQLite does), so a NUL reaching the database would fail there as a server
//! error on one database only. Refused up front with 400, on both: in the URI of every
//! `/api` call (server functions and the management API), in server functions' form bodies,
//! and in the management API's JSON bodies ([`contains_nul`], used by `api::ApiJson`).

use axum::{
    body::{to_bytes, Body},
    extract::{Request, State},
    http::{header, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::error::HttpError;

/// Whether any string of `value` (keys included) holds a NUL character.
pub(crate) fn contains_nul(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(s) => s.contains('\0'),
        serde_json::Value::Array(items) => items.iter().any(contains_nul),
        serde_json::Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || contains_nul(v)),
        _ => false,
    }
}

/// Whether a URL-encoded form (or query) decodes to text holding a NUL, or holds a raw one.
pub(crate) fn form_contains_nul(body: &[u8]) -> bool {
    body.contains(&0) || url::form_urlencoded::parse(body).any(|(k, v)| k.contains('\0') || v.contains('\0'))
}

/// Middleware for `/api/…`: a NUL in the path or the query (`%00`) is refused.
pub(crate) async fn refuse_nul_in_uri(request: Request, next: Next) -> Response {
    let uri = request.uri();
    let has_nul = |part: &str| part.to_ascii_lowercase().contains("%00");
    if uri.path().starts_with("/api/") && (has_nul(uri.path()) || uri.query().is_some_and(has_nul)) {
        return HttpError::bad_request("Parameters must not contain the NUL character (%00)").into_response();
    }
    next.run(request).await
}

/// Middleware for server functions (`POST /api/…` with a form body): a field holding a NUL
/// is refused before the function runs. `State`: the largest body read (the body limit).
pub(crate) async fn refuse_nul_in_forms(State(max_body): State<usize>, request: Request, next: Next) -> Response {
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if request.method() != Method::POST || !request.uri().path().starts_with("/api/") || !is_form {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let bytes = match to_bytes(body, max_body).await {
        Ok(bytes) => bytes,
        // Over the limit (or the client went away): the body limit's own answer.
        Err(_) => return HttpError::new(StatusCode::PAYLOAD_TOO_LARGE, "The request is too large.").into_response(),
    };
    if form_contains_nul(&bytes) {
        // As the server function would refuse it: JSON for the hydrated page, back to the
        // form's page for a plain form post (the error module does both).
        return HttpError::bad_request("Text must not contain the NUL character.").for_the_form().into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_characters_are_found_in_keys_values_and_nested_strings() {
        assert!(contains_nul(&serde_json::json!({"a": ["x", {"b": "y\u{0}"}]})));
        assert!(contains_nul(&serde_json::json!({"k\u{0}": 1})));
        assert!(!contains_nul(&serde_json::json!({"a": ["\\u0000 as text", 1, null]})));
    }

    #[test]
    fn nul_characters_are_found_in_forms_encoded_or_raw() {
        assert!(form_contains_nul(b"form%5Blabel%5D=A%00B"));
        assert!(form_contains_nul(b"a=b&c%00=d"));
        assert!(form_contains_nul(b"a=\0"));
        assert!(!form_contains_nul(b"label=100%25&note=%2500"), "a percent sign and the text %00 are fine");
    }
}
