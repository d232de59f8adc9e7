//! `/embed/…`: the embeddable prompt (`<askonce-prompt>`, `public/embed/prompt.js` and its
//! stylesheet), loaded by the site's other pages. A module script is fetched in CORS mode,
//! so these files say any origin may read them (they are public and carry nothing of anyone;
//! no credentials); `Cross-Origin-Resource-Policy: cross-origin` lets a host page that
//! isolates itself load them too. `no-cache`, like `/pkg`: a new deploy is picked up at once.

use std::path::Path;

use axum::{
    http::{header, HeaderValue},
    Router,
};
use tower_http::{services::ServeDir, set_header::SetResponseHeaderLayer};

/// Where the files are served from: `<site_root>/embed` (cargo-leptos copies `public/`).
pub fn router<S: Clone + Send + Sync + 'static>(site_root: &Path) -> Router<S> {
    let files = Router::new()
        .fallback_service(ServeDir::new(site_root.join("embed")))
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
        .layer(SetResponseHeaderLayer::overriding(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*")))
        .layer(SetResponseHeaderLayer::overriding(
            header::HeaderName::from_static("cross-origin-resource-policy"),
            HeaderValue::from_static("cross-origin"),
        ));
    Router::new().nest("/embed", files)
}
