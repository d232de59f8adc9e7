//! `/login`: sign in or create an account. Plain forms that post without JavaScript; with it,
//! errors appear in place without a reload.

use crate::escaping::PageTitle;
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_query_map};

use super::password::{PasswordSignIn, PasswordSignUp};
use crate::auth::{login_error_message, login_options};
use domain::identity::ConnectionSummary;

#[component]
pub(crate) fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let return_to = move || query.read().get("return_to").unwrap_or_else(|| "/".to_string());
    let sign_in = ServerAction::<PasswordSignIn>::new();
    let sign_up = ServerAction::<PasswordSignUp>::new();
    let sign_in_error = move || sign_in.value().get().and_then(Result::err).map(|e| e.to_string());
    let sign_up_error = move || sign_up.value().get().and_then(Result::err).map(|e| e.to_string());

    let options = Resource::new(|| (), |_| login_options());
    let callback_error = move || query.read().get("error").map(|code| login_error_message(&code));
    // A site owner's hook refused an application's sign-in: the server recorded it, and the
    // application is told `access_denied` at `/authorize/continue` — a server route, so a
    // plain link (a full page load). Without JavaScript the form post went there already.
    let back_to_app = move || {
        let refused = matches!(sign_in.value().get(), Some(Err(crate::error::AppError::Refused(_))))
            || matches!(sign_up.value().get(), Some(Err(crate::error::AppError::Refused(_))));
        let target = return_to();
        (refused && target.starts_with("/authorize/continue?")).then(|| {
            view! { <p data-testid="back-to-app"><a href=target rel="external">"Back to the application"</a></p> }
        })
    };

    view! {
        <PageTitle text="Sign in" />
        <h1>"Sign in to AskOnce"</h1>
        {move || callback_error().map(|m| view! { <p class="error banner" role="alert" data-testid="login-error">{m}</p> })}
        <Suspense fallback=|| ()>
            {move || options.get().and_then(Result::ok).map(|o| {
                let rt = return_to();
                let denied = o.denied.clone().map(|m| view! { <p class="error banner" role="alert" data-testid="login-denied">{m}</p> });
                let providers = (!o.connections.is_empty()).then(|| view! {
                    <section class="card providers" aria-labelledby="providers-heading">
                        <h2 id="providers-heading">"Use an account you already have"</h2>
                        <ul class="provider-list">
                            {o.connections.into_iter().map(|c| view! { <ProviderButton connection=c return_to=rt.clone() /> }).collect_view()}
                        </ul>
                    </section>
                });
                view! { {denied} {providers} }
            })}
        </Suspense>
        <div class="login-grid">
            <section class="card" aria-labelledby="signin-heading">
                <h2 id="signin-heading">"Sign in with your email"</h2>
                <ActionForm action=sign_in attr:class="stack" attr:novalidate=true>
                    <input type="hidden" name="return_to" value=return_to />
                    <label for="signin-email">"Email"</label>
                    <input id="signin-email" name="email" type="email" autocomplete="username" required
                        aria-describedby="signin-error" />
                    <label for="signin-password">"Password"</label>
                    <input id="signin-password" name="password" type="password" autocomplete="current-password" required
                        aria-describedby="signin-error" />
                    <p id="signin-error" class="error" role="alert">{sign_in_error}</p>
                    {back_to_app}
                    <p class="help"><A href="/forgot-password">"Forgot your password?"</A></p>
                    <button type="submit" disabled=move || sign_in.pending().get()>
                        {move || if sign_in.pending().get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </ActionForm>
            </section>
            <section class="card" aria-labelledby="signup-heading">
                <h2 id="signup-heading">"New here? Create an account"</h2>
                <ActionForm action=sign_up attr:class="stack" attr:novalidate=true>
                    <input type="hidden" name="return_to" value=return_to />
                    <label for="signup-email">"Email"</label>
                    <input id="signup-email" name="email" type="email" autocomplete="email" required
                        aria-describedby="signup-error" />
                    <label for="signup-password">"Password"</label>
                    <input id="signup-password" name="password" type="password" autocomplete="new-password" required
                        minlength="8" aria-describedby="signup-password-help signup-error" />
                    <p id="signup-password-help" class="help">"At least 8 characters. A few words you can remember work well."</p>
                    <p id="signup-error" class="error" role="alert">{sign_up_error}</p>
                    <button type="submit" disabled=move || sign_up.pending().get()>
                        {move || if sign_up.pending().get() { "Creating your account…" } else { "Create account" }}
                    </button>
                </ActionForm>
            </section>
        </div>
    }
}

/// One "Continue with …" link; a provider that is down says so instead.
#[component]
fn ProviderButton(connection: ConnectionSummary, return_to: String) -> impl IntoView {
    let href = format!("/auth/{}/start?return_to={}", connection.name, domain::return_to::percent_encode(&return_to));
    let label = format!("Continue with {}", connection.display_name);
    let kind =
        format!("provider-{}", serde_json::to_value(connection.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default());
    view! {
        <li>
            // rel="external": a full page load, not client-side routing — the route is the
            // server's redirect to the provider.
            <a class=format!("button provider {kind}") href=href rel="external" data-connection=connection.name.clone()>{label}</a>
            {connection.unavailable.map(|reason| view! { <p class="help">{reason}</p> })}
        </li>
    }
}
