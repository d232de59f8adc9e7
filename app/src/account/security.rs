//! "Email and password" on `/profile`: verify your address, change it (through a link to the
//! new one), change your password. An address a provider overwrites at each sign-in is shown
//! with the reason it cannot be changed here.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{auth::verify_page::ResendVerification, error::AppError};

/// What the card shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInDetails {
    pub email: Option<String>,
    pub verified: bool,
    /// The account has a password (provider-only accounts do not).
    pub has_password: bool,
    /// Why the email cannot be changed here, if it cannot.
    pub email_lock: Option<String>,
}

#[server]
pub(crate) async fn my_sign_in_details() -> Result<SignInDetails, AppError> {
    use crate::error::ssr::internal;
    let state = crate::state::AppState::current()?;
    // An unverified account held back by `require_verified` may still see and fix its address.
    let me = crate::auth::ssr::require_account().await?;
    let user = services::profile::store::load(&state.db, &me.user_id)
        .await
        .map_err(|e| internal("loading a user", e))?
        .ok_or(AppError::Unauthorized)?;
    let password = services::auth::accounts::own_password(&state.db, &me.user_id).await.map_err(|e| internal("loading a user", e))?;
    Ok(SignInDetails {
        email_lock: services::auth::credentials::email_lock(&user, state.connections.as_ref()),
        email: user.email,
        verified: user.email_verified,
        has_password: password.is_some(),
    })
}

/// Changes the signed-in person's password: the current one first (under the sign-in failure
/// limit), then the new one by the sign-up policy. Other sessions end; a notice is emailed.
#[server(endpoint = "profile/password")]
pub async fn change_my_password(current_password: String, new_password: String) -> Result<(), AppError> {
    let client = crate::auth::ssr::client().await;
    let state = crate::state::AppState::current()?;
    let session = crate::auth::ssr::session().await?;
    let me = crate::auth::ssr::require_user().await?;
    let keep = services::auth::session::handle(&session).await?;
    if services::auth::accounts::own_password(&state.db, &me.user_id)
        .await
        .map_err(|e| crate::error::ssr::internal("loading a user", e))?
        .is_none()
    {
        return Err(AppError::BadRequest("Your account has no password: you sign in with another account.".into()));
    }
    crate::auth::ssr::confirm_own_password(&state, &me.user_id, current_password).await?;
    services::auth::credentials::change_password(&state.db, &state.site, &me.user_id, new_password, keep.as_deref(), client).await?;
    leptos_axum::redirect("/profile?saved=password");
    Ok(())
}

/// Emails a link to `email`; it becomes the signed-in person's address once that link is
/// opened. Needs the current password when the account has one.
#[server(endpoint = "profile/email")]
pub async fn change_my_email(email: String, password: Option<String>) -> Result<(), AppError> {
    let client = crate::auth::ssr::client().await;
    let state = crate::state::AppState::current()?;
    // Reachable while `require_verified` holds the account back: a mistyped address is fixed here.
    let me = crate::auth::ssr::require_account().await?;
    let new_address = domain::profile::Email::parse(&email).map_err(|e| AppError::BadRequest(e.to_string()))?;
    crate::auth::ssr::confirm_own_password(&state, &me.user_id, password.unwrap_or_default()).await?;
    let user = services::profile::store::load(&state.db, &me.user_id)
        .await
        .map_err(|e| crate::error::ssr::internal("loading a user", e))?
        .ok_or(AppError::Unauthorized)?;
    services::auth::credentials::request_email_change(&state.db, &state.site, state.connections.as_ref(), &user, &new_address, client)
        .await?;
    leptos_axum::redirect("/profile?saved=email_link");
    Ok(())
}

/// The card's data and actions, created by the page above any `<Suspense>` (see
/// `sessions::SessionsData` for why).
#[derive(Clone, Copy)]
pub struct SecurityData {
    pub details: Resource<Result<SignInDetails, AppError>>,
    pub change_password: ServerAction<ChangeMyPassword>,
    pub change_email: ServerAction<ChangeMyEmail>,
}

impl SecurityData {
    pub fn new() -> Self {
        let change_password = ServerAction::<ChangeMyPassword>::new();
        let change_email = ServerAction::<ChangeMyEmail>::new();
        let details = Resource::new(move || change_email.version().get(), |_| my_sign_in_details());
        Self { details, change_password, change_email }
    }
}

impl Default for SecurityData {
    fn default() -> Self {
        Self::new()
    }
}

#[component]
pub(crate) fn EmailAndPassword(data: SecurityData) -> impl IntoView {
    let SecurityData { details, change_password, change_email } = data;
    let query = leptos_router::hooks::use_query_map();
    let saved = move |what: &str| query.read().get("saved").as_deref() == Some(what);
    let password_done = move || match change_password.value().get() {
        Some(result) => result.is_ok(),
        None => saved("password"),
    };
    let password_reset = move || saved("password_reset");
    let email_sent = move || match change_email.value().get() {
        Some(result) => result.is_ok(),
        None => saved("email_link"),
    };
    let password_error = move || change_password.value().get().and_then(Result::err).map(|e| e.to_string());
    let email_error = move || change_email.value().get().and_then(Result::err).map(|e| e.to_string());
    view! {
        <section class="card" aria-labelledby="security-heading">
            <h2 id="security-heading">"Email and password"</h2>
            <p role="status" data-testid="password-reset-done">
                {move || password_reset().then_some("Your new password is saved, and you were signed out everywhere else.")}
            </p>
            <Suspense fallback=|| ()>
                {move || details.get().and_then(Result::ok).map(|d| {
                    let has_password = d.has_password;
                    view! {
                        <h3>"Email address"</h3>
                        <p data-testid="sign-in-email">
                            {d.email.clone().unwrap_or_else(|| "No email address".into())}
                            {if d.verified { " · verified" } else { " · not verified yet" }}
                        </p>
                        {(!d.verified && d.email.is_some()).then(|| view! { <ResendVerification return_to="/profile" /> })}
                        {match d.email_lock {
                            Some(reason) => view! { <p class="help" data-testid="email-locked">{reason}</p> }.into_any(),
                            None => view! {
                                <ActionForm action=change_email attr:class="stack" attr:novalidate=true>
                                    <label for="new-email">"New email address"</label>
                                    <input id="new-email" name="email" type="email" autocomplete="email" required
                                        aria-describedby="new-email-help new-email-error" />
                                    <p id="new-email-help" class="help">"We email a link to the new address; it replaces the old one when you open it, and we tell the old address."</p>
                                    {has_password.then(|| view! {
                                        <label for="email-password">"Your current password"</label>
                                        <input id="email-password" name="password" type="password" autocomplete="current-password" required
                                            aria-describedby="new-email-error" />
                                    })}
                                    <p id="new-email-error" class="error" role="alert">{email_error}</p>
                                    <p role="status" data-testid="email-link-sent">
                                        {move || email_sent().then_some("Check the new address's inbox: open the link there to finish.")}
                                    </p>
                                    <button type="submit" disabled=move || change_email.pending().get()>"Change email address"</button>
                                </ActionForm>
                            }.into_any(),
                        }}
                        {has_password.then(|| view! {
                            <h3>"Password"</h3>
                            <ActionForm action=change_password attr:class="stack" attr:novalidate=true>
                                <label for="current-password">"Current password"</label>
                                <input id="current-password" name="current_password" type="password" autocomplete="current-password" required
                                    aria-describedby="password-change-error" />
                                <label for="new-password">"New password"</label>
                                <input id="new-password" name="new_password" type="password" autocomplete="new-password" required minlength="8"
                                    aria-describedby="new-password-help password-change-error" />
                                <p id="new-password-help" class="help">"At least 8 characters. Your other sessions will be signed out."</p>
                                <p id="password-change-error" class="error" role="alert">{password_error}</p>
                                <p role="status" data-testid="password-changed">
                                    {move || password_done().then_some("Your password was changed. Other sessions were signed out.")}
                                </p>
                                <button type="submit" disabled=move || change_password.pending().get()>"Change password"</button>
                            </ActionForm>
                        })}
                    }
                })}
            </Suspense>
        </section>
    }
}
