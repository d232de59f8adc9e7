//! `/consent`: the consent screen of an application's sign-in. A partner's app (not one of
//! the site's own) shows it the first time it signs the person in, and whenever it asks for
//! more; any app with `prompt=consent`. The person allows or denies; the sign-in then goes on
//! at `/authorize/continue`, which issues the code or answers `access_denied`.
//!
//! Plain forms that post without JavaScript; with it, the page goes on by a full page load
//! (`/authorize/continue` is the server's, not a page of the app).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::{error::AppError, escaping::PageTitle};

/// What the screen shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentView {
    pub app_name: String,
    pub logo_uri: Option<String>,
    /// What the app asks to know, in words.
    pub asks: Vec<String>,
    /// The site's own fields it would receive.
    pub fields: Vec<String>,
}

/// The page's words, in one place.
mod text {
    pub const TITLE: &str = "Allow access";
    pub const ALLOW: &str = "Allow";
    pub const DENY: &str = "Deny";
    pub const ASKS: &str = "It asks to:";
    pub const FIELDS: &str = "It will also receive what you told this site about:";
    pub const REMOVE_LATER: &str = "You can remove its access at any time on your profile, under “Apps you signed in to”.";
    pub const GONE: &str = "This sign-in request has expired or was already completed. Go back to the application and sign in again.";

    pub fn heading(app: &str) -> String {
        format!("Allow {app} to use your AskOnce account?")
    }
}

#[server(endpoint = "authorize/consent")]
pub async fn consent_request(id: String) -> Result<Option<ConsentView>, AppError> {
    let state = crate::state::AppState::current()?;
    let _me = crate::auth::ssr::require_user().await?;
    let internal = |e| crate::error::ssr::internal("loading the consent request", e);
    let Some(request) =
        services::openid_provider::authorizations::for_consent(&state.db, &id, chrono::Utc::now()).await.map_err(internal)?
    else {
        return Ok(None);
    };
    let Some(client) = services::openid_provider::clients::find(&state.db, &request.client_id).await.map_err(internal)? else {
        return Ok(None);
    };
    Ok(Some(ConsentView {
        app_name: client.name,
        logo_uri: client.logo_uri.filter(|l| l.starts_with("https://")),
        asks: request.scope.iter().filter_map(domain::openid_provider::scope::describe).map(str::to_string).collect(),
        fields: client.released_fields.iter().map(|f| f.replace('_', " ")).collect(),
    }))
}

/// The person's answer: `allow` is `yes` or `no`.
#[server(endpoint = "authorize/consent/answer")]
pub async fn answer_consent(id: String, allow: String) -> Result<(), AppError> {
    let state = crate::state::AppState::current()?;
    let _me = crate::auth::ssr::require_user().await?;
    let granted = allow == "yes";
    let answered = services::openid_provider::authorizations::answer_consent(&state.db, &id, granted, chrono::Utc::now())
        .await
        .map_err(|e| crate::error::ssr::internal("recording consent", e))?;
    if !answered {
        return Err(AppError::NotFound);
    }
    // A plain form post goes on by this redirect; the hydrated page loads it itself.
    if crate::prompt::plain_form_post().await {
        leptos_axum::redirect(&continue_path(&id));
    }
    Ok(())
}

fn continue_path(id: &str) -> String {
    format!("/authorize/continue?id={}", domain::return_to::percent_encode(id))
}

#[component]
pub(crate) fn ConsentPage() -> impl IntoView {
    let query = use_query_map();
    let id = move || query.read().get("id").unwrap_or_default();
    let answer = ServerAction::<AnswerConsent>::new();
    let request = Resource::new(id, consent_request);
    #[cfg(not(feature = "ssr"))]
    Effect::new(move |_| {
        if matches!(answer.value().get(), Some(Ok(()))) {
            let _ = window().location().assign(&continue_path(&id()));
        }
    });
    let error = move || answer.value().get().and_then(Result::err).map(|e| e.to_string());
    view! {
        <PageTitle text=text::TITLE />
        <Suspense fallback=|| ()>
            {move || request.get().map(|r| match r {
                Ok(Some(r)) => {
                    let fields = (!r.fields.is_empty()).then(|| view! {
                        <p>{text::FIELDS}</p>
                        <ul>{r.fields.iter().map(|f| view! { <li>{f.clone()}</li> }).collect_view()}</ul>
                    });
                    let logo = r.logo_uri.clone().map(|src| view! { <img src=src alt="" width="48" height="48" /> });
                    view! {
                        <section class="card" aria-labelledby="consent-heading" data-testid="consent">
                            {logo}
                            <h1 id="consent-heading">{text::heading(&r.app_name)}</h1>
                            <p>{text::ASKS}</p>
                            <ul>{r.asks.iter().map(|a| view! { <li>{a.clone()}</li> }).collect_view()}</ul>
                            {fields}
                            <p class="help">{text::REMOVE_LATER}</p>
                            <p class="error" role="alert">{error}</p>
                            <div class="actions">
                                <ActionForm action=answer attr:class="inline">
                                    <input type="hidden" name="id" value=id() />
                                    <input type="hidden" name="allow" value="yes" />
                                    <button type="submit">{text::ALLOW}</button>
                                </ActionForm>
                                <ActionForm action=answer attr:class="inline">
                                    <input type="hidden" name="id" value=id() />
                                    <input type="hidden" name="allow" value="no" />
                                    <button type="submit" class="secondary">{text::DENY}</button>
                                </ActionForm>
                            </div>
                        </section>
                    }.into_any()
                }
                Ok(None) => view! { <p class="error banner" role="alert">{text::GONE}</p> }.into_any(),
                Err(e) => view! { <p class="error banner" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}
