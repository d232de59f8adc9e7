//! `/admin/tokens`: management API tokens — create (the secret is shown once), list, revoke.

use std::collections::BTreeMap;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::{
    api_tokens::{Scope, TokenInfo, TokenState},
    console::AdminFrame,
};
use crate::error::AppError;

#[server(endpoint = "admin/tokens/list")]
pub async fn list_tokens() -> Result<Vec<TokenInfo>, AppError> {
    let (state, _) = super::access::ssr::require_admin().await?;
    super::api_tokens::ssr::list(&state.db).await.map_err(|e| crate::error::ssr::internal("listing tokens", e))
}

/// A token just created: the only time its secret is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedToken {
    pub info: TokenInfo,
    pub secret: String,
}

/// Form: `name`, `scopes[read:users]=on`, …
#[server(endpoint = "admin/tokens/create")]
pub async fn create_token(name: String, #[server(default)] scopes: BTreeMap<String, String>) -> Result<CreatedToken, AppError> {
    use crate::error::ssr::internal;
    let (state, me) = super::access::ssr::require_admin().await?;
    let chosen = super::api_tokens::scopes_from_form(&name, &scopes).map_err(AppError::Invalid)?;
    let (info, secret) = super::api_tokens::ssr::create(&state.db, &name, &chosen, services::audit::Actor::Admin(&me.user_id), None)
        .await
        .map_err(|e| internal("creating a token", e))?;
    Ok(CreatedToken { info, secret })
}

#[server(endpoint = "admin/tokens/revoke")]
pub async fn revoke_token(id: String) -> Result<(), AppError> {
    use crate::error::ssr::internal;
    let (state, me) = super::access::ssr::require_admin().await?;
    let id = domain::token_id::TokenId::parse(&id).ok_or(AppError::NotFound)?;
    if !super::api_tokens::ssr::revoke(&state.db, &id, services::audit::Actor::Admin(&me.user_id))
        .await
        .map_err(|e| internal("revoking a token", e))?
    {
        return Err(AppError::NotFound);
    }
    Ok(())
}

fn date(at: Option<chrono::DateTime<chrono::Utc>>) -> String {
    at.map(|a| a.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_else(|| "—".into())
}

#[component]
pub(crate) fn TokensPage() -> impl IntoView {
    view! {
        <AdminFrame title="API tokens">
            <Tokens />
        </AdminFrame>
    }
}

#[component]
fn Tokens() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let tokens = Resource::new(move || (create.version().get(), revoke.version().get()), |_| list_tokens());
    let errors = move || match create.value().get() {
        Some(Err(AppError::Invalid(map))) => map,
        _ => BTreeMap::new(),
    };
    let error_for = move |key: &'static str| move || errors().get(key).cloned();
    view! {
        {move || match create.value().get() {
            Some(Ok(created)) => view! {
                <div class="card notice" role="status" data-testid="new-token">
                    <p><strong>"Copy this token now: it is not shown again."</strong></p>
                    <p><code class="secret">{created.secret}</code></p>
                    <p class="muted">"Send it as " <code>"Authorization: Bearer …"</code> " to " <code>"/api/v2"</code> "."</p>
                </div>
            }.into_any(),
            Some(Err(e)) if !matches!(e, AppError::Invalid(_)) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
            _ => ().into_any(),
        }}
        <section class="card" aria-labelledby="new-token-heading">
            <h2 id="new-token-heading">"Create a token"</h2>
            <ActionForm action=create attr:class="stack">
                <div class="field">
                    <label for="token-name">"Name"</label>
                    <input id="token-name" name="name" required maxlength="128" aria-describedby="token-name-error" />
                    <p id="token-name-error" class="error field-error" role="alert">{error_for("name")}</p>
                </div>
                <fieldset aria-describedby="token-scopes-error">
                    <legend>"Scopes"</legend>
                    {Scope::ALL.into_iter().map(|s| view! {
                        <label class="check">
                            <input type="checkbox" name=format!("scopes[{}]", s.as_str()) value="on" />
                            " " <code>{s.as_str()}</code> " — " {s.describe()}
                        </label>
                    }).collect_view()}
                    <p id="token-scopes-error" class="error field-error" role="alert">{error_for("scopes")}</p>
                </fieldset>
                <div class="actions"><button type="submit">"Create token"</button></div>
            </ActionForm>
        </section>
        <section aria-labelledby="tokens-heading">
            <h2 id="tokens-heading">"Tokens"</h2>
            <Suspense fallback=|| ()>
                {move || tokens.get().map(|r| match r {
                    Ok(list) if list.is_empty() => view! { <p class="muted">"No tokens yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="data">
                            <thead><tr><th scope="col">"Name"</th><th scope="col">"Starts with"</th><th scope="col">"Scopes"</th><th scope="col">"Created"</th><th scope="col">"Last used"</th><th scope="col">"State"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|t| {
                                    let id = t.id.to_string();
                                    view! {
                                        <tr>
                                            <th scope="row">{t.name.clone()}</th>
                                            <td><code>{t.prefix.clone()} "…"</code></td>
                                            <td>{t.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")}</td>
                                            <td>{date(Some(t.created_at))}</td>
                                            <td>{date(t.last_used_at)}</td>
                                            <td>
                                                {match t.state {
                                                    TokenState::Revoked => view! { <span>"revoked " {date(t.revoked_at)}</span> }.into_any(),
                                                    TokenState::Expired => view! { <span>"expired " {date(t.expires_at)}</span> }.into_any(),
                                                    TokenState::Live => view! {
                                                        <ActionForm action=revoke attr:class="inline">
                                                            <input type="hidden" name="id" value=id.clone() />
                                                            <button type="submit" class="link-button danger" aria-label=format!("Revoke {}", t.name)>"Revoke"</button>
                                                        </ActionForm>
                                                    }.into_any(),
                                                }}
                                            </td>
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
    }
}
