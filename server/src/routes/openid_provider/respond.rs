//! Answers in the protocol's shapes: JSON errors (built by `crate::error::oauth`), redirects
//! back to the client with `iss` (RFC 9207), never cached.

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use services::openid_provider::{error::OAuthError, ErrorCode};

use crate::error::{
    oauth::{self, Failure},
    HttpError,
};

/// Token responses and errors are never cached (RFC 6749 §5.1).
pub(super) fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// A JSON error for the token, revocation and introspection endpoints: 401 for
/// `invalid_client` (challenging Basic when the client tried it), 400 otherwise.
pub(super) fn token_error(error: &OAuthError, tried_basic: bool) -> Response {
    let failure = match error.code {
        ErrorCode::InvalidClient => Failure::Client { basic: tried_basic },
        ErrorCode::ServerError => Failure::Server,
        _ => Failure::Request,
    };
    oauth::error(failure, error.code.as_str(), &error.description)
}

pub(super) fn server_error(what: &str, err: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %err, "{what}");
    oauth::error(Failure::Server, ErrorCode::ServerError.as_str(), "AskOnce could not complete the request; try again")
}

/// Back to the client's registered address with `params`, `state` and `iss`.
pub(super) fn to_client(redirect_uri: &str, params: &[(&str, &str)], state: Option<&str>, issuer: &str) -> Response {
    let Ok(mut url) = url::Url::parse(redirect_uri) else {
        return HttpError::new(StatusCode::BAD_REQUEST, "The application's return address is not valid.").into_response();
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
