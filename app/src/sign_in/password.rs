//! Signing in with an email and a password: the sign-in and sign-up forms' server functions,
//! and the sign-in a password reset ends with. Each checks the password its own way (under
//! the throttle), then enters the one sign-in flow (`services::sign_in::finish`).

use leptos::prelude::*;

use crate::error::AppError;

/// Signs in with email and password, then goes to `return_to` (a local path).
#[server(endpoint = "auth/password/sign_in")]
pub async fn password_sign_in(email: String, password: String, return_to: Option<String>) -> Result<(), AppError> {
    ssr::password_sign_in(email, password, return_to).await
}

/// Creates a local account, signs it in, then goes to `return_to`.
#[server(endpoint = "auth/password/sign_up")]
pub async fn password_sign_up(email: String, password: String, return_to: Option<String>) -> Result<(), AppError> {
    ssr::password_sign_up(email, password, return_to).await
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use std::time::Instant;

    use crate::{
        auth::ssr::client, auth::ssr::client_network, auth::ssr::locked, auth::ssr::must_verify_email, auth::ssr::session, auth::ReturnTo,
        error::ssr::internal, error::ssr::set_status, error::AppError, state::AppState,
    };
    use domain::{activity::EventKind, identity::PASSWORD_CONNECTION, profile::Email};
    use services::{
        activity::Client, auth::accounts, auth::throttle::AccountKey, sign_in::finish, sign_in::Authenticated, sign_in::Finished,
        sign_in::Services,
    };

    /// Signs `user_id` in on this browser after a password check (`kind`: a sign-in, the
    /// sign-up's first one, or the one a password reset ends with), records it, and sends the
    /// browser on: to `/verify-email` when the site requires a verified address this account
    /// lacks, else to `return_to` (through this sign-in's questions, except after a reset).
    async fn complete_login(
        user_id: &domain::user_id::UserId,
        kind: EventKind,
        client: Client,
        return_to: Option<String>,
    ) -> Result<(), AppError> {
        let state = AppState::current()?;
        let session = session().await?;
        let services = Services { db: &state.db, outbound: &state.outbound, site: &state.site, email_policy: state.email_policy };
        let who = Authenticated {
            user_id,
            connection: PASSWORD_CONNECTION,
            identity_user_id: user_id.as_str(),
            new_account: kind == EventKind::SignUp,
            client,
        };
        let user = match finish(&services, &session, who).await.map_err(|e| internal(e.doing, e))? {
            Finished::SignedIn(user) => user,
            Finished::Denied(message) => {
                // An application's sign-in: the application hears `access_denied`. A plain
                // form post goes there now; the hydrated login page does it after showing why.
                if let Some(id) = return_to.as_deref().and_then(services::openid_provider::authorizations::continued_by) {
                    services::openid_provider::authorizations::refused_by_hook(&state.db, &id, chrono::Utc::now())
                        .await
                        .map_err(|e| internal("recording a refused sign-in", e))?;
                    if crate::prompt::plain_form_post().await {
                        leptos_axum::redirect(&format!("/authorize/continue?id={}", domain::return_to::percent_encode(&id)));
                        return Ok(());
                    }
                }
                return Err(set_status(AppError::Refused(message)));
            }
        };
        let next = ReturnTo::or_home(return_to.as_deref());
        if must_verify_email(&state, &user).await? {
            leptos_axum::redirect(&format!("/verify-email?return_to={}", domain::return_to::percent_encode(next.as_str())));
        } else if kind == EventKind::PasswordReset {
            // Back into the account after a reset: straight to where it says so, no questions.
            leptos_axum::redirect(next.as_str());
        } else {
            leptos_axum::redirect(&next.via_welcome());
        }
        Ok(())
    }

    /// Checks email + password under the per-account failure limit (`super::throttle`). The
    /// limit is checked before any lookup or hashing and counts unknown emails like known
    /// ones, so a locked account and an unknown email look the same from outside.
    pub async fn password_sign_in(email: String, password: String, return_to: Option<String>) -> Result<(), AppError> {
        let state = AppState::current()?;
        let client = client().await;
        let network = client_network().await?;
        let account = AccountKey::for_login(&email);
        let throttle = &state.password_throttle;
        throttle.check(&account, network, Instant::now()).map_err(locked)?;
        let user = match accounts::sign_in_with_password(&state.db, &email, password).await {
            Ok(user) => user,
            Err(err @ accounts::AccountError::InvalidCredentials) => {
                throttle.record_failure(&account, network, Instant::now());
                // A wrong password for a real account shows in that account's activity —
                // recorded off the response path, so a real account answers as fast as an
                // unknown address.
                let db = state.db.clone();
                tokio::spawn(async move {
                    let recorded = match accounts::account_for_login(&db, &email).await {
                        Ok(Some(user_id)) => {
                            services::auth::sign_ins::refused(&db, &user_id, PASSWORD_CONNECTION, "wrong_password", client).await
                        }
                        Ok(None) => Ok(()),
                        Err(err) => Err(err),
                    };
                    if let Err(err) = recorded {
                        tracing::warn!(error = %err, "recording a refused sign-in failed");
                    }
                });
                return Err(err.into());
            }
            Err(accounts::AccountError::Blocked) => {
                // The right password for a blocked account: its activity shows the attempt.
                if let Ok(Some(user_id)) = accounts::account_for_login(&state.db, &email).await {
                    if let Err(err) = services::auth::sign_ins::refused(&state.db, &user_id, PASSWORD_CONNECTION, "blocked", client).await {
                        tracing::warn!(error = %err, "recording a refused sign-in failed");
                    }
                }
                return Err(accounts::AccountError::Blocked.into());
            }
            Err(err) => return Err(err.into()),
        };
        throttle.record_success(&account, network);
        complete_login(&user.user_id(), EventKind::SignIn, client, return_to).await
    }

    /// Creates the account, emails the link that verifies its address, and signs it in. A
    /// message that could not be queued is logged, not fatal: the account exists, and
    /// /profile can send the link again.
    pub(crate) async fn password_sign_up(email: String, password: String, return_to: Option<String>) -> Result<(), AppError> {
        let state = AppState::current()?;
        let client = client().await;
        let email = Email::parse(&email).map_err(|e| AppError::BadRequest(e.to_string()))?;
        let user = accounts::sign_up_with_password(&state.db, &email, password).await?;
        if let Err(err) = services::auth::verification::send(&state.db, &state.site, &user, client.clone()).await {
            tracing::error!(error = %err, "queuing the verification message of a new account failed");
        }
        complete_login(&user.user_id(), EventKind::SignUp, client, return_to).await
    }

    /// The reset page's form: the new password through the link, then a fresh session here
    /// (every other one ended), landing on /profile with a word about it.
    pub(crate) async fn reset_password_and_sign_in(token: String, password: String) -> Result<(), AppError> {
        let client = client().await;
        let state = AppState::current()?;
        let user_id = services::auth::recovery::reset_password(&state.db, &state.site, &token, password, client.clone()).await?;
        complete_login(&user_id, EventKind::PasswordReset, client, Some("/profile?saved=password_reset".into())).await
    }
}
