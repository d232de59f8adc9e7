//! The HTTP status of a server function that failed: set here, from the [`AppError`] it
//! returned, and nowhere else.
//!
//! server_fn answers every error with 500 and the `serverfnerror` header, the error encoded as
//! JSON in the body. This layer reads that error back and answers with its own status
//! ([`AppError::status_code`]: 400 for bad input, 401, 403, 409, 429 with `Retry-After`, …), so
//! no server function sets a status by hand. (A page render that calls a server function
//! directly gets its status from the guard it failed, see `app::auth::ssr`.)

use app::error::AppError;
use axum::{
    body::{to_bytes, Body},
    extract::Request,
    http::{header::RETRY_AFTER, HeaderValue, StatusCode},
    middleware::Next,
    response::Response,
};
use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;

/// An encoded `AppError` is a few hundred bytes; anything longer is not one of ours.
const MAX_ERROR_BYTES: usize = 64 * 1024;

/// Middleware: gives a failed server function's response the status of its error.
pub async fn status_from_app_error(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if !response.headers().contains_key(SERVER_FN_ERROR_HEADER) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match to_bytes(body, MAX_ERROR_BYTES).await {
        Ok(bytes) => bytes,
        Err(err) => {
            tracing::error!(error = %err, "reading a server function's error response");
            return Response::from_parts(parts, Body::empty());
        }
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if let AppError::TooManyAttempts { retry_after_secs, .. } = error {
            parts.headers.insert(RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use axum::{middleware, routing::post, Router};
    use tower::ServiceExt;

    fn failing_with(body: &'static str) -> Router {
        let handler = move || async move { (StatusCode::INTERNAL_SERVER_ERROR, [(SERVER_FN_ERROR_HEADER, "/api/x")], body) };
        Router::new().route("/api/x", post(handler)).layer(middleware::from_fn(status_from_app_error))
    }

    async fn call(router: Router) -> Response {
        router.oneshot(Request::builder().method("POST").uri("/api/x").body(Body::empty()).unwrap()).await.unwrap()
    }

    #[tokio::test]
    async fn each_error_gets_its_own_status_and_keeps_its_body() {
        for (error, status) in [
            (AppError::BadRequest("Fix it.".into()), 400),
            (AppError::Unauthorized, 401),
            (AppError::Forbidden, 403),
            (AppError::NotFound, 404),
            (AppError::Conflict("Reload.".into()), 409),
            (AppError::Internal, 500),
        ] {
            let json: &'static str = Box::leak(serde_json::to_string(&error).unwrap().into_boxed_str());
            let response = call(failing_with(json)).await;
            assert_eq!(response.status().as_u16(), status, "{error:?}");
            let body = to_bytes(response.into_body(), MAX_ERROR_BYTES).await.unwrap();
            assert_eq!(serde_json::from_slice::<AppError>(&body).unwrap(), error);
        }
    }

    #[tokio::test]
    async fn waiting_errors_say_how_long() {
        let json = serde_json::to_string(&AppError::TooManyAttempts { message: "Wait.".into(), retry_after_secs: 42 }).unwrap();
        let response = call(failing_with(Box::leak(json.into_boxed_str()))).await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[RETRY_AFTER], "42");
    }

    #[tokio::test]
    async fn other_responses_pass_untouched() {
        let router = Router::new()
            .route("/api/x", post(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "not an AppError") }))
            .layer(middleware::from_fn(status_from_app_error));
        assert_eq!(call(router).await.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(call(failing_with("garbage")).await.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
