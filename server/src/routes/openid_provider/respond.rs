//! Answers in the protocol's shapes: JSON errors (RFC 6749 §5.2), redirects back to the
//! client with `iss` (RFC 9207), and AskOnce's own error page where no redirect is safe.

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Json,
};
use serde::Serialize;
use services::openid_provider::{error::OAuthError, ErrorCode};

use crate::error::HttpError;

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    error_description: &'a str,
}

/// Token responses and errors are never cached (RFC 6749 §5.1).
pub(super) fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// A JSON error for the token endpoint: 401 for `invalid_client` (with the Basic challenge
/// when the client tried Basic), 400 otherwise.
pub(super) fn token_error(error: &OAuthError, tried_basic: bool) -> Response {
    let status = match error.code {
        ErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
        ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    let mut response =
        no_store((status, Json(ErrorBody { error: error.code.as_str(), error_description: &error.description })).into_response());
    if status == StatusCode::UNAUTHORIZED && tried_basic {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"askonce\""));
    }
    response
}

pub(super) fn server_error(what: &str, err: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %err, "{what}");
    token_error(&OAuthError::new(ErrorCode::ServerError, "AskOnce could not complete the request; try again"), false)
}

/// Back to the client's registered address with `params`, `state` and `iss`.
pub(super) fn to_client(redirect_uri: &str, params: &[(&str, &str)], state: Option<&str>, issuer: &str) -> Response {
    let Ok(mut url) = url::Url::parse(redirect_uri) else {
        return page(StatusCode::BAD_REQUEST, "The application's return address is not valid.");
    };
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in params {
            query.append_pair(name, value);
        }
        if let Some(state) = state {
            query.append_pair("state", state);
        }
        query.append_pair("iss", issuer);
    }
    let mut response = Redirect::to(url.as_str()).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// An error back to the client (its address was checked).
pub(super) fn error_to_client(redirect_uri: &str, error: &OAuthError, state: Option<&str>, issuer: &str) -> Response {
    to_client(redirect_uri, &[("error", error.code.as_str()), ("error_description", &error.description)], state, issuer)
}

/// AskOnce's own error page: the request cannot safely go back to anyone.
pub(super) fn page(status: StatusCode, message: &str) -> Response {
    HttpError::new(status, message).into_response()
}
