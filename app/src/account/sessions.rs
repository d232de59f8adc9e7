//! "Where you are signed in" on `/profile`: the signed-in sessions, and ending them.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedInSession {
    pub handle: String,
    pub device: String,
    pub ip: Option<String>,
    pub last_seen: DateTime<Utc>,
    pub this_device: bool,
}

#[server]
pub async fn my_sessions() -> Result<Vec<SignedInSession>, AppError> {
    let (state, me, current) = ssr::context().await?;
    let rows =
        services::auth::devices::list(&state.db, &me.user_id).await.map_err(|e| crate::error::ssr::internal("listing sessions", e))?;
    Ok(rows
        .into_iter()
        .map(|r| SignedInSession {
            this_device: current.as_deref() == Some(r.handle.as_str()),
            device: domain::activity::describe_device(r.user_agent.as_deref()),
            handle: r.handle,
            ip: r.ip,
            last_seen: r.last_seen,
        })
        .collect())
}

/// Ends one of the signed-in person's other sessions, or all of them (`handle` absent).
#[server(endpoint = "profile/sessions/end")]
pub async fn end_sessions(handle: Option<String>) -> Result<(), AppError> {
    use domain::{activity::Actor, activity::EventKind};
    use services::activity::Event;
    let client = crate::auth::ssr::client().await;
    let (state, me, current) = ssr::context().await?;
    let internal = |e| crate::error::ssr::internal("ending sessions", e);
    let ended = match handle.filter(|h| !h.is_empty()) {
        Some(h) => u64::from(services::auth::devices::end(&state.db, &me.user_id, &h).await.map_err(internal)?),
        None => {
            services::auth::devices::end_others(&state.db, &me.user_id, current.as_deref().unwrap_or_default()).await.map_err(internal)?
        }
    };
    if ended > 0 {
        let event = Event::new(EventKind::SessionsEnded, Actor::User).client(client).details(serde_json::json!({ "count": ended }));
        services::activity::record(&state.db, &me.user_id, event).await.map_err(internal)?;
    }
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    use crate::{auth::SessionUser, error::AppError, state::AppState};

    /// Reads everything it needs from the request before its first database await: the
    /// session used to be taken after `require_user`'s queries, and under concurrent server
    /// renders that late read found no request parts ("session layer missing"), so the
    /// "Where you are signed in" list rendered as an error the browser then hydrated against.
    pub async fn context() -> Result<(AppState, SessionUser, Option<String>), AppError> {
        let state = AppState::current()?;
        let session = crate::auth::ssr::session().await?;
        let me = crate::auth::ssr::user_of_session(&state, &session).await?.ok_or(AppError::Unauthorized)?;
        let current = services::auth::session::handle(&session).await?;
        Ok((state, me, current))
    }
}

/// The list and the action that ends sessions, created by the page above any `<Suspense>`:
/// a component created inside a Suspense's children runs again when the server renders them
/// (leptos-rs/leptos#4688), and so did its resource's queries.
#[derive(Clone, Copy)]
pub struct SessionsData {
    pub end: ServerAction<EndSessions>,
    pub sessions: Resource<Result<Vec<SignedInSession>, AppError>>,
}

impl Default for SessionsData {
    fn default() -> Self {
        Self::new()
    }
}

impl SessionsData {
    pub fn new() -> Self {
        let end = ServerAction::<EndSessions>::new();
        let sessions = Resource::new(move || end.version().get(), |_| my_sessions());
        Self { end, sessions }
    }
}

#[component]
pub(crate) fn SignedInSessions(data: SessionsData) -> impl IntoView {
    let SessionsData { end, sessions } = data;
    view! {
        <section class="card" aria-labelledby="sessions-heading">
            <h2 id="sessions-heading">"Where you are signed in"</h2>
            <Suspense fallback=|| ()>
                {move || sessions.get().and_then(Result::ok).map(|list| view! {
                    <ul class="identity-list" data-testid="sessions">
                        {list.into_iter().map(|s| {
                            let label = format!("{} · {} · last seen {}", s.device, s.ip.clone().unwrap_or_else(|| "unknown address".into()), s.last_seen.format("%Y-%m-%d %H:%M UTC"));
                            view! {
                                <li>
                                    <span>{label}</span>
                                    {if s.this_device {
                                        view! { <strong>" (this device)"</strong> }.into_any()
                                    } else {
                                        view! {
                                            <ActionForm action=end attr:class="inline">
                                                <input type="hidden" name="handle" value=s.handle.clone() />
                                                <button type="submit" class="link-button">"End this session"</button>
                                            </ActionForm>
                                        }.into_any()
                                    }}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                    <ActionForm action=end>
                        <button type="submit">"Sign out everywhere else"</button>
                    </ActionForm>
                })}
            </Suspense>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use domain::activity::describe_device;

    #[test]
    fn devices_are_named_from_their_user_agent() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
        assert_eq!(describe_device(Some(chrome)), "Chrome on Linux");
        assert_eq!(describe_device(Some("Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/604.1")), "Safari on iOS");
        assert_eq!(describe_device(None), "Unknown device");
    }
}
