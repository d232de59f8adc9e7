//! The page chrome every page shares: skip link, header with navigation and sign-in state,
//! main landmark and footer.

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_location};

use crate::auth::{current_user, Logout};

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
    let location = use_location();
    let logout = ServerAction::<Logout>::new();
    // Re-read on every navigation and after signing out: sign-in changes the page too.
    let user = Resource::new(move || (location.pathname.get(), logout.version().get()), |_| current_user());
    view! {
        <header class="site-header">
            <A href="/" attr:class="brand">
                <span aria-hidden="true" class="brand-mark">"?"</span>
                "AskOnce"
            </A>
            <nav aria-label="Main">
                <ul>
                    <li><A href="/" exact=true>"Home"</A></li>
                    <li><A href="/articles">"Articles"</A></li>
                    <li><A href="/status">"Status"</A></li>
                </ul>
            </nav>
            <div class="session-state" data-testid="session-state">
                <Transition fallback=|| ()>
                    {move || user.get().map(|u| match u {
                        Ok(Some(u)) => view! {
                            {u.is_admin.then(|| view! { <A href="/admin" attr:data-testid="console-link">"Console"</A> })}
                            <A href="/profile" attr:data-testid="signed-in-as">{u.display_name}</A>
                            <ActionForm action=logout attr:class="inline">
                                <button type="submit" class="link-button">"Sign out"</button>
                            </ActionForm>
                        }.into_any(),
                        _ => view! { <A href="/login">"Sign in"</A> }.into_any(),
                    })}
                </Transition>
            </div>
        </header>
    }
}
