//! `GET/POST /userinfo` (OpenID Connect Core §5.3) with a bearer access token (RFC 6750 §2.1;
//! a POST may carry it in the form, §2.2). Reads no cookie.

use axum::{
    body::Bytes,
    extract::State,
    http::{header, HeaderMap},
    response::{IntoResponse, Response},
    Json,
};
use chrono::Utc;
use services::openid_provider::{tokens::TokenRefused, userinfo};

use super::{respond, ProviderRoutes};
use crate::error::oauth::{self, Failure};

pub(super) async fn userinfo_get(State(s): State<ProviderRoutes>, headers: HeaderMap) -> Response {
    answer(&s, bearer(&headers)).await
}

pub(super) async fn userinfo_post(State(s): State<ProviderRoutes>, headers: HeaderMap, body: Bytes) -> Response {
    let in_form = url::form_urlencoded::parse(&body).find(|(k, _)| k == "access_token").map(|(_, v)| v.into_owned());
    match (bearer(&headers), in_form) {
        (Some(_), Some(_)) => challenge(Failure::Request, "invalid_request", "send the token once"),
        (Some(token), None) | (None, Some(token)) => answer(&s, Some(token)).await,
        (None, None) => answer(&s, None).await,
    }
}

#[tracing::instrument(skip_all)]
async fn answer(s: &ProviderRoutes, token: Option<String>) -> Response {
    let Some(token) = token else {
        return challenge(Failure::Bearer, "invalid_request", "an access token is required");
    };
    match userinfo::claims_for(&s.app.db, &s.provider, &token, Utc::now()).await {
        Ok(claims) => respond::no_store(Json(claims).into_response()),
        Err(TokenRefused::Db(err)) => respond::server_error("userinfo", &err),
        Err(TokenRefused::Keys(err)) => respond::server_error("userinfo", &err),
        Err(refused) => {
            tracing::info!(reason = %refused, "userinfo refused a token");
            challenge(Failure::Bearer, "invalid_token", "the access token is invalid, expired or revoked")
        }
    }
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string()).filter(|t| !t.is_empty())
}

/// RFC 6750 §3: the error in `WWW-Authenticate` and in the body.
fn challenge(failure: Failure, error: &'static str, description: &'static str) -> Response {
    oauth::error(failure, error, description)
}
