//! The provider's metadata (OpenID Connect Discovery 1.0 §3), built with `openidconnect`'s
//! types. Every value here is what the endpoints really do: change both together.

use openidconnect::{
    core::{
        CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClientAuthMethod, CoreGrantType, CoreJsonWebKey,
        CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm, CoreResponseMode, CoreResponseType,
        CoreSubjectIdentifierType,
    },
    AdditionalProviderMetadata, AuthUrl, IssuerUrl, JsonWebKeySetUrl, ProviderMetadata, ResponseTypes, Scope, TokenUrl, UserInfoUrl,
};
use serde::{Deserialize, Serialize};

use super::{
    scope::{CLIENT_SCOPES, EMAIL_CLAIMS, PROFILE_CLAIMS, TOKEN_EXCHANGE},
    Provider,
};

/// Metadata the `openidconnect` types do not name.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct AskOnceMetadata {
    /// RP-Initiated Logout 1.0.
    pub end_session_endpoint: String,
    /// RFC 7009 and RFC 7662 (RFC 8414 names).
    pub revocation_endpoint: String,
    pub revocation_endpoint_auth_methods_supported: Vec<String>,
    pub introspection_endpoint: String,
    pub introspection_endpoint_auth_methods_supported: Vec<String>,
    /// RFC 7636: S256 only.
    pub code_challenge_methods_supported: Vec<String>,
    /// RFC 9207: every authorization response carries `iss`.
    pub authorization_response_iss_parameter_supported: bool,
    /// Back-Channel Logout 1.0 §2.1: logout tokens, with `sid`.
    pub backchannel_logout_supported: bool,
    pub backchannel_logout_session_supported: bool,
}

impl AdditionalProviderMetadata for AskOnceMetadata {}

pub type Metadata = ProviderMetadata<
    AskOnceMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

pub const AUTHORIZE_PATH: &str = "/authorize";
pub const TOKEN_PATH: &str = "/oauth/token";
pub const USERINFO_PATH: &str = "/userinfo";
pub const REVOCATION_PATH: &str = "/oauth/revoke";
pub const INTROSPECTION_PATH: &str = "/oauth/introspect";
pub const END_SESSION_PATH: &str = "/oidc/logout";
pub const JWKS_PATH: &str = "/.well-known/jwks.json";
pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
/// Where a sign-in and its questions end for an application (AskOnce's own page).
pub const CONTINUE_PATH: &str = "/authorize/continue";
/// The sign-out confirmation's form (same-origin only).
pub const LOGOUT_CONFIRM_PATH: &str = "/oidc/logout/confirm";

/// The paths the cross-site request check lets through: those that authenticate clients or
/// bearers rather than cookies; the authorization endpoint, which an application's page may
/// post to (Core §3.1.2.1) and whose POST only re-sends the request as a GET; and the logout
/// endpoint, which an application may post to and which signs out only on a valid
/// `id_token_hint` for the person signed in (the confirmation stays same-origin).
pub fn takes_cross_site_requests(path: &str) -> bool {
    [TOKEN_PATH, REVOCATION_PATH, INTROSPECTION_PATH, USERINFO_PATH, AUTHORIZE_PATH, END_SESSION_PATH].contains(&path)
}

#[derive(Debug, thiserror::Error)]
#[error("the public URL does not make valid endpoint addresses: {0}")]
pub struct BadIssuer(String);

/// The metadata document for `provider`.
pub fn metadata(provider: &Provider) -> Result<Metadata, BadIssuer> {
    let bad = |e: openidconnect::url::ParseError| BadIssuer(e.to_string());
    let claims: Vec<CoreClaimName> = ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "amr", "sid", "at_hash"]
        .into_iter()
        .chain(PROFILE_CLAIMS)
        .chain(EMAIL_CLAIMS)
        .map(|c| CoreClaimName::new(c.to_string()))
        .collect();
    Ok(Metadata::new(
        IssuerUrl::new(provider.issuer.clone()).map_err(bad)?,
        AuthUrl::new(provider.endpoint(AUTHORIZE_PATH)).map_err(bad)?,
        JsonWebKeySetUrl::new(provider.endpoint(JWKS_PATH)).map_err(bad)?,
        vec![ResponseTypes::new(vec![CoreResponseType::Code])],
        vec![CoreSubjectIdentifierType::Public],
        // ID tokens: RS256 unless the application registered EdDSA.
        vec![CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256, CoreJwsSigningAlgorithm::EdDsa],
        AskOnceMetadata {
            end_session_endpoint: provider.endpoint(END_SESSION_PATH),
            revocation_endpoint: provider.endpoint(REVOCATION_PATH),
            revocation_endpoint_auth_methods_supported: auth_methods(),
            introspection_endpoint: provider.endpoint(INTROSPECTION_PATH),
            introspection_endpoint_auth_methods_supported: auth_methods(),
            code_challenge_methods_supported: vec!["S256".to_string()],
            authorization_response_iss_parameter_supported: true,
            backchannel_logout_supported: true,
            backchannel_logout_session_supported: true,
        },
    )
    .set_token_endpoint(Some(TokenUrl::new(provider.endpoint(TOKEN_PATH)).map_err(bad)?))
    .set_userinfo_endpoint(Some(UserInfoUrl::new(provider.endpoint(USERINFO_PATH)).map_err(bad)?))
    .set_scopes_supported(Some(CLIENT_SCOPES.iter().map(|s| Scope::new(s.to_string())).collect()))
    .set_response_modes_supported(Some(vec![CoreResponseMode::Query]))
    .set_grant_types_supported(Some(vec![
        CoreGrantType::AuthorizationCode,
        CoreGrantType::RefreshToken,
        CoreGrantType::ClientCredentials,
        CoreGrantType::Extension(TOKEN_EXCHANGE.to_string()),
    ]))
    .set_token_endpoint_auth_methods_supported(Some(vec![
        CoreClientAuthMethod::ClientSecretBasic,
        CoreClientAuthMethod::ClientSecretPost,
        CoreClientAuthMethod::None,
    ]))
    .set_claims_supported(Some(claims))
    .set_claims_parameter_supported(Some(false))
    .set_request_parameter_supported(Some(false))
    .set_request_uri_parameter_supported(Some(false)))
}

fn auth_methods() -> Vec<String> {
    ["client_secret_basic", "client_secret_post", "none"].map(String::from).to_vec()
}
