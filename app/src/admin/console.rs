//! The console's frame: the admin check every page starts with, its navigation, and the
//! overview at `/admin`.

use crate::escaping::PageTitle;
use leptos::prelude::*;
use leptos_router::components::A;
use serde::{Deserialize, Serialize};

use crate::{auth::SessionUser, error::AppError};

/// The signed-in admin (401 when signed out, 403 when not an admin).
#[server(endpoint = "admin/me")]
pub async fn admin_me() -> Result<SessionUser, AppError> {
    Ok(super::access::ssr::require_admin().await?.1)
}

/// Counts for the overview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    pub users: u64,
    pub blocked: u64,
    pub fields: usize,
    pub stages: usize,
    pub live_tokens: usize,
}

#[server(endpoint = "admin/overview")]
pub async fn admin_overview() -> Result<Overview, AppError> {
    use crate::error::ssr::internal;
    let (state, _) = super::access::ssr::require_admin().await?;
    let (users, blocked) = super::users::ssr::counts(&state.db).await.map_err(|e| internal("counting users", e))?;
    let config = services::profiling::load_config(&state.db).await.map_err(|e| internal("loading questions", e))?;
    let tokens = super::api_tokens::ssr::list(&state.db).await.map_err(|e| internal("listing tokens", e))?;
    let live_tokens = tokens.iter().filter(|t| t.state == super::api_tokens::TokenState::Live).count();
    Ok(Overview { users, blocked, fields: config.fields.len(), stages: config.stages.len(), live_tokens })
}

/// Wraps a console page: title, console navigation, and the admin check — the page's own
/// content (and its server calls) only render for an admin.
#[component]
pub(crate) fn AdminFrame(#[prop(into)] title: String, children: ChildrenFn) -> impl IntoView {
    // Blocking: the response starts only once the check is done, so a refusal is a real
    // 401/403 status rather than a 200 page with an error in it.
    let me = Resource::new_blocking(|| (), |_| admin_me());
    let links = [
        ("/admin", "Overview"),
        ("/admin/questions", "Questions"),
        ("/admin/simulator", "Simulator"),
        ("/admin/users", "Users"),
        ("/admin/analytics", "Analytics"),
        ("/admin/hooks", "Hooks"),
        ("/admin/applications", "Applications"),
        ("/admin/tokens", "API tokens"),
        ("/admin/email", "Email"),
    ];
    let heading = title.clone();
    view! {
        <PageTitle text=title />
        <div class="admin">
            <nav aria-label="Console" class="admin-nav">
                <ul>
                    // `<A>` marks itself `aria-current="page"` when the location is at or
                    // under its address; "Overview" (`/admin`) is over every console page, so
                    // it is current only at exactly its own.
                    {links.into_iter().map(|(href, label)| view! { <li><A href=href exact=href == "/admin">{label}</A></li> }).collect_view()}
                </ul>
            </nav>
            <div class="admin-body">
                <h1>{heading}</h1>
                <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                    {move || me.get().map(|result| match result {
                        Ok(_) => children().into_any(),
                        Err(AppError::Unauthorized) => view! {
                            <p class="error" role="alert">"Please " <a href="/login?return_to=/admin">"sign in"</a> " as a site owner."</p>
                        }.into_any(),
                        Err(e) => view! { <p class="error" role="alert" data-testid="admin-refused">{e.to_string()}</p> }.into_any(),
                    })}
                </Suspense>
            </div>
        </div>
    }
}

/// `/admin`: what is configured and how many people there are.
#[component]
pub(crate) fn AdminHome() -> impl IntoView {
    view! {
        <AdminFrame title="Console">
            {
                let overview = Resource::new(|| (), |_| admin_overview());
                view! {
                    <Suspense fallback=|| ()>
                        {move || overview.get().map(|r| match r {
                            Ok(o) => view! {
                                <dl class="overview">
                                    <div><dt>"Users"</dt><dd>{o.users}</dd></div>
                                    <div><dt>"Blocked"</dt><dd>{o.blocked}</dd></div>
                                    <div><dt>"Fields"</dt><dd>{o.fields}</dd></div>
                                    <div><dt>"Stages"</dt><dd>{o.stages}</dd></div>
                                    <div><dt>"Live API tokens"</dt><dd>{o.live_tokens}</dd></div>
                                </dl>
                                <p>
                                    "Configure what is asked under " <A href="/admin/questions">"Questions"</A>
                                    ", check a person's next question in the " <A href="/admin/simulator">"Simulator"</A>
                                    ", and see how questions perform in " <A href="/admin/analytics">"Analytics"</A> "."
                                    " Machines use the " <a href="/api/docs" rel="external">"management API"</a> "."
                                </p>
                            }.into_any(),
                            Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        })}
                    </Suspense>
                }
            }
        </AdminFrame>
    }
}
