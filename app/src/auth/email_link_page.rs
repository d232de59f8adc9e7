//! The pages an emailed link opens — `/email/verify?token=…` (verify an address) and
//! `/email/confirm-change?token=…` (a new address replaces the old one) — and `/email-link`,
//! where using one lands: what it did, or why it did nothing.
//!
//! Opening a link's page changes nothing: mail scanners and link previews open links too, and
//! must not verify a stranger's sign-up or move an account to a mistyped address. The page
//! says what the link will do; its button (a plain form, no JavaScript needed) does it.

use crate::escaping::PageTitle;
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_query_map};

use crate::error::AppError;
use domain::{auth::links::LinkRefused, auth::links::Purpose};

/// The address a working link of `purpose` was sent to; a link that does not work is refused
/// with the reason (400).
#[server]
pub(crate) async fn check_email_link(purpose: String, token: String) -> Result<String, AppError> {
    use crate::error::ssr::{internal, set_status};
    let state = crate::state::AppState::current()?;
    let purpose = Purpose::parse(&purpose).ok_or(AppError::NotFound)?;
    let checked =
        services::auth::links::check(&state.db, purpose, &token, chrono::Utc::now()).await.map_err(|e| internal("checking a link", e))?;
    checked.map(|link| link.email).map_err(|refused| set_status(AppError::BadRequest(refused.to_string())))
}

/// Uses the link: verifies the address, or makes the new address the account's. Goes on to
/// `/email-link`, saying what happened or why nothing did.
#[server(endpoint = "auth/email/link")]
pub async fn use_email_link(purpose: String, token: String) -> Result<(), AppError> {
    use services::auth::accounts::AccountError;
    let client = super::ssr::client().await;
    let state = crate::state::AppState::current()?;
    let (result, done) = match Purpose::parse(&purpose) {
        Some(Purpose::VerifyEmail) => (services::auth::verification::confirm(&state.db, &token, client).await, "verified"),
        Some(Purpose::ChangeEmail) => {
            (services::auth::credentials::confirm_email_change(&state.db, &state.site, &token, client).await, "email_changed")
        }
        _ => return Err(AppError::NotFound),
    };
    let target = match result {
        Ok(_) => format!("/email-link?done={done}"),
        Err(AccountError::Link(refused)) => format!("/email-link?refused={}", refused.code()),
        Err(AccountError::EmailTaken) => "/email-link?refused=taken".to_string(),
        Err(err) => return Err(err.into()),
    };
    leptos_axum::redirect(&target);
    Ok(())
}

#[component]
pub(crate) fn VerifyLinkPage() -> impl IntoView {
    view! { <ConfirmLink purpose=Purpose::VerifyEmail /> }
}

#[component]
pub(crate) fn EmailChangeLinkPage() -> impl IntoView {
    view! { <ConfirmLink purpose=Purpose::ChangeEmail /> }
}

#[component]
fn ConfirmLink(purpose: Purpose) -> impl IntoView {
    // Read once: using the link navigates away, and a token that followed the address bar
    // would be checked again (empty) and flash a refusal on the way out.
    let token = use_query_map().read_untracked().get("token").unwrap_or_default();
    let source = token.clone();
    let token = StoredValue::new(token);
    // Blocking: a link that does not work answers 400 (the status is set before the response
    // starts).
    let link = Resource::new_blocking(move || source.clone(), move |token| check_email_link(purpose.as_str().to_string(), token));
    let action = ServerAction::<UseEmailLink>::new();
    let error = move || action.value().get().and_then(Result::err).map(|e| e.to_string());
    let (title, button) = match purpose {
        Purpose::ChangeEmail => ("Confirm your new email address", "Use this email address"),
        _ => ("Confirm your email address", "Confirm my email address"),
    };
    view! {
        <PageTitle text=title />
        <h1>{title}</h1>
        <section class="card narrow" aria-labelledby="link-heading">
            <Suspense fallback=|| view! { <p>"Checking your link…"</p> }>
                {move || link.get().map(|checked| match checked {
                    Ok(address) => view! {
                        <h2 id="link-heading">{address.clone()}</h2>
                        <p>{match purpose {
                            Purpose::ChangeEmail => format!("Sign in with {address} from now on, instead of your current address."),
                            _ => format!("Confirm that {address} is your email address."),
                        }}</p>
                        <ActionForm action=action>
                            <input type="hidden" name="purpose" value=purpose.as_str() />
                            <input type="hidden" name="token" value=token.get_value() />
                            <p id="link-error" class="error" role="alert">{error}</p>
                            <button type="submit" aria-describedby="link-error" disabled=move || action.pending().get()>{button}</button>
                        </ActionForm>
                    }.into_any(),
                    Err(refused) => view! {
                        <h2 id="link-heading">"This link did not work"</h2>
                        <p class="error" role="alert" data-testid="link-refused">{refused.to_string()}</p>
                        <p><A href="/profile">"Ask for a new link from your profile"</A></p>
                    }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

/// What a used link did (`?done=`) or why it did nothing (`?refused=`).
#[component]
pub(crate) fn EmailLinkPage() -> impl IntoView {
    let query = use_query_map();
    let outcome = move || {
        let q = query.read();
        match (q.get("done").as_deref(), q.get("refused")) {
            (Some("verified"), _) => Ok("Your email address is verified. Thank you!"),
            (Some("email_changed"), _) => Ok("Your new email address is confirmed: it is the one you sign in with from now on."),
            (_, refused) => Err(match refused.as_deref() {
                Some("taken") => "That email address now belongs to another account, so yours was not changed.".to_string(),
                code => code.and_then(LinkRefused::from_code).unwrap_or(LinkRefused::Invalid).to_string(),
            }),
        }
    };
    #[cfg(feature = "ssr")]
    if outcome().is_err() {
        // A refused link is the client's problem, and says so to tools as well as to people.
        crate::error::ssr::set_status(AppError::BadRequest(String::new()));
    }
    view! {
        <PageTitle text="Email link" />
        <h1>"Email link"</h1>
        <section class="card narrow" aria-labelledby="outcome-heading">
            {move || match outcome() {
                Ok(done) => view! {
                    <h2 id="outcome-heading">"Done"</h2>
                    <p role="status" data-testid="link-done">{done}</p>
                    <p><A href="/profile">"Go to your profile"</A></p>
                }.into_any(),
                Err(refused) => view! {
                    <h2 id="outcome-heading">"This link did not work"</h2>
                    <p class="error" role="alert" data-testid="link-refused">{refused}</p>
                    <p>
                        <A href="/profile">"Send a new verification link from your profile"</A>
                        " · " <A href="/forgot-password">"Reset your password"</A>
                    </p>
                }.into_any(),
            }}
        </section>
    }
}
