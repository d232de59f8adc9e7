//! The accept loop: what `axum::serve` does, plus the timer hyper needs to enforce its header
//! read timeout. Without a timer hyper ignores the timeout, and a client that sends its
//! request headers a byte at a time holds a connection and a task for as long as it likes
//! (slowloris); `request_timeout_secs` only starts once the headers are in. Graceful shutdown
//! as before: stop accepting, let the requests in flight finish.

use std::{future::Future, net::SocketAddr, pin::pin, time::Duration};

use axum::{extract::ConnectInfo, Extension, Router};
use hyper::server::conn::http1;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
    service::TowerToHyperService,
};
use tokio::net::TcpListener;
use tower::Layer;

/// Serves `router` on `listener` until `shutdown` completes, then stops accepting and waits
/// for open connections to finish their requests. A client must send its whole header section
/// within `header_read_timeout`.
pub async fn serve(listener: TcpListener, router: Router, header_read_timeout: Duration, shutdown: impl Future<Output = ()>) {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(header_read_timeout);
    let graceful = GracefulShutdown::new();
    let mut shutdown = pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(err) => {
                        // Out of file descriptors and the like: wait rather than spin (as axum does).
                        tracing::warn!(error = %err, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                // What `into_make_service_with_connect_info` gives handlers: the TCP peer.
                let service = Extension(ConnectInfo::<SocketAddr>(peer)).layer(router.clone());
                let connection = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    if let Err(err) = connection.await {
                        tracing::debug!(error = %err, %peer, "connection ended with an error");
                    }
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    graceful.shutdown().await;
}
