//! `/admin/analytics`: per stage and field over a period — a funnel per stage (shown →
//! answered / skipped / abandoned), the answer rate day by day, tables, and CSV export.
//! The charts are SVG drawn on the server, each with a text alternative; the tables carry
//! the same numbers.

use leptos::prelude::*;
use leptos_router::{components::Form, hooks::use_query_map};

use super::{
    analytics::{rate_polyline, Counts, Report, Row},
    console::AdminFrame,
};
use crate::error::AppError;

/// `from`/`to`: `YYYY-MM-DD`; both empty = the last 30 days.
#[server(endpoint = "admin/analytics")]
pub async fn analytics_report(from: String, to: String, #[server(default)] app: String) -> Result<Report, AppError> {
    let (state, _) = super::access::ssr::require_admin().await?;
    let period = if from.trim().is_empty() && to.trim().is_empty() {
        super::analytics::Period::last_days(chrono::Utc::now().date_naive(), 30)
    } else {
        // A GET form: the analytics page renders this refusal, and answers 400 with it.
        super::analytics::Period::parse(&from, &to).ok_or_else(|| {
            crate::error::ssr::set_status(AppError::BadRequest(
                "Choose a start date on or before the end date (YYYY-MM-DD), at most ten years apart.".into(),
            ))
        })?
    };
    super::analytics::ssr::report(&state.db, period, super::analytics::AppFilter::parse(&app))
        .await
        .map_err(|e| crate::error::ssr::internal("analytics", e))
}

fn pct(rate: f64) -> String {
    format!("{:.0}%", rate * 100.0)
}

#[component]
pub(crate) fn AnalyticsPage() -> impl IntoView {
    view! {
        <AdminFrame title="Analytics">
            <Analytics />
        </AdminFrame>
    }
}

#[component]
fn Analytics() -> impl IntoView {
    let query = use_query_map();
    let from = move || query.read().get("from").unwrap_or_default();
    let to = move || query.read().get("to").unwrap_or_default();
    let app = move || query.read().get("app").unwrap_or_default();
    let report = Resource::new(move || (from(), to(), app()), |(from, to, app)| analytics_report(from, to, app));
    view! {
        <Suspense fallback=|| view! { <p>"Counting…"</p> }>
            {move || report.get().map(|r| match r {
                Ok(report) => {
                    let (f, t) = (report.period.from.to_string(), report.period.to.to_string());
                    let chosen = report.app.as_query().to_string();
                    let csv = format!("/admin/analytics.csv?from={f}&to={t}&app={}", domain::return_to::percent_encode(&chosen));
                    let apps = report.apps.clone();
                    view! {
                        <Form method="GET" action="" attr:class="period">
                            <label for="from">"From"</label>
                            <input id="from" type="date" name="from" value=f.clone() />
                            <label for="to">"To"</label>
                            <input id="to" type="date" name="to" value=t.clone() />
                            // Whose pages asked: AskOnce's own, or an application's (the prompt API).
                            <label for="app">"Asked on"</label>
                            <select id="app" name="app" data-testid="analytics-app">
                                <option value="" selected=chosen.is_empty()>"Every page"</option>
                                <option value="askonce" selected=chosen == "askonce">"AskOnce's own pages"</option>
                                {apps.into_iter().map(|a| {
                                    let selected = a == chosen;
                                    view! { <option value=a.clone() selected=selected>{format!("{a}'s pages")}</option> }
                                }).collect_view()}
                            </select>
                            <button type="submit">"Show"</button>
                            <a href=csv rel="external" download="">"Download CSV"</a>
                        </Form>
                        <section aria-labelledby="funnels-heading">
                            <h2 id="funnels-heading">"Stages"</h2>
                            <table class="data" data-testid="stage-stats">
                                <thead><tr><th scope="col">"Stage"</th><th scope="col">"Shown"</th><th scope="col">"Answered"</th><th scope="col">"Skipped"</th><th scope="col">"Abandoned"</th><th scope="col">"Answer rate"</th></tr></thead>
                                <tbody>{report.stages.iter().map(|r| view! { <StatRow row=r.clone() /> }).collect_view()}</tbody>
                            </table>
                            <div class="charts">
                                {report.stages.iter().map(|r| {
                                    let points = report.daily.get(&r.key).cloned().unwrap_or_default();
                                    view! {
                                        <figure class="chart">
                                            <figcaption>{r.label.clone()}</figcaption>
                                            <Funnel row=r.clone() />
                                            <RateLine label=r.label.clone() line=rate_polyline(&points, 300.0, 80.0) days=points.len() />
                                        </figure>
                                    }
                                }).collect_view()}
                            </div>
                        </section>
                        {(!report.pages.is_empty()).then(|| view! {
                            <section aria-labelledby="pages-stats-heading">
                                <h2 id="pages-stats-heading">"Applications' pages"</h2>
                                <table class="data" data-testid="page-stats">
                                    <thead><tr><th scope="col">"Application"</th><th scope="col">"Page"</th><th scope="col">"Shown"</th><th scope="col">"Answered"</th><th scope="col">"Skipped"</th></tr></thead>
                                    <tbody>
                                        {report.pages.iter().map(|p| view! {
                                            <tr>
                                                <td><code>{p.client_id.clone()}</code></td>
                                                <th scope="row"><code>{p.page.clone()}</code></th>
                                                <td>{p.shown}</td><td>{p.answered}</td><td>{p.skipped}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </section>
                        })}
                        <section aria-labelledby="fields-stats-heading">
                            <h2 id="fields-stats-heading">"Fields"</h2>
                            <table class="data" data-testid="field-stats">
                                <thead><tr><th scope="col">"Field"</th><th scope="col">"Shown"</th><th scope="col">"Answered"</th><th scope="col">"Skipped"</th><th scope="col">"Abandoned"</th><th scope="col">"Answer rate"</th><th scope="col">"Left blank"</th></tr></thead>
                                <tbody>
                                    {report.fields.iter().map(|r| view! {
                                        <tr>
                                            <th scope="row">{r.label.clone()} " " <code>{r.key.clone()}</code></th>
                                            <td>{r.counts.shown}</td><td>{r.counts.answered}</td><td>{r.counts.skipped}</td><td>{r.counts.abandoned}</td>
                                            <td>{pct(r.counts.answer_rate())}</td><td>{r.counts.declined}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </section>
                    }.into_any()
                }
                Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn StatRow(row: Row) -> impl IntoView {
    let c = row.counts.clone();
    view! {
        <tr data-stage=row.key.clone()>
            <th scope="row">{row.label.clone()} " " <code>{row.key.clone()}</code></th>
            <td>{c.shown}</td><td>{c.answered}</td><td>{c.skipped}</td><td>{c.abandoned}</td><td>{pct(c.answer_rate())}</td>
        </tr>
    }
}

/// Horizontal bars: shown, then answered / skipped / abandoned as parts of it.
#[component]
fn Funnel(row: Row) -> impl IntoView {
    let Counts { shown, answered, skipped, abandoned, .. } = row.counts.clone();
    let max = shown.max(answered + skipped + abandoned).max(1) as f64;
    let bars = [
        ("Shown", shown, "bar-shown"),
        ("Answered", answered, "bar-answered"),
        ("Skipped", skipped, "bar-skipped"),
        ("Abandoned", abandoned, "bar-abandoned"),
    ];
    let summary = format!("{}: shown {shown}, answered {answered}, skipped {skipped}, abandoned {abandoned}", row.label);
    view! {
        <svg class="funnel" viewBox="0 0 300 96" width="300" height="96" role="img" aria-label=summary>
            {bars.into_iter().enumerate().map(|(i, (label, value, class))| {
                let y = (i * 24) as f64;
                let width = 180.0 * value as f64 / max;
                view! {
                    <text x="0" y={y + 15.0} class="chart-label">{label}</text>
                    <rect x="80" y={y + 3.0} width=format!("{width:.1}") height="16" class=class />
                    <text x=format!("{:.1}", 84.0 + width) y={y + 15.0} class="chart-value">{value}</text>
                }
            }).collect_view()}
        </svg>
    }
}

/// The answer rate day by day (0–100%).
#[component]
fn RateLine(label: String, line: String, days: usize) -> impl IntoView {
    let summary = format!("{label}: answer rate per day over {days} days");
    view! {
        <svg class="rate" viewBox="-30 -5 340 100" width="340" height="100" role="img" aria-label=summary>
            <line x1="0" y1="0" x2="300" y2="0" class="grid" />
            <line x1="0" y1="80" x2="300" y2="80" class="grid" />
            <text x="-28" y="4" class="chart-label">"100%"</text>
            <text x="-20" y="84" class="chart-label">"0%"</text>
            <polyline points=line class="rate-line" fill="none" />
        </svg>
    }
}
