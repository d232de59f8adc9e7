//! `POST /oauth/token` (RFC 6749 §3.2, §4.1.3): clients authenticate with
//! `client_secret_basic`, `client_secret_post` or (public clients) `none`, and exchange an
//! authorization code or a refresh token for tokens; a machine application gets an access
//! token for the management API (`client_credentials`). Reads no cookie.

use std::time::Instant;

use axum::{
    body::Bytes,
    extract::State,
    http::{header, HeaderMap},
    response::{IntoResponse, Response},
    Extension, Json,
};
use base64::{engine::general_purpose::STANDARD, Engine};
use chrono::Utc;
use services::auth::throttle::AccountKey;
use services::net::{ClientIp, ClientNetwork};
use services::openid_provider::{
    clients::Client,
    error::OAuthError,
    exchange::{self, ClientAuth, ExchangeError},
    refresh, scope, ErrorCode,
};

use super::{params::Params, respond, ProviderRoutes};

#[tracing::instrument(skip_all, fields(grant_type))]
pub(super) async fn token(State(s): State<ProviderRoutes>, ip: Option<Extension<ClientIp>>, headers: HeaderMap, body: Bytes) -> Response {
    let tried_basic = basic_credentials(&headers).is_some();
    let form = match read_form(&headers, &body) {
        Ok(form) => form,
        Err(error) => return respond::token_error(&error, tried_basic),
    };
    let one = |name: &str| form.get(name);
    let grant_type = one("grant_type").unwrap_or("");
    // Only the names this endpoint knows go into the log: any other text is the caller's.
    let known = ["authorization_code", "refresh_token", "client_credentials", scope::TOKEN_EXCHANGE]
        .into_iter()
        .find(|g| *g == grant_type)
        .unwrap_or("other");
    tracing::Span::current().record("grant_type", known);
    let auth = match client_auth(&headers, one("client_id"), one("client_secret")) {
        Ok(auth) => auth,
        Err(error) => return respond::token_error(&error, tried_basic),
    };
    let now = Utc::now();
    let network = ip.map(|Extension(ip)| ip.network());
    let result = async {
        let client = authenticate(&s, &auth, network).await?;
        match grant_type {
            "authorization_code" => {
                let Some(code) = one("code") else {
                    return Err(ExchangeError::Refused(OAuthError::new(ErrorCode::InvalidRequest, "code is missing")));
                };
                exchange::authorization_code(&s.app.db, &s.provider, &client, code, one("redirect_uri"), one("code_verifier"), now)
                    .await
                    .map(|t| Json(t).into_response())
            }
            "refresh_token" => {
                let Some(token) = one("refresh_token") else {
                    return Err(ExchangeError::Refused(OAuthError::new(ErrorCode::InvalidRequest, "refresh_token is missing")));
                };
                refresh::rotate(&s.app.db, &s.provider, &client, token, one("scope"), now).await.map(|t| Json(t).into_response())
            }
            "client_credentials" => exchange::client_credentials(&s.app.db, &s.provider, &client, one("scope"), one("audience"), now)
                .await
                .map(|t| Json(t).into_response()),
            scope::TOKEN_EXCHANGE => {
                let request = exchange::ExchangeRequest {
                    subject_token: one("subject_token"),
                    subject_token_type: one("subject_token_type"),
                    requested_token_type: one("requested_token_type"),
                    audience: one("audience"),
                    resource: one("resource"),
                    scope: one("scope"),
                    actor_token: one("actor_token"),
                };
                exchange::token_exchange(&s.app.db, &s.provider, &client, request, now).await.map(|t| Json(t).into_response())
            }
            "" => Err(ExchangeError::Refused(OAuthError::new(ErrorCode::InvalidRequest, "grant_type is missing"))),
            _ => Err(ExchangeError::Refused(OAuthError::new(ErrorCode::UnsupportedGrantType, "this grant_type is not supported"))),
        }
    }
    .await;
    match result {
        Ok(tokens) => respond::no_store(tokens),
        Err(ExchangeError::Refused(error)) => {
            tracing::info!(error = %error.code, "token request refused");
            respond::token_error(&error, tried_basic)
        }
        Err(ExchangeError::Internal(err)) => respond::server_error("the token endpoint failed", &err),
    }
}

/// `POST /oauth/revoke` (RFC 7009): the client's own token is revoked; any other token gets
/// the same empty 200 (§2.2), so the endpoint tells nobody which tokens exist.
#[tracing::instrument(skip_all)]
pub(super) async fn revoke(State(s): State<ProviderRoutes>, ip: Option<Extension<ClientIp>>, headers: HeaderMap, body: Bytes) -> Response {
    let (client, form) = match authenticated_form(&s, ip, &headers, &body).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Some(token) = form.get("token") else {
        return respond::token_error(&OAuthError::new(ErrorCode::InvalidRequest, "token is missing"), false);
    };
    match refresh::revoke(&s.app.db, &s.provider, &client, token, Utc::now()).await {
        Ok(()) => respond::no_store(axum::http::StatusCode::OK.into_response()),
        Err(err) => respond::server_error("revoking a token", &err),
    }
}

/// `POST /oauth/introspect` (RFC 7662), for the client the token was issued to.
#[tracing::instrument(skip_all)]
pub(super) async fn introspect(
    State(s): State<ProviderRoutes>,
    ip: Option<Extension<ClientIp>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (client, form) = match authenticated_form(&s, ip, &headers, &body).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Some(token) = form.get("token") else {
        return respond::token_error(&OAuthError::new(ErrorCode::InvalidRequest, "token is missing"), false);
    };
    match refresh::introspect(&s.app.db, &s.provider, &client, token, Utc::now()).await {
        Ok(answer) => respond::no_store(Json(answer).into_response()),
        Err(err) => respond::server_error("introspecting a token", &err),
    }
}

/// The form of a request to revoke or introspect, and the client it authenticates.
async fn authenticated_form(
    s: &ProviderRoutes,
    ip: Option<Extension<ClientIp>>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Client, Params), Response> {
    let tried_basic = basic_credentials(headers).is_some();
    let form = read_form(headers, body).map_err(|e| respond::token_error(&e, tried_basic))?;
    let auth = client_auth(headers, form.get("client_id"), form.get("client_secret")).map_err(|e| respond::token_error(&e, tried_basic))?;
    match authenticate(s, &auth, ip.map(|Extension(ip)| ip.network())).await {
        Ok(client) => Ok((client, form)),
        Err(ExchangeError::Refused(error)) => Err(respond::token_error(&error, tried_basic)),
        Err(ExchangeError::Internal(err)) => Err(respond::server_error("authenticating a client", &err)),
    }
}

/// The client `auth` proves, under the same limit as wrong passwords: after too many wrong
/// secrets for one client from one network (or from everywhere), its secret checks pause
/// (`invalid_client`, with `Retry-After` in the description's words).
async fn authenticate(s: &ProviderRoutes, auth: &ClientAuth, network: Option<ClientNetwork>) -> Result<Client, ExchangeError> {
    let ClientAuth::Secret { client_id, .. } = auth else {
        return exchange::authenticate(&s.app.db, auth, Utc::now()).await;
    };
    let Some(network) = network else {
        return exchange::authenticate(&s.app.db, auth, Utc::now()).await;
    };
    let key = AccountKey::for_client(client_id);
    let throttle = &s.client_throttle;
    if let Err(locked) = throttle.check(&key, network, Instant::now()) {
        tracing::warn!(client_id = %printable(client_id), "client authentication paused after too many wrong secrets");
        return Err(ExchangeError::Refused(OAuthError::new(
            ErrorCode::InvalidClient,
            format!("too many failed client authentications: try again in {} seconds", locked.retry_after_secs()),
        )));
    }
    match exchange::authenticate(&s.app.db, auth, Utc::now()).await {
        Ok(client) => {
            throttle.record_success(&key, network);
            Ok(client)
        }
        Err(ExchangeError::Refused(error)) => {
            // Only a registered client's failures are counted: an unknown id has no secret to
            // guess, and counting every made-up one would grow the table without bound.
            if matches!(services::openid_provider::clients::find(&s.app.db, client_id).await, Ok(Some(_))) {
                throttle.record_failure(&key, network, Instant::now());
            }
            Err(ExchangeError::Refused(error))
        }
        Err(err) => Err(err),
    }
}

/// A value from the request as a log field may carry it: visible ASCII, at most 64
/// characters (no line breaks in a text log).
fn printable(value: &str) -> String {
    value.chars().filter(|c| c.is_ascii_graphic()).take(64).collect()
}

/// The form body: `application/x-www-form-urlencoded`, each parameter at most once
/// (RFC 6749 §3.2).
fn read_form(headers: &HeaderMap, body: &[u8]) -> Result<Params, OAuthError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !content_type.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded") {
        return Err(OAuthError::new(ErrorCode::InvalidRequest, "the body must be application/x-www-form-urlencoded"));
    }
    let form = Params::parse(body);
    if let Some(name) = form.repeated() {
        return Err(OAuthError::new(ErrorCode::InvalidRequest, format!("the parameter {name} is repeated")));
    }
    Ok(form)
}

/// `Authorization: Basic` with the form-encoded id and secret (RFC 6749 §2.3.1).
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |s: &str| url::form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned());
    Some((unescape(id)?, unescape(secret)?))
}

/// Exactly one way of authenticating (RFC 6749 §2.3: a client uses one method per request).
fn client_auth(headers: &HeaderMap, form_id: Option<&str>, form_secret: Option<&str>) -> Result<ClientAuth, OAuthError> {
    let invalid = || OAuthError::new(ErrorCode::InvalidClient, "client authentication failed");
    let has_authorization = headers.contains_key(header::AUTHORIZATION);
    match (basic_credentials(headers), form_id, form_secret) {
        (Some(_), _, Some(_)) => Err(OAuthError::new(ErrorCode::InvalidRequest, "use one client authentication method, not two")),
        (Some((id, secret)), form_id, None) => match form_id {
            Some(other) if other != id => Err(invalid()),
            _ => Ok(ClientAuth::Secret { client_id: id, secret }),
        },
        (None, _, _) if has_authorization => Err(invalid()),
        (None, Some(id), Some(secret)) => Ok(ClientAuth::Secret { client_id: id.to_string(), secret: secret.to_string() }),
        (None, Some(id), None) => Ok(ClientAuth::None { client_id: id.to_string() }),
        (None, None, _) => Err(invalid()),
    }
}
