//! The management API's errors, in Auth0's shape: `{statusCode, error, message}` (plus the
//! list of `problems` when a configuration change is refused).

use app::{error::AppError, profiling::ConfigProblem};
use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub status_code: u16,
    /// The HTTP reason phrase (`Bad Request`, `Forbidden`, …).
    pub error: String,
    pub message: String,
    /// For a refused configuration change: every problem, with where it is.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<ProblemBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemBody {
    /// `fields.company.validation.pattern`, `stages.work.fields`, …
    pub location: String,
    pub message: String,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub problems: Vec<ConfigProblem>,
    /// A 401 of the bearer-token API says how to authenticate (`WWW-Authenticate`); one of
    /// the cookie-session endpoints does not.
    bearer_challenge: bool,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into(), problems: Vec::new(), bearer_challenge: false }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, format!("{what} not found"))
    }

    pub fn unauthorized() -> Self {
        Self { bearer_challenge: true, ..Self::new(StatusCode::UNAUTHORIZED, "Missing or invalid bearer token") }
    }

    /// Logs `err` with its cause chain (as every internal error is logged) and answers 500.
    pub fn internal(context: &'static str, err: impl std::error::Error) -> Self {
        app::error::ssr::internal(context, err).into()
    }

    pub fn problems(problems: Vec<ConfigProblem>) -> Self {
        let message = problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; ");
        Self { problems, ..Self::bad_request(format!("The configuration was refused: {message}")) }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            status_code: self.status.as_u16(),
            error: self.status.canonical_reason().unwrap_or("Error").to_string(),
            message: self.message,
            problems: self.problems.into_iter().map(|p| ProblemBody { location: p.location, message: p.message }).collect(),
        };
        let mut response = (self.status, Json(body)).into_response();
        if self.bearer_challenge {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"askonce\""));
        }
        response
    }
}

/// The app's error with its status (decided by [`AppError::status_code`] alone) and its
/// message; answers that failed validation list each problem in the message.
impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        let status = StatusCode::from_u16(err.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let message = match &err {
            AppError::Invalid(problems) => problems.iter().map(|(key, problem)| format!("{key}: {problem}")).collect::<Vec<_>>().join("; "),
            other => other.to_string(),
        };
        Self::new(status, message)
    }
}

impl From<app::admin::users::DirectoryError> for ApiError {
    fn from(err: app::admin::users::DirectoryError) -> Self {
        match err {
            // The API names what it did not find.
            app::admin::users::DirectoryError::NotFound => ApiError::not_found("User"),
            other => AppError::from(other).into(),
        }
    }
}

impl From<app::admin::questions::ssr::QuestionsError> for ApiError {
    fn from(err: app::admin::questions::ssr::QuestionsError) -> Self {
        use app::{admin::questions::ssr::QuestionsError as Q, profiling::edit::EditError};
        match err {
            Q::Edit(EditError::Problems(p)) => ApiError::problems(p),
            Q::Edit(EditError::NotFound(what)) => ApiError::new(StatusCode::NOT_FOUND, format!("There is no {what}")),
            Q::Profiling(app::profiling::ssr::ProfilingError::ConfigChanged) => ApiError::new(
                StatusCode::CONFLICT,
                "The questions were changed by someone else since the revision in If-Match: read them again (new ETag), then make your change",
            ),
            Q::Profiling(e) => ApiError::internal("profiling configuration", e),
        }
    }
}
