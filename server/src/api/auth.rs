//! Bearer tokens: who is calling and what they may do: an API token (`askonce token
//! create`, the console), or a machine application's access token from the token endpoint
//! (`client_credentials`, a JWT for the audience `<public_url>/api/v2/`, with the scopes the
//! application is allowed). Every handler takes a
//! [`Caller<N>`](Caller) whose type names the scopes it needs ([`needs`]): the extractor
//! refuses a request without a token (401) or without those scopes (403) before the handler
//! runs, so no handler can forget the check. A scope that depends on the body (app_metadata)
//! is checked in the handler with [`Caller::require`].

use std::marker::PhantomData;

use app::admin::api_tokens::{ssr::authenticate, Scope, TokenInfo, TOKEN_PREFIX};
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
        ReadClients => [ReadClients];
        CreateClients => [CreateClients];
        UpdateClients => [UpdateClients];
        DeleteClients => [DeleteClients];
        /// The prompt API for servers (`/api/v2/users/{id}/prompt`).
        PromptUsers => [PromptUsers];
    }
}

/// Who is calling.
pub enum Principal {
    /// An API token.
    Token(TokenInfo),
    /// A machine application, by its `client_credentials` access token.
    Machine { client_id: String, scopes: Vec<Scope> },
}

impl Principal {
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes().contains(&scope)
    }

    /// Every scope it holds (what it may hand a machine application).
    pub fn scopes(&self) -> &[Scope] {
        match self {
            Principal::Token(token) => &token.scopes,
            Principal::Machine { scopes, .. } => scopes,
        }
    }
}

/// The credential a request was authenticated with, holding at least the scopes of `N`.
pub struct Caller<N: Needs = needs::AnyScope>(pub Principal, PhantomData<N>);

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
        match &self.0 {
            Principal::Token(token) => services::audit::Actor::Api(&token.id),
            Principal::Machine { client_id, .. } => services::audit::Actor::Machine(client_id),
        }
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
        let principal = if presented.starts_with(TOKEN_PREFIX) {
            match authenticate(&state.db, presented, &state.admins).await {
                Ok(Some(token)) => Principal::Token(token),
                Ok(None) => return Err(HttpError::unauthorized()),
                Err(e) => return Err(HttpError::internal("checking an API token", e)),
            }
        } else {
            machine(&state, presented).await?
        };
        let caller = Caller(principal, PhantomData);
        for scope in N::SCOPES {
            caller.require(*scope)?;
        }
        Ok(caller)
    }
}

/// The machine application whose access token `presented` is.
async fn machine(state: &AppState, presented: &str) -> Result<Principal, HttpError> {
    use services::openid_provider::tokens::{verify_machine, TokenRefused};
    match verify_machine(&state.db, &state.provider, presented, chrono::Utc::now()).await {
        Ok(grant) => Ok(Principal::Machine {
            client_id: grant.client_id,
            // Scopes this release no longer knows are ignored rather than refused.
            scopes: grant.scopes.iter().filter_map(|s| s.parse().ok()).collect(),
        }),
        Err(TokenRefused::Invalid(why)) => {
            tracing::info!(%why, "an API bearer token was refused");
            Err(HttpError::unauthorized())
        }
        Err(TokenRefused::Revoked) => Err(HttpError::unauthorized()),
        Err(TokenRefused::Keys(e)) => Err(HttpError::internal("checking an application's access token", e)),
        Err(TokenRefused::Db(e)) => Err(HttpError::internal("checking an application's access token", e)),
    }
}
