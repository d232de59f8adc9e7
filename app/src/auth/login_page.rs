//! `/login`: sign in or create an account. Plain forms that post without JavaScript; with it,
//! errors appear in place without a reload.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{PasswordSignIn, PasswordSignUp};

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let return_to = move || query.read().get("return_to").unwrap_or_else(|| "/".to_string());
    let sign_in = ServerAction::<PasswordSignIn>::new();
    let sign_up = ServerAction::<PasswordSignUp>::new();
    let sign_in_error = move || sign_in.value().get().and_then(Result::err).map(|e| e.to_string());
    let sign_up_error = move || sign_up.value().get().and_then(Result::err).map(|e| e.to_string());

    view! {
        <Title text="Sign in" />
        <h1>"Sign in to AskOnce"</h1>
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
