//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): an application sends the
//! browser to `/oidc/logout` to end the AskOnce session, and names where to come back.
//!
//! The `id_token_hint` is checked like any ID token of ours (RS256, or EdDSA for an app that
//! asked for it, with one of our keys; our `iss`; an expired one is fine, it only names who
//! and which app). A `none`-alg or HS256
//! token, a token of another issuer, or a `client_id` that contradicts the hint's audience is
//! refused. `post_logout_redirect_uri` must be one of the app's `allowed_logout_urls`,
//! compared exactly, and needs the app named (by the hint or `client_id`): otherwise nobody
//! is redirected anywhere.

use serde::Deserialize;

use super::{clients, Provider};

/// A checked logout request.
#[derive(Debug, Clone, Default)]
pub struct LogoutRequest {
    /// The account the hint names.
    pub subject: Option<String>,
    /// The AskOnce session the hint was issued in (`sid`).
    pub sid: Option<String>,
    /// The application, by the hint's audience or `client_id`.
    pub client: Option<clients::Client>,
    /// Where to send the browser afterwards (checked), with `state`.
    pub redirect: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LogoutRefused {
    #[error("The sign-out request's id_token_hint is not a token AskOnce issued.")]
    BadHint,
    #[error("The sign-out request names an application other than its id_token_hint's.")]
    ClientMismatch,
    #[error("The sign-out request names no application AskOnce knows.")]
    UnknownClient,
    #[error("The address to return to after signing out is not registered for the application.")]
    UnregisteredRedirect,
    #[error("The sign-out request needs id_token_hint or client_id to return to an application.")]
    RedirectWithoutClient,
    #[error("AskOnce could not check the sign-out request just now.")]
    Unavailable,
}

#[derive(Deserialize)]
struct HintClaims {
    sub: String,
    #[serde(default)]
    sid: Option<String>,
    #[serde(deserialize_with = "one_or_many")]
    aud: Vec<String>,
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Aud {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Aud::deserialize(d)? {
        Aud::One(a) => vec![a],
        Aud::Many(a) => a,
    })
}

/// Checks the parameters of a logout request.
pub async fn check(
    db: &sea_orm::DatabaseConnection,
    provider: &Provider,
    id_token_hint: Option<&str>,
    client_id: Option<&str>,
    post_logout_redirect_uri: Option<&str>,
    state: Option<&str>,
) -> Result<LogoutRequest, LogoutRefused> {
    let hint = match id_token_hint {
        Some(token) => Some(verify_hint(provider, token).await?),
        None => None,
    };
    let named = match (&hint, client_id) {
        (Some(h), Some(id)) if !h.aud.iter().any(|a| a == id) => return Err(LogoutRefused::ClientMismatch),
        (_, Some(id)) => Some(id.to_string()),
        (Some(h), None) => h.aud.first().cloned(),
        (None, None) => None,
    };
    let client = match &named {
        Some(id) => Some(clients::find(db, id).await.map_err(|_| LogoutRefused::Unavailable)?.ok_or(LogoutRefused::UnknownClient)?),
        None => None,
    };
    let redirect = match (post_logout_redirect_uri, &client) {
        (None, _) => None,
        (Some(_), None) => return Err(LogoutRefused::RedirectWithoutClient),
        (Some(uri), Some(client)) => {
            if !client.allowed_logout_urls.iter().any(|u| u == uri) {
                return Err(LogoutRefused::UnregisteredRedirect);
            }
            let mut url = url::Url::parse(uri).map_err(|_| LogoutRefused::UnregisteredRedirect)?;
            if let Some(state) = state {
                url.query_pairs_mut().append_pair("state", state);
            }
            Some(url.to_string())
        }
    };
    let (subject, sid) = hint.map_or((None, None), |h| (Some(h.sub), h.sid));
    Ok(LogoutRequest { subject, sid, client, redirect })
}

/// The algorithms our ID tokens are signed with (an application's `id_token_signed_response_alg`).
const ID_TOKEN_ALGS: [jsonwebtoken::Algorithm; 2] = [jsonwebtoken::Algorithm::RS256, jsonwebtoken::Algorithm::EdDSA];

/// An ID token of ours, expired or not: RS256 or EdDSA, a published key, our issuer.
async fn verify_hint(provider: &Provider, token: &str) -> Result<HintClaims, LogoutRefused> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| LogoutRefused::BadHint)?;
    if !ID_TOKEN_ALGS.contains(&header.alg) {
        return Err(LogoutRefused::BadHint);
    }
    let ring = provider.keys.current().await.map_err(|_| LogoutRefused::Unavailable)?;
    let key = header.kid.as_deref().and_then(|kid| ring.verifying.get(kid)).ok_or(LogoutRefused::BadHint)?;
    // Checked with the header's algorithm alone: jsonwebtoken refuses the key named by `kid`
    // when it is of another family (an RSA key with EdDSA, an Ed25519 key with RS256).
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.set_issuer(&[&provider.issuer]);
    validation.set_required_spec_claims(&["iss", "sub", "aud"]);
    let data = jsonwebtoken::decode::<HintClaims>(token, key, &validation).map_err(|_| LogoutRefused::BadHint)?;
    // Access and logout tokens are signed by the same keys: only an ID token is a hint.
    let typ = header.typ.as_deref().unwrap_or("");
    if typ.eq_ignore_ascii_case(super::tokens::ACCESS_TOKEN_TYPE) || typ.eq_ignore_ascii_case(super::backchannel::LOGOUT_TOKEN_TYPE) {
        return Err(LogoutRefused::BadHint);
    }
    Ok(data.claims)
}
