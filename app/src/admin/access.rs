//! The console's guards: every admin page, server function and route checks the role on the
//! server (the browser is never trusted with it). Who *is* an admin is `auth::roles`.

#[cfg(feature = "ssr")]
pub mod ssr {
    use crate::{auth::ssr::require_user, auth::SessionUser, error::ssr::set_status, error::AppError, state::AppState};

    /// The signed-in admin, or 401 (not signed in) / 403 (signed in, not an admin).
    pub(crate) async fn require_admin() -> Result<(AppState, SessionUser), AppError> {
        let state = AppState::current()?;
        let me = require_user().await?;
        if me.is_admin {
            Ok((state, me))
        } else {
            Err(set_status(AppError::Forbidden))
        }
    }
}
