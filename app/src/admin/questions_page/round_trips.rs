//! `/admin/questions/stages/:key/round-trips`: an external form stage's recent round trips —
//! sent to the form, back (how often), stored or refused and why — Arengu's "Executions".

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_params_map};

use super::form_round_trips;
use crate::admin::console::AdminFrame;

#[component]
pub(crate) fn RoundTripsPage() -> impl IntoView {
    let params = use_params_map();
    let key = move || params.read().get("key").unwrap_or_default();
    let trips = Resource::new(key, form_round_trips);
    view! {
        <AdminFrame title="Recent round trips to a form">
            <p><A href=move || format!("/admin/questions/stages/{}", key())>"Back to the stage"</A></p>
            <Suspense fallback=|| view! { <p role="status">"Loading…"</p> }>
                {move || trips.get().map(|found| match found {
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="muted">"Nobody has been sent to the form yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="data" data-testid="form-round-trips">
                            <thead><tr><th scope="col">"Sent"</th><th scope="col">"Person"</th><th scope="col">"Back"</th><th scope="col">"Outcome"</th><th scope="col">"Why"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|t| {
                                    let person = format!("/admin/users/{}", t.user_id);
                                    let back = match (t.returned_at, t.returns) {
                                        (None, _) => "not yet".to_string(),
                                        (Some(at), n) if n > 1 => format!("{at} ({n} times)"),
                                        (Some(at), _) => at,
                                    };
                                    view! {
                                        <tr data-outcome=t.outcome.as_str()>
                                            <td>{t.started_at.unwrap_or_else(|| "—".into())}</td>
                                            <td><A href=person>{t.user_id}</A></td>
                                            <td>{back}</td>
                                            <td>{t.outcome.as_str()}</td>
                                            <td>{t.reason.map(|r| r.to_string()).unwrap_or_default()}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                })}
            </Suspense>
        </AdminFrame>
    }
}
