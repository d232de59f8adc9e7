//! Signing in and out: local accounts, the session user, the login page, guards, and safe
//! return addresses.

pub mod email_link_page;
pub use domain::return_to;
pub mod verify_page;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub(crate) use email_link_page::{EmailChangeLinkPage, EmailLinkPage, VerifyLinkPage};
pub(crate) use verify_page::VerifyEmailPage;

#[cfg(test)]
mod tests {
    use super::login_error_message;

    #[test]
    fn every_callback_error_code_has_its_own_sentence() {
        let codes = [
            "provider_unavailable",
            "cancelled",
            "expired",
            "invalid_response",
            "linked_elsewhere",
            "blocked",
            "unknown_connection",
            "denied",
        ];
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
    pub user_id: domain::user_id::UserId,
    /// Name, else nickname, else email.
    pub display_name: String,
    pub email: Option<String>,
    pub picture: Option<String>,
    pub logins_count: i32,
    /// May use the console (`/admin`).
    pub is_admin: bool,
    /// The site requires a verified address and this password account has none yet: every
    /// personal page asks to verify first.
    pub must_verify_email: bool,
}

/// What the login page offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInChoices {
    pub connections: Vec<domain::identity::ConnectionSummary>,
    pub password: bool,
    /// Why a site's hook refused the provider sign-in this browser just came back from
    /// (shown once; `?error=denied`).
    #[serde(default)]
    pub denied: Option<String>,
}

/// The enabled connections and whether local accounts are offered.
#[server]
pub(crate) async fn login_options() -> Result<SignInChoices, AppError> {
    let state = crate::state::AppState::current()?;
    let denied = services::auth::session::take_denial(&ssr::session().await?).await?;
    Ok(SignInChoices { connections: state.connections.summaries(), password: state.connections.password_enabled(), denied })
}

/// The sentence for a `?error=` code the sign-in callback sends people back with.
pub(crate) fn login_error_message(code: &str) -> &'static str {
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
        "denied" => "This site did not let you sign in.",
        _ => "Sign-in failed. Please try again.",
    }
}

/// The signed-in user, or `None`.
#[server]
pub async fn current_user() -> Result<Option<SessionUser>, AppError> {
    ssr::current_user().await
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

    use super::SessionUser;
    use crate::{error::ssr::internal, error::ssr::set_status, error::AppError, state::AppState};
    use domain::activity::EventKind;
    use services::{activity::Client, entities::users, net::ClientIp, net::ClientNetwork};
    use services::{auth::accounts, auth::session, auth::throttle::AccountKey, auth::throttle::Locked};

    pub async fn session() -> Result<Session, AppError> {
        leptos_axum::extract::<Session>().await.map_err(|e| internal("session layer missing", e))
    }

    /// The client address the server resolved for this request and put in its extensions
    /// (see `services::net`). `None` only when that layer is missing (a wiring mistake).
    async fn request_client_ip() -> Option<ClientIp> {
        leptos_axum::extract::<axum::Extension<ClientIp>>().await.ok().map(|axum::Extension(ip)| ip)
    }

    /// [`request_client_ip`], as the activity records write it.
    async fn client_ip() -> Option<String> {
        request_client_ip().await.map(|ip| ip.to_string())
    }

    /// Where this request comes from (address and browser), for the account's activity. Read
    /// it before the first database await: request parts are not reliably there after one
    /// under concurrent renders (see `account::sessions`).
    pub async fn client() -> Client {
        let user_agent = leptos_axum::extract::<axum::http::HeaderMap>()
            .await
            .ok()
            .and_then(|h| h.get(axum::http::header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_string));
        Client { ip: client_ip().await, user_agent }
    }

    /// The network the password throttle counts this request against. Without the server's
    /// client-address layer there is no trustworthy answer, so the request is refused.
    pub(crate) async fn client_network() -> Result<ClientNetwork, AppError> {
        request_client_ip().await.map(ClientIp::network).ok_or_else(|| {
            tracing::error!("client address missing from the request: is the client-ip layer installed?");
            AppError::Internal
        })
    }

    pub fn locked(lock: Locked) -> AppError {
        AppError::TooManyAttempts { message: lock.message(), retry_after_secs: lock.retry_after_secs() }
    }

    /// The signed-in person of this request, loaded once per request: a page render asks from
    /// the header and from every resource that needs the user, which were one database
    /// query each.
    pub(crate) async fn current_user() -> Result<Option<SessionUser>, AppError> {
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
                must_verify_email: must_verify_email(state, &u).await?,
                display_name: u
                    .name
                    .clone()
                    .or_else(|| u.nickname.clone())
                    .or_else(|| u.email.clone())
                    .unwrap_or_else(|| "you".to_string()),
                is_admin: services::auth::roles::is_admin(
                    u.is_admin,
                    u.email_normalized.as_deref(),
                    services::auth::roles::email_vouched(&u),
                    &state.admins,
                ),
                user_id: domain::user_id::UserId::from_stored(u.id),
                email: u.email,
                picture: u.picture,
                logins_count: u.logins_count,
            })),
        }
    }

    /// Whether `[email] require_verified` holds this person back: a password account whose
    /// address no link has verified yet. Admins are not held back (the console is where the
    /// site owner of a fresh install reads the links). Asked only when it can be true.
    pub async fn must_verify_email(state: &AppState, user: &users::Model) -> Result<bool, AppError> {
        if !state.email_policy.require_verified || user.email_verified {
            return Ok(false);
        }
        if services::auth::roles::is_admin(
            user.is_admin,
            user.email_normalized.as_deref(),
            services::auth::roles::email_vouched(user),
            &state.admins,
        ) {
            return Ok(false);
        }
        let password = accounts::own_password(&state.db, &user.user_id()).await.map_err(|e| internal("loading the session user", e))?;
        Ok(password.is_some())
    }

    /// Ends `session` on the server: its row in "Where you are signed in" goes first, then
    /// the session record itself; the applications signed in from it are told (back-channel
    /// logout).
    pub(crate) async fn end_session(state: &AppState, session: &tower_sessions::Session) -> Result<(), AppError> {
        if let Some(handle) = session::handle(session).await? {
            services::auth::devices::forget(&state.db, &handle).await.map_err(|e| internal("forgetting a session", e))?;
            if let Some(user_id) = session::user_id(session).await? {
                let user_id = domain::user_id::UserId::from_stored(user_id);
                services::openid_provider::backchannel::notify(&state.db, &state.provider, &state.outbound, &user_id, &handle).await;
            }
        }
        session::sign_out(session).await?;
        Ok(())
    }

    /// Signed-in user or 401: the guard every personal page and server function starts with.
    /// A page that renders this guard's refusal answers 401 too.
    /// With `[email] require_verified`, an unverified password account is refused here with
    /// the way out (the sign-in already sent it to `/verify-email`).
    pub async fn require_user() -> Result<SessionUser, AppError> {
        let user = current_user().await?.ok_or_else(|| set_status(AppError::Unauthorized))?;
        if user.must_verify_email {
            return Err(set_status(AppError::Refused(VERIFY_FIRST.to_string())));
        }
        Ok(user)
    }

    /// Signed in, whether or not `[email] require_verified` holds the person back: for what an
    /// unverified account must still reach — its address, changing a mistyped one, a new link.
    pub(crate) async fn require_account() -> Result<SessionUser, AppError> {
        current_user().await?.ok_or_else(|| set_status(AppError::Unauthorized))
    }

    /// What an unverified account is told when the site requires verified addresses.
    pub const VERIFY_FIRST: &str =
        "Please verify your email address first: open the link we emailed you, or ask for a new one at /verify-email.";

    /// Re-authentication before a destructive action: `Ok` when `password` is the signed-in
    /// person's (or their account has no password: provider-only accounts re-authenticate
    /// at their provider instead), under the same per-account failure limit as sign-in.
    pub(crate) async fn confirm_own_password(
        state: &AppState,
        user_id: &domain::user_id::UserId,
        password: String,
    ) -> Result<(), AppError> {
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
        let right = services::auth::password::verify_password(password, credential.password_hash)
            .await
            .map_err(|e| internal("re-authenticating", e))?;
        if !right {
            throttle.record_failure(&account, network, Instant::now());
            return Err(AppError::BadRequest("That is not your password.".into()));
        }
        throttle.record_success(&account, network);
        Ok(())
    }

    pub async fn logout() -> Result<(), AppError> {
        let client = client().await;
        let state = AppState::current()?;
        let session = session().await?;
        if let Some(user_id) = session::user_id(&session).await? {
            let event = services::activity::Event::new(EventKind::SignOut, domain::activity::Actor::User).client(client);
            // Never in the way of signing out (the account may be gone already).
            if let Err(err) = services::activity::record(&state.db, &domain::user_id::UserId::from_stored(user_id.clone()), event).await {
                tracing::warn!(error = %err, "recording a sign-out failed");
            }
        }
        let at_provider =
            session::provider(&session).await?.and_then(|(connection, id_token)| state.connections.end_session_url(&connection, &id_token));
        // Our session ends first, whatever happens at the provider.
        end_session(&state, &session).await?;
        leptos_axum::redirect(at_provider.as_deref().unwrap_or("/"));
        Ok(())
    }
}
