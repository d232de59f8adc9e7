//! `/api/v2/users`: list and search, create, read, PATCH (Auth0's metadata rules, root
//! attributes), delete, identities (list, link, unlink).

use app::{
    admin::api_tokens::Scope, admin::new_user::NewUser, admin::users::ssr as directory, admin::users::Cursor, admin::users::MetadataMode,
    admin::users::UserPage, admin::users::UserPatch, admin::users::MAX_PAGE,
};
use axum::{
    extract::{rejection::QueryRejection, Path, Query, State},
    http::StatusCode,
    Json,
};
use domain::user_id::UserId;
use domain::{profile::IdentityView, profile::UserProfile, profiling::consent::ConsentRecord};
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use services::profile::read::load_user_profile;
use utoipa::IntoParams;

use super::{
    auth::{needs, Caller},
    ApiJson, ErrorBody, HttpError,
};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Case-insensitive text in the email, the name or any metadata value, and field filters
    /// every user listed must meet: `email:`, `name:` (contain the value), `connection:` (has
    /// an identity from that connection), `user_metadata.<key>:` (that answer contains the
    /// value). Quote a value with spaces: `user_metadata.company:"Acme Ltd"`.
    #[param(example = "email:@example.com connection:google")]
    pub q: Option<String>,
    /// Page size, 1–100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u64>,
    /// The `next` cursor of the previous page.
    pub from: Option<String>,
}

/// A list's `per_page`: 1–100, 50 when not given.
fn page_size(per_page: Option<u64>) -> Result<u64, HttpError> {
    let per_page = per_page.unwrap_or(50);
    if !(1..=MAX_PAGE).contains(&per_page) {
        return Err(HttpError::bad_request("per_page must be between 1 and 100"));
    }
    Ok(per_page)
}

/// The user a path or body names: an id that cannot be one is a user that does not exist.
fn user_named(id: &str) -> Result<UserId, HttpError> {
    UserId::parse(id).ok_or_else(|| HttpError::not_found("User"))
}

async fn profile_of(db: &DatabaseConnection, id: &str) -> Result<UserProfile, HttpError> {
    load_user_profile(db, &user_named(id)?)
        .await
        .map_err(|e| HttpError::internal("loading a user", e))?
        .ok_or_else(|| HttpError::not_found("User"))
}

/// List or search users, newest first, page by page.
#[utoipa::path(get, path = "/api/v2/users", tag = "users", params(ListParams),
    security(("bearer" = ["read:users"])),
    responses(
        (status = 200, description = "A page of users", body = UserPage),
        (status = 400, description = "Invalid parameters", body = ErrorBody),
    ))]
pub async fn list(
    _caller: Caller<needs::ReadUsers>,
    State(db): State<DatabaseConnection>,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<UserPage>, HttpError> {
    let Query(params) = params.map_err(|e| HttpError::bad_request(e.body_text()))?;
    let per_page = page_size(params.per_page)?;
    let from = match params.from.as_deref().filter(|f| !f.is_empty()) {
        Some(f) => Some(Cursor::decode(f).ok_or_else(|| HttpError::bad_request("from is not a cursor this API returned"))?),
        None => None,
    };
    Ok(Json(directory::search(&db, params.q.as_deref().unwrap_or(""), from.as_ref(), per_page).await?))
}

/// One user's whole profile, with identities and provenance.
#[utoipa::path(get, path = "/api/v2/users/{id}", tag = "users", params(("id" = String, Path, description = "User id", example = "ada")),
    security(("bearer" = ["read:users"])),
    responses(
        (status = 200, description = "The user", body = UserProfile),
        (status = 404, description = "No such user", body = ErrorBody),
    ))]
pub async fn get(
    _caller: Caller<needs::ReadUsers>,
    State(db): State<DatabaseConnection>,
    Path(id): Path<String>,
) -> Result<Json<UserProfile>, HttpError> {
    Ok(Json(profile_of(&db, &id).await?))
}

/// Create an email-and-password user (Auth0's `POST /api/v2/users`, database connection):
/// with `password`, an account ready to sign in; without one, an invitation emailed to the
/// address whose link lets the person choose their password (valid 7 days).
#[utoipa::path(post, path = "/api/v2/users", tag = "users",
    request_body = NewUser,
    security(("bearer" = ["create:users"])),
    responses(
        (status = 201, description = "Created; the new user", body = UserProfile),
        (status = 400, description = "Invalid body: email, password policy, metadata, connection", body = ErrorBody),
        (status = 403, description = "Missing scope create:users (and update:users_app_metadata with app_metadata)", body = ErrorBody),
        (status = 409, description = "An account with this email already exists", body = ErrorBody),
    ))]
pub async fn create(
    caller: Caller<needs::CreateUsers>,
    State(state): State<app::state::AppState>,
    body: Result<ApiJson<NewUser>, HttpError>,
) -> Result<(StatusCode, Json<UserProfile>), HttpError> {
    let ApiJson(new) = body?;
    // app_metadata is for admins and tokens allowed to write it, as with PATCH.
    if new.app_metadata.is_some() {
        caller.require(Scope::UpdateUsersAppMetadata)?;
    }
    let (profile, _) =
        app::admin::new_user::ssr::create(&state.db, &state.site, &new, caller.actor()).await.map_err(app::error::AppError::from)?;
    Ok((StatusCode::CREATED, Json(profile)))
}

/// Which account to link into a user (Auth0's body): the other user's id, and optionally the
/// provider that account must have.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    /// The user whose identities move here (that user is then removed).
    #[schema(min_length = 1, max_length = 64)]
    pub user_id: String,
    /// The provider (`google-oauth2`, `github`, `auth0`…) or connection the other account
    /// must have an identity of.
    #[serde(default)]
    pub provider: Option<String>,
    /// Accepted for Auth0 compatibility; the user id names the account.
    #[serde(default)]
    pub connection_id: Option<String>,
}

/// Link another user's account into this one: its identities (and password) move here and
/// that user is removed. Both must exist, not be blocked, and not both have a password.
#[utoipa::path(post, path = "/api/v2/users/{id}/identities", tag = "users", params(("id" = String, Path, description = "User id (the primary)", example = "ada")),
    request_body = LinkBody,
    security(("bearer" = ["update:users", "delete:users"])),
    responses(
        (status = 201, description = "Linked; this user's identities now", body = [IdentityView]),
        (status = 400, description = "Invalid body, the same user, or no identity of that provider", body = ErrorBody),
        (status = 403, description = "Missing scope update:users or delete:users, or a user is a site owner", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 409, description = "A user is blocked, or both have a password", body = ErrorBody),
    ))]
pub async fn link(
    caller: Caller<needs::UpdateAndDeleteUsers>,
    State(state): State<app::state::AppState>,
    Path(id): Path<String>,
    body: Result<ApiJson<LinkBody>, HttpError>,
) -> Result<(StatusCode, Json<Vec<IdentityView>>), HttpError> {
    // (The linked-in user is removed: that is a deletion too, hence both scopes.)
    let db = state.db.clone();
    let ApiJson(body) = body?;
    profile_of(&db, &id).await?;
    profile_of(&db, &body.user_id).await?;
    refuse_site_owner(&state, &id).await?;
    refuse_site_owner(&state, &body.user_id).await?;
    services::identity::link_accounts(&db, &user_named(&id)?, &user_named(&body.user_id)?, body.provider.as_deref(), caller.actor())
        .await
        .map_err(app::error::AppError::from)?;
    Ok((StatusCode::CREATED, Json(profile_of(&db, &id).await?.identities)))
}

/// Unlink one identity from a user (never the last one: they could no longer sign in).
/// Unlinking the password identity removes the password.
#[utoipa::path(delete, path = "/api/v2/users/{id}/identities/{provider}/{user_id}", tag = "users",
    params(
        ("id" = String, Path, description = "User id", example = "ada"),
        ("provider" = String, Path, description = "The identity's provider or connection", example = "github"),
        ("user_id" = String, Path, description = "The identity's user id at that provider", example = "583231"),
    ),
    security(("bearer" = ["update:users"])),
    responses(
        (status = 200, description = "Unlinked; the identities left", body = [IdentityView]),
        (status = 403, description = "Missing scope update:users, or the user is a site owner", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 409, description = "No such identity on this user, or it is the last one", body = ErrorBody),
    ))]
pub async fn unlink(
    caller: Caller<needs::UpdateUsers>,
    State(state): State<app::state::AppState>,
    Path((id, provider, subject)): Path<(String, String, String)>,
) -> Result<Json<Vec<IdentityView>>, HttpError> {
    let db = state.db.clone();
    profile_of(&db, &id).await?;
    refuse_site_owner(&state, &id).await?;
    services::identity::unlink_by_provider(&db, &user_named(&id)?, &provider, &subject).await.map_err(app::error::AppError::from)?;
    services::audit::record(
        &db,
        caller.actor(),
        services::audit::Action::UsersUnlinked,
        Some(&user_named(&id)?),
        serde_json::json!({ "provider": provider }),
    )
    .await
    .map_err(|e| HttpError::internal("recording an unlink", e))?;
    Ok(Json(profile_of(&db, &id).await?.identities))
}

/// A token may not change a site owner's name, email or sign-in accounts (`403`): through
/// them it could take over the console. Owners change their own on /profile.
async fn refuse_site_owner(state: &app::state::AppState, user_id: &str) -> Result<(), HttpError> {
    let admin = services::auth::roles::account_is_admin(&state.db, &state.admins, &user_named(user_id)?)
        .await
        .map_err(|e| HttpError::internal("checking roles", e))?;
    if admin {
        return Err(HttpError::forbidden(
            "This user is a site owner: their name, email and sign-in accounts are not changed through the API.",
        ));
    }
    Ok(())
}

/// Change metadata or block/unblock. Metadata follows Auth0: top-level keys merge, a nested
/// object replaces the stored one, `null` deletes a key. `app_metadata` needs
/// `update:users_app_metadata`; the rest `update:users`.
#[utoipa::path(patch, path = "/api/v2/users/{id}", tag = "users", params(("id" = String, Path, description = "User id", example = "ada")),
    request_body = UserPatch,
    security(("bearer" = ["update:users", "update:users_app_metadata"])),
    responses(
        (status = 200, description = "The user after the change", body = UserProfile),
        (status = 400, description = "Invalid body or metadata (size, depth, keys)", body = ErrorBody),
        (status = 403, description = "Missing scope, or root attributes of a site owner", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 409, description = "Changed concurrently; retry", body = ErrorBody),
    ))]
pub async fn patch(
    caller: Caller,
    State(state): State<app::state::AppState>,
    Path(id): Path<String>,
    body: Result<ApiJson<UserPatch>, HttpError>,
) -> Result<Json<UserProfile>, HttpError> {
    let db = state.db.clone();
    // Refuse callers who may change nothing before looking at what they sent.
    if !caller.0.allows(Scope::UpdateUsers) && !caller.0.allows(Scope::UpdateUsersAppMetadata) {
        caller.require(Scope::UpdateUsers)?;
    }
    let ApiJson(patch) = body?;
    if patch.user_metadata.is_some() || patch.blocked.is_some() || patch.touches_root() || patch.app_metadata.is_none() {
        caller.require(Scope::UpdateUsers)?;
    }
    if patch.app_metadata.is_some() {
        caller.require(Scope::UpdateUsersAppMetadata)?;
    }
    if patch.touches_root() {
        refuse_site_owner(&state, &id).await?;
        if let Some(connection) = directory::resyncing_connection(&db, state.connections.as_ref(), &user_named(&id)?).await? {
            return Err(app::admin::users::DirectoryError::Resynced(connection).into());
        }
    }
    Ok(Json(directory::update_notifying(&db, Some(&state.site), &user_named(&id)?, &patch, MetadataMode::Merge, caller.actor()).await?))
}

/// Delete a user and everything about them.
#[utoipa::path(delete, path = "/api/v2/users/{id}", tag = "users", params(("id" = String, Path, description = "User id", example = "ada")),
    security(("bearer" = ["delete:users"])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such user", body = ErrorBody),
    ))]
pub async fn delete(
    caller: Caller<needs::DeleteUsers>,
    State(db): State<DatabaseConnection>,
    Path(id): Path<String>,
) -> Result<StatusCode, HttpError> {
    directory::delete(&db, &user_named(&id)?, caller.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The provider accounts linked to a user.
#[utoipa::path(get, path = "/api/v2/users/{id}/identities", tag = "users", params(("id" = String, Path, description = "User id", example = "ada")),
    security(("bearer" = ["read:users"])),
    responses(
        (status = 200, description = "Linked identities", body = [IdentityView]),
        (status = 404, description = "No such user", body = ErrorBody),
    ))]
pub async fn identities(
    _caller: Caller<needs::ReadUsers>,
    State(db): State<DatabaseConnection>,
    Path(id): Path<String>,
) -> Result<Json<Vec<IdentityView>>, HttpError> {
    Ok(Json(profile_of(&db, &id).await?.identities))
}

/// A user's consent records, oldest first: each agreement or refusal with the purpose and
/// its version as the person saw them (a withdrawal is a record of its own).
#[utoipa::path(get, path = "/api/v2/users/{id}/consents", tag = "users", params(("id" = String, Path, description = "User id", example = "ada")),
    security(("bearer" = ["read:users"])),
    responses(
        (status = 200, description = "Consent records", body = [ConsentRecord]),
        (status = 404, description = "No such user", body = ErrorBody),
    ))]
pub async fn consents(
    _caller: Caller<needs::ReadUsers>,
    State(db): State<DatabaseConnection>,
    Path(id): Path<String>,
) -> Result<Json<Vec<ConsentRecord>>, HttpError> {
    // The 404 of an unknown user, rather than an empty list that reads as "never asked".
    profile_of(&db, &id).await?;
    let records =
        services::profiling::consent_history(&db, &user_named(&id)?).await.map_err(|e| HttpError::internal("loading consents", e))?;
    Ok(Json(records))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogParams {
    /// Page size, 1–100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u64>,
    /// Only entries older than this entry id (the last `id` of the previous page).
    pub from: Option<i64>,
    /// Only these kinds, comma-separated: `sign_in,password_changed`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: Option<String>,
    /// `true`: only successes; `false`: only refused attempts.
    pub success: Option<bool>,
}

/// One user's account activity (Auth0's name: logs), newest first: sign-ins and refused
/// sign-ins, password and email changes, linked accounts, ended sessions, blocks, edits.
#[utoipa::path(get, path = "/api/v2/users/{id}/logs", tag = "users",
    params(("id" = String, Path, description = "User id", example = "ada"), LogParams),
    security(("bearer" = ["read:users"])),
    responses(
        (status = 200, description = "Entries, newest first", body = [domain::activity::ActivityEntry]),
        (status = 400, description = "Invalid parameters", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
    ))]
pub async fn logs(
    _caller: Caller<needs::ReadUsers>,
    State(db): State<DatabaseConnection>,
    Path(id): Path<String>,
    params: Result<Query<LogParams>, QueryRejection>,
) -> Result<Json<Vec<domain::activity::ActivityEntry>>, HttpError> {
    use domain::activity::EventKind;
    use services::activity::Filter;
    let Query(params) = params.map_err(|e| HttpError::bad_request(e.body_text()))?;
    let per_page = page_size(params.per_page)?;
    let kinds = params
        .kind
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|k| EventKind::parse(k).ok_or_else(|| HttpError::bad_request(format!("`{k}` is not an activity type"))))
        .collect::<Result<Vec<_>, _>>()?;
    profile_of(&db, &id).await?;
    let filter = Filter { kinds, success: params.success, before_id: params.from };
    let entries = services::activity::list(&db, &user_named(&id)?, &filter, Some(per_page))
        .await
        .map_err(|e| HttpError::internal("loading activity", e))?;
    Ok(Json(entries))
}
