//! What the browser session remembers about the signed-in person (server only).

use chrono::Utc;
use tower_sessions::Session;

const USER_ID: &str = "auth.user_id";
const PROVIDER: &str = "auth.provider";
const HANDLE: &str = "auth.handle";
const AUTHENTICATED_AT: &str = "auth.at";

#[derive(Debug, thiserror::Error)]
#[error("session store failed: {0}")]
pub struct SessionError(#[from] tower_sessions::session::Error);

/// Starts a signed-in session. The session id is replaced first, so an id planted in the
/// browser before login (session fixation) is worthless afterwards.
pub async fn sign_in(session: &Session, user_id: &str) -> Result<(), SessionError> {
    session.cycle_id().await?;
    session.insert(USER_ID, user_id).await?;
    session.insert(AUTHENTICATED_AT, Utc::now().timestamp()).await?;
    Ok(())
}

/// The signed-in user's id, if any.
pub async fn user_id(session: &Session) -> Result<Option<String>, SessionError> {
    Ok(session.get::<String>(USER_ID).await?)
}

/// Ends the session: its record is deleted from the store, not just forgotten by the browser.
pub async fn sign_out(session: &Session) -> Result<(), SessionError> {
    session.flush().await?;
    Ok(())
}

/// Remembers the connection and ID token of a provider sign-in, for RP-initiated logout.
pub async fn remember_provider(session: &Session, connection: &str, id_token: &str) -> Result<(), SessionError> {
    session.insert(PROVIDER, (connection, id_token)).await?;
    Ok(())
}

/// The connection and ID token this session signed in with, if it was a provider.
pub async fn provider(session: &Session) -> Result<Option<(String, String)>, SessionError> {
    Ok(session.get::<(String, String)>(PROVIDER).await?)
}

/// Whether a sign-in at `authenticated_at` (Unix seconds) is past the absolute limit.
pub fn past_absolute_limit(authenticated_at: i64, now: i64, limit_secs: i64) -> bool {
    now.saturating_sub(authenticated_at) > limit_secs
}

/// Ends the session when its sign-in is older than `limit_secs`, whatever its activity.
/// Returns whether it did.
pub async fn enforce_absolute_limit(session: &Session, limit_secs: i64) -> Result<bool, SessionError> {
    let Some(at) = session.get::<i64>(AUTHENTICATED_AT).await? else {
        return Ok(false);
    };
    if past_absolute_limit(at, Utc::now().timestamp(), limit_secs) {
        session.flush().await?;
        return Ok(true);
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::past_absolute_limit;

    #[test]
    fn sessions_end_after_the_absolute_limit_however_active() {
        let day = 86_400;
        assert!(!past_absolute_limit(0, 29 * day, 30 * day));
        assert!(past_absolute_limit(0, 30 * day + 1, 30 * day));
    }
}

/// The handle of this session's row in the signed-in sessions list.
pub async fn set_handle(session: &Session, handle: &str) -> Result<(), SessionError> {
    session.insert(HANDLE, handle).await?;
    Ok(())
}

pub async fn handle(session: &Session) -> Result<Option<String>, SessionError> {
    Ok(session.get::<String>(HANDLE).await?)
}
