//! Server functions posted by a plain HTML form (before the page has hydrated, or with
//! JavaScript off) that fail.
//!
//! server_fn answers such a post with the error and a `Location` back to the form's page that
//! carries it (`?__path=…&__err=…`, which the page's `ServerAction` then shows next to the
//! form, as it would have with JavaScript), but it keeps the error status — and a browser does
//! not follow a `Location` on a 400: it showed the raw JSON error instead (leptos_axum turns
//! only answers without a `Location` into redirects). Such an answer becomes 303 See Other.

use axum::{
    extract::Request,
    http::{header::LOCATION, Method, StatusCode},
    middleware::Next,
    response::Response,
};

use crate::error::accepts_html;

/// Middleware: a failed plain form post that names where to go is redirected there.
pub(crate) async fn redirect_failed_form_posts(request: Request, next: Next) -> Response {
    let plain_form = request.method() == Method::POST && accepts_html(request.headers());
    let mut response = next.run(request).await;
    let failed = response.status().is_client_error() || response.status().is_server_error();
    if plain_form && failed && response.headers().contains_key(LOCATION) {
        *response.status_mut() = StatusCode::SEE_OTHER;
    }
    response
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use axum::{body::Body, http::header::ACCEPT, middleware, routing::post, Router};
    use tower::ServiceExt;

    fn app() -> Router {
        let failing = || async { (StatusCode::BAD_REQUEST, [(LOCATION, "/login?__path=x&__err=y")], "{\"BadRequest\":\"no\"}") };
        Router::new()
            .route("/api/fails", post(failing))
            .route("/api/fails_quietly", post(|| async { StatusCode::BAD_REQUEST }))
            .layer(middleware::from_fn(redirect_failed_form_posts))
    }

    async fn post_to(path: &str, accept: &str) -> Response {
        let request = Request::builder().method(Method::POST).uri(path).header(ACCEPT, accept).body(Body::empty()).unwrap();
        app().oneshot(request).await.unwrap()
    }

    #[tokio::test]
    async fn a_failed_plain_form_post_is_sent_back_to_its_page() {
        let response = post_to("/api/fails", "text/html,application/xhtml+xml,*/*;q=0.8").await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(response.headers()[LOCATION], "/login?__path=x&__err=y");
    }

    #[tokio::test]
    async fn a_fetch_from_the_page_keeps_its_error_status() {
        let response = post_to("/api/fails", "application/json").await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    }

    #[tokio::test]
    async fn an_error_without_a_destination_is_left_alone() {
        let response = post_to("/api/fails_quietly", "text/html").await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    }
}
