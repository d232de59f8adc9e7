//! `/admin/hooks`: post-login hooks — make one (its signing secret is shown once), switch it
//! on or off, delete it, and read its recent calls (outcome, HTTP status, time, why it
//! failed), so a slow or failing hook is visible.

use std::collections::BTreeMap;

use leptos::prelude::*;

use super::console::AdminFrame;
use crate::error::AppError;
use domain::{
    hooks::CallOutcome, hooks::Hook, hooks::HookTrigger, hooks::NewHook, hooks::OnFailure, hooks::DEFAULT_TIMEOUT_MS,
    hooks::MAX_TIMEOUT_MS, hooks::MIN_TIMEOUT_MS,
};

#[server(endpoint = "admin/hooks/list")]
pub(crate) async fn list_hooks() -> Result<Vec<Hook>, AppError> {
    let (state, _) = super::access::ssr::require_admin().await?;
    services::hooks::store::list(&state.db).await.map_err(|e| crate::error::ssr::internal("listing hooks", e))
}

/// The new-hook form: `name`, `trigger`, `url`, `timeout_ms`, `on_failure`.
#[server(endpoint = "admin/hooks/create")]
pub async fn create_hook(name: String, trigger: String, url: String, timeout_ms: String, on_failure: String) -> Result<NewHook, AppError> {
    let (state, me) = super::access::ssr::require_admin().await?;
    let settings = ssr::settings_from_form(name, &trigger, url, &timeout_ms, &on_failure).map_err(AppError::Invalid)?;
    Ok(services::hooks::store::create(&state.db, state.outbound.policy(), settings, services::audit::Actor::Admin(&me.user_id)).await?)
}

/// Switches a hook on (`enabled=true`) or off.
#[server(endpoint = "admin/hooks/enable")]
pub async fn set_hook_enabled(id: String, enabled: bool) -> Result<(), AppError> {
    let (state, me) = super::access::ssr::require_admin().await?;
    let mut settings = services::hooks::store::get(&state.db, &id).await?.settings;
    settings.enabled = enabled;
    services::hooks::store::update(&state.db, state.outbound.policy(), &id, settings, services::audit::Actor::Admin(&me.user_id)).await?;
    Ok(())
}

#[server(endpoint = "admin/hooks/delete")]
pub(crate) async fn delete_hook(id: String) -> Result<(), AppError> {
    let (state, me) = super::access::ssr::require_admin().await?;
    Ok(services::hooks::store::delete(&state.db, &id, services::audit::Actor::Admin(&me.user_id)).await?)
}

#[cfg(feature = "ssr")]
mod ssr {
    use std::collections::BTreeMap;

    use domain::hooks::{HookSettings, HookTrigger, OnFailure};

    /// The form's text inputs as settings, or the problems per input.
    pub(crate) fn settings_from_form(
        name: String,
        trigger: &str,
        url: String,
        timeout_ms: &str,
        on_failure: &str,
    ) -> Result<HookSettings, BTreeMap<String, String>> {
        let mut problems = BTreeMap::new();
        let trigger = HookTrigger::parse(trigger).unwrap_or_else(|| {
            problems.insert("trigger".to_string(), "Choose when the hook runs.".to_string());
            HookTrigger::PostLogin
        });
        let on_failure = OnFailure::parse(on_failure).unwrap_or_else(|| {
            problems.insert("on_failure".to_string(), "Choose what a failed call does.".to_string());
            OnFailure::Continue
        });
        let timeout_ms = timeout_ms.trim().parse::<u32>().unwrap_or_else(|_| {
            problems.insert("timeout_ms".to_string(), "A whole number of milliseconds.".to_string());
            super::DEFAULT_TIMEOUT_MS
        });
        let settings =
            HookSettings { name: name.trim().to_string(), trigger, url: url.trim().to_string(), enabled: true, timeout_ms, on_failure };
        for (key, problem) in settings.problems() {
            problems.entry(key).or_insert(problem);
        }
        if problems.is_empty() {
            Ok(settings)
        } else {
            Err(problems)
        }
    }
}

fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

#[component]
pub(crate) fn HooksPage() -> impl IntoView {
    view! {
        <AdminFrame title="Hooks">
            <Hooks />
        </AdminFrame>
    }
}

#[component]
fn Hooks() -> impl IntoView {
    let create = ServerAction::<CreateHook>::new();
    let enable = ServerAction::<SetHookEnabled>::new();
    let delete = ServerAction::<DeleteHook>::new();
    let hooks = Resource::new(move || (create.version().get(), enable.version().get(), delete.version().get()), |_| list_hooks());
    let errors = move || match create.value().get() {
        Some(Err(AppError::Invalid(map))) => map,
        _ => BTreeMap::new(),
    };
    let error_for = move |key: &'static str| move || errors().get(key).cloned();
    let other_error = move || {
        [enable.value().get(), delete.value().get()]
            .into_iter()
            .flatten()
            .find_map(Result::err)
            .or_else(|| create.value().get().and_then(Result::err).filter(|e| !matches!(e, AppError::Invalid(_))))
            .map(|e| e.to_string())
    };
    view! {
        <p class="intro">
            "After a sign-up or sign-in, AskOnce POSTs a signed JSON event to each enabled hook, in the order they were made. "
            "The reply may add " <code>"user_metadata"</code> " / " <code>"app_metadata"</code>
            " (then never asked) or deny the sign-in. docs/MANUAL.md (“Post-login hooks”) describes the event, the reply and the signature."
        </p>
        <p class="error" role="alert">{other_error}</p>
        {move || create.value().get().and_then(Result::ok).map(|created| view! {
            <div class="card notice" role="status" data-testid="new-hook-secret">
                <p><strong>"Copy the signing secret of " {created.hook.settings.name.clone()} " now: it is not shown again."</strong></p>
                <p><code class="secret">{created.secret}</code></p>
                <p class="muted">"Check the " <code>"AskOnce-Signature"</code> " header of each call with it."</p>
            </div>
        })}
        <section class="card" aria-labelledby="new-hook-heading">
            <h2 id="new-hook-heading">"Add a hook"</h2>
            <ActionForm action=create attr:class="stack" attr:novalidate=true>
                <div class="field">
                    <label for="hook-name">"Name"</label>
                    <input id="hook-name" name="name" required maxlength="64" aria-describedby="hook-name-help hook-name-error" />
                    <p id="hook-name-help" class="help">"Lowercase letters, digits, - and _. Values it sets are marked hook:<name>."</p>
                    <p id="hook-name-error" class="error field-error" role="alert">{error_for("name")}</p>
                </div>
                <fieldset aria-describedby="hook-trigger-error">
                    <legend>"Runs"</legend>
                    {HookTrigger::ALL.into_iter().map(|t| view! {
                        <label class="check">
                            <input type="radio" name="trigger" value=t.as_str() checked=t == HookTrigger::PostLogin />
                            " " {match t { HookTrigger::PostSignup => "after a sign-up (once per account)", HookTrigger::PostLogin => "after every sign-in" }}
                        </label>
                    }).collect_view()}
                    <p id="hook-trigger-error" class="error field-error" role="alert">{error_for("trigger")}</p>
                </fieldset>
                <div class="field">
                    <label for="hook-url">"Endpoint URL"</label>
                    <input id="hook-url" name="url" type="url" required placeholder="https://crm.example/askonce" aria-describedby="hook-url-help hook-url-error" />
                    <p id="hook-url-help" class="help">"A public address. Your own network's addresses are refused unless the server's configuration lists them (hooks.allow_private)."</p>
                    <p id="hook-url-error" class="error field-error" role="alert">{error_for("url")}</p>
                </div>
                <div class="field">
                    <label for="hook-timeout">"Timeout (milliseconds)"</label>
                    <input id="hook-timeout" name="timeout_ms" type="number" min=MIN_TIMEOUT_MS max=MAX_TIMEOUT_MS value=DEFAULT_TIMEOUT_MS
                        aria-describedby="hook-timeout-help hook-timeout-error" />
                    <p id="hook-timeout-help" class="help">"The sign-in waits this long at most for the hook."</p>
                    <p id="hook-timeout-error" class="error field-error" role="alert">{error_for("timeout_ms")}</p>
                </div>
                <fieldset aria-describedby="hook-failure-error">
                    <legend>"If a call fails or times out"</legend>
                    <label class="check"><input type="radio" name="on_failure" value=OnFailure::Continue.as_str() checked=true />" continue the sign-in"</label>
                    <label class="check"><input type="radio" name="on_failure" value=OnFailure::Deny.as_str() />" refuse the sign-in"</label>
                    <p id="hook-failure-error" class="error field-error" role="alert">{error_for("on_failure")}</p>
                </fieldset>
                <div class="actions"><button type="submit" disabled=move || create.pending().get()>"Add hook"</button></div>
            </ActionForm>
        </section>
        <section aria-labelledby="hooks-heading">
            <h2 id="hooks-heading">"Hooks"</h2>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || hooks.get().map(|r| match r {
                    Ok(list) if list.is_empty() => view! { <p class="muted">"No hooks yet."</p> }.into_any(),
                    Ok(list) => list.into_iter().map(|hook| view! { <HookCard hook enable delete /> }).collect_view().into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn HookCard(hook: Hook, enable: ServerAction<SetHookEnabled>, delete: ServerAction<DeleteHook>) -> impl IntoView {
    let s = hook.settings.clone();
    let heading = format!("hook-{}-heading", s.name);
    let labelled_by = heading.clone();
    let failing = hook.recent_calls.first().is_some_and(|c| !matches!(c.outcome, CallOutcome::Ok | CallOutcome::Denied));
    let (id_enable, id_delete) = (hook.id.clone(), hook.id.clone());
    let name = s.name.clone();
    view! {
        <article class="card hook" aria-labelledby=labelled_by data-hook=s.name.clone()>
            <h3 id=heading>{s.name.clone()} {(!s.enabled).then_some(" (off)")}</h3>
            <dl class="facts">
                <div><dt>"Runs"</dt><dd>{s.trigger.as_str()}</dd></div>
                <div><dt>"URL"</dt><dd><code>{s.url.clone()}</code></dd></div>
                <div><dt>"Timeout"</dt><dd>{s.timeout_ms} " ms"</dd></div>
                <div><dt>"On failure"</dt><dd>{s.on_failure.as_str()}</dd></div>
            </dl>
            {failing.then(|| view! { <p class="error" data-testid="hook-failing">"The last call failed: see below."</p> })}
            <div class="actions">
                <ActionForm action=enable attr:class="inline">
                    <input type="hidden" name="id" value=id_enable />
                    <input type="hidden" name="enabled" value=(!s.enabled).to_string() />
                    <button type="submit" class="secondary">{if s.enabled { "Switch off" } else { "Switch on" }}</button>
                </ActionForm>
                <ActionForm action=delete attr:class="inline">
                    <input type="hidden" name="id" value=id_delete />
                    <button type="submit" class="link-button danger" aria-label=format!("Delete {name}")>"Delete"</button>
                </ActionForm>
            </div>
            <h4>"Recent calls"</h4>
            {if hook.recent_calls.is_empty() {
                view! { <p class="muted">"Not called yet."</p> }.into_any()
            } else {
                view! {
                    <table class="data" data-testid="hook-calls">
                        <thead><tr><th scope="col">"When"</th><th scope="col">"Outcome"</th><th scope="col">"HTTP"</th><th scope="col">"Time"</th><th scope="col">"Detail"</th></tr></thead>
                        <tbody>
                            {hook.recent_calls.into_iter().map(|c| view! {
                                <tr>
                                    <td>{when(c.at)}</td>
                                    <td>{c.outcome.as_str()}</td>
                                    <td>{c.http_status.map(|s| s.to_string()).unwrap_or_else(|| "—".into())}</td>
                                    <td>{c.duration_ms} " ms"</td>
                                    <td>{c.detail.unwrap_or_default()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </article>
    }
}
