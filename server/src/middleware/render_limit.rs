//! A bound on page renders in flight (`server.max_concurrent_renders`).
//!
//! Why: a server-rendered page holds its reactive tree, its resources' data and its HTML in
//! memory until it has rendered to the end. A thousand clients at once each held one, so
//! memory grew with connections rather than with work the two cores could do (BENCHMARKS.md,
//! "Load"). Past the bound, a render waits for a slot, inside the request timeout (408 when
//! none frees in time); its connection costs only the request it sent.
//!
//! Only requests without a body take a slot (GET and HEAD: pages, and the page fallback). A
//! limit in front of every request let slow bodies hold all the slots — a client that trickles
//! a form post would then stall every page. Likewise a slow *reader* must not hold one: the
//! page (in-order streaming, so nothing reaches the browser before its first part is
//! complete anyway) is rendered to the end inside the slot, and only the finished HTML — a
//! few tens of kilobytes — waits for the client to read it.

use std::sync::Arc;

use crate::error::HttpError;
use axum::{
    body::Body,
    extract::{Request, State},
    http::Method,
    middleware::Next,
    response::{IntoResponse, Response},
};
use tokio::sync::Semaphore;

/// The largest page the server renders (a page is tens of kilobytes; this only stops a bug
/// from buffering without end).
const MAX_PAGE_BYTES: usize = 8 * 1024 * 1024;

/// The shared slots. Cheap to clone.
#[derive(Clone, Debug)]
pub struct RenderLimit(Arc<Semaphore>);

impl RenderLimit {
    /// `max` renders at once (at least one).
    pub fn new(max: usize) -> Self {
        Self(Arc::new(Semaphore::new(max.max(1))))
    }

    /// Slots free right now.
    #[cfg(test)]
    fn available(&self) -> usize {
        self.0.available_permits()
    }
}

/// Middleware: a GET or HEAD waits for a slot and keeps it until its page has rendered.
pub(crate) async fn limit_page_renders(State(limit): State<RenderLimit>, request: Request, next: Next) -> Response {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    // The semaphore is never closed, so acquiring fails only in theory; serving then is
    // better than refusing.
    let Ok(_slot) = limit.0.clone().acquire_owned().await else {
        return next.run(request).await;
    };
    let (parts, body) = next.run(request).await.into_parts();
    match axum::body::to_bytes(body, MAX_PAGE_BYTES).await {
        Ok(html) => Response::from_parts(parts, Body::from(html)),
        Err(error) => {
            tracing::error!(%error, "a page failed while rendering");
            HttpError::from(app::error::AppError::Internal).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use axum::{middleware, routing::get, Router};
    use tokio::sync::mpsc;
    use tower::ServiceExt;

    /// A route whose body streams what the test sends, and ends when the sender is dropped.
    fn app(limit: RenderLimit, chunks: mpsc::Receiver<&'static str>) -> Router {
        let chunks = Arc::new(std::sync::Mutex::new(Some(chunks)));
        let page = move || {
            let rx = chunks.lock().unwrap().take().expect("one page request per test");
            async move {
                Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
                    rx.recv().await.map(|c| (Ok::<_, std::io::Error>(c), rx))
                }))
            }
        };
        Router::new()
            .route("/page", get(page))
            .route("/form", axum::routing::post(|| async { "posted" }))
            .layer(middleware::from_fn_with_state(limit, limit_page_renders))
    }

    fn request(method: Method, uri: &str) -> Request {
        Request::builder().method(method).uri(uri).body(Body::empty()).unwrap()
    }

    async fn settle() {
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test]
    async fn a_page_holds_its_slot_until_it_has_rendered_and_not_while_it_is_read() {
        let limit = RenderLimit::new(2);
        let (tx, rx) = mpsc::channel(4);
        let render = tokio::spawn(app(limit.clone(), rx).oneshot(request(Method::GET, "/page")));
        settle().await;
        // Still rendering (its stream has not ended): the slot is taken.
        assert_eq!(limit.available(), 1);
        assert!(!render.is_finished());
        tx.send("<p>hello</p>").await.unwrap();
        drop(tx);
        let response = render.await.unwrap().unwrap();
        // Rendered: the slot is free before the client has read a byte.
        assert_eq!(limit.available(), 2);
        let body = axum::body::to_bytes(response.into_body(), 1024).await.unwrap();
        assert_eq!(&body[..], b"<p>hello</p>");
    }

    #[tokio::test]
    async fn a_client_that_goes_away_frees_the_slot() {
        let limit = RenderLimit::new(1);
        let (_tx, rx) = mpsc::channel(4);
        let render = tokio::spawn(app(limit.clone(), rx).oneshot(request(Method::GET, "/page")));
        settle().await;
        assert_eq!(limit.available(), 0);
        render.abort();
        let _ = render.await;
        assert_eq!(limit.available(), 1);
    }

    #[tokio::test]
    async fn requests_with_a_body_take_no_slot() {
        let limit = RenderLimit::new(1);
        let (_tx, rx) = mpsc::channel(4);
        let router = app(limit.clone(), rx);
        let page = tokio::spawn(router.clone().oneshot(request(Method::GET, "/page")));
        settle().await;
        assert_eq!(limit.available(), 0);
        // Every slot is taken by the page, and a post still goes through at once.
        let posted = router.oneshot(request(Method::POST, "/form")).await.unwrap();
        let body = axum::body::to_bytes(posted.into_body(), 1024).await.unwrap();
        assert_eq!(&body[..], b"posted");
        page.abort();
    }

    #[tokio::test]
    async fn a_render_past_the_bound_waits_for_a_slot() {
        let limit = RenderLimit::new(1);
        let (tx, rx) = mpsc::channel(4);
        let first = tokio::spawn(app(limit.clone(), rx).oneshot(request(Method::GET, "/page")));
        settle().await;
        let (_tx2, rx2) = mpsc::channel(4);
        let second = tokio::spawn(app(limit.clone(), rx2).oneshot(request(Method::GET, "/page")));
        // It cannot start while the first holds the only slot...
        settle().await;
        assert!(!second.is_finished());
        assert_eq!(limit.available(), 0);
        // ...and starts once the first has rendered (it then waits for its own page).
        drop(tx);
        assert_eq!(first.await.unwrap().unwrap().status(), 200);
        settle().await;
        assert_eq!(limit.available(), 0, "the second render holds the slot now");
        second.abort();
    }
}
