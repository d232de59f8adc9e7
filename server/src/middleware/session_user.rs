//! The signed-in person for plain axum handlers (`/api/me`, the analytics CSV): the same
//! check the server functions make (`app::auth::ssr::user_of_session` — a deleted or blocked
//! user's session ends), as extractors, so no handler reads the session its own way.

use app::{auth::ssr::user_of_session, auth::SessionUser, error::AppError, state::AppState};
use axum::{
    extract::{FromRef, FromRequestParts},
    http::request::Parts,
};
use tower_sessions::Session;

use crate::error::HttpError;

/// The signed-in, unblocked person; 401 otherwise (403 while `[email] require_verified` holds
/// them back, as `app::auth::ssr::require_user` does).
pub struct RequireUser(pub SessionUser);

/// The signed-in admin; 401 when nobody is signed in, 403 for anyone else.
pub struct RequireAdmin(pub SessionUser);

impl<S> FromRequestParts<S> for RequireUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state).await.map_err(|(_, message)| {
            tracing::error!(message, "session layer missing in front of a signed-in handler");
            HttpError::from(AppError::Internal)
        })?;
        match user_of_session(&AppState::from_ref(state), &session).await? {
            Some(user) if user.must_verify_email => Err(AppError::Refused(app::auth::ssr::VERIFY_FIRST.to_string()).into()),
            Some(user) => Ok(RequireUser(user)),
            None => Err(AppError::Unauthorized.into()),
        }
    }
}

impl<S> FromRequestParts<S> for RequireAdmin
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let RequireUser(user) = RequireUser::from_request_parts(parts, state).await?;
        if user.is_admin {
            Ok(RequireAdmin(user))
        } else {
            Err(AppError::Forbidden.into())
        }
    }
}
