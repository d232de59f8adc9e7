//! Signing in and out: local accounts, the session user, the login page, guards, and safe
//! return addresses.

#[cfg(feature = "ssr")]
pub mod accounts;
#[cfg(feature = "ssr")]
pub mod devices;
pub mod login_page;
pub mod password;
pub mod return_to;
pub mod roles;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod throttle;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub use login_page::LoginPage;

#[cfg(test)]
mod tests {
    use super::login_error_message;

    #[test]
    fn every_callback_error_code_has_its_own_sentence() {
        let codes =
            ["provider_unavailable", "cancelled", "expired", "invalid_response", "linked_elsewhere", "blocked", "unknown_connection"];
        let generic = login_error_message("something else");
        for code in codes {
            assert_ne!(login_error_message(code), generic, "{code}");
        }
    }
}
pub use return_to::ReturnTo;

use crate::error::AppError;

/// Who is signed in, as the pages need it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub user_id: String,
    /// Name, else nickname, else email.
    pub display_name: String,
    pub email: Option<String>,
    pub picture: Option<String>,
    pub logins_count: i32,
    /// May use the console (`/admin`).
    pub is_admin: bool,
}

/// What the login page offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInChoices {
    pub connections: Vec<crate::identity::ConnectionSummary>,
    pub password: bool,
}

/// The enabled connections and whether local accounts are offered.
#[server]
pub async fn login_options() -> Result<SignInChoices, AppError> {
    let state = crate::state::AppState::current()?;
    Ok(SignInChoices { connections: state.connections.summaries(), password: state.connections.password_enabled() })
}

/// The sentence for a `?error=` code the sign-in callback sends people back with.
pub fn login_error_message(code: &str) -> &'static str {
    match code {
        "provider_unavailable" => {
            "That sign-in provider cannot be reached right now. Try again in a moment, or use another way to sign in."
        }
        "cancelled" => "Sign-in was cancelled at the provider.",
        "expired" => "That sign-in attempt expired or was already used. Please start again.",
        "invalid_response" => "The provider's answer could not be verified, so you were not signed in. Please try again.",
        "linked_elsewhere" => "That account is already linked to another profile here. Sign in with it and unlink it there first.",
        "blocked" => "This account is blocked. Contact the site owner.",
        "unknown_connection" => "That sign-in option does not exist.",
        _ => "Sign-in failed. Please try again.",
    }
}

/// The signed-in user, or `None`.
#[server]
pub async fn current_user() -> Result<Option<SessionUser>, AppError> {
    ssr::current_user().await
}

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

/// Ends the session on the server and goes home.
#[server(endpoint = "auth/logout")]
pub async fn logout() -> Result<(), AppError> {
    ssr::logout().await
}

#[cfg(feature = "ssr")]
pub mod ssr {
    //! The server functions' bodies: get context, call a service, map the error.

    use std::time::Instant;

    use sea_orm::EntityTrait;
    use tower_sessions::Session;

    use super::{
        accounts, session,
        throttle::{AccountKey, Locked},
        ReturnTo, SessionUser,
    };
    use crate::{
        entities::users,
        error::{
            ssr::{internal, set_status},
            AppError,
        },
        net::{ClientIp, ClientNetwork},
        profile::Email,
        state::AppState,
    };

    pub async fn session() -> Result<Session, AppError> {
        leptos_axum::extract::<Session>().await.map_err(|e| internal("session layer missing", e))
    }

    /// The client address the server resolved for this request (see `crate::net`).
    async fn client_ip() -> Option<String> {
        ClientIp::current().await.map(|ip| ip.to_string())
    }

    /// The network the password throttle counts this request against. Without the server's
    /// client-address layer there is no trustworthy answer, so the request is refused.
    async fn client_network() -> Result<ClientNetwork, AppError> {
        ClientIp::current().await.map(ClientIp::network).ok_or_else(|| {
            tracing::error!("client address missing from the request: is the client-ip layer installed?");
            AppError::Internal
        })
    }

    fn locked(lock: Locked) -> AppError {
        AppError::TooManyAttempts { message: lock.message(), retry_after_secs: lock.retry_after_secs() }
    }

    impl From<accounts::AccountError> for AppError {
        fn from(err: accounts::AccountError) -> Self {
            use accounts::AccountError as E;
            match err {
                E::InvalidCredentials | E::WeakPassword(_) => AppError::BadRequest(err.to_string()),
                E::EmailTaken => AppError::Conflict(err.to_string()),
                E::Blocked => AppError::Refused(err.to_string()),
                E::Db(e) => internal("account database error", e),
                E::Store(e) => internal("account store error", e),
                E::Hash(e) => internal("password hashing error", e),
            }
        }
    }

    impl From<session::SessionError> for AppError {
        fn from(err: session::SessionError) -> Self {
            internal("session store error", err)
        }
    }

    /// The signed-in person of this request, loaded once per request: a page render asks from
    /// the header and from every resource that needs the user, which were one database
    /// query each.
    pub async fn current_user() -> Result<Option<SessionUser>, AppError> {
        let state = AppState::current()?;
        let session = session().await?;
        let memo = leptos::prelude::use_context::<axum::http::request::Parts>().and_then(|p| p.extensions.get::<RequestUser>().cloned());
        match memo {
            Some(memo) => memo.0.get_or_try_init(|| user_of_session(&state, &session)).await.cloned(),
            None => user_of_session(&state, &session).await,
        }
    }

    /// Where [`current_user`] keeps the request's signed-in person, once loaded: the server
    /// puts an empty one into every request (the page render and its server functions share
    /// the request's extensions). It holds the person as the request started; a request that
    /// signs in or out redirects, and the next request loads afresh.
    #[derive(Clone, Default)]
    pub struct RequestUser(std::sync::Arc<tokio::sync::OnceCell<Option<SessionUser>>>);

    /// The person `session` is signed in as; ends the session if they were deleted or blocked
    /// since. Plain axum handlers (outside a leptos render) call this directly.
    pub async fn user_of_session(state: &AppState, session: &tower_sessions::Session) -> Result<Option<SessionUser>, AppError> {
        let Some(user_id) = session::user_id(session).await? else {
            return Ok(None);
        };
        let user = users::Entity::find_by_id(user_id).one(&state.db).await.map_err(|e| internal("loading the session user", e))?;
        match user {
            // Deleted or blocked since signing in: the session is over.
            None => {
                end_session(state, session).await?;
                Ok(None)
            }
            Some(u) if u.blocked => {
                end_session(state, session).await?;
                Ok(None)
            }
            Some(u) => Ok(Some(SessionUser {
                display_name: u
                    .name
                    .clone()
                    .or_else(|| u.nickname.clone())
                    .or_else(|| u.email.clone())
                    .unwrap_or_else(|| "you".to_string()),
                is_admin: super::roles::is_admin(u.is_admin, u.email_normalized.as_deref(), u.email_verified, &state.admins),
                user_id: u.id,
                email: u.email,
                picture: u.picture,
                logins_count: u.logins_count,
            })),
        }
    }

    /// Ends `session` on the server: its row in "Where you are signed in" goes first, then
    /// the session record itself.
    pub async fn end_session(state: &AppState, session: &tower_sessions::Session) -> Result<(), AppError> {
        if let Some(handle) = session::handle(session).await? {
            super::devices::forget(&state.db, &handle).await.map_err(|e| internal("forgetting a session", e))?;
        }
        session::sign_out(session).await?;
        Ok(())
    }

    /// Signed-in user or 401: the guard every personal page and server function starts with.
    /// A page that renders this guard's refusal answers 401 too.
    pub async fn require_user() -> Result<SessionUser, AppError> {
        current_user().await?.ok_or_else(|| set_status(AppError::Unauthorized))
    }

    async fn complete_login(user_id: &str, return_to: Option<String>) -> Result<(), AppError> {
        let state = AppState::current()?;
        crate::profile::store::record_login(&state.db, user_id, client_ip().await).await.map_err(|e| internal("recording a login", e))?;
        let session = session().await?;
        let user_agent = leptos_axum::extract::<axum::http::HeaderMap>()
            .await
            .ok()
            .and_then(|h| h.get(axum::http::header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_string));
        let handle = super::devices::register(&state.db, user_id, user_agent, client_ip().await)
            .await
            .map_err(|e| internal("recording a session", e))?;
        session::sign_in(&session, user_id, &handle).await?;
        leptos_axum::redirect(&ReturnTo::or_home(return_to.as_deref()).via_welcome());
        Ok(())
    }

    /// Checks email + password under the per-account failure limit (`super::throttle`). The
    /// limit is checked before any lookup or hashing and counts unknown emails like known
    /// ones, so a locked account and an unknown email look the same from outside.
    pub async fn password_sign_in(email: String, password: String, return_to: Option<String>) -> Result<(), AppError> {
        let state = AppState::current()?;
        let network = client_network().await?;
        let account = AccountKey::for_login(&email);
        let throttle = &state.password_throttle;
        throttle.check(&account, network, Instant::now()).map_err(locked)?;
        let user = match accounts::sign_in_with_password(&state.db, &email, password).await {
            Ok(user) => user,
            Err(err @ accounts::AccountError::InvalidCredentials) => {
                throttle.record_failure(&account, network, Instant::now());
                return Err(err.into());
            }
            Err(err) => return Err(err.into()),
        };
        throttle.record_success(&account, network);
        complete_login(&user.id, return_to).await
    }

    /// Re-authentication before a destructive action: `Ok` when `password` is the signed-in
    /// person's (or their account has no password: provider-only accounts re-authenticate
    /// at their provider instead), under the same per-account failure limit as sign-in.
    pub async fn confirm_own_password(state: &AppState, user_id: &str, password: String) -> Result<(), AppError> {
        let credential = accounts::own_password(&state.db, user_id).await.map_err(|e| internal("re-authenticating", e))?;
        let Some(credential) = credential else {
            return Ok(());
        };
        let network = client_network().await?;
        // Keyed by the sign-in email: sign-in and re-authentication share one count, so a
        // stolen session gives no extra guesses.
        let account = AccountKey::for_normalized_email(&credential.email_normalized);
        let throttle = &state.password_throttle;
        throttle.check(&account, network, Instant::now()).map_err(locked)?;
        let right = super::password::ssr::verify_password(password, credential.password_hash)
            .await
            .map_err(|e| internal("re-authenticating", e))?;
        if !right {
            throttle.record_failure(&account, network, Instant::now());
            return Err(AppError::BadRequest("That is not your password.".into()));
        }
        throttle.record_success(&account, network);
        Ok(())
    }

    pub async fn password_sign_up(email: String, password: String, return_to: Option<String>) -> Result<(), AppError> {
        let state = AppState::current()?;
        let email = Email::parse(&email).map_err(|e| AppError::BadRequest(e.to_string()))?;
        let user = accounts::sign_up_with_password(&state.db, &email, password).await?;
        complete_login(&user.id, return_to).await
    }

    pub async fn logout() -> Result<(), AppError> {
        let state = AppState::current()?;
        let session = session().await?;
        let at_provider =
            session::provider(&session).await?.and_then(|(connection, id_token)| state.connections.end_session_url(&connection, &id_token));
        // Our session ends first, whatever happens at the provider.
        end_session(&state, &session).await?;
        leptos_axum::redirect(at_provider.as_deref().unwrap_or("/"));
        Ok(())
    }
}
