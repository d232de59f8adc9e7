//! `/admin/applications`: the applications that sign people in through AskOnce, and the
//! machines that call its API. Register one (a confidential application's secret is shown
//! once), change it, rotate its secret (the old one keeps working for a day), delete it.
//! Applications from `askonce.toml` are listed, read-only: the file is their source.

use leptos::prelude::*;

use super::console::AdminFrame;
use crate::{error::AppError, escaping::TextArea};
use domain::openid_provider::{
    application::{Application, ApplicationSource, ApplicationWithSecret},
    AppType,
};

/// The page's words, in one place (the languages issue moves them to a catalog).
mod text {
    pub const TITLE: &str = "Applications";
    pub const INTRO: &str = "Your apps sign people in through AskOnce with OpenID Connect: register each one here (or in askonce.toml, or over /api/v2/clients), then give it the client id, the secret and the discovery address. docs/OPENID_PROVIDER.md lists every endpoint.";
    pub const DISCOVERY: &str = "Discovery address (your app's library finds everything else there):";
    pub const NEW: &str = "Register an application";
    pub const NONE: &str = "No applications yet.";
    pub const FROM_FILE: &str = "From askonce.toml: change it there.";
    pub const COPY_SECRET: &str = "Copy the client secret now: it is not shown again.";
    pub const ROTATE_HELP: &str =
        "A new secret; the current one keeps working for 24 hours, so your app can switch without a failed sign-in.";
}

/// What the page lists: the applications, and where an app's library discovers the rest.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ApplicationsOverview {
    /// `<public_url>/.well-known/openid-configuration`.
    pub discovery: String,
    pub applications: Vec<Application>,
}

#[server(endpoint = "admin/applications/list")]
pub(crate) async fn list_applications() -> Result<ApplicationsOverview, AppError> {
    let (state, _) = super::access::ssr::require_admin().await?;
    let applications = services::openid_provider::applications::list(&state.db, chrono::Utc::now())
        .await
        .map_err(|e| crate::error::ssr::internal("listing applications", e))?;
    let discovery = state.provider.endpoint(services::openid_provider::discovery::DISCOVERY_PATH);
    Ok(ApplicationsOverview { discovery, applications })
}

/// The settings both forms send (`form[name]`, `form[callbacks]`…): lists are one entry per
/// line or per space.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ApplicationForm {
    pub name: String,
    #[serde(default)]
    pub callbacks: String,
    #[serde(default)]
    pub allowed_logout_urls: String,
    #[serde(default)]
    pub web_origins: String,
    #[serde(default)]
    pub scopes: String,
    #[serde(default)]
    pub released_fields: String,
    /// Ticked: `on`.
    #[serde(default)]
    pub first_party: Option<String>,
}

/// The new-application form.
#[server(endpoint = "admin/applications/register")]
pub async fn register_application(app_type: String, form: ApplicationForm) -> Result<ApplicationWithSecret, AppError> {
    let (state, me) = super::access::ssr::require_admin().await?;
    let app_type = AppType::parse(&app_type).ok_or_else(|| AppError::BadRequest("Choose the kind of application.".into()))?;
    let settings = form.settings(app_type);
    let owner = services::openid_provider::applications::Grantor::Owner;
    Ok(services::openid_provider::applications::create(
        &state.db,
        settings,
        owner,
        services::audit::Actor::Admin(&me.user_id),
        chrono::Utc::now(),
    )
    .await?)
}

/// The edit form: the same fields but the kind, which does not change.
#[server(endpoint = "admin/applications/change")]
pub async fn change_application(client_id: String, form: ApplicationForm) -> Result<Application, AppError> {
    let (state, me) = super::access::ssr::require_admin().await?;
    Ok(services::openid_provider::applications::update(
        &state.db,
        &client_id,
        form.changes(),
        services::openid_provider::applications::Grantor::Owner,
        services::audit::Actor::Admin(&me.user_id),
        chrono::Utc::now(),
    )
    .await?)
}

#[server(endpoint = "admin/applications/rotate-secret")]
pub async fn rotate_application_secret(client_id: String) -> Result<ApplicationWithSecret, AppError> {
    let (state, me) = super::access::ssr::require_admin().await?;
    Ok(services::openid_provider::applications::rotate_secret(
        &state.db,
        &client_id,
        domain::openid_provider::application::RotateSecret::default(),
        services::openid_provider::applications::Grantor::Owner,
        services::audit::Actor::Admin(&me.user_id),
        chrono::Utc::now(),
    )
    .await?)
}

#[server(endpoint = "admin/applications/delete")]
pub async fn delete_application(client_id: String) -> Result<(), AppError> {
    let (state, me) = super::access::ssr::require_admin().await?;
    Ok(services::openid_provider::applications::delete(&state.db, &client_id, services::audit::Actor::Admin(&me.user_id)).await?)
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::ApplicationForm;
    use domain::openid_provider::{
        application::{ApplicationChanges, ApplicationSettings},
        AppType,
    };

    /// One entry per line or per space; blank entries dropped.
    fn entries(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_string).collect()
    }

    impl ApplicationForm {
        pub fn settings(self, app_type: AppType) -> ApplicationSettings {
            let scopes = entries(&self.scopes);
            ApplicationSettings {
                name: self.name.trim().to_string(),
                app_type,
                callbacks: entries(&self.callbacks),
                allowed_logout_urls: entries(&self.allowed_logout_urls),
                web_origins: entries(&self.web_origins),
                scopes: (!scopes.is_empty()).then_some(scopes),
                released_fields: entries(&self.released_fields),
                logo_uri: None,
                is_first_party: self.first_party.is_some(),
                access_token_lifetime_secs: None,
                id_token_lifetime_secs: None,
                refresh_token_lifetime_secs: None,
                backchannel_logout_uri: None,
                id_token_signed_response_alg: None,
            }
        }

        /// The fields the edit form shows, as a `PATCH` of them.
        pub fn changes(self) -> ApplicationChanges {
            let scopes = entries(&self.scopes);
            ApplicationChanges {
                name: Some(self.name.trim().to_string()),
                callbacks: Some(entries(&self.callbacks)),
                allowed_logout_urls: Some(entries(&self.allowed_logout_urls)),
                web_origins: Some(entries(&self.web_origins)),
                released_fields: Some(entries(&self.released_fields)),
                is_first_party: Some(self.first_party.is_some()),
                scopes: (!scopes.is_empty()).then_some(scopes),
                ..ApplicationChanges::default()
            }
        }
    }
}

fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn kind(app_type: AppType) -> &'static str {
    match app_type {
        AppType::RegularWeb => "Web app with a server (confidential, with a secret)",
        AppType::Spa => "Single-page app in the browser (public, PKCE)",
        AppType::Native => "Mobile or desktop app (public, PKCE)",
        AppType::NonInteractive => "Machine calling the management API (client credentials)",
    }
}

#[component]
pub(crate) fn ApplicationsPage() -> impl IntoView {
    view! {
        <AdminFrame title=text::TITLE>
            <Applications />
        </AdminFrame>
    }
}

#[component]
fn Applications() -> impl IntoView {
    let register = ServerAction::<RegisterApplication>::new();
    let change = ServerAction::<ChangeApplication>::new();
    let rotate = ServerAction::<RotateApplicationSecret>::new();
    let delete = ServerAction::<DeleteApplication>::new();
    let apps = Resource::new(
        move || (register.version().get(), change.version().get(), rotate.version().get(), delete.version().get()),
        |_| list_applications(),
    );
    let error = move || {
        [
            register.value().get().map(|r| r.map(|_| ())),
            change.value().get().map(|r| r.map(|_| ())),
            rotate.value().get().map(|r| r.map(|_| ())),
            delete.value().get(),
        ]
        .into_iter()
        .flatten()
        .find_map(Result::err)
        .map(|e| e.to_string())
    };
    // The secret just made (a registration or a rotation), shown once.
    let new_secret = move || {
        rotate
            .value()
            .get()
            .and_then(Result::ok)
            .or_else(|| register.value().get().and_then(Result::ok))
            .and_then(|made| made.client_secret.map(|secret| (made.application.name, made.application.client_id, secret)))
    };
    view! {
        <p class="intro">{text::INTRO}</p>
        <p class="error" role="alert" data-testid="applications-error">{error}</p>
        {move || new_secret().map(|(name, client_id, secret)| view! {
            <div class="card notice" role="status" data-testid="new-client-secret">
                <p><strong>{text::COPY_SECRET}</strong></p>
                <dl class="facts">
                    <div><dt>"Application"</dt><dd>{name}</dd></div>
                    <div><dt>"client_id"</dt><dd><code>{client_id}</code></dd></div>
                    <div><dt>"client_secret"</dt><dd><code class="secret">{secret}</code></dd></div>
                </dl>
            </div>
        })}
        <section class="card" aria-labelledby="new-app-heading">
            <h2 id="new-app-heading">{text::NEW}</h2>
            <ActionForm action=register attr:class="stack" attr:novalidate=true>
                <div class="field">
                    <label for="app-name">"Name"</label>
                    <input id="app-name" name="form[name]" required maxlength="128" aria-describedby="app-name-help" />
                    <p id="app-name-help" class="help">"Shown to people when they sign in to it."</p>
                </div>
                <fieldset>
                    <legend>"Kind"</legend>
                    {[AppType::RegularWeb, AppType::Spa, AppType::Native, AppType::NonInteractive].into_iter().map(|t| view! {
                        <label class="check">
                            <input type="radio" name="app_type" value=t.as_str() checked=t == AppType::RegularWeb />
                            " " {kind(t)}
                        </label>
                    }).collect_view()}
                </fieldset>
                <SettingsFields prefix="new" app=None />
                <div class="actions"><button type="submit" disabled=move || register.pending().get()>"Register"</button></div>
            </ActionForm>
        </section>
        <section aria-labelledby="apps-heading">
            <h2 id="apps-heading">"Registered"</h2>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || apps.get().map(|r| match r {
                    Ok(overview) => view! {
                        <p>{text::DISCOVERY} " " <code data-testid="discovery-address">{overview.discovery}</code></p>
                        {if overview.applications.is_empty() {
                            view! { <p class="muted">{text::NONE}</p> }.into_any()
                        } else {
                            overview.applications.into_iter().map(|app| view! { <ApplicationCard app change rotate delete /> }).collect_view().into_any()
                        }}
                    }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

/// The settings both forms share, filled from `app` when editing.
#[component]
fn SettingsFields(#[prop(into)] prefix: String, app: Option<Application>) -> impl IntoView {
    let id = move |name: &str| format!("{prefix}-{name}");
    let name_id = id("name");
    let lines = |list: &[String]| list.join("\n");
    let (callbacks, logout, origins, scopes, released, first_party) = match &app {
        Some(a) => (
            lines(&a.callbacks),
            lines(&a.allowed_logout_urls),
            lines(&a.web_origins),
            a.scopes.join(" "),
            a.released_fields.join(" "),
            a.is_first_party,
        ),
        None => (String::new(), String::new(), String::new(), String::new(), String::new(), true),
    };
    let field = |name: &'static str, label: &'static str, help: &'static str, value: String| {
        let (input, help_id) = (id(name), id(&format!("{name}-help")));
        view! {
            <div class="field">
                <label for=input.clone()>{label}</label>
                <TextArea value {..} id=input name=format!("form[{name}]") rows="2" aria-describedby=help_id.clone() />
                <p id=help_id class="help">{help}</p>
            </div>
        }
    };
    view! {
        {app.as_ref().map(|a| view! {
            <div class="field">
                <label for=name_id.clone()>"Name"</label>
                <input id=name_id.clone() name="form[name]" required maxlength="128" value=a.name.clone() />
            </div>
        })}
        {field("callbacks", "Callback addresses", "One per line, exact (no wildcards): where AskOnce sends people back with a code. https://, or http:// on 127.0.0.1 or localhost.", callbacks)}
        {field("allowed_logout_urls", "Addresses after sign-out", "One per line: the post_logout_redirect_uri values your app may use.", logout)}
        {field("web_origins", "Web origins", "One per line, like https://app.example: whose scripts may call the token and userinfo endpoints (single-page apps).", origins)}
        {field("scopes", "Scopes", "Space-separated. For apps people sign in to: openid profile email (the default), offline_access (refresh tokens), prompt (asking on the app's own pages, by token exchange). For a machine: the API scopes it may be granted, like read:users.", scopes)}
        {field("released_fields", "Profile fields it receives", "user_metadata keys, space-separated: only these leave AskOnce, under the namespaced claim.", released)}
        <label class="check">
            <input type="checkbox" name="form[first_party]" value="on" checked=first_party />
            " Your own application: people are not asked to consent (untick for a partner's app)"
        </label>
    }
}

#[component]
fn ApplicationCard(
    app: Application,
    change: ServerAction<ChangeApplication>,
    rotate: ServerAction<RotateApplicationSecret>,
    delete: ServerAction<DeleteApplication>,
) -> impl IntoView {
    let heading = format!("app-{}-heading", app.client_id);
    let labelled_by = heading.clone();
    let editable = app.source == ApplicationSource::Console;
    let confidential = !app.app_type.is_public();
    let (id_change, id_rotate, id_delete) = (app.client_id.clone(), app.client_id.clone(), app.client_id.clone());
    let name = app.name.clone();
    let delete_label = format!("Delete {}", app.name);
    let for_edit = app.clone();
    let list = |items: &[String]| if items.is_empty() { "—".to_string() } else { items.join(", ") };
    let secrets = app
        .secrets
        .iter()
        .map(|s| match s.expires_at {
            Some(end) => format!("made {}, stops {}", when(s.created_at), when(end)),
            None => format!("made {}", when(s.created_at)),
        })
        .collect::<Vec<_>>();
    let edit_prefix = format!("edit-{}", app.client_id);
    view! {
        <article class="card application" aria-labelledby=labelled_by data-client-id=app.client_id.clone()>
            <h3 id=heading>{app.name.clone()}</h3>
            <dl class="facts">
                <div><dt>"client_id"</dt><dd><code>{app.client_id.clone()}</code></dd></div>
                <div><dt>"Kind"</dt><dd>{kind(app.app_type)}</dd></div>
                <div><dt>"Callbacks"</dt><dd>{list(&app.callbacks)}</dd></div>
                <div><dt>"Scopes"</dt><dd>{app.scopes.join(" ")}</dd></div>
                <div><dt>"Fields it receives"</dt><dd>{list(&app.released_fields)}</dd></div>
                <div><dt>"Consent"</dt><dd>{if app.is_first_party { "not asked (your own app)" } else { "asked (a partner's app)" }}</dd></div>
                {confidential.then(|| view! { <div><dt>"Secrets"</dt><dd>{if secrets.is_empty() { "none".to_string() } else { secrets.join("; ") }}</dd></div> })}
                <div><dt>"Registered"</dt><dd>{when(app.created_at)}</dd></div>
            </dl>
            {(!editable).then(|| view! { <p class="muted">{text::FROM_FILE}</p> })}
            {editable.then(|| view! {
                <details>
                    <summary>"Change"</summary>
                    <ActionForm action=change attr:class="stack" attr:novalidate=true>
                        <input type="hidden" name="client_id" value=id_change />
                        <SettingsFields prefix=edit_prefix.clone() app=Some(for_edit.clone()) />
                        <div class="actions"><button type="submit">"Save"</button></div>
                    </ActionForm>
                </details>
                <div class="actions">
                    {confidential.then(|| view! {
                        <ActionForm action=rotate attr:class="inline">
                            <input type="hidden" name="client_id" value=id_rotate />
                            <button type="submit" class="secondary" title=text::ROTATE_HELP aria-label=format!("Rotate the secret of {name}")>"Rotate secret"</button>
                        </ActionForm>
                    })}
                    <ActionForm action=delete attr:class="inline">
                        <input type="hidden" name="client_id" value=id_delete />
                        <button type="submit" class="link-button danger" aria-label=delete_label.clone()>"Delete"</button>
                    </ActionForm>
                </div>
            })}
        </article>
    }
}
