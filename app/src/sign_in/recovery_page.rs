//! `/forgot-password` and `/reset-password`: asking for a reset link, and choosing a new
//! password with it. Plain forms that work without JavaScript; with it, errors appear in
//! place.

use crate::escaping::PageTitle;
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_query_map};

use crate::error::AppError;

/// Emails a reset link to `email` if it is an account's. The answer is the same either way.
#[server(endpoint = "auth/password/forgot")]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    let client = crate::auth::ssr::client().await;
    let state = crate::state::AppState::current()?;
    if domain::profile::Email::parse(&email).is_err() {
        return Err(AppError::BadRequest("Enter the email address you sign in with.".into()));
    }
    // Off the response path: an address with an account must answer as fast as one without
    // (the work — a link, a message, an activity entry — happens only for the former).
    let (db, site) = (state.db.clone(), state.site.clone());
    tokio::spawn(async move {
        if let Err(err) = services::auth::recovery::request_reset(&db, &site, &email, client).await {
            tracing::error!(error = %err, "queuing a password reset failed");
        }
    });
    leptos_axum::redirect("/forgot-password?sent=1");
    Ok(())
}

/// Whether `token` is a working reset link; the refusal says why not.
#[server]
pub(crate) async fn check_reset_link(token: String) -> Result<(), AppError> {
    let state = crate::state::AppState::current()?;
    services::auth::recovery::check_reset(&state.db, &token)
        .await?
        .map_err(|refused| crate::error::ssr::set_status(AppError::BadRequest(refused.to_string())))
}

/// Sets a new password through a reset link, ends every session of the account, and signs in
/// here.
#[server(endpoint = "auth/password/reset")]
pub async fn reset_password(token: String, password: String) -> Result<(), AppError> {
    super::password::ssr::reset_password_and_sign_in(token, password).await
}

#[component]
pub(crate) fn ForgotPasswordPage() -> impl IntoView {
    let query = use_query_map();
    let request = ServerAction::<RequestPasswordReset>::new();
    let sent = move || query.read().get("sent").is_some() || matches!(request.value().get(), Some(Ok(())));
    let error = move || request.value().get().and_then(Result::err).map(|e| e.to_string());
    view! {
        <PageTitle text="Forgot your password?" />
        <h1>"Forgot your password?"</h1>
        <section class="card narrow" aria-labelledby="forgot-heading">
            <h2 id="forgot-heading">"Get a link to choose a new one"</h2>
            <Show when=sent fallback=move || view! {
                <ActionForm action=request attr:class="stack" attr:novalidate=true>
                    <label for="forgot-email">"Email"</label>
                    <input id="forgot-email" name="email" type="email" autocomplete="username" required
                        aria-describedby="forgot-help forgot-error" />
                    <p id="forgot-help" class="help">"We will email a link to this address if it belongs to an account. The link works once, for an hour."</p>
                    <p id="forgot-error" class="error" role="alert">{error}</p>
                    <button type="submit" disabled=move || request.pending().get()>
                        {move || if request.pending().get() { "Sending…" } else { "Email me a link" }}
                    </button>
                </ActionForm>
            }>
                <p role="status" data-testid="reset-sent">
                    "If that address belongs to an account, a link to choose a new password is on its way. "
                    "Check your inbox (and spam folder); the link works for an hour."
                </p>
            </Show>
            <p><A href="/login">"Back to sign in"</A></p>
        </section>
    }
}

#[component]
pub(crate) fn ResetPasswordPage() -> impl IntoView {
    // Read once: saving navigates away, and a token that followed the address bar would be
    // checked again (empty) and flash a refusal on the way out.
    let token = use_query_map().read_untracked().get("token").unwrap_or_default();
    let source = token.clone();
    let token = StoredValue::new(token);
    // Blocking: a link that does not work answers 400 (the status is set before the response
    // starts).
    let link = Resource::new_blocking(move || source.clone(), check_reset_link);
    let reset = ServerAction::<ResetPassword>::new();
    let error = move || reset.value().get().and_then(Result::err).map(|e| e.to_string());
    view! {
        <PageTitle text="Choose a new password" />
        <h1>"Choose a new password"</h1>
        <section class="card narrow" aria-labelledby="reset-heading">
            <h2 id="reset-heading">"Your new password"</h2>
            <Suspense fallback=|| view! { <p>"Checking your link…"</p> }>
                {move || link.get().map(|checked| match checked {
                    Err(refused) => view! {
                        <p class="error" role="alert" data-testid="link-refused">{refused.to_string()}</p>
                        <p><A href="/forgot-password">"Ask for a new link"</A></p>
                    }.into_any(),
                    Ok(()) => view! {
                        <ActionForm action=reset attr:class="stack" attr:novalidate=true>
                            <input type="hidden" name="token" value=token.get_value() />
                            <label for="reset-password">"New password"</label>
                            <input id="reset-password" name="password" type="password" autocomplete="new-password" required
                                minlength="8" aria-describedby="reset-help reset-error" />
                            <p id="reset-help" class="help">"At least 8 characters. You will be signed out everywhere else."</p>
                            <p id="reset-error" class="error" role="alert">{error}</p>
                            <button type="submit" disabled=move || reset.pending().get()>
                                {move || if reset.pending().get() { "Saving…" } else { "Save and sign in" }}
                            </button>
                        </ActionForm>
                    }.into_any(),
                })}
            </Suspense>
        </section>
    }
}
