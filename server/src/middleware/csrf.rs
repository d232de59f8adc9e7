//! Cross-site request refusal: state-changing requests (anything but GET, HEAD, OPTIONS)
//! coming from another site are refused before they reach a handler or server function.
//!
//! Browsers say where a request comes from in `Sec-Fetch-Site` (all current ones) and
//! `Origin`. We trust `Sec-Fetch-Site` first, fall back to comparing `Origin` with the
//! configured public origin, and let requests with neither through: those come from
//! non-browser clients (curl, the management API), which cookies-based CSRF cannot target.

use crate::error::HttpError;
use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, Method},
    middleware::Next,
    response::{IntoResponse, Response},
};

/// Why a request was refused, for the log.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    Refused(&'static str),
}

pub fn check(method: &Method, headers: &HeaderMap, public_origin: &str) -> Verdict {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Verdict::Allowed;
    }
    if let Some(site) = headers.get("sec-fetch-site") {
        return match site.to_str().unwrap_or_default() {
            // `none`: the user typed the URL or used a bookmark.
            "same-origin" | "none" => Verdict::Allowed,
            // A sibling subdomain is another site as far as our cookies are concerned.
            "same-site" => Verdict::Refused("sec-fetch-site: same-site"),
            _ => Verdict::Refused("sec-fetch-site: cross-site"),
        };
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or_default();
        return if origin.eq_ignore_ascii_case(public_origin) {
            Verdict::Allowed
        } else {
            Verdict::Refused("origin differs from server.public_url")
        };
    }
    Verdict::Allowed
}

/// The public origin every request is compared with.
#[derive(Clone)]
pub struct PublicOrigin(pub String);

/// The one cross-site POST let through: a provider's form-posted answer to its callback
/// (Sign in with Apple), which only redirects to the GET callback (`routes::auth`).
fn is_form_post_callback(method: &Method, path: &str) -> bool {
    *method == Method::POST
        && path
            .strip_prefix("/auth/")
            .and_then(|rest| rest.strip_suffix("/callback"))
            .is_some_and(|name| !name.is_empty() && !name.contains('/'))
}

pub(crate) async fn refuse_cross_site(State(origin): State<PublicOrigin>, request: Request, next: Next) -> Response {
    if is_form_post_callback(request.method(), request.uri().path())
        || services::openid_provider::discovery::takes_cross_site_requests(request.uri().path())
        // Bearer only, no cookie read: another site's page calling it is what it is for.
        || domain::profiling::headless::is_prompt_api(request.uri().path())
    {
        return next.run(request).await;
    }
    match check(request.method(), request.headers(), &origin.0) {
        Verdict::Allowed => next.run(request).await,
        Verdict::Refused(reason) => {
            tracing::warn!(method = %request.method(), path = %request.uri().path(), reason, "cross-site request refused");
            HttpError::forbidden("Cross-site request refused.").into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGIN: &str = "https://login.example.com";

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn only_a_callback_may_be_form_posted_from_another_site() {
        assert!(is_form_post_callback(&Method::POST, "/auth/apple/callback"));
        for (method, path) in [
            (Method::GET, "/auth/apple/callback"),
            (Method::POST, "/auth/apple/start"),
            (Method::POST, "/auth//callback"),
            (Method::POST, "/auth/a/b/callback"),
            (Method::POST, "/api/profiling/answer"),
        ] {
            assert!(!is_form_post_callback(&method, path), "{method} {path}");
        }
    }

    #[test]
    fn reads_are_always_allowed() {
        let h = headers(&[("sec-fetch-site", "cross-site")]);
        assert_eq!(check(&Method::GET, &h, ORIGIN), Verdict::Allowed);
    }

    #[test]
    fn same_origin_posts_are_allowed() {
        let h = headers(&[("sec-fetch-site", "same-origin"), ("origin", ORIGIN)]);
        assert_eq!(check(&Method::POST, &h, ORIGIN), Verdict::Allowed);
    }

    #[test]
    fn cross_site_and_same_site_posts_are_refused() {
        for site in ["cross-site", "same-site"] {
            let h = headers(&[("sec-fetch-site", site)]);
            assert!(matches!(check(&Method::POST, &h, ORIGIN), Verdict::Refused(_)), "{site}");
        }
    }

    #[test]
    fn without_fetch_metadata_the_origin_must_match() {
        let ok = headers(&[("origin", ORIGIN)]);
        assert_eq!(check(&Method::POST, &ok, ORIGIN), Verdict::Allowed);
        let evil = headers(&[("origin", "https://evil.example")]);
        assert!(matches!(check(&Method::DELETE, &evil, ORIGIN), Verdict::Refused(_)));
        let null = headers(&[("origin", "null")]);
        assert!(matches!(check(&Method::POST, &null, ORIGIN), Verdict::Refused(_)));
    }

    #[test]
    fn non_browser_clients_without_either_header_pass() {
        assert_eq!(check(&Method::POST, &HeaderMap::new(), ORIGIN), Verdict::Allowed);
    }
}
