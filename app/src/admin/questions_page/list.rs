//! The two tables of `/admin/questions`, each row with its actions (reorder, enable, delete).

use leptos::prelude::*;
use leptos_router::components::A;

use super::{questions_config, QuestionAction};
use crate::{admin::console::AdminFrame, error::AppError};
use domain::profiling::VersionedConfig;

fn trigger_text(t: &domain::profiling::Trigger) -> String {
    use domain::profiling::Trigger;
    match t {
        Trigger::Signup => "at signup".into(),
        Trigger::Login { min_logins, max_logins: Some(max) } if max == min_logins => format!("at login {min_logins} only"),
        Trigger::Login { min_logins, max_logins: Some(max) } => format!("at login, from login {min_logins} to {max}"),
        Trigger::Login { min_logins, max_logins: None } => format!("at login, from login {min_logins} on"),
        Trigger::Context { name, tags } if tags.is_empty() => format!("in context “{name}”"),
        Trigger::Context { name, tags } => format!("in context “{name}” tagged {}", tags.join(", ")),
    }
}

#[component]
pub(crate) fn QuestionsPage() -> impl IntoView {
    view! {
        <AdminFrame title="Questions">
            <QuestionLists />
        </AdminFrame>
    }
}

/// A small form posting one action on one item (reorder, toggle, delete).
#[component]
fn ItemAction(
    action: ServerAction<QuestionAction>,
    version: i64,
    kind: &'static str,
    key: String,
    what: &'static str,
    label: String,
) -> impl IntoView {
    let class = if what == "delete" { "link-button danger" } else { "link-button" };
    // Visible words that start the accessible name (WCAG "label in name").
    let text = match what {
        "up" => "Up",
        "down" => "Down",
        "enable" => "Enable",
        "disable" => "Disable",
        "delete" => "Delete",
        other => other,
    };
    view! {
        <ActionForm action=action attr:class="inline">
            <input type="hidden" name="kind" value=kind />
            <input type="hidden" name="key" value=key />
            <input type="hidden" name="action" value=what />
            <input type="hidden" name="version" value=version.to_string() />
            <button type="submit" class=class aria-label=label>{text}</button>
        </ActionForm>
    }
}

/// After a field or stage was saved (`?changed=<key>`): which stages it affects, each with a
/// link to who it now reaches.
#[component]
fn ChangedBanner(config: domain::profiling::ProfilingConfig) -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    move || {
        let changed = query.read().get("changed")?;
        let stages: Vec<String> = config
            .stages
            .iter()
            .filter(|s| s.key.as_str() == changed || s.fields.iter().any(|f| f.as_str() == changed))
            .map(|s| s.key.to_string())
            .collect();
        Some(view! {
            <div class="card" role="status" data-testid="changed-banner">
                <p>"Saved " <code>{changed.clone()}</code> "."
                    {if stages.is_empty() { " No stage asks it yet." } else { " See whom it now reaches:" }}
                </p>
                <ul>
                    {stages.into_iter().map(|key| view! {
                        <li><A href=format!("/admin/questions/stages/{key}/report")>{format!("who stage {key} reaches")}</A></li>
                    }).collect_view()}
                </ul>
            </div>
        })
    }
}

#[component]
fn QuestionLists() -> impl IntoView {
    let act = ServerAction::<QuestionAction>::new();
    let config = Resource::new(move || act.version().get(), |_| questions_config());
    let act_error = move || match act.value().get() {
        Some(Err(AppError::Invalid(map))) => Some(map.into_values().collect::<Vec<_>>().join(" ")),
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };
    view! {
        <p class="error" role="alert">{act_error}</p>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || config.get().map(|r| match r {
                Ok(VersionedConfig { version, config }) => view! {
                    <ChangedBanner config=config.clone() />
                    <section aria-labelledby="stages-heading">
                        <h2 id="stages-heading">"Stages"</h2>
                        <p class="muted">"Considered in this order. At most one login stage is shown per sign-in."</p>
                        <table class="data" data-testid="stage-list">
                            <thead><tr><th scope="col">"Stage"</th><th scope="col">"When"</th><th scope="col">"Fields"</th><th scope="col">"State"</th><th scope="col">"Actions"</th></tr></thead>
                            <tbody>
                                {config.stages.clone().into_iter().map(|s| {
                                    let key = s.key.to_string();
                                    let toggle = if s.enabled { "disable" } else { "enable" };
                                    view! {
                                        <tr>
                                            <th scope="row"><A href=format!("/admin/questions/stages/{key}")>{s.title.clone()}</A> " " <code>{key.clone()}</code></th>
                                            <td>{trigger_text(&s.trigger)}</td>
                                            <td>{s.fields.iter().map(|f| f.to_string()).collect::<Vec<_>>().join(", ")}</td>
                                            <td>{if s.enabled { "enabled" } else { "disabled" }}</td>
                                            <td class="row-actions">
                                                <ItemAction action=act version=version kind="stage" key=key.clone() what="up" label=format!("Move stage {key} up") />
                                                <ItemAction action=act version=version kind="stage" key=key.clone() what="down" label=format!("Move stage {key} down") />
                                                <ItemAction action=act version=version kind="stage" key=key.clone() what=toggle label=format!("{toggle} stage {key}") />
                                                <ItemAction action=act version=version kind="stage" key=key.clone() what="delete" label=format!("Delete stage {key}") />
                                                <A href=format!("/admin/questions/stages/{key}/report") attr:aria-label=format!("Who stage {key} reaches")>"who it reaches"</A>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        <p><A href="/admin/questions/stages/new">"New stage"</A></p>
                    </section>
                    <section aria-labelledby="fields-heading">
                        <h2 id="fields-heading">"Fields"</h2>
                        <table class="data" data-testid="field-list">
                            <thead><tr><th scope="col">"Field"</th><th scope="col">"Kind"</th><th scope="col">"Stored in"</th><th scope="col">"Known from claims"</th><th scope="col">"Actions"</th></tr></thead>
                            <tbody>
                                {config.fields.clone().into_iter().map(|f| {
                                    let key = f.key.to_string();
                                    let kind = serde_json::to_value(f.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
                                    view! {
                                        <tr>
                                            <th scope="row"><A href=format!("/admin/questions/fields/{key}")>{f.label.clone()}</A> " " <code>{key.clone()}</code></th>
                                            <td>{kind}</td>
                                            <td><code>{f.target.to_string()}</code></td>
                                            <td>{f.claims.join(", ")}</td>
                                            <td class="row-actions">
                                                <ItemAction action=act version=version kind="field" key=key.clone() what="up" label=format!("Move field {key} up") />
                                                <ItemAction action=act version=version kind="field" key=key.clone() what="down" label=format!("Move field {key} down") />
                                                <ItemAction action=act version=version kind="field" key=key.clone() what="delete" label=format!("Delete field {key}") />
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        <p><A href="/admin/questions/fields/new">"New field"</A></p>
                    </section>
                    <p class="muted">
                        "The whole configuration can also be exported and imported: "
                        <code>"askonce profiling export"</code> " / " <code>"askonce profiling import FILE"</code> ", or "
                        <code>"GET/PUT /api/v2/profiling-config"</code> "."
                    </p>
                }.into_any(),
                Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}
