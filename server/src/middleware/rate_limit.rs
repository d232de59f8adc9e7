//! Rate limits on the endpoints people guess passwords or replay callbacks at: the password
//! server functions and the provider start/callback routes. Keyed by client network (the
//! address `client_ip` resolved; an IPv6 client by its /64); a refused request gets 429
//! with `Retry-After` and a sentence saying what to do.

use std::{net::IpAddr, num::NonZeroU32, sync::Arc, time::Duration};

use crate::error::HttpError;
use axum::{
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use governor::{clock::Clock, DefaultKeyedRateLimiter, Quota, RateLimiter};
use services::net::{ClientIp, ClientNetwork};

/// Paths that are limited: everything that checks a credential or finishes a sign-in, and
/// the OpenID Provider's authorization endpoint (each request stores an authorization in
/// flight and a session: anonymous writes, like `/auth/…/start`).
pub(crate) fn is_limited(path: &str) -> bool {
    path.starts_with("/api/auth/")
        || (path.starts_with("/auth/") && (path.ends_with("/start") || path.ends_with("/callback")))
        || path == "/authorize"
}

#[derive(Clone)]
pub struct AuthRateLimit {
    limiter: Arc<DefaultKeyedRateLimiter<ClientNetwork>>,
}

impl AuthRateLimit {
    /// `per_minute` sustained, with bursts of `burst`.
    pub fn new(per_minute: NonZeroU32, burst: NonZeroU32) -> Self {
        let quota = Quota::per_minute(per_minute).allow_burst(burst);
        let limiter = Arc::new(RateLimiter::keyed(quota));
        // Forget idle clients now and then so the table does not grow without bound.
        let janitor = Arc::downgrade(&limiter);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                match janitor.upgrade() {
                    Some(l) => l.retain_recent(),
                    None => break,
                }
            }
        });
        Self { limiter }
    }

    /// `Err(seconds to wait)` when `network` is over its quota.
    pub fn check(&self, network: ClientNetwork) -> Result<(), u64> {
        self.limiter.check_key(&network).map_err(|not_until| {
            let clock = governor::clock::DefaultClock::default();
            not_until.wait_time_from(clock.now()).as_secs().max(1)
        })
    }
}

pub(crate) async fn limit_auth(State(limit): State<AuthRateLimit>, request: Request, next: Next) -> Response {
    if !is_limited(request.uri().path()) {
        return next.run(request).await;
    }
    // `client_ip::resolve_client_ip` runs first; without it every request shares one quota.
    let network = request.extensions().get::<ClientIp>().map_or_else(|| ClientNetwork::of(IpAddr::from([0, 0, 0, 0])), |ip| ip.network());
    match limit.check(network) {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            tracing::warn!(%network, path = %request.uri().path(), "sign-in rate limit reached");
            let message = format!("Too many sign-in attempts from your network. Wait {wait} seconds and try again.");
            // A server function's form shows the sentence (the error module answers in its shape).
            HttpError::too_many(message, wait).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_credential_and_callback_paths_are_limited() {
        assert!(is_limited("/api/auth/password/sign_in"));
        assert!(is_limited("/auth/google/start"));
        assert!(is_limited("/auth/google/callback"));
        assert!(!is_limited("/"));
        assert!(!is_limited("/api/check_status123"));
        assert!(!is_limited("/authors"));
    }

    #[tokio::test]
    async fn a_burst_beyond_the_quota_is_refused_and_other_clients_are_not_affected() {
        let limit = AuthRateLimit::new(NonZeroU32::new(1).unwrap(), NonZeroU32::new(3).unwrap());
        let a = ClientNetwork::of(IpAddr::from([10, 0, 0, 1]));
        for _ in 0..3 {
            assert!(limit.check(a).is_ok());
        }
        let wait = limit.check(a).unwrap_err();
        assert!(wait >= 1);
        assert!(limit.check(ClientNetwork::of(IpAddr::from([10, 0, 0, 2]))).is_ok());
    }

    #[tokio::test]
    async fn an_ipv6_client_is_limited_per_slash_64_not_per_address() {
        let limit = AuthRateLimit::new(NonZeroU32::new(1).unwrap(), NonZeroU32::new(3).unwrap());
        let ip = |s: &str| ClientNetwork::of(s.parse().unwrap());
        // Rotating through the addresses of one /64 (what every IPv6 host can do) does not
        // give fresh quotas.
        for i in 1..=3 {
            assert!(limit.check(ip(&format!("2001:db8:aa:bb::{i}"))).is_ok());
        }
        assert!(limit.check(ip("2001:db8:aa:bb:ffff::4")).is_err());
        assert!(limit.check(ip("2001:db8:aa:bc::1")).is_ok(), "the next /64 is someone else");
        // An IPv4-mapped address is the IPv4 client it stands for.
        for _ in 0..3 {
            assert!(limit.check(ip("192.0.2.7")).is_ok());
        }
        assert!(limit.check(ip("::ffff:192.0.2.7")).is_err());
    }
}
