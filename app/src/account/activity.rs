//! "Recent activity" on `/profile`: the last 30 things that happened to your account, in
//! plain words, with where they came from.

use leptos::prelude::*;

use crate::error::AppError;
use domain::activity::ActivityEntry;

/// How many entries the card shows.
pub const RECENT: u64 = 30;

#[server]
pub async fn my_activity() -> Result<Vec<ActivityEntry>, AppError> {
    let state = crate::state::AppState::current()?;
    let me = crate::auth::ssr::require_user().await?;
    services::activity::list(&state.db, &me.user_id, &services::activity::Filter::default(), Some(RECENT))
        .await
        .map_err(|e| crate::error::ssr::internal("loading activity", e))
}

/// The list, and where it renders: one table for /profile and the console's user page.
#[component]
pub(crate) fn ActivityTable(entries: Vec<ActivityEntry>, #[prop(optional)] show_actor: bool) -> impl IntoView {
    if entries.is_empty() {
        return view! { <p class="muted">"Nothing yet."</p> }.into_any();
    }
    view! {
        <table class="activity">
            <thead>
                <tr>
                    <th scope="col">"When (UTC)"</th>
                    <th scope="col">"What"</th>
                    <th scope="col">"From"</th>
                    {show_actor.then(|| view! { <th scope="col">"By"</th> })}
                </tr>
            </thead>
            <tbody>
                {entries.into_iter().map(|e| {
                    let from = match (&e.user_agent, &e.ip) {
                        (None, None) => "—".to_string(),
                        (ua, ip) => {
                            let device = domain::activity::describe_device(ua.as_deref());
                            ip.as_ref().map(|ip| format!("{device}, {ip}")).unwrap_or(device)
                        }
                    };
                    view! {
                        <tr data-kind=e.kind.as_str() data-success=e.success.to_string()>
                            <td><time datetime=e.at.to_rfc3339()>{e.at.format("%Y-%m-%d %H:%M").to_string()}</time></td>
                            <td>{(!e.success).then(|| view! { <span class="badge warn">"Refused"</span> " " })}{e.description}</td>
                            <td>{from}</td>
                            {show_actor.then(|| view! { <td>{e.actor}</td> })}
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
pub(crate) fn RecentActivity(entries: Resource<Result<Vec<ActivityEntry>, AppError>>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="activity-heading">
            <h2 id="activity-heading">"Recent activity"</h2>
            <p class="hint">"Sign-ins and changes to your account, newest first. Something you do not recognise? Change your password and sign out your other sessions."</p>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || entries.get().map(|r| match r {
                    Ok(list) => view! { <ActivityTable entries=list /> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}
