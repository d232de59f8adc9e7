//! `/verify-email`: "confirm your address" — what a site that requires verified addresses
//! shows an unverified password account after signing in, with a button that sends the link
//! again (also on /profile).

use crate::escaping::PageTitle;
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_query_map};
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The signed-in person's address and whether it is verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressStatus {
    pub email: Option<String>,
    pub verified: bool,
}

/// `None`: nobody is signed in.
#[server]
pub(crate) async fn my_address_status() -> Result<Option<AddressStatus>, AppError> {
    let state = crate::state::AppState::current()?;
    let Some(me) = super::ssr::current_user().await? else { return Ok(None) };
    let user =
        services::profile::store::load(&state.db, &me.user_id).await.map_err(|e| crate::error::ssr::internal("loading a user", e))?;
    Ok(user.map(|u| AddressStatus { email: u.email, verified: u.email_verified }))
}

/// Emails a new verification link to the signed-in person (limited to a few an hour), then
/// goes back to `return_to` saying so.
#[server(endpoint = "auth/email/verify/resend")]
pub(crate) async fn resend_verification(return_to: Option<String>) -> Result<(), AppError> {
    let client = super::ssr::client().await;
    let state = crate::state::AppState::current()?;
    // Not `require_user`: the people this is for are the ones it holds back.
    let me = super::ssr::require_account().await?;
    let user = services::profile::store::load(&state.db, &me.user_id)
        .await
        .map_err(|e| crate::error::ssr::internal("loading a user", e))?
        .ok_or(AppError::Unauthorized)?;
    services::auth::verification::send(&state.db, &state.site, &user, client).await?;
    let back = super::ReturnTo::or_home(return_to.as_deref());
    let sep = if back.as_str().contains('?') { '&' } else { '?' };
    leptos_axum::redirect(&format!("{}{sep}sent=verification", back.as_str()));
    Ok(())
}

/// The "send the link again" button, for this page and /profile.
#[component]
pub(crate) fn ResendVerification(#[prop(into)] return_to: String) -> impl IntoView {
    let resend = ServerAction::<ResendVerification>::new();
    let query = use_query_map();
    let sent = move || query.read().get("sent").as_deref() == Some("verification") || matches!(resend.value().get(), Some(Ok(())));
    let error = move || resend.value().get().and_then(Result::err).map(|e| e.to_string());
    view! {
        <ActionForm action=resend attr:class="inline-form">
            <input type="hidden" name="return_to" value=return_to />
            <button type="submit" class="secondary" disabled=move || resend.pending().get()>
                {move || if resend.pending().get() { "Sending…" } else { "Email me a verification link" }}
            </button>
        </ActionForm>
        <p role="status" data-testid="verification-sent">
            {move || sent().then_some("A verification link is on its way. It works once, for 24 hours.")}
        </p>
        <p class="error" role="alert">{error}</p>
    }
}

#[component]
pub(crate) fn VerifyEmailPage() -> impl IntoView {
    let query = use_query_map();
    let return_to = move || query.read().get("return_to").unwrap_or_else(|| "/".to_string());
    let status = Resource::new(|| (), |_| my_address_status());
    view! {
        <PageTitle text="Verify your email address" />
        <h1>"Verify your email address"</h1>
        <section class="card narrow" aria-labelledby="verify-heading">
            <h2 id="verify-heading">"Check your inbox"</h2>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || status.get().map(|s| match s {
                    Ok(Some(AddressStatus { verified: true, email })) => view! {
                        <p data-testid="address-verified">{format!("{} is verified. Thank you!", email.unwrap_or_default())}</p>
                        // Only a local path: `return_to` comes from the address bar.
                        <p><A href=super::ReturnTo::or_home(Some(&return_to())).as_str().to_string()>"Continue"</A></p>
                    }.into_any(),
                    Ok(Some(AddressStatus { email, .. })) => view! {
                        <p>
                            "This site asks you to confirm your email address before you go on. We sent a link to "
                            <strong>{email.unwrap_or_default()}</strong> ". Open it, and you are done."
                        </p>
                        <ResendVerification return_to="/verify-email" />
                        <p class="help">"Wrong address? " <A href="/profile">"Change it on your profile"</A> "."</p>
                    }.into_any(),
                    Ok(None) => view! { <p>"Please " <A href="/login?return_to=/verify-email">"sign in"</A> " first."</p> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}
