//! Bearer tokens: who is calling and what they may do. Every handler takes a
//! [`Caller<N>`](Caller) whose type names the scopes it needs ([`needs`]): the extractor
//! refuses a request without a token (401) or without those scopes (403) before the handler
//! runs, so no handler can forget the check. A scope that depends on the body (app_metadata)
//! is checked in the handler with [`Caller::require`].

use std::marker::PhantomData;

use app::admin::api_tokens::{ssr::authenticate, Scope, TokenInfo};
use app::state::AppState;
use axum::{extract::FromRequestParts, http::request::Parts};

use crate::error::HttpError;

/// The scopes an operation needs, as a type.
pub trait Needs: Send + Sync + 'static {
    const SCOPES: &'static [Scope];
}

/// The scope sets operations need.
pub mod needs {
    use super::{Needs, Scope};

    macro_rules! needs {
        ($($(#[$doc:meta])* $name:ident => [$($scope:ident),*];)*) => {$(
            $(#[$doc])*
            pub struct $name;
            impl Needs for $name {
                const SCOPES: &'static [Scope] = &[$(Scope::$scope),*];
            }
        )*};
    }

    needs! {
        /// A valid token, whatever its scopes (the handler checks what the body asks for).
        AnyScope => [];
        ReadUsers => [ReadUsers];
        CreateUsers => [CreateUsers];
        UpdateUsers => [UpdateUsers];
        DeleteUsers => [DeleteUsers];
        /// Linking removes the linked-in user: an update and a deletion.
        UpdateAndDeleteUsers => [UpdateUsers, DeleteUsers];
        ReadStages => [ReadStages];
        UpdateStages => [UpdateStages];
        ReadHooks => [ReadHooks];
        UpdateHooks => [UpdateHooks];
    }
}

/// The token a request was authenticated with, holding at least the scopes of `N`.
pub struct Caller<N: Needs = needs::AnyScope>(pub TokenInfo, PhantomData<N>);

impl<N: Needs> Caller<N> {
    pub fn require(&self, scope: Scope) -> Result<(), HttpError> {
        if self.0.allows(scope) {
            Ok(())
        } else {
            Err(HttpError::forbidden(format!("Insufficient scope; this needs {scope}")))
        }
    }

    /// For the audit log.
    pub fn actor(&self) -> services::audit::Actor<'_> {
        services::audit::Actor::Api(&self.0.id)
    }
}

impl<S, N> FromRequestParts<S> for Caller<N>
where
    AppState: axum::extract::FromRef<S>,
    S: Send + Sync,
    N: Needs,
{
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let presented = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or_else(HttpError::unauthorized)?;
        let state = <AppState as axum::extract::FromRef<S>>::from_ref(state);
        match authenticate(&state.db, presented, &state.admins).await {
            Ok(Some(token)) => {
                let caller = Caller(token, PhantomData);
                for scope in N::SCOPES {
                    caller.require(*scope)?;
                }
                Ok(caller)
            }
            Ok(None) => Err(HttpError::unauthorized()),
            Err(e) => Err(HttpError::internal("checking an API token", e)),
        }
    }
}
