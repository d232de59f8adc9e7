//! A site owner's hook endpoint, as a real HTTP server on port 0: it checks each call's
//! signature with the secret it was given, keeps what it received, and answers as the test
//! tells it (a reply, a status, a redirect, a delay).

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Router,
};
use serde_json::Value;

/// How the endpoint answers.
#[derive(Debug, Clone)]
pub enum Answer {
    Json(Value),
    Status(u16),
    /// 302 to the endpoint's own `/elsewhere`, which counts its visits.
    Redirect,
    /// Waits, then answers `{}`.
    Slow(Duration),
}

/// One call received.
#[derive(Debug, Clone)]
pub struct Received {
    pub body: Value,
    pub raw: String,
    /// Whether the `AskOnce-Signature` header checked out with the secret at that time.
    pub signature_ok: bool,
}

#[derive(Debug)]
struct Inner {
    secret: Option<String>,
    answer: Answer,
    received: Vec<Received>,
    elsewhere_visits: usize,
}

#[derive(Clone)]
pub struct HookEndpoint {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
}

impl HookEndpoint {
    pub async fn start(answer: Answer) -> HookEndpoint {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port for the hook endpoint");
        let base = format!("http://{}", listener.local_addr().expect("its address"));
        let inner = Arc::new(Mutex::new(Inner { secret: None, answer, received: vec![], elsewhere_visits: 0 }));
        let endpoint = HookEndpoint { url: format!("{base}/hook"), inner };
        let router =
            Router::new().route("/hook", post(hook)).route("/elsewhere", get(elsewhere).post(elsewhere)).with_state(endpoint.clone());
        tokio::spawn(async move { axum::serve(listener, router).await.expect("the hook endpoint serves") });
        endpoint
    }

    /// The secret AskOnce showed when the hook was made.
    pub fn set_secret(&self, secret: &str) {
        self.inner.lock().expect("endpoint state").secret = Some(secret.to_string());
    }

    pub fn answer(&self, answer: Answer) {
        self.inner.lock().expect("endpoint state").answer = answer;
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().expect("endpoint state").received.clone()
    }

    pub fn elsewhere_visits(&self) -> usize {
        self.inner.lock().expect("endpoint state").elsewhere_visits
    }
}

async fn hook(State(endpoint): State<HookEndpoint>, headers: HeaderMap, body: Bytes) -> Response {
    let (answer, secret) = {
        let inner = endpoint.inner.lock().expect("endpoint state");
        (inner.answer.clone(), inner.secret.clone())
    };
    let header = headers.get("askonce-signature").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let now = chrono::Utc::now().timestamp();
    let signature_ok = secret.is_some_and(|s| services::hooks::signature::verify(&s, header, &body, now).is_ok());
    let raw = String::from_utf8_lossy(&body).to_string();
    let parsed = serde_json::from_slice(&body).unwrap_or(Value::Null);
    endpoint.inner.lock().expect("endpoint state").received.push(Received { body: parsed, raw, signature_ok });
    match answer {
        Answer::Json(value) => axum::Json(value).into_response(),
        Answer::Status(code) => StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR).into_response(),
        Answer::Redirect => (StatusCode::FOUND, [("location", "/elsewhere")]).into_response(),
        Answer::Slow(delay) => {
            tokio::time::sleep(delay).await;
            axum::Json(serde_json::json!({})).into_response()
        }
    }
}

async fn elsewhere(State(endpoint): State<HookEndpoint>) -> StatusCode {
    endpoint.inner.lock().expect("endpoint state").elsewhere_visits += 1;
    StatusCode::OK
}
