//! Bearer tokens: who is calling and what they may do. Every handler takes a [`Caller`] and
//! names the scope it needs; no token is 401, a token without the scope is 403.

use app::admin::api_tokens::{ssr::authenticate, Scope, TokenInfo};
use app::state::AppState;
use axum::{extract::FromRequestParts, http::request::Parts, http::StatusCode};

use super::error::ApiError;

pub struct Caller(pub TokenInfo);

impl Caller {
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.0.allows(scope) {
            Ok(())
        } else {
            Err(ApiError::new(StatusCode::FORBIDDEN, format!("Insufficient scope; this needs {scope}")))
        }
    }

    /// For the audit log.
    pub fn actor(&self) -> (&'static str, Option<&str>) {
        ("api", Some(self.0.id.as_str()))
    }
}

impl<S> FromRequestParts<S> for Caller
where
    AppState: axum::extract::FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let presented = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or_else(ApiError::unauthorized)?;
        let state = <AppState as axum::extract::FromRef<S>>::from_ref(state);
        match authenticate(&state.db, presented, &state.admins).await {
            Ok(Some(token)) => Ok(Caller(token)),
            Ok(None) => Err(ApiError::unauthorized()),
            Err(e) => Err(ApiError::internal("checking an API token", e)),
        }
    }
}
