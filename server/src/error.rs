//! The one path from an error to an HTTP response.
//!
//! Every handler, extractor and middleware of the server answers a failure with an
//! [`HttpError`]: a status, a sentence for people (never internal detail: causes are logged,
//! see [`HttpError::internal`]) and what the status needs (`Retry-After`, a bearer challenge,
//! the problems of a refused configuration). Its `IntoResponse` sets the status and headers and
//! leaves the body to [`write_error_bodies`], the outermost layer, which knows the request and
//! picks the body's shape by the route's [`Family`]:
//!
//! - the management API and the other machine-read routes: Auth0's `{statusCode, error, message}`;
//! - server functions: their own encoding (a JSON `AppError` the form shows; a plain HTML form
//!   post without JavaScript goes back to its page with the error, as leptos does);
//! - pages: an HTML page that says what happened;
//! - the OpenID Provider's endpoints (next): RFC 6749 §5.2 `{error, error_description}`.
//!
//! A server function's own failures keep their encoding too: `app::error::AppError` sets the
//! status it stands for as it is encoded (`FromServerFnError::ser`), so no layer reads a body
//! back. Errors that libraries answer with (a body over the limit, a timeout, a method not
//! allowed) are given the family's shape here as well. A test fails on any 4xx/5xx status
//! named in server code outside this module.

use app::error::AppError;
use axum::{
    body::Body, extract::Request, http::header, http::header::HeaderValue, http::HeaderMap, http::Method, http::StatusCode,
    middleware::Next, response::IntoResponse, response::Response, Json,
};
use domain::profiling::ConfigProblem;
use leptos::server_fn::error::{ServerFnUrlError, SERVER_FN_ERROR_HEADER};
use serde::Serialize;
use utoipa::ToSchema;

/// The management API's error body, Auth0's shape.
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
    /// For refused answers (the prompt API, 422): the reason by field key, in the words
    /// `/welcome` shows.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub fields: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemBody {
    /// `fields.company.validation.pattern`, `stages.work.fields`, …
    pub location: String,
    pub message: String,
}

/// An OAuth 2.0 error body (RFC 6749 §5.2), for the OpenID Provider's endpoints.
#[derive(Debug, Serialize)]
struct OAuthErrorBody {
    error: &'static str,
    error_description: String,
}

/// Who reads the answer of a route, and so the shape of its error bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `/api/v2/…`, `/api/openapi.json`, `/api/docs`, `/api/me…`, `/api/prompt…`, `/admin/analytics.csv`.
    Api,
    /// Every other `/api/…` path: the app's server functions.
    ServerFn,
    /// The OpenID Provider's machine endpoints (`/oauth/…`, `/userinfo`, `/.well-known/…`).
    OAuth,
    /// Everything else: pages, sign-in redirects, assets.
    Page,
}

impl Family {
    pub fn of(path: &str) -> Family {
        const MACHINE_PATHS: [&str; 6] = ["/api/v2", "/api/openapi.json", "/api/docs", "/api/me", "/admin/analytics.csv", "/api/prompt"];
        const MACHINE_PREFIXES: [&str; 3] = ["/api/v2/", "/api/me/", "/api/prompt/"];
        if MACHINE_PATHS.contains(&path) || MACHINE_PREFIXES.iter().any(|p| path.starts_with(p)) {
            Family::Api
        } else if path.starts_with("/api/") {
            Family::ServerFn
        } else if path.starts_with("/oauth/") || path.starts_with("/.well-known/") || path == "/userinfo" {
            Family::OAuth
        } else {
            Family::Page
        }
    }
}

/// A failure, answered in the shape of the route it happened on (see the module's doc).
#[derive(Debug, Clone)]
pub struct HttpError {
    status: StatusCode,
    message: String,
    problems: Vec<(String, String)>,
    /// `problems` are refused answers by field key (422), written as `fields`.
    problems_are_fields: bool,
    /// What a server function's form shows; derived from the status when not given.
    app: Option<AppError>,
    retry_after_secs: Option<u64>,
    /// A 401 of the bearer-token API says how to authenticate (`WWW-Authenticate`).
    bearer_challenge: bool,
    /// A plain HTML form post refused this way goes back to its page with the error, as the
    /// server function would have answered (see [`HttpError::for_the_form`]).
    back_to_form: bool,
}

impl HttpError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            problems: Vec::new(),
            problems_are_fields: false,
            app: None,
            retry_after_secs: None,
            bearer_challenge: false,
            back_to_form: false,
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub(crate) fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, format!("{what} not found"))
    }

    pub(crate) fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    pub(crate) fn method_not_allowed(message: impl Into<String>) -> Self {
        Self::new(StatusCode::METHOD_NOT_ALLOWED, message)
    }

    pub(crate) fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, message)
    }

    /// No valid bearer token: 401 with the challenge.
    pub(crate) fn unauthorized() -> Self {
        Self { bearer_challenge: true, ..Self::new(StatusCode::UNAUTHORIZED, "Missing or invalid bearer token") }
    }

    /// Refused until `retry_after_secs` have passed (also sent as `Retry-After`).
    pub fn too_many(message: impl Into<String>, retry_after_secs: u64) -> Self {
        let message = message.into();
        Self {
            retry_after_secs: Some(retry_after_secs),
            app: Some(AppError::TooManyAttempts { message: message.clone(), retry_after_secs }),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, message)
        }
    }

    /// The server cannot answer just now (a dependency is down); people may try again.
    pub(crate) fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, message)
    }

    /// Logs `err` with its cause chain (as every internal error is logged) and answers 500.
    pub fn internal(context: &'static str, err: impl std::error::Error) -> Self {
        app::error::ssr::internal(context, err).into()
    }

    /// Answers that need attention: 422, with the reason by field key.
    pub fn invalid_answers(fields: std::collections::BTreeMap<String, String>) -> Self {
        Self {
            problems: fields.into_iter().collect(),
            problems_are_fields: true,
            ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "Some answers need attention.")
        }
    }

    pub fn problems(problems: Vec<ConfigProblem>) -> Self {
        let message = problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; ");
        Self {
            problems: problems.into_iter().map(|p| (p.location, p.message)).collect(),
            ..Self::bad_request(format!("The configuration was refused: {message}"))
        }
    }

    /// Refuses a server function's input the way the function itself would: a plain HTML form
    /// post (no JavaScript) goes back to its page, which shows the error by the form. Other
    /// refusals (a cross-site post, a rate limit) stay what they are.
    pub(crate) fn for_the_form(self) -> Self {
        Self { back_to_form: true, ..self }
    }

    /// What a server function's form shows for this error.
    fn app_error(&self) -> AppError {
        if let Some(app) = &self.app {
            return app.clone();
        }
        match self.status.as_u16() {
            401 => AppError::Unauthorized,
            403 => AppError::Refused(self.message.clone()),
            404 => AppError::NotFound,
            409 => AppError::Conflict(self.message.clone()),
            429 => AppError::TooManyAttempts { message: self.message.clone(), retry_after_secs: self.retry_after_secs.unwrap_or(60) },
            400..=499 => AppError::BadRequest(self.message.clone()),
            _ => AppError::Internal,
        }
    }

    /// The whole response for a request of `family`.
    /// `form_post`: the page (referrer) and the path of a plain HTML form post.
    fn render(self, family: Family, form_post: Option<(&str, &str)>) -> Response {
        let mut response = match family {
            Family::Api => {
                let (problems, fields) = if self.problems_are_fields {
                    (Vec::new(), self.problems.iter().cloned().collect())
                } else {
                    let problems = self
                        .problems
                        .iter()
                        .map(|(location, message)| ProblemBody { location: location.clone(), message: message.clone() });
                    (problems.collect(), std::collections::BTreeMap::new())
                };
                let body = ErrorBody {
                    status_code: self.status.as_u16(),
                    error: reason(self.status).to_string(),
                    message: self.message.clone(),
                    problems,
                    fields,
                };
                (self.status, Json(body)).into_response()
            }
            Family::ServerFn => {
                let error = self.app_error();
                match form_post.filter(|_| self.back_to_form).and_then(|(page, path)| back_to_form(page, path, &error)) {
                    // A plain form post: back to its page, which shows the error by the form.
                    Some(location) => return (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response(),
                    None => {
                        let body = serde_json::to_string(&error).unwrap_or_default();
                        (self.status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
                    }
                }
            }
            Family::OAuth => {
                let error = match self.status.as_u16() {
                    401 => "invalid_client",
                    403 => "access_denied",
                    429 | 503 => "temporarily_unavailable",
                    400..=499 => "invalid_request",
                    _ => "server_error",
                };
                let body = OAuthErrorBody { error, error_description: self.message.clone() };
                let mut response = (self.status, Json(body)).into_response();
                // RFC 6749 §5.1: error answers are not cached either.
                response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                response
            }
            Family::Page => (
                self.status,
                [(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"))],
                error_page(self.status, &self.message),
            )
                .into_response(),
        };
        self.add_headers(response.headers_mut());
        response
    }

    fn add_headers(&self, headers: &mut HeaderMap) {
        if let Some(secs) = self.retry_after_secs {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.bearer_challenge {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"askonce\""));
        }
    }
}

/// Sets the status and headers; the body is written by [`write_error_bodies`] for the route's
/// family.
impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = self.status;
        self.add_headers(response.headers_mut());
        response.extensions_mut().insert(Unwritten(self));
        response
    }
}

/// An error response whose body is still to be written.
#[derive(Clone)]
struct Unwritten(HttpError);

/// The app's error with its status (decided by [`AppError::status_code`] alone) and its
/// message; answers that failed validation list each problem in the message.
impl From<AppError> for HttpError {
    fn from(err: AppError) -> Self {
        let status = StatusCode::from_u16(err.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let message = match &err {
            AppError::Invalid(problems) => problems.iter().map(|(key, problem)| format!("{key}: {problem}")).collect::<Vec<_>>().join("; "),
            other => other.to_string(),
        };
        let retry_after_secs = match &err {
            AppError::TooManyAttempts { retry_after_secs, .. } => Some(*retry_after_secs),
            _ => None,
        };
        Self { retry_after_secs, app: Some(err), ..Self::new(status, message) }
    }
}

impl From<app::admin::users::DirectoryError> for HttpError {
    fn from(err: app::admin::users::DirectoryError) -> Self {
        match err {
            // The API names what it did not find.
            app::admin::users::DirectoryError::NotFound => HttpError::not_found("User"),
            other => AppError::from(other).into(),
        }
    }
}

impl From<app::admin::questions::ssr::QuestionsError> for HttpError {
    fn from(err: app::admin::questions::ssr::QuestionsError) -> Self {
        use app::admin::questions::ssr::QuestionsError as Q;
        use domain::profiling::edit::EditError;
        match err {
            Q::Edit(EditError::Problems(p)) => HttpError::problems(p),
            Q::Edit(EditError::NotFound(what)) => HttpError::new(StatusCode::NOT_FOUND, format!("There is no {what}")),
            Q::Profiling(services::profiling::ProfilingError::ConfigChanged) => HttpError::conflict(
                "The questions were changed by someone else since the revision in If-Match: read them again (new ETag), then make your change",
            ),
            Q::Profiling(e) => HttpError::internal("profiling configuration", e),
        }
    }
}

/// The outermost layer: writes the body of every error response for the route's family. An
/// [`HttpError`] is written as it is; an error answered by a library (no body of ours) gets its
/// status's sentence. A server function's own error (its encoding, with the
/// `serverfnerror` header) and a page the app rendered (HTML) pass untouched.
pub async fn write_error_bodies(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let family = Family::of(&path);
    let referrer = (request.method() == Method::POST && accepts_html(request.headers()))
        .then(|| request.headers().get(header::REFERER).and_then(|v| v.to_str().ok()).map(str::to_string))
        .flatten();
    let form_post = referrer.as_deref().map(|page| (page, path.as_str()));
    let mut response = next.run(request).await;
    let error = match response.extensions_mut().remove::<Unwritten>() {
        Some(Unwritten(error)) => error,
        None if (response.status().is_client_error() || response.status().is_server_error()) && !has_body_of_ours(response.headers()) => {
            HttpError::new(response.status(), library_sentence(response.status()))
        }
        None => return response,
    };
    let (parts, _) = response.into_parts();
    let mut written = error.render(family, form_post);
    // What the layers inside set stays: the session cookie, the CSP, `Allow` on a 405, ….
    for name in parts.headers.keys() {
        // (Not the old body's framing: the new one has its own.)
        if [header::CONTENT_TYPE, header::CONTENT_LENGTH, header::CONTENT_ENCODING, header::TRANSFER_ENCODING].contains(name)
            || written.headers().contains_key(name)
        {
            continue;
        }
        for value in parts.headers.get_all(name) {
            written.headers_mut().append(name.clone(), value.clone());
        }
    }
    written
}

/// A server function's encoded error, a page the app rendered, or JSON a handler wrote.
fn has_body_of_ours(headers: &HeaderMap) -> bool {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    headers.contains_key(SERVER_FN_ERROR_HEADER) || content_type.starts_with("text/html") || content_type.starts_with("application/json")
}

/// What people are told when a library refused the request.
fn library_sentence(status: StatusCode) -> String {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => "The request is too large.".into(),
        StatusCode::REQUEST_TIMEOUT => "The request took too long. Please try again.".into(),
        StatusCode::METHOD_NOT_ALLOWED => "That method is not allowed here.".into(),
        StatusCode::NOT_FOUND => AppError::NotFound.to_string(),
        s if s.is_server_error() => AppError::Internal.to_string(),
        s => reason(s).to_string(),
    }
}

fn reason(status: StatusCode) -> &'static str {
    status.canonical_reason().unwrap_or("Error")
}

pub(crate) use app::error::ssr::accepts_html;

/// Where a plain form post that failed goes: its page, with the error in the query where
/// leptos' `ServerAction` shows it by the form. Only ever a page of this site: the path and
/// query of the referrer, never its host (nor a path a browser reads as another host).
fn back_to_form(referrer: &str, server_fn_path: &str, error: &AppError) -> Option<HeaderValue> {
    let url = ServerFnUrlError::new(server_fn_path, error.clone()).to_url(referrer).ok()?;
    // A page is an http(s) URL with a path of this site; anything else goes home.
    let path = url.path();
    let web = matches!(url.scheme(), "http" | "https");
    let local = path.starts_with('/') && !path.starts_with("//") && !path.contains('\\');
    let path = if web && local { path } else { "/" };
    HeaderValue::from_str(&format!("{path}?{}", url.query().unwrap_or_default())).ok()
}

/// The page for an error on a page route: the status's name and the sentence, escaped.
fn error_page(status: StatusCode, message: &str) -> String {
    let title = html_escape::encode_text(reason(status));
    let message = html_escape::encode_text(message);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · AskOnce</title><link rel=\"stylesheet\" href=\"/pkg/askonce.css\"></head>\
         <body><main class=\"error-page\"><h1>{title}</h1><p>{message}</p><p><a href=\"/\">Back to the home page</a></p></main></body></html>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{body::to_bytes, middleware, routing::get, Router};
    use tower::ServiceExt;

    fn app(error: HttpError) -> Router {
        let failing = move || {
            let error = error.clone();
            async move { error }
        };
        Router::new().fallback(get(failing.clone()).post(failing)).layer(middleware::from_fn(write_error_bodies))
    }

    async fn call(router: Router, method: Method, path: &str, headers: &[(&str, &str)]) -> (StatusCode, HeaderMap, String) {
        let mut request = Request::builder().method(method).uri(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = router.oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
        let (parts, body) = response.into_parts();
        (parts.status, parts.headers, String::from_utf8(to_bytes(body, 1 << 20).await.unwrap().to_vec()).unwrap())
    }

    #[test]
    fn routes_are_told_apart_by_path() {
        assert_eq!(Family::of("/api/v2/users"), Family::Api);
        assert_eq!(Family::of("/api/openapi.json"), Family::Api);
        assert_eq!(Family::of("/api/docs"), Family::Api);
        assert_eq!(Family::of("/api/me"), Family::Api);
        assert_eq!(Family::of("/api/me/export"), Family::Api);
        assert_eq!(Family::of("/admin/analytics.csv"), Family::Api);
        assert_eq!(Family::of("/api/auth/password/sign_in"), Family::ServerFn);
        assert_eq!(Family::of("/api/meetings"), Family::ServerFn);
        assert_eq!(Family::of("/oauth/token"), Family::OAuth);
        assert_eq!(Family::of("/profile"), Family::Page);
        assert_eq!(Family::of("/admin/users"), Family::Page);
    }

    #[tokio::test]
    async fn the_api_answers_in_auth0_shape_with_its_challenge() {
        let (status, headers, body) = call(app(HttpError::unauthorized()), Method::GET, "/api/v2/users", &[]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(headers[header::WWW_AUTHENTICATE], "Bearer realm=\"askonce\"");
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body, serde_json::json!({"statusCode": 401, "error": "Unauthorized", "message": "Missing or invalid bearer token"}));
    }

    #[tokio::test]
    async fn server_functions_get_the_app_error_their_form_shows() {
        let (status, headers, body) = call(app(HttpError::too_many("Wait.", 42)), Method::POST, "/api/auth/password/sign_in", &[]).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(headers[header::RETRY_AFTER], "42");
        assert_eq!(
            serde_json::from_str::<AppError>(&body).unwrap(),
            AppError::TooManyAttempts { message: "Wait.".into(), retry_after_secs: 42 }
        );
    }

    #[tokio::test]
    async fn a_plain_form_post_goes_back_to_its_page_and_never_elsewhere() {
        let headers = [("accept", "text/html"), ("referer", "http://127.0.0.1:3000/login?return_to=/x")];
        let (status, response_headers, _) =
            call(app(HttpError::bad_request("Fix it.").for_the_form()), Method::POST, "/api/x", &headers).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let location = response_headers[header::LOCATION].to_str().unwrap();
        assert!(location.starts_with("/login?"), "{location}");
        assert!(location.contains("__err="), "{location}");
        let back = |referrer: &'static str| async move {
            let headers = [("accept", "text/html"), ("referer", referrer)];
            let refusal = HttpError::bad_request("Fix it.").for_the_form();
            let (_, response_headers, _) = call(app(refusal), Method::POST, "/api/profile/details", &headers).await;
            // No page to go back to is the JSON refusal: shown here as going nowhere but home.
            response_headers.get(header::LOCATION).map_or_else(|| "/?json".to_string(), |l| l.to_str().unwrap().to_string())
        };
        assert!(back("http://127.0.0.1:3000/profile").await.starts_with("/profile?__path=%2Fapi%2Fprofile%2Fdetails&__err="));
        assert!(back("https://evil.example/profile").await.starts_with("/profile?"), "the host is dropped");
        assert!(back("http://127.0.0.1:3000//evil.example/x").await.starts_with("/?"), "no protocol-relative path");
        assert!(back("a:\\\\evil.example/x").await.starts_with("/?"), "no page of another scheme");
        // Without a page to go back to: the JSON refusal.
        let refusal = HttpError::bad_request("Fix it.").for_the_form();
        let (status, _, body) = call(app(refusal), Method::POST, "/api/x", &[("accept", "text/html")]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(serde_json::from_str::<AppError>(&body).unwrap(), AppError::BadRequest("Fix it.".into()));
    }

    #[tokio::test]
    async fn other_refusals_of_a_form_post_stay_what_they_are() {
        let headers = [("accept", "text/html"), ("referer", "http://127.0.0.1:3000/login")];
        let (status, response_headers, body) =
            call(app(HttpError::forbidden("Cross-site request refused.")), Method::POST, "/api/auth/password/sign_in", &headers).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(!response_headers.contains_key(header::LOCATION));
        assert_eq!(serde_json::from_str::<AppError>(&body).unwrap(), AppError::Refused("Cross-site request refused.".into()));
    }

    #[tokio::test]
    async fn pages_get_an_escaped_html_page() {
        let (status, headers, body) = call(app(HttpError::forbidden("<script>alert(1)</script>")), Method::GET, "/profile", &[]).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
        assert!(body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{body}");
        assert!(!body.contains("<script>"), "{body}");
    }

    #[tokio::test]
    async fn the_provider_answers_in_oauth_shape() {
        let (status, headers, body) = call(app(HttpError::bad_request("No client.")), Method::POST, "/oauth/token", &[]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body, serde_json::json!({"error": "invalid_request", "error_description": "No client."}));
    }

    #[tokio::test]
    async fn a_library_refusal_gets_the_family_shape() {
        let router = Router::new()
            .route("/api/v2/users", get(|| async { StatusCode::METHOD_NOT_ALLOWED }))
            .layer(middleware::from_fn(write_error_bodies));
        let (status, _, body) = call(router, Method::GET, "/api/v2/users", &[]).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["statusCode"], 405);
    }
}

/// The OpenID Provider's machine endpoints answer errors in OAuth's shape: a JSON body with
/// `error` and `error_description` (RFC 6749 §5.2), never cached, with the challenge header a
/// client needs — Basic for a client that failed to authenticate with it, Bearer (RFC 6750
/// §3) for a refused access token. Pages of the provider (`/authorize`, the logout) use
/// [`HttpError`] like every page.
pub mod oauth {
    use axum::{
        http::{header, HeaderValue, StatusCode},
        response::{IntoResponse, Response},
        Json,
    };

    use super::OAuthErrorBody;

    /// Why the request failed, which decides the status.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Failure {
        /// 400: the request or grant is wrong.
        Request,
        /// 401 `invalid_client`; `basic`: the client tried HTTP Basic, so the answer
        /// challenges it (RFC 6749 §5.2).
        Client { basic: bool },
        /// 401 with a Bearer challenge: the access token is missing or refused.
        Bearer,
        /// 500: ours.
        Server,
    }

    /// The error answer: `error` (a registered code) and a sentence for the developer.
    pub fn error(failure: Failure, error: &'static str, description: &str) -> Response {
        let status = match failure {
            Failure::Request => StatusCode::BAD_REQUEST,
            Failure::Client { .. } | Failure::Bearer => StatusCode::UNAUTHORIZED,
            Failure::Server => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let mut response = (status, Json(OAuthErrorBody { error, error_description: description.to_string() })).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        match failure {
            Failure::Client { basic: true } => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"askonce\""));
            }
            Failure::Bearer => {
                // `error` is one of ours (a registered code), never the request's words.
                if let Ok(value) = HeaderValue::from_str(&format!("Bearer realm=\"askonce\", error=\"{error}\"")) {
                    headers.insert(header::WWW_AUTHENTICATE, value);
                }
            }
            _ => {}
        }
        response
    }
}
