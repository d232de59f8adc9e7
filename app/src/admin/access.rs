//! The console's guards: every admin page, server function and route checks the role on the
//! server (the browser is never trusted with it). Who *is* an admin is `auth::roles`.

#[cfg(feature = "ssr")]
pub mod ssr {
    use tower_sessions::Session;

    use crate::{
        auth::{
            ssr::{require_user, user_of_session},
            SessionUser,
        },
        error::{ssr::set_status, AppError},
        state::AppState,
    };

    /// The signed-in admin, or 401 (not signed in) / 403 (signed in, not an admin).
    pub async fn require_admin() -> Result<(AppState, SessionUser), AppError> {
        let state = AppState::current()?;
        let me = require_user().await?;
        if me.is_admin {
            Ok((state, me))
        } else {
            let err = AppError::Forbidden;
            set_status(&err);
            Err(err)
        }
    }

    /// The same check for plain axum handlers (CSV download): the admin's user id.
    pub async fn admin_of_session(state: &AppState, session: &Session) -> Result<String, AppError> {
        match user_of_session(state, session).await? {
            Some(me) if me.is_admin => Ok(me.user_id),
            Some(_) => Err(AppError::Forbidden),
            None => Err(AppError::Unauthorized),
        }
    }
}
