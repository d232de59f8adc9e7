//! `/admin/users` (search, newest first, page by page) and `/admin/users/:id` (the whole
//! profile with provenance, raw JSON and prompt history; metadata editors; block; delete).

use leptos::prelude::*;
use leptos_router::{
    components::{Form, A},
    hooks::{use_params_map, use_query_map},
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{console::AdminFrame, users::UserPage};
use crate::{error::AppError, escaping::TextArea};
use domain::profile::UserProfile;

#[server(endpoint = "admin/users/search")]
pub async fn search_users(q: String, from: Option<String>) -> Result<UserPage, AppError> {
    use crate::error::ssr::set_status;
    let (state, _) = super::access::ssr::require_admin().await?;
    let cursor = match from.as_deref().filter(|f| !f.is_empty()) {
        Some(f) => Some(
            super::users::Cursor::decode(f)
                // The list page renders this: the page answers 400 too.
                .ok_or_else(|| set_status(AppError::BadRequest("That page link is invalid; start from the first page.".into())))?,
        ),
        None => None,
    };
    super::users::ssr::search(&state.db, &q, cursor.as_ref(), 25).await.map_err(AppError::from)
}

/// Everything the detail page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminUserView {
    pub profile: UserProfile,
    pub history: Vec<Value>,
    /// The profile as the API returns it, pretty-printed.
    pub raw: String,
}

#[server(endpoint = "admin/users/get")]
pub async fn admin_user(id: String) -> Result<AdminUserView, AppError> {
    use crate::error::ssr::{internal, set_status};
    let (state, _) = super::access::ssr::require_admin().await?;
    // The user page renders this: an unknown id, or one that cannot be an id, is a 404 page.
    let id = user_of_url(&id).map_err(set_status)?;
    let profile = services::profile::read::load_user_profile(&state.db, &id)
        .await
        .map_err(|e| internal("loading a user", e))?
        .ok_or_else(|| set_status(AppError::NotFound))?;
    let history = services::profiling::prompt_history(&state.db, &id).await.map_err(|e| internal("loading a user", e))?;
    let raw = serde_json::to_string_pretty(&profile).unwrap_or_default();
    Ok(AdminUserView { profile, history, raw })
}

/// Replaces both metadata objects with the JSON documents given (the editor shows them whole).
/// A user's account activity for the console, filtered by kind (`""`: all) and outcome
/// (`"refused"`: refused attempts only).
#[server(endpoint = "admin/users/activity")]
pub(crate) async fn admin_user_activity(
    id: String,
    kind: String,
    outcome: String,
) -> Result<Vec<domain::activity::ActivityEntry>, AppError> {
    use domain::activity::EventKind;
    use services::activity::Filter;
    let (state, _me) = super::access::ssr::require_admin().await?;
    let kinds = match kind.as_str() {
        "" => Vec::new(),
        k => vec![EventKind::parse(k).ok_or_else(|| AppError::BadRequest(format!("`{k}` is not an activity kind")))?],
    };
    let success = match outcome.as_str() {
        "refused" => Some(false),
        "succeeded" => Some(true),
        _ => None,
    };
    let filter = Filter { kinds, success, before_id: None };
    services::activity::list(&state.db, &user_of_url(&id)?, &filter, Some(100))
        .await
        .map_err(|e| crate::error::ssr::internal("loading activity", e))
}

#[server(endpoint = "admin/users/metadata")]
pub async fn save_user_metadata(id: String, user_metadata: String, app_metadata: String) -> Result<(), AppError> {
    use super::users::{MetadataMode, UserPatch};
    let (state, me) = super::access::ssr::require_admin().await?;
    let patch = UserPatch::from_documents(&user_metadata, &app_metadata).map_err(AppError::Invalid)?;
    super::users::ssr::update(&state.db, &user_of_url(&id)?, &patch, MetadataMode::Replace, services::audit::Actor::Admin(&me.user_id))
        .await?;
    Ok(())
}

/// Creates an email-and-password user: with a password, or (none given) an emailed invitation
/// to choose one. Goes to the new user's page.
#[server(endpoint = "admin/users/create")]
pub(crate) async fn create_user(
    email: String,
    name: Option<String>,
    password: Option<String>,
    email_verified: Option<String>,
) -> Result<(), AppError> {
    let (state, me) = super::access::ssr::require_admin().await?;
    let new = super::new_user::NewUser {
        email,
        name: name.filter(|n| !n.trim().is_empty()),
        password: password.filter(|p| !p.is_empty()),
        email_verified: email_verified.is_some(),
        ..Default::default()
    };
    let (profile, _) = super::new_user::ssr::create(&state.db, &state.site, &new, services::audit::Actor::Admin(&me.user_id)).await?;
    leptos_axum::redirect(&format!("/admin/users/{}?created=1", crate::auth::return_to::percent_encode(&profile.user_id)));
    Ok(())
}

/// The "Name, email and picture" form as posted (`form[name]=…`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AttributesForm {
    pub name: String,
    pub given_name: String,
    pub family_name: String,
    pub nickname: String,
    pub picture: String,
    pub email: String,
    pub email_verified: Option<String>,
}

/// Saves a user's root attributes (refused, with why, when their primary account re-sends
/// them at each sign-in). A blank input clears that attribute; the email is required.
#[server(endpoint = "admin/users/attributes")]
pub(crate) async fn save_user_attributes(id: String, form: AttributesForm) -> Result<(), AppError> {
    let AttributesForm { name, given_name, family_name, nickname, picture, email, email_verified } = form;
    let (state, me) = super::access::ssr::require_admin().await?;
    if let Some(connection) = super::users::ssr::resyncing_connection(&state.db, state.connections.as_ref(), &user_of_url(&id)?).await? {
        return Err(super::users::DirectoryError::Resynced(connection).into());
    }
    let current = services::profile::read::load_user_profile(&state.db, &user_of_url(&id)?)
        .await
        .map_err(|e| crate::error::ssr::internal("loading a user", e))?
        .ok_or(AppError::NotFound)?;
    // Only what changed: an unchanged email keeps its verification.
    let changed = |now: &Option<String>, typed: String| (now.as_deref().unwrap_or("") != typed.trim()).then_some(typed);
    let email = changed(&current.email, email).filter(|e| !e.trim().is_empty());
    let patch = super::users::UserPatch {
        name: changed(&current.name, name),
        given_name: changed(&current.given_name, given_name),
        family_name: changed(&current.family_name, family_name),
        nickname: changed(&current.nickname, nickname),
        picture: changed(&current.picture, picture),
        email_verified: (email_verified.is_some() && (email.is_some() || !current.email_verified)).then_some(true),
        email,
        ..Default::default()
    };
    if patch.touches_root() {
        let actor = services::audit::Actor::Admin(&me.user_id);
        super::users::ssr::update_notifying(
            &state.db,
            Some(&state.site),
            &user_of_url(&id)?,
            &patch,
            super::users::MetadataMode::Merge,
            actor,
        )
        .await?;
    }
    Ok(())
}

/// Links the account of user `other` into user `id` (its identities move here; it is removed).
#[server(endpoint = "admin/users/link")]
pub(crate) async fn link_user_account(id: String, other: String) -> Result<(), AppError> {
    let (state, me) = super::access::ssr::require_admin().await?;
    let id = domain::user_id::UserId::parse(&id).ok_or(AppError::NotFound)?;
    let other = domain::user_id::UserId::parse(other.trim());
    let found = match &other {
        Some(other) => {
            services::profile::store::load(&state.db, other).await.map_err(|e| crate::error::ssr::internal("loading a user", e))?
        }
        None => None,
    };
    let (Some(other), Some(_)) = (other, found) else {
        return Err(AppError::Invalid(std::collections::BTreeMap::from([(
            "other".to_string(),
            "There is no user with this id.".to_string(),
        )])));
    };
    services::identity::link_accounts(&state.db, &id, &other, None, services::audit::Actor::Admin(&me.user_id)).await?;
    Ok(())
}

/// Unlinks one identity from a user (never the last).
#[server(endpoint = "admin/users/unlink")]
pub(crate) async fn unlink_user_identity(id: String, connection: String, subject: String) -> Result<(), AppError> {
    let (state, me) = super::access::ssr::require_admin().await?;
    services::identity::unlink_identity(&state.db, &user_of_url(&id)?, &connection, &subject).await?;
    services::audit::record(
        &state.db,
        services::audit::Actor::Admin(&me.user_id),
        services::audit::Action::UsersUnlinked,
        Some(&user_of_url(&id)?),
        serde_json::json!({ "connection": connection }),
    )
    .await
    .map_err(|e| crate::error::ssr::internal("recording an unlink", e))?;
    Ok(())
}

/// Blocks (ending their sessions) or unblocks a user.
#[server(endpoint = "admin/users/block")]
pub async fn set_user_blocked(id: String, blocked: bool) -> Result<(), AppError> {
    let (state, me) = super::access::ssr::require_admin().await?;
    if blocked && me.user_id == id {
        return Err(AppError::Conflict("You cannot block yourself.".into()));
    }
    let patch = super::users::UserPatch { blocked: Some(blocked), ..Default::default() };
    super::users::ssr::update(
        &state.db,
        &user_of_url(&id)?,
        &patch,
        super::users::MetadataMode::Merge,
        services::audit::Actor::Admin(&me.user_id),
    )
    .await?;
    Ok(())
}

/// Deletes a user; `confirm` must repeat their email (or id when they have none).
#[server(endpoint = "admin/users/delete")]
pub async fn delete_user(id: String, confirm: String) -> Result<(), AppError> {
    let (state, me) = super::access::ssr::require_admin().await?;
    super::users::ssr::delete_confirmed(&state.db, &user_of_url(&id)?, &confirm, services::audit::Actor::Admin(&me.user_id)).await?;
    leptos_axum::redirect("/admin/users");
    Ok(())
}

fn day(at: &chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

#[component]
pub(crate) fn UsersPage() -> impl IntoView {
    view! {
        <AdminFrame title="Users">
            <UserList />
            <CreateUserForm />
        </AdminFrame>
    }
}

/// "Create a user": email, optional name, and a password — or none, to email an invitation.
#[component]
fn CreateUserForm() -> impl IntoView {
    let create = ServerAction::<CreateUser>::new();
    let problem = move |key: &'static str| {
        move || match create.value().get() {
            Some(Err(AppError::Invalid(map))) => map.get(key).cloned(),
            _ => None,
        }
    };
    let general = move || match create.value().get() {
        Some(Err(AppError::Invalid(map))) => {
            map.iter().find(|(k, _)| !matches!(k.as_str(), "email" | "password")).map(|(k, v)| format!("{k}: {v}"))
        }
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };
    view! {
        <section class="card" aria-labelledby="create-user-heading">
            <h2 id="create-user-heading">"Create a user"</h2>
            <ActionForm action=create attr:class="stack" attr:novalidate=true>
                <div class="field">
                    <label for="new-email">"Email"</label>
                    <input id="new-email" name="email" type="email" required=true autocomplete="off" aria-describedby="new-email-error" />
                    <p id="new-email-error" class="error field-error" role="alert">{problem("email")}</p>
                </div>
                <div class="field">
                    <label for="new-name">"Name (optional)"</label>
                    <input id="new-name" name="name" autocomplete="off" />
                </div>
                <div class="field">
                    <label for="new-password">"Password (optional)"</label>
                    <input id="new-password" name="password" type="password" autocomplete="new-password" aria-describedby="new-password-help new-password-error" />
                    <p id="new-password-help" class="help">"Leave it empty to email an invitation: its link lets them choose their own password (valid 7 days)."</p>
                    <p id="new-password-error" class="error field-error" role="alert">{problem("password")}</p>
                </div>
                <label class="check"><input type="checkbox" name="email_verified" value="on" />" The site vouches for this email address"</label>
                <p class="error" role="alert">{general}</p>
                <div class="actions"><button type="submit" disabled=move || create.pending().get()>"Create user"</button></div>
            </ActionForm>
        </section>
    }
}

#[component]
fn UserList() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.read().get("q").unwrap_or_default();
    let from = move || query.read().get("from");
    let page = Resource::new(move || (q(), from()), |(q, from)| search_users(q, from));
    view! {
        <Form method="GET" action="" attr:class="search" attr:role="search">
            <label for="user-search">"Search by email, name or metadata"</label>
            <input id="user-search" type="search" name="q" value=q aria-describedby="user-search-help" />
            <button type="submit">"Search"</button>
            <p id="user-search-help" class="help">
                "Narrow it with " <code>"email:"</code> ", " <code>"name:"</code> ", " <code>"connection:"</code> " or "
                <code>"user_metadata.company:"</code> " — e.g. " <code>"connection:google user_metadata.company:\"Acme Ltd\""</code>
            </p>
        </Form>
        <Suspense fallback=|| view! { <p>"Searching…"</p> }>
            {move || page.get().map(|r| match r {
                Ok(page) if page.users.is_empty() => view! { <p class="muted" role="status">"No users match."</p> }.into_any(),
                Ok(page) => {
                    let next = page.next.clone().map(|n| format!("?q={}&from={}", crate::auth::return_to::percent_encode(&q()), crate::auth::return_to::percent_encode(&n)));
                    view! {
                        <table class="data" data-testid="user-list">
                            <thead><tr><th scope="col">"Email"</th><th scope="col">"Name"</th><th scope="col">"Signed up"</th><th scope="col">"Logins"</th><th scope="col">"State"</th></tr></thead>
                            <tbody>
                                {page.users.into_iter().map(|u| view! {
                                    <tr>
                                        <th scope="row"><A href=format!("/admin/users/{}", u.user_id)>{u.email.clone().unwrap_or_else(|| u.user_id.clone())}</A></th>
                                        <td>{u.name.clone()}</td>
                                        <td>{day(&u.created_at)}</td>
                                        <td>{u.logins_count}</td>
                                        <td>{if u.blocked { "blocked" } else { "active" }}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                        {next.map(|href| view! { <p><A href=href>"Next page"</A></p> })}
                    }.into_any()
                }
                Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
pub(crate) fn UserDetailPage() -> impl IntoView {
    view! {
        <AdminFrame title="User">
            <UserDetail />
        </AdminFrame>
    }
}

#[component]
fn UserDetail() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let save = ServerAction::<SaveUserMetadata>::new();
    let block = ServerAction::<SetUserBlocked>::new();
    let delete = ServerAction::<DeleteUser>::new();
    let attributes = ServerAction::<SaveUserAttributes>::new();
    let link = ServerAction::<LinkUserAccount>::new();
    let unlink = ServerAction::<UnlinkUserIdentity>::new();
    let changes =
        move || (save.version().get(), block.version().get(), attributes.version().get(), link.version().get(), unlink.version().get());
    // Blocking, so an unknown id answers 404 (the status is set before the response starts).
    let user = Resource::new_blocking(move || (id(), changes()), |(id, ..)| admin_user(id));
    let attributes_error = move || match attributes.value().get() {
        Some(Err(AppError::Invalid(map))) => Some(map.into_iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join(" ")),
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };
    let link_error = move || match link.value().get() {
        Some(Err(AppError::Invalid(map))) => map.values().next().cloned(),
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };
    let unlink_error = move || match unlink.value().get() {
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };
    let query = use_query_map();
    let activity_kind = move || query.read().get("activity_kind").unwrap_or_default();
    let activity_outcome = move || query.read().get("activity_outcome").unwrap_or_default();
    let activity = Resource::new(
        move || (id(), activity_kind(), activity_outcome(), save.version().get(), block.version().get()),
        |(id, kind, outcome, ..)| admin_user_activity(id, kind, outcome),
    );
    let invalid = move |key: &'static str| {
        move || match save.value().get().or_else(|| delete.value().get()) {
            Some(Err(AppError::Invalid(map))) => map.get(key).cloned(),
            _ => None,
        }
    };
    let delete_error = move || match delete.value().get() {
        Some(Err(AppError::Invalid(map))) => map.get("confirm").cloned(),
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || user.get().map(|r| match r {
                Ok(view) => {
                    let p = view.profile.clone();
                    let (uid_meta, uid_block, uid_delete) = (p.user_id.clone(), p.user_id.clone(), p.user_id.clone());
                    let (uid_attributes, uid_link) = (p.user_id.clone(), p.user_id.clone());
                    let identity_rows: Vec<(String, String, String, String)> =
                        p.identities.iter().map(|i| (i.connection.clone(), i.provider.clone(), i.user_id.clone(), p.user_id.clone())).collect();
                    let (name, given_name, family_name, nickname, picture, email, email_verified) =
                        (p.name.clone(), p.given_name.clone(), p.family_name.clone(), p.nickname.clone(), p.picture.clone(), p.email.clone(), p.email_verified);
                    let confirm_word = p.email.clone().unwrap_or_else(|| p.user_id.clone());
                    let user_metadata = serde_json::to_string_pretty(&p.user_metadata).unwrap_or_default();
                    let app_metadata = serde_json::to_string_pretty(&p.app_metadata).unwrap_or_default();
                    let values: Vec<(String, String)> = domain::profile::RootAttribute::ALL.into_iter()
                        .filter(|a| !matches!(a, domain::profile::RootAttribute::EmailVerified | domain::profile::RootAttribute::Picture))
                        .filter_map(|a| p.root_text(a).map(|v| (a.as_str().to_string(), v))).chain(
                        p.user_metadata.as_object().into_iter().flatten().map(|(k, v)| (format!("user_metadata.{k}"), v.to_string()))
                    ).collect();
                    view! {
                        <section class="card" aria-labelledby="user-heading">
                            <h2 id="user-heading" data-testid="user-email">{p.email.clone().unwrap_or_else(|| p.user_id.clone())}</h2>
                            <p class="muted">
                                "Id " <code>{p.user_id.clone()}</code> " · signed up " {day(&p.created_at)} " · "
                                {p.logins_count} " logins · " {if p.blocked { "blocked" } else { "active" }}
                                {if p.email_verified { " · email verified" } else { " · email not verified" }}
                            </p>
                            <table class="data">
                                <caption>"Profile values and where they came from"</caption>
                                <thead><tr><th scope="col">"Attribute"</th><th scope="col">"Value"</th><th scope="col">"Source"</th></tr></thead>
                                <tbody>
                                    {values.into_iter().map(|(k, v)| {
                                        let source = p.provenance.get(&k).map(|pr| format!("{} on {}", pr.source, day(&pr.at))).unwrap_or_else(|| "—".into());
                                        view! { <tr><th scope="row"><code>{k}</code></th><td>{v}</td><td>{source}</td></tr> }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </section>
                        <section class="card" aria-labelledby="attributes-heading">
                            <h2 id="attributes-heading">"Name, email and picture"</h2>
                            <ActionForm action=attributes attr:class="stack" attr:aria-label="Name, email and picture">
                                <input type="hidden" name="id" value=uid_attributes />
                                {[("name", "Name", name), ("given_name", "Given name", given_name), ("family_name", "Family name", family_name),
                                  ("nickname", "Nickname", nickname), ("picture", "Picture (web address)", picture), ("email", "Email", email)]
                                    .into_iter().map(|(name, label, value)| {
                                        let id = format!("attr-{name}");
                                        view! {
                                            <div class="field">
                                                <label for=id.clone()>{label}</label>
                                                <input id=id name=format!("form[{name}]") value=value.unwrap_or_default() aria-describedby="attributes-error" />
                                            </div>
                                        }
                                    }).collect_view()}
                                <label class="check"><input type="checkbox" name="form[email_verified]" value="on" checked=email_verified />" The site vouches for this email address"</label>
                                <p id="attributes-error" class="error" role="alert">{attributes_error}</p>
                                <div class="actions"><button type="submit">"Save name, email and picture"</button></div>
                                {move || matches!(attributes.value().get(), Some(Ok(()))).then(|| view! { <p role="status">"Saved."</p> })}
                            </ActionForm>
                        </section>
                        <section class="card" aria-labelledby="identities-heading">
                            <h2 id="identities-heading">"Identities"</h2>
                            <p id="unlink-error" class="error" role="alert">{unlink_error}</p>
                            <ul class="identity-list">
                                {identity_rows.into_iter().map(|(connection, provider, subject, uid)| {
                                    let label = format!("Unlink {connection} {subject}");
                                    let (shown_connection, attr_connection, shown_subject) = (connection.clone(), connection.clone(), subject.clone());
                                    view! {
                                        <li data-connection=attr_connection>
                                            <strong>{shown_connection}</strong> " (" {provider} ") " <code>{shown_subject}</code> " "
                                            <ActionForm action=unlink attr:class="inline">
                                                <input type="hidden" name="id" value=uid />
                                                <input type="hidden" name="connection" value=connection />
                                                <input type="hidden" name="subject" value=subject />
                                                <button type="submit" class="link-button" aria-label=label aria-describedby="unlink-error">"Unlink"</button>
                                            </ActionForm>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                            <ActionForm action=link attr:class="stack" attr:aria-label="Link another account">
                                <input type="hidden" name="id" value=uid_link />
                                <div class="field">
                                    <label for="link-other">"Link the account of user (id)"</label>
                                    <input id="link-other" name="other" autocomplete="off" aria-describedby="link-other-help link-error" />
                                    <p id="link-other-help" class="help">"Its identities (and password) move to this user, and that user is removed — as Auth0 links accounts."</p>
                                    <p id="link-error" class="error field-error" role="alert">{link_error}</p>
                                </div>
                                <div class="actions"><button type="submit" class="secondary">"Link account"</button></div>
                            </ActionForm>
                        </section>
                        <section class="card" aria-labelledby="metadata-heading">
                            <h2 id="metadata-heading">"Metadata"</h2>
                            <ActionForm action=save attr:class="stack">
                                <input type="hidden" name="id" value=uid_meta />
                                <div class="field">
                                    <label for="user-metadata">"user_metadata (JSON; the person may edit these values too)"</label>
                                    <TextArea value={user_metadata} {..} id="user-metadata" name="user_metadata" rows="6" class="code" aria-describedby="user-metadata-error" />
                                    <p id="user-metadata-error" class="error field-error" role="alert">{invalid("user_metadata")}</p>
                                </div>
                                <div class="field">
                                    <label for="app-metadata">"app_metadata (JSON; admins and the API only)"</label>
                                    <TextArea value={app_metadata} {..} id="app-metadata" name="app_metadata" rows="6" class="code" aria-describedby="app-metadata-error" />
                                    <p id="app-metadata-error" class="error field-error" role="alert">{invalid("app_metadata")}</p>
                                </div>
                                <div class="actions"><button type="submit">"Save metadata"</button></div>
                                {move || matches!(save.value().get(), Some(Ok(()))).then(|| view! { <p role="status">"Saved."</p> })}
                            </ActionForm>
                        </section>
                        <section class="card" aria-labelledby="access-heading">
                            <h2 id="access-heading">"Access"</h2>
                            <ActionForm action=block attr:class="inline">
                                <input type="hidden" name="id" value=uid_block />
                                <input type="hidden" name="blocked" value={if p.blocked { "false" } else { "true" }} />
                                <button type="submit">{if p.blocked { "Unblock" } else { "Block and sign out everywhere" }}</button>
                            </ActionForm>
                            {move || match block.value().get() { Some(Err(e)) => Some(view! { <p class="error" role="alert">{e.to_string()}</p> }), _ => None }}
                            <ActionForm action=delete attr:class="stack danger-zone">
                                <input type="hidden" name="id" value=uid_delete />
                                <div class="field">
                                    <label for="confirm-delete">"To delete this user and everything about them, type " <code>{confirm_word.clone()}</code></label>
                                    <input id="confirm-delete" name="confirm" autocomplete="off" aria-describedby="confirm-delete-error" />
                                    <p id="confirm-delete-error" class="error field-error" role="alert">{delete_error}</p>
                                </div>
                                <div class="actions"><button type="submit" class="danger">"Delete user"</button></div>
                            </ActionForm>
                        </section>
                        <section class="card" aria-labelledby="activity-heading">
                            <h2 id="activity-heading">"Account activity"</h2>
                            <Form method="GET" action="" attr:class="filters">
                                <label for="activity-kind">"Kind"</label>
                                <select id="activity-kind" name="activity_kind">
                                    <option value="" selected=activity_kind().is_empty()>"All"</option>
                                    {domain::activity::EventKind::ALL.into_iter().map(|k| view! {
                                        <option value=k.as_str() selected=activity_kind() == k.as_str()>{k.label()}</option>
                                    }).collect_view()}
                                </select>
                                <label for="activity-outcome">"Outcome"</label>
                                <select id="activity-outcome" name="activity_outcome">
                                    <option value="" selected=activity_outcome().is_empty()>"All"</option>
                                    <option value="succeeded" selected=activity_outcome() == "succeeded">"Succeeded"</option>
                                    <option value="refused" selected=activity_outcome() == "refused">"Refused"</option>
                                </select>
                                <button type="submit" class="secondary">"Filter"</button>
                            </Form>
                            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                                {move || activity.get().map(|r| match r {
                                    Ok(entries) => view! { <crate::account::activity::ActivityTable entries show_actor=true /> }.into_any(),
                                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                                })}
                            </Suspense>
                        </section>
                        <section class="card" aria-labelledby="history-heading">
                            <h2 id="history-heading">"Question history"</h2>
                            <table class="data">
                                <thead><tr><th scope="col">"When"</th><th scope="col">"Stage"</th><th scope="col">"Event"</th><th scope="col">"Details"</th></tr></thead>
                                <tbody>
                                    {view.history.iter().map(|e| view! {
                                        <tr>
                                            <td>{e["at"].as_str().map(|s| s.chars().take(16).collect::<String>().replace('T', " "))}</td>
                                            <td>{e["stage"].as_str().map(str::to_string)}</td>
                                            <td>{e["event"].as_str().map(str::to_string)}</td>
                                            <td><code>{e["fields"].to_string()}</code></td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </section>
                        <details class="card">
                            <summary>"Raw JSON"</summary>
                            <pre class="code" data-testid="raw-json">{view.raw.clone()}</pre>
                        </details>
                    }.into_any()
                }
                Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}

/// The user a console URL or form names: an id that cannot be one is "no such user".
#[cfg(feature = "ssr")]
fn user_of_url(id: &str) -> Result<domain::user_id::UserId, AppError> {
    domain::user_id::UserId::parse(id).ok_or(AppError::NotFound)
}
