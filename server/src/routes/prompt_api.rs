//! The prompt API: an application's pages (or its server) ask in context with AskOnce's
//! engine — `GET /api/prompt` (the stage due at a place), `POST /api/prompt/shown` (it was
//! rendered), `/answers` and `/skip`. This module checks the caller; what is asked and stored
//! is `crate::prompting`'s (shared with the management API's `/api/v2/users/{id}/prompt`):
//! the same decision, validation, consents and events as `/welcome`.
//!
//! - Authenticated by a prompt token only (RFC 8693 token exchange at `/oauth/token`:
//!   `services::openid_provider::tokens::verify_prompt`): one person, one application, scope
//!   `prompt`, at most 15 minutes. Cookies are never read, so the cookie CSRF check does not
//!   apply (`middleware::csrf`) and a required stage does not hold these paths.
//! - CORS without credentials, for the token's own application's `web_origins` only: a
//!   preflight is answered for any registered web origin (it carries no token), the request
//!   itself only for an origin of the application the token was issued to. Every answer
//!   says `Vary: Origin`.
//! - Rate-limited per network (every request, preflights included, before any database
//!   work), per token, per person and per application.

use std::{net::IpAddr, num::NonZeroU32, sync::Arc, time::Duration};

use app::state::AppState;
use axum::{
    extract::{Query, Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::{get, post},
    Router,
};
use chrono::Utc;
use domain::profiling::headless::{self, AnswersBody, Place, StageBody};
use governor::{clock::Clock, DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::Deserialize;
use services::{
    net::{ClientIp, ClientNetwork},
    openid_provider::tokens::{verify_prompt, PromptGrant, TokenRefused},
};

use crate::{
    api::ApiJson,
    error::HttpError,
    prompting::{Asking, Refused},
};

/// Requests one network (an IPv4 address, an IPv6 /64) may make, whatever it sends.
const PER_NETWORK_PER_MINUTE: u32 = 600;
const PER_NETWORK_BURST: u32 = 120;
/// Requests one prompt token may make: a page view is two or three (read, shown, answer).
const PER_TOKEN_PER_MINUTE: u32 = 60;
const PER_TOKEN_BURST: u32 = 20;
/// Requests for one person, whatever tokens they hold: signing in again and again mints more
/// tokens, not more requests.
const PER_PERSON_PER_MINUTE: u32 = 120;
const PER_PERSON_BURST: u32 = 40;
/// Requests all the pages of one application may make together.
const PER_CLIENT_PER_MINUTE: u32 = 6000;
const PER_CLIENT_BURST: u32 = 600;

#[derive(Clone)]
pub struct PromptRoutes {
    pub app: AppState,
    per_network: Arc<DefaultKeyedRateLimiter<ClientNetwork>>,
    per_token: Arc<DefaultKeyedRateLimiter<String>>,
    per_person: Arc<DefaultKeyedRateLimiter<String>>,
    per_client: Arc<DefaultKeyedRateLimiter<String>>,
}

impl PromptRoutes {
    pub fn new(app: AppState) -> Self {
        let quota = |per_minute: u32, burst: u32| {
            Quota::per_minute(NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN))
                .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN))
        };
        let per_network = Arc::new(RateLimiter::keyed(quota(PER_NETWORK_PER_MINUTE, PER_NETWORK_BURST)));
        let per_token = Arc::new(RateLimiter::keyed(quota(PER_TOKEN_PER_MINUTE, PER_TOKEN_BURST)));
        let per_person = Arc::new(RateLimiter::keyed(quota(PER_PERSON_PER_MINUTE, PER_PERSON_BURST)));
        let per_client = Arc::new(RateLimiter::keyed(quota(PER_CLIENT_PER_MINUTE, PER_CLIENT_BURST)));
        // Forget idle keys now and then so the tables do not grow without bound.
        let networks = Arc::downgrade(&per_network);
        let keyed = [Arc::downgrade(&per_token), Arc::downgrade(&per_person), Arc::downgrade(&per_client)];
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                let Some(networks) = networks.upgrade() else { break };
                networks.retain_recent();
                for limiter in keyed.iter().filter_map(std::sync::Weak::upgrade) {
                    limiter.retain_recent();
                }
            }
        });
        Self { app, per_network, per_token, per_person, per_client }
    }
}

pub fn router<S: Clone + Send + Sync + 'static>(state: PromptRoutes) -> Router<S> {
    Router::new()
        .route(headless::PROMPT_PATH, get(due).options(preflight))
        .route(headless::SHOWN_PATH, post(shown).options(preflight))
        .route(headless::ANSWERS_PATH, post(answers).options(preflight))
        .route(headless::SKIP_PATH, post(skip).options(preflight))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), cors))
        .with_state(state)
}

/// A response whose `Origin` may not read it (the token's application does not list it).
#[derive(Clone, Copy)]
struct OriginRefused;

/// CORS: `Vary: Origin` always; `Access-Control-Allow-Origin` for a registered web origin
/// unless the handler refused that origin for this token. Never credentials.
async fn cors(State(s): State<PromptRoutes>, request: Request, next: Next) -> Response {
    let origin = request.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()).map(str::to_string);
    let preflight = request.method() == Method::OPTIONS;
    // Per network first, preflights included: nothing below costs a database read before it.
    // (`client_ip::resolve_client_ip` runs first; without it every request shares one quota.)
    let network = request.extensions().get::<ClientIp>().map_or_else(|| ClientNetwork::of(IpAddr::from([0, 0, 0, 0])), |ip| ip.network());
    let mut response = match limit(&s.per_network, network, "your network") {
        Ok(()) => next.run(request).await,
        Err(refused) => refused.into_response(),
    };
    let refused = response.extensions().get::<OriginRefused>().is_some();
    let headers = response.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    let Some(origin) = origin.filter(|_| !refused) else { return response };
    let registered = match services::openid_provider::clients::is_web_origin(&s.app.db, &origin).await {
        Ok(registered) => registered,
        Err(err) => {
            tracing::warn!(error = %err, "could not read the applications' web origins");
            false
        }
    };
    if let (true, Ok(value)) = (registered, HeaderValue::from_str(&origin)) {
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        if preflight {
            headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST"));
            headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("authorization, content-type"));
            headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
        }
    }
    response
}

async fn preflight() -> StatusCode {
    StatusCode::NO_CONTENT
}

/// The caller, checked: a live prompt token, within its limits, from its application's
/// origin (or from no browser at all).
struct Caller {
    grant: PromptGrant,
}

impl Caller {
    async fn check(s: &PromptRoutes, headers: &HeaderMap) -> Result<Caller, Refused> {
        let token = bearer(headers).ok_or_else(HttpError::unauthorized)?;
        // The signature part: unique per token, and no database work before the limit.
        let token_key = token.rsplit('.').next().unwrap_or_default().chars().take(86).collect::<String>();
        limit(&s.per_token, token_key, "this prompt token")?;
        let grant = match verify_prompt(&s.app.db, &s.app.provider, &token, Utc::now()).await {
            Ok(grant) => grant,
            Err(TokenRefused::Db(err)) => return Err(HttpError::internal("checking a prompt token", err).into()),
            Err(TokenRefused::Keys(err)) => return Err(HttpError::internal("checking a prompt token", err).into()),
            Err(refused) => {
                tracing::info!(reason = %refused, "the prompt API refused a token");
                return Err(HttpError::unauthorized().into());
            }
        };
        limit(&s.per_person, grant.user_id.as_str().to_string(), "this person")?;
        limit(&s.per_client, grant.client_id.clone(), "this application")?;
        if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
            if !grant.web_origins.iter().any(|o| o == origin) {
                tracing::warn!(client = %grant.client_id, origin, "a prompt token used from another origin");
                let message = "This prompt token's application does not list this page's origin in its web origins.";
                let mut refused = HttpError::forbidden(message).into_response();
                refused.extensions_mut().insert(OriginRefused);
                return Err(Refused(Box::new(refused)));
            }
        }
        Ok(Caller { grant })
    }

    /// Asking at `place`, as this application may name it: an address must be on one of its
    /// origins.
    fn at<'a>(&'a self, app: &'a AppState, place: Result<Place, headless::PlaceProblem>) -> Result<Asking<'a>, Refused> {
        let place = place.map_err(|p| HttpError::bad_request(p.to_string()))?;
        if let Some(origin) = place.page.as_ref().and_then(|p| p.origin()) {
            if !self.grant.web_origins.iter().any(|o| o == origin) {
                return Err(HttpError::bad_request("page must be on one of the application's web origins").into());
            }
        }
        Ok(Asking { app, person: &self.grant.person, client_id: &self.grant.client_id, place })
    }
}

fn limit<K: Clone + Eq + std::hash::Hash>(limiter: &DefaultKeyedRateLimiter<K>, key: K, whose: &str) -> Result<(), Refused> {
    limiter.check_key(&key).map_err(|not_until| {
        let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now()).as_secs().max(1);
        tracing::warn!(whose, "prompt API rate limit reached");
        HttpError::too_many(format!("Too many prompt requests for {whose}. Wait {wait} seconds and try again."), wait).into()
    })
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string()).filter(|t| !t.is_empty())
}

#[derive(Debug, Deserialize)]
struct DueQuery {
    #[serde(default)]
    moment: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    page: Option<String>,
}

/// `GET /api/prompt?moment=article&tags=rust,web&page=/articles/rust`.
#[tracing::instrument(skip_all)]
async fn due(State(s): State<PromptRoutes>, headers: HeaderMap, Query(q): Query<DueQuery>) -> Result<Response, Refused> {
    let caller = Caller::check(&s, &headers).await?;
    caller.at(&s.app, Place::parse(&q.moment, &q.tags, q.page.as_deref()))?.due().await
}

/// `POST /api/prompt/shown`.
#[tracing::instrument(skip_all)]
async fn shown(State(s): State<PromptRoutes>, headers: HeaderMap, ApiJson(body): ApiJson<StageBody>) -> Result<Response, Refused> {
    let caller = Caller::check(&s, &headers).await?;
    caller.at(&s.app, body.place())?.shown(&body.stage).await
}

/// `POST /api/prompt/answers`.
#[tracing::instrument(skip_all)]
async fn answers(State(s): State<PromptRoutes>, headers: HeaderMap, ApiJson(body): ApiJson<AnswersBody>) -> Result<Response, Refused> {
    let caller = Caller::check(&s, &headers).await?;
    caller.at(&s.app, body.place())?.answer(&body).await
}

/// `POST /api/prompt/skip`.
#[tracing::instrument(skip_all)]
async fn skip(State(s): State<PromptRoutes>, headers: HeaderMap, ApiJson(body): ApiJson<StageBody>) -> Result<Response, Refused> {
    let caller = Caller::check(&s, &headers).await?;
    caller.at(&s.app, body.place())?.skip(&body.stage).await
}
