//! Checks on responses that show the body when they fail: a set-up request the app refused
//! says why, where a bare status would not.

use reqwest::{RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;

/// Sends `request`; a request that could not be sent at all is a broken test.
pub async fn send(request: RequestBuilder, what: &str) -> Response {
    request.send().await.unwrap_or_else(|e| panic!("{what}: the request failed: {e}"))
}

/// `res` when the app accepted the request: a success, or the redirect a form post gets.
pub async fn accepted(res: Response, what: &str) -> Response {
    if res.status().is_success() || res.status().is_redirection() {
        return res;
    }
    refused(res, what, "a success or a redirect").await
}

/// `res` when it has `expected` status.
pub async fn status(res: Response, expected: StatusCode, what: &str) -> Response {
    if res.status() == expected {
        return res;
    }
    refused(res, what, expected.as_str()).await
}

/// The JSON body of `res`, which must be a 200.
pub async fn json<T: DeserializeOwned>(res: Response, what: &str) -> T {
    let text = status(res, StatusCode::OK, what).await.text().await.unwrap_or_else(|e| panic!("{what}: reading the body: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: not the JSON expected ({e}): {text}"))
}

async fn refused(res: Response, what: &str, expected: &str) -> ! {
    let status = res.status();
    let location = res.headers().get(reqwest::header::LOCATION).and_then(|l| l.to_str().ok()).map(str::to_string);
    let body = res.text().await.unwrap_or_else(|e| format!("(unreadable: {e})"));
    panic!("{what}: expected {expected}, got {status} (location {location:?}): {body}");
}
