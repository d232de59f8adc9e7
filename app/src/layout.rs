//! The page chrome every page shares: skip link, header with navigation and sign-in state,
//! main landmark and footer.

use leptos::prelude::*;
use leptos_router::components::A;

/// Wraps page content in the site layout.
#[component]
pub fn Page(children: Children) -> impl IntoView {
    view! {
        // Keyboard users jump straight to the content.
        <a class="skip-link" href="#main">"Skip to content"</a>
        <Header />
        <main id="main" tabindex="-1">
            {children()}
        </main>
        <footer class="site-footer">
            <p>
                "AskOnce — sign in once, and never be asked twice. "
                <A href="/status">"Service status"</A>
            </p>
        </footer>
    }
}

#[component]
fn Header() -> impl IntoView {
    view! {
        <header class="site-header">
            <A href="/" attr:class="brand">
                <span aria-hidden="true" class="brand-mark">"?"</span>
                "AskOnce"
            </A>
            <nav aria-label="Main">
                <ul>
                    <li><A href="/">"Home"</A></li>
                    <li><A href="/status">"Status"</A></li>
                </ul>
            </nav>
            // Sign-in state: anonymous until the identity module provides a session user.
            <div class="session-state" data-testid="session-state">
                <span class="muted">"Not signed in"</span>
            </div>
        </header>
    }
}
