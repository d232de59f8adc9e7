//! Service status: whether the database answers and the schema is current. Shown to people
//! on the home and `/status` pages (machines use `/healthz`). Nothing here is sensitive: no
//! counts, versions of dependencies or hostnames.

use crate::escaping::PageTitle;
use leptos::prelude::*;

use crate::error::AppError;

pub use domain::status::ServiceStatus;

/// Runs the status check on the server.
#[server]
pub async fn check_status() -> Result<ServiceStatus, AppError> {
    let state = crate::state::AppState::current()?;
    Ok(services::status::service_status(&state.db).await)
}

/// The status card with a "Check again" button. Without JavaScript the button posts the form
/// and the page reloads with a fresh check; with it, only the card updates.
#[component]
pub(crate) fn StatusPanel() -> impl IntoView {
    let recheck = ServerAction::<CheckStatus>::new();
    let initial = Resource::new(|| (), |_| check_status());
    // The latest result: a recheck's answer once there is one, else the initial load.
    let latest = move || match recheck.value().get() {
        Some(result) => Some(result),
        None => initial.get(),
    };

    view! {
        <section class="card status-panel" aria-labelledby="status-heading">
            <h2 id="status-heading">"Service status"</h2>
            <div aria-live="polite" data-testid="status-result">
                <Suspense fallback=|| view! { <p>"Checking…"</p> }>
                    {move || latest().map(|result| match result {
                        Ok(status) => view! { <StatusReport status /> }.into_any(),
                        Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                    })}
                </Suspense>
            </div>
            <ActionForm action=recheck>
                <button type="submit" data-testid="recheck" disabled=move || recheck.pending().get()>
                    {move || if recheck.pending().get() { "Checking…" } else { "Check again" }}
                </button>
            </ActionForm>
        </section>
    }
}

#[component]
fn StatusReport(status: ServiceStatus) -> impl IntoView {
    let class = if status.is_healthy() { "status ok" } else { "status bad" };
    view! {
        <p class=class data-testid="status-summary">{status.summary()}</p>
        <dl class="status-details">
            <dt>"Database"</dt>
            <dd>
                {status.database.clone()}
                {if status.database_reachable { " — reachable" } else { " — not reachable" }}
            </dd>
            <dt>"Schema"</dt>
            <dd>
                {if status.pending_migrations == 0 {
                    format!("up to date ({} migrations applied)", status.applied_migrations)
                } else {
                    format!("{} migrations pending", status.pending_migrations)
                }}
            </dd>
            <dt>"Checked at"</dt>
            <dd><time datetime=status.checked_at.clone() data-testid="checked-at">{status.checked_at.clone()}</time></dd>
        </dl>
    }
}

/// `/status`: the status card on a page of its own.
#[component]
pub(crate) fn StatusPage() -> impl IntoView {
    view! {
        <PageTitle text="Service status" />
        <h1>"Service status"</h1>
        <StatusPanel />
    }
}
