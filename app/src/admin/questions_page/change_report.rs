//! `/admin/questions/stages/{key}/report`: the schema-change report of one stage — what the
//! engine would now do with everyone who has an account (`profiling::change_report`).

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_params_map};

use crate::{admin::console::AdminFrame, error::AppError};
use domain::profiling::change_report::ChangeReport;

/// The report of stage `stage` under the configuration in force. Reads only.
#[server(endpoint = "admin/questions/report")]
pub(crate) async fn stage_change_report(stage: String) -> Result<ChangeReport, AppError> {
    let (state, _) = crate::admin::access::ssr::require_admin().await?;
    let key = domain::profiling::StageKey::parse(&stage).map_err(|_| AppError::NotFound)?;
    match services::profiling::change_report(&state.db, &key).await {
        Ok(Some(report)) => Ok(report),
        Ok(None) => Err(AppError::NotFound),
        Err(e) => Err(crate::error::ssr::internal("the change report", e)),
    }
}

fn share(n: u64, of: u64) -> String {
    if of == 0 {
        return "—".into();
    }
    format!("{:.0} %", n as f64 * 100.0 / of as f64)
}

#[component]
pub(crate) fn StageReportPage() -> impl IntoView {
    let params = use_params_map();
    let key = move || params.read().get("key").unwrap_or_default();
    let report = Resource::new(key, stage_change_report);
    view! {
        <AdminFrame title="Who a stage reaches">
            <p><A href="/admin/questions">"Back to the questions"</A></p>
            <Suspense fallback=|| view! { <p role="status">"Counting everyone the engine would ask… (a few seconds for a large site)"</p> }>
                {move || report.get().map(|r| match r {
                    Ok(report) => view! { <ReportView report /> }.into_any(),
                    Err(AppError::NotFound) => view! { <p class="error" role="alert">"There is no stage " <code>{key()}</code> "."</p> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Suspense>
        </AdminFrame>
    }
}

#[component]
fn ReportView(report: ChangeReport) -> impl IntoView {
    let people = report.people;
    let row = move |label: &'static str, testid: &'static str, n: u64| {
        view! {
            <tr data-testid=testid><th scope="row">{label}</th><td>{n}</td><td>{share(n, people)}</td></tr>
        }
    };
    view! {
        <section class="card" aria-labelledby="report-heading">
            <h2 id="report-heading">"Stage " <code>{report.stage.to_string()}</code></h2>
            <p>"If nothing else changes, " <strong>{report.moment.clone()}</strong> ":"</p>
            <table class="data" data-testid="change-report">
                <caption class="muted">{format!("Out of {people} people with an account — counted by the engine itself, nothing recorded.")}</caption>
                <thead><tr><th scope="col">"People"</th><th scope="col">"Count"</th><th scope="col">"Share"</th></tr></thead>
                <tbody>
                    {row("would be asked this stage", "report-asked", report.asked)}
                    {row("… of whom see another stage first", "report-after-another", report.after_another_stage)}
                    {row("have a field of it answered by a provider's claims", "report-claims", report.answered_by_claims)}
                    {row("have nothing left to ask (it completes silently)", "report-nothing", report.nothing_to_ask)}
                    {row("are held back (condition, skip cooldown, declined, disabled)", "report-held", report.held_back)}
                </tbody>
            </table>
        </section>
        <section class="card" aria-labelledby="report-fields-heading">
            <h2 id="report-fields-heading">"Per field"</h2>
            <table class="data" data-testid="change-report-fields">
                <thead><tr><th scope="col">"Field"</th><th scope="col">"Would be asked"</th><th scope="col">"On the profile already"</th><th scope="col">"From providers' claims"</th></tr></thead>
                <tbody>
                    {report.fields.into_iter().map(|f| view! {
                        <tr data-field=f.field.to_string()>
                            <th scope="row">{f.label} " " <code>{f.field.to_string()}</code></th>
                            <td>{f.asked}</td><td>{f.on_profile}</td><td>{f.from_claims}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <p class="muted">{format!("Counted in {} ms.", report.elapsed_ms)}</p>
        </section>
    }
}
