//! `/admin/email`: the email outbox — every message AskOnce queued, newest first, with where
//! it is (queued, sent, failed), how many attempts it took and why the last one failed. With no
//! SMTP relay configured this is where a site owner (or a newcomer on `scripts/run.sh`) reads
//! the messages.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::console::AdminFrame;
use crate::error::AppError;

/// One message as the console shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMessage {
    pub id: i64,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    /// `queued`, `sent` or `failed`.
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// The newest 100 messages.
#[server(endpoint = "admin/email/list")]
pub async fn outbox_messages() -> Result<Vec<OutboxMessage>, AppError> {
    let (state, _) = super::access::ssr::require_admin().await?;
    let rows = services::email::outbox::recent(&state.db, 100).await.map_err(|e| crate::error::ssr::internal("listing the outbox", e))?;
    Ok(rows
        .into_iter()
        .map(|m| OutboxMessage {
            id: m.id,
            kind: m.kind,
            recipient: m.recipient,
            subject: m.subject,
            // A message still on its way holds a working link meant for its recipient only;
            // once sent it was redacted, unless the outbox is its destination (no SMTP relay).
            body_text: if m.status == "sent" { m.body_text } else { services::email::outbox::redact_links(&m.body_text) },
            status: m.status,
            attempts: m.attempts,
            last_error: m.last_error,
            created_at: m.created_at,
        })
        .collect())
}

#[component]
pub(crate) fn OutboxPage() -> impl IntoView {
    let messages = Resource::new(|| (), |_| outbox_messages());
    view! {
        <AdminFrame title="Email">
            <section class="card" aria-labelledby="outbox-heading">
                <h2 id="outbox-heading">"Outbox"</h2>
                <p class="hint">"Every message AskOnce sends is queued here first and delivered by a background worker, which retries when the mail relay is down. Without a relay (" <code>"email.smtp_url"</code> ") messages stay here."</p>
                <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                    {move || messages.get().map(|r| match r {
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No email has been queued yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <table data-testid="outbox">
                                <thead><tr><th scope="col">"Queued"</th><th scope="col">"To"</th><th scope="col">"Subject"</th><th scope="col">"Status"</th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|m| {
                                        let status = match (&m.status[..], m.last_error.clone()) {
                                            ("queued", Some(e)) => format!("queued, retrying after {} attempt(s): {e}", m.attempts),
                                            ("failed", e) => format!("failed after {} attempts: {}", m.attempts, e.unwrap_or_default()),
                                            (other, _) => other.to_string(),
                                        };
                                        view! {
                                            <tr data-status=m.status.clone()>
                                                <td>{m.created_at.format("%Y-%m-%d %H:%M UTC").to_string()}</td>
                                                <td>{m.recipient}</td>
                                                <td>
                                                    <details>
                                                        <summary>{m.subject}</summary>
                                                        <pre class="email-body">{m.body_text}</pre>
                                                    </details>
                                                </td>
                                                <td>{status}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    })}
                </Suspense>
            </section>
        </AdminFrame>
    }
}
