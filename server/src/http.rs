//! The HTTP surface: pages and server functions (leptos), `/pkg` assets, the routes of
//! `routes/` and `api/`, and — in [`router`], the one place that orders them — the layers of
//! `middleware/` every request passes through.

use std::{
    path::PathBuf,
    sync::{Arc, OnceLock},
    time::Duration,
};

use app::{shell, state::AppState, App};
use axum::{
    extract::DefaultBodyLimit,
    http::{header, HeaderValue, StatusCode},
    middleware,
    routing::get,
    Router,
};
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tower_http::{
    compression::CompressionLayer, limit::RequestBodyLimitLayer, services::ServeDir, set_header::SetResponseHeaderLayer,
    timeout::TimeoutLayer, trace::TraceLayer,
};

use crate::{
    api, config::Settings, connections::ConnectionRegistry, error::write_error_bodies, middleware::client_ip,
    middleware::client_ip::TrustedProxies, middleware::csp, middleware::csrf, middleware::form_posts, middleware::nul_input,
    middleware::rate_limit, middleware::rate_limit::AuthRateLimit, middleware::render_limit, middleware::required_stage,
    routes::analytics_csv, routes::auth as auth_routes, routes::embed, routes::external_form as external_form_routes, routes::health,
    routes::me, routes::openid_provider as openid_provider_routes, routes::prompt_api, sessions,
};

/// Builds the whole router for `state`.
pub fn router(state: AppState, settings: &Settings, session_store: sessions::AppSessionStore, registry: Arc<ConnectionRegistry>) -> Router {
    let options = state.leptos_options.clone();
    let routes = route_list().to_vec();
    let pkg_dir = PathBuf::from(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());

    // The wasm/js/css names do not change between builds, so browsers must revalidate them:
    // `no-cache` still lets them reuse their copy after a cheap 304 (ServeDir answers
    // If-Modified-Since), while a new deploy is picked up at once and never hydrates a new
    // page with an old bundle.
    let pkg = Router::new()
        .fallback_service(ServeDir::new(pkg_dir))
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-cache")));

    let max_body = settings.server.max_body_bytes;
    let csp_sources = csp::CspSources {
        registry: registry.clone(),
        forms: services::external_form::FormOrigins::new(state.db.clone()),
        db: state.db.clone(),
    };
    let mut client_limits = settings.rate_limit.password_failure_limits();
    client_limits.per_account = u32::MAX;
    let openid_provider = openid_provider_routes::router(openid_provider_routes::ProviderRoutes {
        app: state.clone(),
        provider: state.provider.clone(),
        client_throttle: Arc::new(services::auth::throttle::PasswordThrottle::new(client_limits)),
    });
    let auth = auth_routes::router(auth_routes::AuthRoutes {
        db: state.db.clone(),
        registry,
        site: state.site.clone(),
        email_policy: state.email_policy,
        outbound: state.outbound.clone(),
    });
    let limits = AuthRateLimit::new(settings.rate_limit.auth_per_minute, settings.rate_limit.auth_burst);
    let proxies = TrustedProxies::new(&settings.server.trusted_proxies, settings.server.forwarded_header);
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/api/me", get(me::my_profile))
        .route("/api/me/export", get(me::export))
        .route("/admin/analytics.csv", get(analytics_csv::download))
        .merge(api::router())
        .nest("/pkg", pkg)
        .merge(auth)
        .merge(external_form_routes::router())
        .merge(openid_provider)
        .merge(prompt_api::router(prompt_api::PromptRoutes::new(state.clone())))
        .merge(embed::router(&PathBuf::from(options.site_root.as_ref())))
        .merge(pages(&state, routes, render_limit::RenderLimit::new(settings.server.max_concurrent_renders)))
        // After the session policy (an ended session holds nobody), before every route.
        .layer(middleware::from_fn_with_state(state.clone(), required_stage::hold_at_required_stage))
        .layer(middleware::from_fn_with_state(
            sessions::SessionPolicy {
                db: state.db.clone(),
                absolute_limit_secs: i64::from(settings.session.absolute_timeout_minutes) * 60,
                idle_limit_secs: i64::from(settings.session.idle_timeout_minutes) * 60,
            },
            sessions::enforce_session_policy,
        ))
        .layer(sessions::layer(session_store, settings))
        .layer(middleware::from_fn_with_state(limits, rate_limit::limit_auth))
        // Before anything that uses the client address: one resolution for all of them.
        .layer(middleware::from_fn_with_state(proxies, client_ip::resolve_client_ip))
        // Text with a NUL never reaches a handler (PostgreSQL cannot store it).
        .layer(middleware::from_fn_with_state(max_body, nul_input::refuse_nul_in_forms))
        .layer(middleware::from_fn(nul_input::refuse_nul_in_uri))
        .layer(middleware::from_fn_with_state(csrf::PublicOrigin(settings.public_origin()), csrf::refuse_cross_site))
        .layer(CompressionLayer::new())
        // Both: axum's extractors honour DefaultBodyLimit, and the tower layer also stops
        // bodies that a handler streams itself. Oversize requests get 413.
        .layer(DefaultBodyLimit::max(max_body))
        .layer(RequestBodyLimitLayer::new(max_body))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(settings.server.request_timeout_secs)))
        // Outside every layer that may refuse: each error's body in its route's shape; inside
        // the CSP and security headers, which then see the page it writes.
        .layer(middleware::from_fn(write_error_bodies))
        .layer(middleware::from_fn_with_state(csp_sources, csp::content_security_policy))
        .layer(security_headers())
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .with_state(state)
}

/// The pages (and server functions) leptos serves, with their fallback (assets, 404 page).
/// Pages render with the nonce the CSP header names (see `csp`); GETs wait for a render slot;
/// a failed server function answers with its error's status (`app::error::AppError` sets it as
/// it is encoded), and one that a plain form posted sends the browser back to the form's page
/// with the error (see `form_posts`).
fn pages(state: &AppState, routes: Vec<AxumRouteListing>, limit: render_limit::RenderLimit) -> Router<AppState> {
    let options = state.leptos_options.clone();
    Router::new()
        .leptos_routes_with_context(state, routes, csp::provide_request_nonce, move || shell(options.clone()))
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(csp::provide_request_nonce, shell))
        .layer(middleware::from_fn_with_state(limit, render_limit::limit_page_renders))
        .layer(middleware::from_fn(form_posts::redirect_failed_form_posts))
}

/// The span of one request: method and path only. tower-http's default records the whole URI,
/// whose query carries authorization codes and states on the sign-in callback.
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    tracing::debug_span!("request", method = %request.method(), path = %request.uri().path())
}

/// The app's routes, listed once per process.
///
/// Listing runs the whole app with resource loading switched off by a process-wide flag
/// (leptos_server's `SuppressResourceLoad`): a resource that a concurrent page render first
/// polls inside that window never resolves, and its response hangs until the request
/// timeout (leptos-rs/leptos#4773). One server lists before it serves, but several in one
/// process — the HTTP test suites start one per test — would race; `OnceLock` makes every
/// later router wait for the single listing instead.
pub fn route_list() -> &'static [AxumRouteListing] {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App))
}

/// Headers every response carries unless a handler chose otherwise.
fn security_headers() -> tower::layer::util::Stack<
    SetResponseHeaderLayer<HeaderValue>,
    tower::layer::util::Stack<SetResponseHeaderLayer<HeaderValue>, SetResponseHeaderLayer<HeaderValue>>,
> {
    tower::layer::util::Stack::new(
        // Nobody may frame the sign-in pages (clickjacking).
        SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        tower::layer::util::Stack::new(
            SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            // Keeps paths and query strings (codes, states) out of other sites' logs.
            SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin")),
        ),
    )
}

#[cfg(test)]
mod tests {
    // Listing renders the app, which spawns its tasks on the tokio runtime.
    #[tokio::test]
    async fn routes_are_listed_once_per_process() {
        let first = super::route_list();
        assert!(first.iter().any(|route| route.path() == "/admin/users/{id}"), "{:?}", first.iter().map(|r| r.path()).collect::<Vec<_>>());
        // The same allocation: a second router never runs the listing (and its process-wide
        // "resources off" window) again.
        assert!(std::ptr::eq(first, super::route_list()));
    }
}
