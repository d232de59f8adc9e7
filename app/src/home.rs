//! The public landing page.

use crate::escaping::PageTitle;
use leptos::prelude::*;

use crate::status::StatusPanel;

#[component]
pub(crate) fn HomePage() -> impl IntoView {
    view! {
        <PageTitle text="" />
        <section class="hero">
            <h1>"Sign in once. Never be asked twice."</h1>
            <p class="lede">
                "AskOnce signs people in with the accounts they already have — Google, Microsoft, "
                "GitHub, any OpenID Connect provider, or an email and password — keeps one profile "
                "per person, and completes it a little at a time: at signup, at a later login, "
                "or in context while they read."
            </p>
        </section>
        <section class="features" aria-labelledby="how-heading">
            <h2 id="how-heading">"How it decides what to ask"</h2>
            <ul>
                <li>
                    <strong>"Known answers are never asked."</strong>
                    " If your provider already told us your name, you will not be asked it."
                </li>
                <li>
                    <strong>"One small step at a time."</strong>
                    " At most one short question stage per sign-in."
                </li>
                <li>
                    <strong>"Skipping is respected."</strong>
                    " A skipped question waits out its cooldown before it comes back."
                </li>
            </ul>
        </section>
        <StatusPanel />
    }
}
