//! Checking an authorization request (OpenID Connect Core §3.1.2.1–§3.1.2.2, RFC 6749 §4.1.1,
//! RFC 7636 §4.3). Only the authorization code flow exists here: no implicit, no hybrid, no
//! request objects.
//!
//! The order matters for safety. The client and its `redirect_uri` are checked first, and
//! while either is wrong AskOnce shows its own page ([`Refusal::ShowPage`]): an error sent to an
//! unchecked address would make AskOnce an open redirector. Only then is anything else wrong
//! sent back to the client ([`Refusal::ToClient`]).

use serde::{Deserialize, Serialize};

use super::{
    client::{redirect_uri_registered, AppType},
    error::{ErrorCode, OAuthError},
    scope::{Scopes, OPENID, PROMPT},
};

/// The longest `state` and `nonce` kept (they are stored until the code is redeemed).
pub const MAX_STATE_LEN: usize = 2048;
pub const MAX_NONCE_LEN: usize = 512;
pub const MAX_LOGIN_HINT_LEN: usize = 320;

/// What the checks need to know of the client named by `client_id`.
pub struct ClientPolicy<'a> {
    pub app_type: AppType,
    pub callbacks: &'a [String],
    pub scopes: &'a [String],
}

/// The `prompt` values (Core §3.1.2.1; `create` from Initiating User Registration 1.0).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    pub none: bool,
    pub login: bool,
    pub consent: bool,
    pub create: bool,
}

/// A checked request: everything AskOnce keeps while the person signs in and answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: Scopes,
    pub state: Option<String>,
    pub nonce: Option<String>,
    /// The S256 PKCE challenge (`plain` is refused).
    pub code_challenge: Option<String>,
    pub prompt: Prompt,
    pub max_age: Option<u64>,
    pub login_hint: Option<String>,
}

/// Why a request was refused, and where the refusal goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The client or its redirect address is unknown or wrong: AskOnce's own error page.
    ShowPage(&'static str),
    /// Anything else: back to the (checked) redirect address with `error`, `state` and `iss`.
    ToClient { redirect_uri: String, state: Option<String>, error: OAuthError },
}

/// Checks `params` (the query or form, in order, repeats included) for the client that
/// `lookup` finds by id.
pub fn check<'a>(
    params: &[(String, String)],
    lookup: impl FnOnce(&str) -> Option<ClientPolicy<'a>>,
) -> Result<AuthorizationRequest, Refusal> {
    let one = |name: &str| -> Result<Option<&str>, ()> {
        let mut values = params.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str());
        let first = values.next();
        if values.next().is_some() {
            return Err(());
        }
        Ok(first.filter(|v| !v.is_empty()))
    };
    let client_id = match one("client_id") {
        Ok(Some(id)) => id,
        Ok(None) => return Err(Refusal::ShowPage("The application did not say who it is (client_id is missing).")),
        Err(()) => return Err(Refusal::ShowPage("The request names its application twice (client_id).")),
    };
    let Some(client) = lookup(client_id) else {
        return Err(Refusal::ShowPage("No application with this client_id is registered here."));
    };
    let redirect_uri = match one("redirect_uri") {
        Ok(Some(uri)) => uri,
        Ok(None) => return Err(Refusal::ShowPage("The application did not say where to return (redirect_uri is missing).")),
        Err(()) => return Err(Refusal::ShowPage("The request names its return address twice (redirect_uri).")),
    };
    if !redirect_uri_registered(client.callbacks, redirect_uri) {
        return Err(Refusal::ShowPage("This return address (redirect_uri) is not registered for the application."));
    }
    if !client.app_type.signs_people_in() {
        return Err(Refusal::ShowPage("This application is a machine client: people cannot sign in to it."));
    }
    // From here on the address is the client's own: refusals go back to it.
    let state = one("state").ok().flatten().filter(|s| s.len() <= MAX_STATE_LEN).map(str::to_string);
    let refuse = |code: ErrorCode, description: &str| Refusal::ToClient {
        redirect_uri: redirect_uri.to_string(),
        state: state.clone(),
        error: OAuthError::new(code, description),
    };
    let mut seen = std::collections::BTreeSet::new();
    if let Some((name, _)) = params.iter().find(|(k, _)| !seen.insert(k.as_str())) {
        return Err(refuse(ErrorCode::InvalidRequest, &format!("the parameter {} is repeated", printable(name))));
    }
    let value = |name: &str| one(name).ok().flatten();
    if value("request").is_some() {
        return Err(refuse(ErrorCode::RequestNotSupported, "request objects are not supported"));
    }
    if value("request_uri").is_some() {
        return Err(refuse(ErrorCode::RequestUriNotSupported, "request_uri is not supported"));
    }
    if value("registration").is_some() {
        return Err(refuse(ErrorCode::RegistrationNotSupported, "the registration parameter is not supported"));
    }
    match value("response_type") {
        None => return Err(refuse(ErrorCode::InvalidRequest, "response_type is missing")),
        Some("code") => {}
        Some(_) => return Err(refuse(ErrorCode::UnsupportedResponseType, "only response_type=code is supported")),
    }
    if let Some(mode) = value("response_mode") {
        if mode != "query" {
            return Err(refuse(ErrorCode::InvalidRequest, "only response_mode=query is supported"));
        }
    }
    if one("state").ok().flatten().is_some_and(|s| s.len() > MAX_STATE_LEN) {
        return Err(refuse(ErrorCode::InvalidRequest, "state is too long"));
    }
    let scope = Scopes::parse(value("scope").unwrap_or(""));
    if !scope.contains(OPENID) {
        return Err(refuse(ErrorCode::InvalidScope, "scope must include openid"));
    }
    if scope.contains(PROMPT) {
        return Err(refuse(ErrorCode::InvalidScope, "the prompt scope is given by token exchange at the token endpoint, not here"));
    }
    if let Some(extra) = scope.not_in(client.scopes).next() {
        return Err(refuse(ErrorCode::InvalidScope, &format!("the application may not ask for the scope {}", printable(extra))));
    }
    let nonce = value("nonce").map(str::to_string);
    if nonce.as_ref().is_some_and(|n| n.len() > MAX_NONCE_LEN) {
        return Err(refuse(ErrorCode::InvalidRequest, "nonce is too long"));
    }
    let code_challenge = match (value("code_challenge"), value("code_challenge_method")) {
        (None, None) if client.app_type.is_public() => {
            return Err(refuse(ErrorCode::InvalidRequest, "PKCE is required for this application (code_challenge with S256)"))
        }
        (None, None) => None,
        (None, Some(_)) => return Err(refuse(ErrorCode::InvalidRequest, "code_challenge_method without code_challenge")),
        (Some(_), None | Some("plain")) => {
            return Err(refuse(ErrorCode::InvalidRequest, "PKCE method plain is not accepted: use code_challenge_method=S256"))
        }
        (Some(challenge), Some("S256")) => {
            if !is_s256_challenge(challenge) {
                return Err(refuse(ErrorCode::InvalidRequest, "code_challenge is not a base64url SHA-256 (43 characters)"));
            }
            Some(challenge.to_string())
        }
        (Some(_), Some(_)) => return Err(refuse(ErrorCode::InvalidRequest, "unknown code_challenge_method: use S256")),
    };
    let prompt = match parse_prompt(value("prompt").unwrap_or("")) {
        Ok(p) => p,
        Err(message) => return Err(refuse(ErrorCode::InvalidRequest, message)),
    };
    let max_age = match value("max_age").map(str::parse::<u64>) {
        None => None,
        Some(Ok(age)) => Some(age),
        Some(Err(_)) => return Err(refuse(ErrorCode::InvalidRequest, "max_age must be a number of seconds")),
    };
    let login_hint = value("login_hint").filter(|h| h.len() <= MAX_LOGIN_HINT_LEN).map(str::to_string);
    Ok(AuthorizationRequest {
        client_id: client_id.to_string(),
        redirect_uri: redirect_uri.to_string(),
        scope,
        state,
        nonce,
        code_challenge,
        prompt,
        max_age,
        login_hint,
    })
}

/// A value of the request as an error description may repeat it: visible ASCII only, at
/// most 64 characters (a description travels in a URL and in logs; no line breaks in either).
fn printable(value: &str) -> String {
    let mut out: String = value.chars().filter(|c| c.is_ascii_graphic()).take(64).collect();
    if out.is_empty() {
        out.push('?');
    }
    out
}

/// An S256 challenge is BASE64URL(SHA-256(verifier)) without padding: 43 characters.
fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43 && challenge.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A PKCE code verifier's shape (RFC 7636 §4.1): 43–128 unreserved characters.
pub fn is_code_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len()) && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

fn parse_prompt(s: &str) -> Result<Prompt, &'static str> {
    let mut prompt = Prompt::default();
    for value in s.split(' ').filter(|v| !v.is_empty()) {
        match value {
            "none" => prompt.none = true,
            // Choosing another account means signing in again here.
            "login" | "select_account" => prompt.login = true,
            "consent" => prompt.consent = true,
            "create" => prompt.create = true,
            _ => return Err("unknown prompt value"),
        }
    }
    if prompt.none && (prompt.login || prompt.consent || prompt.create) {
        return Err("prompt=none cannot be combined with other values");
    }
    Ok(prompt)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn callbacks() -> Vec<String> {
        vec!["https://shop.example/cb".to_string()]
    }

    fn scopes() -> Vec<String> {
        ["openid", "profile", "email"].map(String::from).to_vec()
    }

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn good() -> Vec<(&'static str, &'static str)> {
        vec![
            ("client_id", "shop"),
            ("redirect_uri", "https://shop.example/cb"),
            ("response_type", "code"),
            ("scope", "openid email"),
            ("state", "s1"),
            ("nonce", "n1"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ]
    }

    fn run(pairs: &[(&str, &str)], app_type: AppType) -> Result<AuthorizationRequest, Refusal> {
        let (cb, sc) = (callbacks(), scopes());
        check(&params(pairs), |id| (id == "shop").then_some(ClientPolicy { app_type, callbacks: &cb, scopes: &sc }))
    }

    fn with(change: &[(&'static str, &'static str)], drop: &[&str]) -> Vec<(&'static str, &'static str)> {
        let mut p: Vec<_> = good().into_iter().filter(|(k, _)| !drop.contains(k) && !change.iter().any(|(c, _)| c == k)).collect();
        p.extend_from_slice(change);
        p
    }

    fn to_client(r: Result<AuthorizationRequest, Refusal>) -> ErrorCode {
        match r {
            Err(Refusal::ToClient { error, state, redirect_uri }) => {
                assert_eq!(redirect_uri, "https://shop.example/cb");
                assert_eq!(state.as_deref(), Some("s1"));
                error.code
            }
            other => panic!("expected a refusal sent to the client, got {other:?}"),
        }
    }

    #[test]
    fn a_good_request_is_kept_whole() {
        let r = run(&good(), AppType::Spa).unwrap();
        assert_eq!(r.scope.to_string(), "email openid");
        assert_eq!(r.code_challenge.as_deref(), Some(CHALLENGE));
        assert_eq!(r.nonce.as_deref(), Some("n1"));
    }

    #[test]
    fn an_unknown_client_or_address_is_shown_here_never_redirected() {
        assert!(matches!(run(&with(&[("client_id", "other")], &[]), AppType::Spa), Err(Refusal::ShowPage(_))));
        assert!(matches!(run(&with(&[], &["client_id"]), AppType::Spa), Err(Refusal::ShowPage(_))));
        assert!(matches!(run(&with(&[], &["redirect_uri"]), AppType::Spa), Err(Refusal::ShowPage(_))));
        assert!(matches!(run(&with(&[("redirect_uri", "https://evil.example/cb")], &[]), AppType::Spa), Err(Refusal::ShowPage(_))));
        // A second redirect_uri could pick the address after the check: refused here.
        let mut twice = good();
        twice.push(("redirect_uri", "https://evil.example/cb"));
        assert!(matches!(run(&twice, AppType::Spa), Err(Refusal::ShowPage(_))));
        // Even with every other parameter wrong.
        assert!(matches!(
            run(&[("client_id", "shop"), ("redirect_uri", "https://evil.example/")], AppType::Spa),
            Err(Refusal::ShowPage(_))
        ));
        assert!(matches!(run(&good(), AppType::NonInteractive), Err(Refusal::ShowPage(_))));
    }

    #[test]
    fn the_rest_goes_back_to_the_client_with_its_state() {
        assert_eq!(to_client(run(&with(&[("response_type", "token")], &[]), AppType::Spa)), ErrorCode::UnsupportedResponseType);
        assert_eq!(to_client(run(&with(&[("response_type", "code id_token")], &[]), AppType::Spa)), ErrorCode::UnsupportedResponseType);
        assert_eq!(to_client(run(&with(&[], &["response_type"]), AppType::Spa)), ErrorCode::InvalidRequest);
        assert_eq!(to_client(run(&with(&[("scope", "profile")], &[]), AppType::Spa)), ErrorCode::InvalidScope);
        assert_eq!(to_client(run(&with(&[("scope", "openid admin")], &[]), AppType::Spa)), ErrorCode::InvalidScope);
        // An application allowed `prompt` gets it by token exchange only.
        let (cb, sc) = (callbacks(), ["openid", "prompt"].map(String::from).to_vec());
        let prompt = check(&params(&with(&[("scope", "openid prompt")], &[])), |_| {
            Some(ClientPolicy { app_type: AppType::Spa, callbacks: &cb, scopes: &sc })
        });
        assert_eq!(to_client(prompt), ErrorCode::InvalidScope);
        assert_eq!(to_client(run(&with(&[("request", "eyJ")], &[]), AppType::Spa)), ErrorCode::RequestNotSupported);
        assert_eq!(to_client(run(&with(&[("request_uri", "https://x")], &[]), AppType::Spa)), ErrorCode::RequestUriNotSupported);
        assert_eq!(to_client(run(&with(&[("registration", "{}")], &[]), AppType::Spa)), ErrorCode::RegistrationNotSupported);
        assert_eq!(to_client(run(&with(&[("response_mode", "fragment")], &[]), AppType::Spa)), ErrorCode::InvalidRequest);
        assert_eq!(to_client(run(&with(&[("max_age", "-1")], &[]), AppType::Spa)), ErrorCode::InvalidRequest);
        assert_eq!(to_client(run(&with(&[("prompt", "none login")], &[]), AppType::Spa)), ErrorCode::InvalidRequest);
        assert_eq!(to_client(run(&with(&[("prompt", "sometimes")], &[]), AppType::Spa)), ErrorCode::InvalidRequest);
        let mut twice = good();
        twice.push(("scope", "openid"));
        assert_eq!(to_client(run(&twice, AppType::Spa)), ErrorCode::InvalidRequest);
    }

    #[test]
    fn pkce_is_s256_only_and_required_of_public_clients() {
        assert_eq!(to_client(run(&with(&[], &["code_challenge", "code_challenge_method"]), AppType::Spa)), ErrorCode::InvalidRequest);
        assert_eq!(to_client(run(&with(&[], &["code_challenge", "code_challenge_method"]), AppType::Native)), ErrorCode::InvalidRequest);
        assert!(run(&with(&[], &["code_challenge", "code_challenge_method"]), AppType::RegularWeb).unwrap().code_challenge.is_none());
        assert_eq!(to_client(run(&with(&[("code_challenge_method", "plain")], &[]), AppType::RegularWeb)), ErrorCode::InvalidRequest);
        // RFC 7636 makes a missing method mean plain: refused too.
        assert_eq!(to_client(run(&with(&[], &["code_challenge_method"]), AppType::RegularWeb)), ErrorCode::InvalidRequest);
        assert_eq!(to_client(run(&with(&[("code_challenge", "short")], &[]), AppType::RegularWeb)), ErrorCode::InvalidRequest);
        assert_eq!(to_client(run(&with(&[("code_challenge_method", "S512")], &[]), AppType::RegularWeb)), ErrorCode::InvalidRequest);
    }

    #[test]
    fn prompt_values_are_read() {
        let r = run(&with(&[("prompt", "login consent"), ("max_age", "300")], &[]), AppType::Spa).unwrap();
        assert!(r.prompt.login && r.prompt.consent && !r.prompt.none);
        assert_eq!(r.max_age, Some(300));
        assert!(run(&with(&[("prompt", "select_account")], &[]), AppType::Spa).unwrap().prompt.login);
    }

    #[test]
    fn what_a_refusal_repeats_of_the_request_is_tame() {
        let r = run(&with(&[("scope", "openid a\r\nforged-log-line")], &[]), AppType::Spa);
        match r {
            Err(Refusal::ToClient { error, .. }) => {
                assert!(!error.description.contains('\n') && !error.description.contains('\r'), "{error:?}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(printable(&"x".repeat(100)).len(), 64);
    }

    #[test]
    fn code_verifiers_have_rfc_7636_shape() {
        assert!(is_code_verifier(&"a".repeat(43)));
        assert!(is_code_verifier(&"a-._~".repeat(20)));
        assert!(!is_code_verifier(&"a".repeat(42)));
        assert!(!is_code_verifier(&"a".repeat(129)));
        assert!(!is_code_verifier(&format!("{}+", "a".repeat(43))));
    }
}
