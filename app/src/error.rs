//! The one error type every server function returns, and the pages that show errors.
//!
//! `AppError` crosses the wire (JSON), so the browser can match on it. Its messages are
//! written for people and never carry internal details: causes are logged on the server
//! (see `ssr::internal`) and the user sees a generic sentence.

use crate::escaping::PageTitle;
use leptos::prelude::*;
use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use leptos_router::components::A;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Input that failed validation; the message says what to fix.
    #[error("{0}")]
    BadRequest(String),
    /// Answers that failed validation: field key -> what to fix, shown next to each field.
    #[error("Some answers need attention.")]
    Invalid(std::collections::BTreeMap<String, String>),
    #[error("Please sign in to continue.")]
    Unauthorized,
    #[error("You do not have access to this.")]
    Forbidden,
    /// Refused for a reason the person should read (a blocked account, …).
    #[error("{0}")]
    Refused(String),
    #[error("We could not find what you were looking for.")]
    NotFound,
    /// The request conflicts with the current state; the message says how.
    #[error("{0}")]
    Conflict(String),
    /// Refused until `retry_after_secs` have passed (also sent as `Retry-After`); the message
    /// says what was limited and how long to wait.
    #[error("{message}")]
    TooManyAttempts { message: String, retry_after_secs: u64 },
    #[error("Something went wrong on our side. Please try again in a moment.")]
    Internal,
    /// The browser could not reach the server or understand its answer.
    #[error("We could not reach AskOnce. Check your connection and try again.")]
    Unreachable,
}

impl AppError {
    /// The HTTP status for this error; decided here and nowhere else.
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::BadRequest(_) | AppError::Invalid(_) => 400,
            AppError::Unauthorized => 401,
            AppError::Forbidden | AppError::Refused(_) => 403,
            AppError::NotFound => 404,
            AppError::Conflict(_) => 409,
            AppError::TooManyAttempts { .. } => 429,
            AppError::Internal => 500,
            AppError::Unreachable => 503,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // Malformed or missing arguments are the caller's mistake, not ours.
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => {
                AppError::BadRequest("The form was incomplete. Please check it and try again.".into())
            }
            // On the server these mean the request could not be read (a body that is not
            // UTF-8, not a form): the caller's mistake again. In the browser they mean the
            // server could not be reached or its answer not read.
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Deserialization(_) if cfg!(feature = "ssr") => {
                AppError::BadRequest("The request could not be read. Please check the form and try again.".into())
            }
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) | ServerFnErrorErr::Deserialization(_) => AppError::Unreachable,
            other => {
                tracing::error!(error = %other, "server function failed");
                AppError::Internal
            }
        }
    }

    /// The error as the wire carries it. On the server this runs as a failed server function's
    /// response is built, inside its request: the response takes the error's own status (and
    /// `Retry-After`) here, so no layer has to read the body back to find it.
    fn ser(&self) -> leptos::server_fn::Bytes {
        #[cfg(feature = "ssr")]
        ssr::set_status(self.clone());
        <Self::Encoder as leptos::server_fn::Encodes<Self>>::encode(self).unwrap_or_else(|e| {
            tracing::error!(error = %e, "encoding a server function's error");
            // The unit variant always encodes.
            leptos::server_fn::Bytes::from_static(b"\"Internal\"")
        })
    }
}

/// Server-side helpers for turning causes into [`AppError`]s.
#[cfg(feature = "ssr")]
pub mod ssr {
    /// A browser navigating (a plain form post, a link) asks for HTML; `fetch` from the
    /// hydrated page does not. The test leptos_axum itself uses to tell the two apart: the
    /// server's error bodies, the required-stage hold and the pages' redirects all ask it here.
    pub fn accepts_html(headers: &axum::http::HeaderMap) -> bool {
        headers.get(axum::http::header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"))
    }

    use services::error::ServiceError;

    use super::AppError;

    /// A service's refusal, as the wire carries it: the same variants, the same words. Any
    /// service error that says what it means for the person (`Into<ServiceError>`: a profile
    /// write's conflict, an account's refusal…) converts with `?`.
    impl<E: Into<ServiceError>> From<E> for AppError {
        fn from(err: E) -> Self {
            match err.into() {
                ServiceError::BadRequest(message) => AppError::BadRequest(message),
                ServiceError::Invalid(problems) => AppError::Invalid(problems),
                ServiceError::Unauthorized => AppError::Unauthorized,
                ServiceError::Forbidden => AppError::Forbidden,
                ServiceError::Refused(message) => AppError::Refused(message),
                ServiceError::NotFound => AppError::NotFound,
                ServiceError::Conflict(message) => AppError::Conflict(message),
                ServiceError::TooManyAttempts { message, retry_after_secs } => AppError::TooManyAttempts { message, retry_after_secs },
                ServiceError::Internal => AppError::Internal,
            }
        }
    }

    /// Logs `err` with its whole source chain and returns the generic internal error, so
    /// the cause reaches the operator and never the user.
    pub fn internal(context: &'static str, err: impl std::error::Error) -> AppError {
        tracing::error!(error = %services::error::cause_chain(&err), "{context}");
        AppError::Internal
    }

    /// Sets the status of the page being rendered to match `err` (and `Retry-After` when it
    /// says how long to wait), and returns it. Only for errors a page render shows as the
    /// page — the guards, not-found pages, a GET form's refusal — and, through
    /// `FromServerFnError::ser`, for every server function that fails over HTTP.
    pub(crate) fn set_status(err: AppError) -> AppError {
        if let Some(res) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            if let Ok(code) = axum::http::StatusCode::from_u16(err.status_code()) {
                res.set_status(code);
            }
            if let AppError::TooManyAttempts { retry_after_secs, .. } = &err {
                res.insert_header(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(*retry_after_secs));
            }
        }
        err
    }
}

/// Shown for any URL that matches no page. Answers 404 on the server.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    ssr::set_status(AppError::NotFound);
    view! {
        <PageTitle text="Page not found" />
        <section class="error-page" aria-labelledby="error-heading">
            <h1 id="error-heading">"Page not found"</h1>
            <p>"There is no page at this address. It may have moved, or the link may be mistyped."</p>
            <p><A href="/">"Go to the home page"</A></p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_maps_to_a_client_or_server_status() {
        let all = [
            AppError::BadRequest("x".into()),
            AppError::Unauthorized,
            AppError::Forbidden,
            AppError::Refused("x".into()),
            AppError::NotFound,
            AppError::Conflict("x".into()),
            AppError::TooManyAttempts { message: "x".into(), retry_after_secs: 1 },
            AppError::Internal,
            AppError::Unreachable,
        ];
        for err in all {
            assert!((400..600).contains(&err.status_code()), "{err:?}");
        }
    }

    #[test]
    fn internal_server_fn_failures_do_not_leak_their_cause() {
        let err = AppError::from_server_fn_error(ServerFnErrorErr::ServerError("connection refused to 10.0.0.3:5432".into()));
        assert_eq!(err, AppError::Internal);
        assert!(!err.to_string().contains("10.0.0.3"));
    }

    #[test]
    fn malformed_arguments_are_a_bad_request() {
        let err = AppError::from_server_fn_error(ServerFnErrorErr::Args("bad".into()));
        assert_eq!(err.status_code(), 400);
    }

    #[test]
    fn errors_round_trip_through_json() {
        let err = AppError::Conflict("That identity already belongs to another account.".into());
        let json = serde_json::to_string(&err).unwrap_or_default();
        let back: AppError = serde_json::from_str(&json).unwrap_or(AppError::Internal);
        assert_eq!(back, err);
    }
}
