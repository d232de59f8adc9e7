//! Content-Security-Policy for HTML responses, with a fresh script nonce per response.
//!
//! The middleware draws the nonce before the page renders and puts it in the request's
//! extensions; [`provide_request_nonce`] hands that same nonce to leptos (which otherwise
//! draws its own), so every script leptos writes — the hydration module, streamed resource
//! chunks — carries the nonce the header allows. Scripts without it (an injected
//! `<script>`, an `onclick=` attribute) do not run.

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::{header, HeaderValue},
    middleware::Next,
    response::Response,
};

use crate::connections::ConnectionRegistry;

/// The nonce of the current request's response.
#[derive(Debug, Clone)]
pub struct CspNonce(pub Arc<str>);

/// What the policy needs besides the nonce: where form posts may lead.
#[derive(Clone)]
pub struct CspSources {
    pub registry: Arc<ConnectionRegistry>,
    /// External forms (`domain::external_form`) are reached by redirects after a sign-in post.
    pub forms: services::external_form::FormOrigins,
    /// An application's authorization in flight ends with a redirect to it, after the sign-in
    /// or answer posted on a page that returns to `/authorize/continue`.
    pub db: sea_orm::DatabaseConnection,
}

/// The policy for one response.
///
/// - `script-src`: only scripts carrying this response's nonce, and what they load
///   (`'strict-dynamic'`: the hydration module imports `/pkg/askonce.js`);
///   `'wasm-unsafe-eval'` lets it compile the wasm, and allows no JavaScript `eval`.
/// - `style-src`: the stylesheet from `/pkg`; leptos writes no inline styles, so no
///   `'unsafe-inline'`.
/// - `img-src`: profile pictures come from providers over https.
/// - `form-action`: forms post to AskOnce; those posting to `/auth/<name>/start` ("Link …" on
///   /profile) are redirected to the provider, and a sign-in may be redirected on to an
///   external form stage; browsers check those redirects against `form-action` too.
pub fn policy(nonce: &str, form_action_origins: &[String]) -> String {
    let mut form_action = String::from("'self'");
    // Origins are checked where they are configured (`web_address::check`); one stored before
    // that check, or by other means, must still not end the directive (`;`), start a second
    // policy (`,`) or add a keyword (`'`).
    let header_safe = |o: &&String| o.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '/' | '-' | '[' | ']'));
    for origin in form_action_origins.iter().filter(header_safe) {
        form_action.push(' ');
        form_action.push_str(origin);
    }
    format!(
        "default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; \
         style-src 'self' 'nonce-{nonce}'; img-src 'self' data: https:; object-src 'none'; \
         base-uri 'none'; frame-ancestors 'none'; form-action {form_action}"
    )
}

/// Draws the nonce, and sends the policy on HTML responses.
pub(crate) async fn content_security_policy(State(sources): State<CspSources>, mut request: Request, next: Next) -> Response {
    // 128 random bits, base64url: the generator leptos itself uses.
    let nonce = leptos::nonce::Nonce::new().as_inner().clone();
    request.extensions_mut().insert(CspNonce(nonce.clone()));
    let authorization = authorization_in_flight(request.uri().path(), request.uri().query().unwrap_or(""));
    let mut response = next.run(request).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.trim_start().to_ascii_lowercase().starts_with("text/html"));
    if is_html && !response.headers().contains_key(header::CONTENT_SECURITY_POLICY) {
        let mut origins = sources.registry.form_action_origins();
        origins.extend(sources.forms.get().await.iter().cloned());
        if let Some(id) = authorization {
            match services::openid_provider::authorizations::redirect_origin(&sources.db, &id, chrono::Utc::now()).await {
                Ok(Some(origin)) => origins.push(origin),
                Ok(None) => {}
                Err(err) => tracing::warn!(error = %err, "could not read an authorization in flight for the page's policy"),
            }
        }
        match HeaderValue::from_str(&policy(&nonce, &origins)) {
            Ok(value) => {
                response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, value);
            }
            // Origins are ASCII serializations of parsed URLs, so this does not happen; if it
            // did, a page without a policy is better than no page.
            Err(err) => tracing::error!(error = %err, "content security policy is not a valid header value"),
        }
    }
    response
}

/// The authorization a page leads on to: the one its `return_to` continues
/// (`/authorize/continue?id=…`), or the consent screen's own (`/consent?id=…`).
fn authorization_in_flight(path: &str, query: &str) -> Option<String> {
    let mut pairs = url::form_urlencoded::parse(query.as_bytes());
    if path == "/consent" {
        return pairs.find(|(k, _)| k == "id").map(|(_, v)| v.into_owned()).filter(|id| !id.is_empty());
    }
    let prefix = format!("{}?id=", services::openid_provider::discovery::CONTINUE_PATH);
    pairs
        .find(|(k, _)| k == "return_to")
        .and_then(|(_, v)| v.strip_prefix(&prefix).map(|id| id.split(['&', '#']).next().unwrap_or("").to_string()))
        .filter(|id| !id.is_empty())
}

/// For leptos' `additional_context`: render with this request's nonce (the one the header
/// names) instead of the one leptos draws for itself.
pub(crate) fn provide_request_nonce() {
    use leptos::prelude::{provide_context, use_context};
    let nonce = use_context::<axum::http::request::Parts>().and_then(|parts| parts.extensions.get::<CspNonce>().cloned());
    if let Some(CspNonce(nonce)) = nonce {
        provide_context(leptos::nonce::Nonce::from_value(nonce));
    }
}

#[cfg(test)]
mod tests {
    use super::{authorization_in_flight, policy};

    #[test]
    fn an_authorization_in_flight_is_read_from_the_return_address() {
        assert_eq!(authorization_in_flight("/welcome", "return_to=%2Fauthorize%2Fcontinue%3Fid%3Dabc"), Some("abc".into()));
        assert_eq!(authorization_in_flight("/login", "return_to=/authorize/continue?id=abc"), Some("abc".into()));
        assert_eq!(authorization_in_flight("/welcome", "return_to=%2Fprofile"), None);
        assert_eq!(authorization_in_flight("/welcome", ""), None);
        assert_eq!(authorization_in_flight("/consent", "id=xyz"), Some("xyz".into()));
        assert_eq!(authorization_in_flight("/profile", "id=xyz"), None);
    }

    #[test]
    fn the_policy_allows_only_nonced_scripts_and_lists_provider_origins_for_forms() {
        let p = policy("abc123", &["https://accounts.google.com".into(), "https://github.com".into()]);
        assert!(p.contains("script-src 'nonce-abc123' 'strict-dynamic' 'wasm-unsafe-eval';"), "{p}");
        assert!(!p.contains("unsafe-inline"), "{p}");
        assert!(p.contains("object-src 'none'") && p.contains("base-uri 'none'") && p.contains("frame-ancestors 'none'"), "{p}");
        assert!(p.ends_with("form-action 'self' https://accounts.google.com https://github.com"), "{p}");
    }

    /// A stored origin that would end the directive, start a second policy or add a keyword
    /// is left out (the attack: an external form at `https://forms.example;sandbox/`).
    #[test]
    fn an_origin_cannot_change_the_policy() {
        let origins = [
            "https://forms.example;sandbox".into(),
            "https://x,script-src".into(),
            "https://x'unsafe-inline'".into(),
            "https://[::1]:8443".into(),
        ];
        let p = policy("n", &origins);
        assert!(p.ends_with("form-action 'self' https://[::1]:8443"), "{p}");
        assert_eq!(p.matches(';').count(), 7, "{p}");
        assert!(!p.contains(',') && !p.contains("sandbox"), "{p}");
    }
}
