//! Optimistic concurrency for the profiling configuration over HTTP: every read answers with
//! `ETag: "<revision>"`, and a write may send it back as `If-Match`. A write whose `If-Match`
//! names an older revision is refused with 409 (someone else changed the questions since the
//! caller read them) instead of silently undoing that change; a write without `If-Match` is
//! applied to whatever is current.

use axum::{
    extract::FromRequestParts,
    http::{header, request::Parts, HeaderValue},
};

use super::HttpError;

/// The revision named by `If-Match`, if any (`*` names any).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IfMatch(pub Option<i64>);

/// An `If-Match` value this API never sent as an ETag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not an ETag of this API")]
pub struct NotAnEtag;

/// The revision in one `If-Match` value: `"12"` or `W/"12"` (the first of a list); `None` for
/// `*`.
pub(crate) fn parse_if_match(value: &str) -> Result<Option<i64>, NotAnEtag> {
    let first = value.split(',').next().unwrap_or("").trim();
    if first == "*" {
        return Ok(None);
    }
    let tag = first.strip_prefix("W/").unwrap_or(first);
    let inner = tag.strip_prefix('"').and_then(|t| t.strip_suffix('"')).ok_or(NotAnEtag)?;
    inner.parse::<i64>().map(Some).map_err(|_| NotAnEtag)
}

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(header::IF_MATCH) else {
            return Ok(IfMatch(None));
        };
        let refused = || HttpError::bad_request("If-Match must be the ETag of a read of this API (for example \"12\"), or *");
        let text = value.to_str().map_err(|_| refused())?;
        parse_if_match(text).map(IfMatch).map_err(|_| refused())
    }
}

/// The `ETag` header of a response showing the configuration at `version`.
pub fn etag(version: i64) -> [(header::HeaderName, HeaderValue); 1] {
    // Digits and quotes only: always a valid header value.
    let value = HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""));
    [(header::ETAG, value)]
}

#[cfg(test)]
mod tests {
    use super::{parse_if_match, NotAnEtag};

    #[test]
    fn etags_this_api_sends_are_read_back_and_anything_else_is_refused() {
        assert_eq!(parse_if_match("\"12\""), Ok(Some(12)));
        assert_eq!(parse_if_match(" W/\"7\" , \"8\""), Ok(Some(7)));
        assert_eq!(parse_if_match("*"), Ok(None));
        for bad in ["12", "\"twelve\"", "\"12", "", "W/", "\"\""] {
            assert_eq!(parse_if_match(bad), Err(NotAnEtag), "{bad:?}");
        }
    }
}
