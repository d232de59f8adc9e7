//! `/admin/simulator`: pick a person and a moment; see what the engine would ask and, for
//! everything it would not, why. A GET form: the URL of a simulation can be shared.

use leptos::prelude::*;
use leptos_router::{components::Form, hooks::use_query_map};

use super::{console::AdminFrame, simulator::Simulation};
use crate::error::AppError;
use domain::profiling::Moment;

/// `event`: signup | login | context. `login_number` defaults to the user's next login.
#[server(endpoint = "admin/simulate")]
pub async fn simulate(
    user: String,
    event: String,
    login_number: Option<String>,
    context: Option<String>,
    tags: Option<String>,
) -> Result<Option<Simulation>, AppError> {
    let (state, _) = super::access::ssr::require_admin().await?;
    if user.trim().is_empty() {
        return Ok(None);
    }
    // A GET form: the simulator page renders these refusals, and answers 400 with them.
    use crate::error::ssr::{internal, set_status};
    let moment = super::simulator::moment_from_form(&event, login_number.as_deref(), context.as_deref(), tags.as_deref())
        .map_err(|e| set_status(AppError::BadRequest(e.to_string())))?;
    let simulation = super::simulator::ssr::simulate(&state.db, &user, moment).await.map_err(|e| internal("simulating", e))?;
    simulation.map(Some).ok_or_else(|| set_status(AppError::BadRequest(format!("No user has the id or email “{}”.", user.trim()))))
}

fn moment_text(m: &Moment) -> String {
    match m {
        Moment::Signup => "signup".into(),
        Moment::Login { number } => format!("login number {number}"),
        Moment::Context { name, tags } if tags.is_empty() => format!("context “{name}”"),
        Moment::Context { name, tags } => format!("context “{name}” tagged {}", tags.join(", ")),
    }
}

#[component]
pub(crate) fn SimulatorPage() -> impl IntoView {
    view! {
        <AdminFrame title="Simulator">
            <Simulator />
        </AdminFrame>
    }
}

#[component]
fn Simulator() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &'static str| move || query.read().get(k).unwrap_or_default();
    let (user, event, number, context, tags) = (get("user"), get("event"), get("login_number"), get("context"), get("tags"));
    let result = Resource::new(
        move || (user(), event(), number(), context(), tags()),
        |(user, event, number, context, tags)| simulate(user, event, Some(number), Some(context), Some(tags)),
    );
    view! {
        <Form method="GET" action="" attr:class="stack simulator-form">
            <div class="field">
                <label for="sim-user">"Person (email or user id)"</label>
                <input id="sim-user" name="user" value=user required />
            </div>
            <div class="field">
                <label for="sim-event">"Moment"</label>
                <select id="sim-event" name="event">
                    <option value="login" selected=move || event() != "signup" && event() != "context">"Their next login (or login number below)"</option>
                    <option value="signup" selected=move || event() == "signup">"Signup"</option>
                    <option value="context" selected=move || event() == "context">"A place of the site (context)"</option>
                </select>
            </div>
            <div class="field">
                <label for="sim-n">"Login number (optional)"</label>
                <input id="sim-n" name="login_number" inputmode="numeric" value=number />
            </div>
            <div class="field">
                <label for="sim-context">"Context name (for a context, e.g. article)"</label>
                <input id="sim-context" name="context" value=context />
            </div>
            <div class="field">
                <label for="sim-tags">"Tags (comma-separated)"</label>
                <input id="sim-tags" name="tags" value=tags />
            </div>
            <div class="actions"><button type="submit">"Simulate"</button></div>
        </Form>
        <Suspense fallback=|| view! { <p>"Simulating…"</p> }>
            {move || result.get().map(|r| match r {
                Ok(None) => ().into_any(),
                Ok(Some(sim)) => view! {
                    <section aria-labelledby="sim-heading" data-testid="simulation">
                        <h2 id="sim-heading">{format!("{} at {}", sim.user_label, moment_text(&sim.moment))}</h2>
                        <p role="status" data-testid="sim-verdict">
                            {match &sim.stage {
                                Some(s) => format!("Would ask stage “{s}” now."),
                                None => "Would ask nothing now.".to_string(),
                            }}
                        </p>
                        <table class="data">
                            <thead><tr><th scope="col">"Stage"</th><th scope="col">"Field"</th><th scope="col">"Asked?"</th><th scope="col">"Why"</th></tr></thead>
                            <tbody>
                                {sim.verdicts.into_iter().map(|v| {
                                    let row_class = if v.field.is_none() { "stage-row" } else { "" };
                                    view! {
                                    <tr class=row_class>
                                        <td>{v.stage}</td>
                                        <td>{v.field.unwrap_or_else(|| "(whole stage)".into())}</td>
                                        <td>{if v.asked { "yes" } else { "no" }}</td>
                                        <td>{v.why}</td>
                                    </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        <p class="muted">"Nothing was recorded: a simulation does not count as showing a question."</p>
                    </section>
                }.into_any(),
                Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}
