//! "Apps you signed in to" on `/profile`: the applications that sign the person in through
//! AskOnce, what each was allowed, when it last did, and removing one (its tokens stop
//! working; a partner's app asks for consent again).

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyApp {
    pub client_id: String,
    pub name: String,
    /// What it may know, in words (`domain::openid_provider::scope::describe`).
    pub allowed: Vec<String>,
    pub last_used: DateTime<Utc>,
}

#[server(endpoint = "profile/apps")]
pub async fn my_apps() -> Result<Vec<MyApp>, AppError> {
    let state = crate::state::AppState::current()?;
    let me = crate::auth::ssr::require_user().await?;
    let apps = services::openid_provider::grants::list(&state.db, &me.user_id)
        .await
        .map_err(|e| crate::error::ssr::internal("listing the apps", e))?;
    Ok(apps
        .into_iter()
        .map(|a| MyApp {
            allowed: a.scope.iter().filter_map(domain::openid_provider::scope::describe).map(str::to_string).collect(),
            client_id: a.client_id,
            name: a.name,
            last_used: a.last_used,
        })
        .collect())
}

/// Removes one app: its tokens are revoked, and its next sign-in asks again.
#[server(endpoint = "profile/apps/remove")]
pub async fn remove_app(client_id: String) -> Result<(), AppError> {
    let state = crate::state::AppState::current()?;
    let me = crate::auth::ssr::require_user().await?;
    services::openid_provider::grants::remove(&state.db, &me.user_id, &client_id, Utc::now())
        .await
        .map_err(|e| crate::error::ssr::internal("removing an app", e))?;
    Ok(())
}

/// The list and its action, created by the page above any `<Suspense>` (see `SessionsData`).
#[derive(Clone, Copy)]
pub struct AppsData {
    pub remove: ServerAction<RemoveApp>,
    pub apps: Resource<Result<Vec<MyApp>, AppError>>,
}

impl Default for AppsData {
    fn default() -> Self {
        Self::new()
    }
}

impl AppsData {
    pub fn new() -> Self {
        let remove = ServerAction::<RemoveApp>::new();
        let apps = Resource::new(move || remove.version().get(), |_| my_apps());
        Self { remove, apps }
    }
}

/// The section's words, in one place.
mod text {
    pub const HEADING: &str = "Apps you signed in to";
    pub const NONE: &str = "You have not signed in to another app with AskOnce.";
    pub const REMOVE: &str = "Remove access";
    pub const LAST_USED: &str = "last signed in";
}

#[component]
pub(crate) fn SignedInApps(data: AppsData) -> impl IntoView {
    let AppsData { remove, apps } = data;
    view! {
        <section class="card" aria-labelledby="apps-heading">
            <h2 id="apps-heading">{text::HEADING}</h2>
            <Suspense fallback=|| ()>
                {move || apps.get().and_then(Result::ok).map(|list| {
                    if list.is_empty() {
                        return view! { <p>{text::NONE}</p> }.into_any();
                    }
                    view! {
                        <ul class="identity-list" data-testid="apps">
                            {list.into_iter().map(|a| {
                                let label = format!("{} · {} {}", a.name, text::LAST_USED, a.last_used.format("%Y-%m-%d %H:%M UTC"));
                                let allowed = a.allowed.join("; ");
                                view! {
                                    <li>
                                        <span>{label}</span>
                                        <span class="help">{allowed}</span>
                                        <ActionForm action=remove attr:class="inline">
                                            <input type="hidden" name="client_id" value=a.client_id.clone() />
                                            <button type="submit" class="link-button" aria-label=format!("{} {}", text::REMOVE, a.name)>{text::REMOVE}</button>
                                        </ActionForm>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                })}
            </Suspense>
        </section>
    }
}
