//! What the browser session remembers about the signed-in person.

use domain::user_id::UserId;

use chrono::Utc;
use tower_sessions::Session;

const USER_ID: &str = "auth.user_id";
const PROVIDER: &str = "auth.provider";
const HANDLE: &str = "auth.handle";
const AUTHENTICATED_AT: &str = "auth.at";
/// The same moment in milliseconds: `prompt=login` and `max_age` need a sign-in after a
/// request made within the same second.
const AUTHENTICATED_AT_MS: &str = "auth.at_ms";
const TOUCHED_AT: &str = "auth.touched";
/// How the person proved who they are: the connection (`password` for a password).
const METHOD: &str = "auth.method";
/// Set once this sign-in is known to have no required question stage due
/// (`profiling::required`): later requests skip the check.
const NOTHING_REQUIRED: &str = "profiling.nothing_required";
const DENIED: &str = "auth.denied";

#[derive(Debug, thiserror::Error)]
#[error("session store failed: {0}")]
pub struct SessionError(#[from] tower_sessions::session::Error);

impl From<SessionError> for crate::error::ServiceError {
    fn from(err: SessionError) -> Self {
        crate::error::internal("session store error", err)
    }
}

/// Starts a signed-in session whose row in "Where you are signed in" is `handle` (registered
/// first, so a signed-in session always has one: see [`is_incomplete`]). The session id is
/// replaced first, so an id planted in the browser before login (session fixation) is
/// worthless afterwards.
pub async fn sign_in(session: &Session, user_id: &UserId, handle: &str, connection: &str) -> Result<(), SessionError> {
    session.cycle_id().await?;
    session.insert(USER_ID, user_id).await?;
    session.insert(METHOD, connection).await?;
    let now = Utc::now();
    session.insert(AUTHENTICATED_AT, now.timestamp()).await?;
    session.insert(AUTHENTICATED_AT_MS, now.timestamp_millis()).await?;
    session.insert(HANDLE, handle).await?;
    session.insert(TOUCHED_AT, Utc::now().timestamp()).await?;
    // A new sign-in (maybe of someone else) is checked afresh for required stages.
    session.remove::<bool>(NOTHING_REQUIRED).await?;
    Ok(())
}

/// Keeps why a hook refused a provider sign-in, for the login page the browser goes to next.
pub async fn remember_denial(session: &Session, message: &str) -> Result<(), SessionError> {
    session.insert(DENIED, message).await?;
    Ok(())
}

/// The refusal [`remember_denial`] kept, once.
pub async fn take_denial(session: &Session) -> Result<Option<String>, SessionError> {
    // Looked up first: `remove` marks the session changed even when the key is absent, and
    // the login page would then write the session on every view.
    if session.get::<String>(DENIED).await?.is_none() {
        return Ok(None);
    }
    Ok(session.remove::<String>(DENIED).await?)
}

/// Whether this sign-in was found to have no required question stage due.
pub async fn nothing_required(session: &Session) -> Result<bool, SessionError> {
    Ok(session.get::<bool>(NOTHING_REQUIRED).await?.unwrap_or(false))
}

/// Remembers, for the rest of this sign-in, that no required question stage is due: a
/// required stage is a login-time stage, so one added later is due at the next sign-in.
pub async fn remember_nothing_required(session: &Session) -> Result<(), SessionError> {
    session.insert(NOTHING_REQUIRED, true).await?;
    Ok(())
}

/// How long after the last recorded use a signed-in session records its use again: a
/// minute, or a quarter of the idle limit when that is shorter (so a session in use never
/// reaches its idle deadline between two records).
pub(crate) fn touch_interval_secs(idle_secs: i64) -> i64 {
    (idle_secs / 4).clamp(1, 60)
}

/// Whether a signed-in session last recorded as used at `touched_at` must record `now`.
/// Sessions from before this record existed (`None`) record at once.
pub(crate) fn needs_touch(touched_at: Option<i64>, now: i64, idle_secs: i64) -> bool {
    touched_at.is_none_or(|at| now.saturating_sub(at) >= touch_interval_secs(idle_secs))
}

/// Moves a signed-in session's idle deadline forward, at most once per
/// [`touch_interval_secs`]. The store writes a session only when it changed (tower-sessions
/// without `always_save`), so without this an active session would end `idle` after it
/// signed in; with `always_save` every page view would be a database write. Returns whether
/// it recorded the use (the session is then saved with a new expiry after the response).
pub async fn touch(session: &Session, idle_secs: i64) -> Result<bool, SessionError> {
    if session.get::<String>(USER_ID).await?.is_none() {
        return Ok(false);
    }
    let now = Utc::now().timestamp();
    if needs_touch(session.get::<i64>(TOUCHED_AT).await?, now, idle_secs) {
        session.insert(TOUCHED_AT, now).await?;
        return Ok(true);
    }
    Ok(false)
}

/// A signed-in session without its device row or its sign-in time cannot be listed, ended
/// from another device or held to the absolute limit: it is ended instead (sessions from
/// before those records existed sign in once more).
pub(crate) fn is_incomplete(signed_in: bool, has_handle: bool, has_signed_in_at: bool) -> bool {
    signed_in && !(has_handle && has_signed_in_at)
}

/// Ends `session` if [`is_incomplete`]; whether it did.
pub async fn end_if_incomplete(session: &Session) -> Result<bool, SessionError> {
    let signed_in = session.get::<String>(USER_ID).await?.is_some();
    let has_handle = session.get::<String>(HANDLE).await?.is_some();
    let has_at = session.get::<i64>(AUTHENTICATED_AT).await?.is_some();
    if is_incomplete(signed_in, has_handle, has_at) {
        session.flush().await?;
        return Ok(true);
    }
    Ok(false)
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
pub(crate) fn past_absolute_limit(authenticated_at: i64, now: i64, limit_secs: i64) -> bool {
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

/// A signed-in session's authentication, as the OpenID Provider reports it.
#[derive(Debug, Clone)]
pub struct Authentication {
    /// When the person signed in (Unix seconds): `auth_time`.
    pub at: i64,
    /// The same, in milliseconds.
    pub at_ms: i64,
    /// The session's row in "Where you are signed in".
    pub handle: String,
    /// The connection that vouched (`Username-Password-Authentication` for a password); None
    /// for a session signed in before AskOnce kept it.
    pub method: Option<String>,
}

/// How and when this session's person signed in, if they did.
pub async fn authentication(session: &Session) -> Result<Option<Authentication>, SessionError> {
    let (Some(at), Some(handle)) = (session.get::<i64>(AUTHENTICATED_AT).await?, session.get::<String>(HANDLE).await?) else {
        return Ok(None);
    };
    let method = session.get::<String>(METHOD).await?;
    let at_ms = session.get::<i64>(AUTHENTICATED_AT_MS).await?.unwrap_or(at.saturating_mul(1000));
    Ok(Some(Authentication { at, at_ms, handle, method }))
}

/// The handle of this session's row in the signed-in sessions list.
pub async fn handle(session: &Session) -> Result<Option<String>, SessionError> {
    Ok(session.get::<String>(HANDLE).await?)
}

#[cfg(test)]
mod tests {
    use super::past_absolute_limit;

    #[test]
    fn a_signed_in_session_missing_its_device_row_or_sign_in_time_is_incomplete() {
        use super::is_incomplete;
        assert!(!is_incomplete(true, true, true));
        assert!(is_incomplete(true, false, true));
        assert!(is_incomplete(true, true, false));
        assert!(!is_incomplete(false, false, false), "signed out: nothing to end");
    }

    #[test]
    fn a_session_in_use_records_its_use_once_a_minute_at_most() {
        use super::{needs_touch, touch_interval_secs};
        let three_days = 3 * 86_400;
        assert!(needs_touch(None, 1_000, three_days), "sessions without the record write it");
        assert!(!needs_touch(Some(1_000), 1_059, three_days));
        assert!(needs_touch(Some(1_000), 1_060, three_days));
        // A short idle limit records more often than it could expire.
        assert_eq!(touch_interval_secs(120), 30);
        assert_eq!(touch_interval_secs(1), 1);
        assert!(needs_touch(Some(1_000), 1_030, 120));
    }

    #[test]
    fn sessions_end_after_the_absolute_limit_however_active() {
        let day = 86_400;
        assert!(!past_absolute_limit(0, 29 * day, 30 * day));
        assert!(past_absolute_limit(0, 30 * day + 1, 30 * day));
    }
}
