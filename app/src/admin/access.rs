//! Who may use the console and the management API's session routes: people flagged admin in
//! the database (`askonce admin grant`), and people whose *verified* email is named in
//! `askonce.toml` (`admins = [...]`). Checked on the server for every admin page, server
//! function and route — the browser is never trusted with it.

use std::{collections::BTreeSet, sync::Arc};

/// Emails named as admins in the configuration, lower-cased.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfiguredAdmins(Arc<BTreeSet<String>>);

impl ConfiguredAdmins {
    pub fn new<I: IntoIterator<Item = S>, S: AsRef<str>>(emails: I) -> Self {
        Self(Arc::new(emails.into_iter().map(|e| e.as_ref().trim().to_lowercase()).collect()))
    }

    pub fn contains(&self, email_normalized: &str) -> bool {
        self.0.contains(email_normalized)
    }
}

/// Whether a user is an admin. A configured email counts only once a provider has verified
/// it: otherwise anyone could sign up with a password under the owner's address first.
pub fn is_admin(flagged: bool, email_normalized: Option<&str>, email_verified: bool, configured: &ConfiguredAdmins) -> bool {
    flagged || (email_verified && email_normalized.is_some_and(|e| configured.contains(e)))
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use chrono::Utc;
    use sea_orm::{sea_query::Expr, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
    use tower_sessions::Session;

    use crate::{
        auth::{ssr::{require_user, user_of_session}, SessionUser},
        entities::users,
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

    /// Sets or clears the admin flag of every account with `email`; how many there were.
    pub async fn set_admin(db: &impl ConnectionTrait, email: &str, admin: bool) -> Result<u64, DbErr> {
        let result = users::Entity::update_many()
            .col_expr(users::Column::IsAdmin, Expr::value(admin))
            .col_expr(users::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(users::Column::EmailNormalized.eq(email.trim().to_lowercase()))
            .exec(db)
            .await?;
        if result.rows_affected > 0 {
            let action = if admin { "admin.granted" } else { "admin.revoked" };
            super::super::audit::record(db, "cli", None, action, None, serde_json::json!({ "accounts": result.rows_affected })).await?;
        }
        Ok(result.rows_affected)
    }

    #[cfg(all(test, feature = "test-support"))]
    mod tests {
        use super::*;
        use crate::{auth::accounts::sign_up_with_password, profile::Email};

        crate::db_test!(granting_and_revoking_flags_the_account_by_email, |db| {
            let user = sign_up_with_password(db, &Email::parse("Owner@Example.com").unwrap(), "a long passphrase".into()).await.unwrap();
            assert_eq!(set_admin(db, "owner@example.com", true).await.unwrap(), 1);
            let flagged = users::Entity::find_by_id(user.id.clone()).one(db).await.unwrap().unwrap();
            assert!(flagged.is_admin);
            assert_eq!(set_admin(db, "OWNER@example.com", false).await.unwrap(), 1);
            let cleared = users::Entity::find_by_id(user.id).one(db).await.unwrap().unwrap();
            assert!(!cleared.is_admin);
            assert_eq!(set_admin(db, "nobody@example.com", true).await.unwrap(), 0);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configured_email_counts_only_when_verified() {
        let configured = ConfiguredAdmins::new([" Owner@Example.com "]);
        assert!(is_admin(false, Some("owner@example.com"), true, &configured));
        assert!(!is_admin(false, Some("owner@example.com"), false, &configured), "unverified");
        assert!(!is_admin(false, Some("other@example.com"), true, &configured));
        assert!(!is_admin(false, None, true, &configured));
        assert!(is_admin(true, None, false, &configured), "granted in the database");
    }
}
