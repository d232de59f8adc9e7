//! The user directory for site owners and the management API: search with keyset
//! pagination, metadata edits with Auth0's rules, block/unblock, delete.
//!
//! Search matches a case-insensitive substring of the email, the name, or any text in
//! `user_metadata`/`app_metadata`, narrowed by field filters (`email:`, `name:`,
//! `connection:`, `user_metadata.<key>:`; see [`super::user_query`]). On PostgreSQL that text is stored and trigram-indexed
//! (migration `m20261124_000006`) and [`super::user_search`] keeps a search fast at a million
//! users; SQLite scans. Pages are ordered newest first by `(created_at, id)` and continue from
//! a cursor, never an offset.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One row of the user list.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub user_id: String,
    pub email: Option<String>,
    pub name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_login: Option<DateTime<Utc>>,
    pub logins_count: i32,
    pub blocked: bool,
}

/// A page of users and the cursor of the next one.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPage {
    pub users: Vec<UserSummary>,
    /// Pass as `from` to get the next page; `None` on the last page.
    pub next: Option<String>,
}

/// Largest page a caller may ask for.
pub const MAX_PAGE: u64 = 100;

/// Where a page starts: after the user with this `(created_at, id)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: DateTime<Utc>,
    pub id: String,
}

impl Cursor {
    /// `<microseconds since the epoch>.<id>`: opaque to callers, readable in logs.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.created_at.timestamp_micros(), self.id)
    }

    pub fn decode(text: &str) -> Option<Cursor> {
        let (micros, id) = text.split_once('.')?;
        let created_at = DateTime::from_timestamp_micros(micros.parse().ok()?)?;
        (!id.is_empty() && id.len() <= 64).then(|| Cursor { created_at, id: id.to_string() })
    }
}

/// `term` as a LIKE pattern matching it anywhere, with LIKE's wildcards taken literally.
pub fn contains_pattern(term: &str) -> String {
    contains_literal(&term.trim().to_lowercase())
}

/// `%text%` for `LIKE … ESCAPE '\'`, with `text`'s own `%`, `_` and `\` escaped; taken as it
/// is (not trimmed: a piece of a term, `user_search`, may end in a space).
pub fn contains_literal(text: &str) -> String {
    let mut out = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// A change to one user. Metadata follows Auth0's PATCH rule: top-level keys merge, a
/// nested object replaces the stored one, `null` deletes the key.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub user_metadata: Option<Map<String, Value>>,
    /// Needs the `update:users_app_metadata` scope.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub app_metadata: Option<Map<String, Value>>,
    #[serde(default)]
    pub blocked: Option<bool>,
    /// Root attributes, for a user whose primary account does not send them again at each
    /// sign-in (refused otherwise, with the reason). An empty string clears one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    /// A web address (https://…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    /// The address; for a password account also the one it signs in with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// With `email`: the site vouches for the new address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
}

impl UserPatch {
    /// Whether the patch changes root attributes (and so needs the re-sync check).
    pub fn touches_root(&self) -> bool {
        [&self.name, &self.given_name, &self.family_name, &self.nickname, &self.picture, &self.email].iter().any(|v| v.is_some())
            || self.email_verified.is_some()
    }

    /// The console's metadata editor: both objects as JSON documents (empty: `{}`), each
    /// replacing the stored one. Problems per document, for the form to show beside each.
    pub fn from_documents(user_metadata: &str, app_metadata: &str) -> Result<Self, BTreeMap<String, String>> {
        let mut problems = BTreeMap::new();
        let mut parse = |which: &str, text: &str| match serde_json::from_str::<Value>(if text.trim().is_empty() { "{}" } else { text }) {
            Ok(Value::Object(map)) => Some(map),
            Ok(_) => {
                problems.insert(which.to_string(), "Must be a JSON object, like {\"plan\": \"pro\"}.".to_string());
                None
            }
            Err(e) => {
                problems.insert(which.to_string(), format!("Not valid JSON: {e}"));
                None
            }
        };
        let patch = UserPatch {
            user_metadata: parse("user_metadata", user_metadata),
            app_metadata: parse("app_metadata", app_metadata),
            ..Default::default()
        };
        if problems.is_empty() {
            Ok(patch)
        } else {
            Err(problems)
        }
    }
}

/// How a patch's metadata is applied: merged (API) or as the whole new object (the
/// console's JSON editor shows the whole object, so a key removed there is removed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetadataMode {
    Merge,
    Replace,
}

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[cfg(feature = "ssr")]
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
    #[error("no such user")]
    NotFound,
    #[error("{which}: {problem}")]
    InvalidMetadata { which: &'static str, problem: domain::profile::MetadataError },
    #[error("the user changed while saving; please try again")]
    Conflict,
    /// A deletion must repeat the user's email (or id): the guard against deleting the wrong
    /// person.
    #[error("Type {expected} to confirm.")]
    NotConfirmed { expected: String },
    #[error("{0}")]
    InvalidQuery(#[from] super::user_query::QueryProblem),
    /// The primary account's connection writes the root attributes at each sign-in: an edit
    /// here would be overwritten at the next one.
    #[error("This user's name, email and picture come from {0} at each sign-in (their primary account), so a change here would be overwritten. Change them there, or set that connection's sync_root_attributes to on_first_login.")]
    Resynced(String),
    #[error("{input}: {problem}")]
    InvalidAttribute { input: &'static str, problem: String },
    #[error("Another account already signs in with this email.")]
    EmailTaken,
}

#[cfg(feature = "ssr")]
impl services::profile::store::WriteRace for DirectoryError {
    fn lost_race(&self) -> bool {
        matches!(self, DirectoryError::Conflict)
    }
}

#[cfg(feature = "ssr")]
impl From<services::profile::store::StoreError> for DirectoryError {
    fn from(err: services::profile::store::StoreError) -> Self {
        match err {
            services::profile::store::StoreError::Conflict => DirectoryError::Conflict,
            services::profile::store::StoreError::Db(e) => DirectoryError::Db(e),
        }
    }
}

/// What the person is told; the HTTP status follows from the `AppError` (`AppError::status_code`).
#[cfg(feature = "ssr")]
impl From<DirectoryError> for crate::error::AppError {
    fn from(err: DirectoryError) -> Self {
        use crate::error::AppError;
        match err {
            DirectoryError::NotFound => AppError::NotFound,
            DirectoryError::InvalidMetadata { which, problem } => {
                AppError::Invalid(std::collections::BTreeMap::from([(which.to_string(), problem.to_string())]))
            }
            DirectoryError::Conflict => AppError::Conflict(err.to_string()),
            DirectoryError::NotConfirmed { .. } => {
                AppError::Invalid(std::collections::BTreeMap::from([("confirm".to_string(), err.to_string())]))
            }
            DirectoryError::InvalidQuery(problem) => AppError::BadRequest(problem.to_string()),
            DirectoryError::Resynced(_) => AppError::BadRequest(err.to_string()),
            DirectoryError::InvalidAttribute { input, problem } => {
                AppError::Invalid(std::collections::BTreeMap::from([(input.to_string(), problem)]))
            }
            DirectoryError::EmailTaken => AppError::Conflict(err.to_string()),
            DirectoryError::Db(e) => crate::error::ssr::internal("user directory", e),
        }
    }
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use chrono::Utc;
    use sea_orm::{
        sea_query::{Expr, SimpleExpr},
        ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    };
    use serde_json::{json, Map, Value};

    use super::super::user_query::{Filter, UserQuery};
    use super::*;
    use domain::activity::EventKind;
    use domain::{profile::merge_metadata, profile::validate_metadata, profile::MetadataLimits, profile::UserProfile};
    use services::activity::Event as ActivityEvent;
    use services::{entities::identities, entities::user_sessions, entities::users, profile::read::load_user_profile};
    use services::{profile::store, profile::store::ProfileWrite, profile::store::TextAttribute};

    /// The searched text on SQLite. PostgreSQL stores the same expression (with `::text` casts)
    /// in the generated column `users.search_text` (migration `m20261124_000006`).
    fn search_text() -> SimpleExpr {
        Expr::cust("lower(coalesce(email, '') || ' ' || coalesce(name, '') || ' ' || user_metadata || ' ' || app_metadata)")
    }

    /// Rows past `c` in `(created_at, id)` order: older ones when listing newest first,
    /// newer ones otherwise. Keyset paging: served by the `(created_at, id)` index, which the
    /// plain `created_at` bound lets start at the cursor (the OR alone is only a filter).
    pub fn past(c: &Cursor, newest_first: bool) -> Condition {
        let (bound, created, id) = if newest_first {
            (users::Column::CreatedAt.lte(c.created_at), users::Column::CreatedAt.lt(c.created_at), users::Column::Id.lt(c.id.clone()))
        } else {
            (users::Column::CreatedAt.gte(c.created_at), users::Column::CreatedAt.gt(c.created_at), users::Column::Id.gt(c.id.clone()))
        };
        let after = Condition::any().add(created).add(Condition::all().add(users::Column::CreatedAt.eq(c.created_at)).add(id));
        Condition::all().add(bound).add(after)
    }

    fn summary(u: users::Model) -> UserSummary {
        UserSummary {
            user_id: u.id,
            email: u.email,
            name: u.name,
            created_at: u.created_at,
            last_login: u.last_login,
            logins_count: u.logins_count,
            blocked: u.blocked,
        }
    }

    /// The condition for one field filter, on either database.
    fn filter_condition(filter: &Filter, backend: DatabaseBackend) -> SimpleExpr {
        use sea_orm::sea_query::{Func, LikeExpr};
        let like = |expr: SimpleExpr, value: &str| Expr::expr(expr).like(LikeExpr::new(contains_pattern(value)).escape('\\'));
        let lowered = |col: users::Column| SimpleExpr::from(Func::lower(Func::coalesce([Expr::col(col).into(), Expr::val("").into()])));
        match filter {
            Filter::Email(v) => like(lowered(users::Column::Email), v),
            Filter::Name(v) => like(lowered(users::Column::Name), v),
            Filter::Connection(name) => Expr::exists(
                sea_orm::sea_query::Query::select()
                    .expr(Expr::val(1))
                    .from(identities::Entity)
                    .and_where(Expr::col((identities::Entity, identities::Column::UserId)).equals((users::Entity, users::Column::Id)))
                    .and_where(Expr::col((identities::Entity, identities::Column::Connection)).eq(name.as_str()))
                    .to_owned(),
            ),
            // The key is a field key (a-z, 0-9, _), checked by the parser; the value is bound.
            // A list's items, a number or a boolean match by their JSON text.
            Filter::UserMetadata { key, value } => {
                let text = match backend {
                    DatabaseBackend::Postgres => {
                        Expr::cust_with_values("lower(coalesce(user_metadata -> $1, 'null')::text)", [key.as_str()])
                    }
                    _ => Expr::cust_with_values("lower(coalesce(json_extract(user_metadata, '$.' || ?), ''))", [key.as_str()]),
                };
                like(text, value)
            }
        }
    }

    /// One page of users matching `query` (all when blank), newest first. On PostgreSQL free
    /// text alone takes [`super::super::user_search::search`]'s plan; the rest (SQLite, field
    /// filters, and the blank list everywhere) is one ordered, filtered walk of
    /// `(created_at, id)`.
    #[tracing::instrument(skip(db))]
    pub async fn search(db: &DatabaseConnection, query: &str, from: Option<&Cursor>, per_page: u64) -> Result<UserPage, DirectoryError> {
        let per_page = per_page.clamp(1, MAX_PAGE);
        let UserQuery { text, filters } = UserQuery::parse(query)?;
        let backend = db.get_database_backend();
        let mut rows = if !text.is_empty() && filters.is_empty() && backend == DatabaseBackend::Postgres {
            super::super::user_search::search(db, &text, from, per_page + 1).await?
        } else {
            let mut select = users::Entity::find();
            if !text.is_empty() {
                let pattern = contains_pattern(&text);
                let searched = match backend {
                    DatabaseBackend::Postgres => Expr::cust("search_text"),
                    _ => search_text(),
                };
                select = select.filter(Expr::expr(searched).like(sea_orm::sea_query::LikeExpr::new(pattern).escape('\\')));
            }
            for filter in &filters {
                select = select.filter(filter_condition(filter, backend));
            }
            if let Some(c) = from {
                select = select.filter(past(c, true));
            }
            select.order_by_desc(users::Column::CreatedAt).order_by_desc(users::Column::Id).limit(per_page + 1).all(db).await?
        };
        let next = if rows.len() as u64 > per_page {
            rows.truncate(per_page as usize);
            rows.last().map(|u| Cursor { created_at: u.created_at, id: u.id.clone() }.encode())
        } else {
            None
        };
        Ok(UserPage { users: rows.into_iter().map(summary).collect(), next })
    }

    /// The connection that writes `user_id`'s root attributes at each sign-in (their primary
    /// account's, when its policy is `on_each_login`), if any: root attributes set by the site
    /// would not last there.
    pub async fn resyncing_connection(
        db: &DatabaseConnection,
        connections: &dyn domain::identity::ConnectionDirectory,
        user_id: &domain::user_id::UserId,
    ) -> Result<Option<String>, DirectoryError> {
        let user = store::load(db, user_id).await?.ok_or(DirectoryError::NotFound)?;
        let linked = identities::Entity::find().filter(identities::Column::UserId.eq(user_id.as_str())).all(db).await?;
        let ids: Vec<i64> = linked.iter().map(|i| i.id).collect();
        let primary = domain::profile::primary_of(user.primary_identity_id, &ids).and_then(|id| linked.iter().find(|i| i.id == id));
        Ok(primary
            .filter(|i| connections.sync_policy(&i.connection) == Some(domain::identity::SyncPolicy::OnEachLogin))
            .map(|i| i.connection.clone()))
    }

    /// Applies `patch` to `user_id` and returns the profile after it. `actor`: who, for the
    /// audit log (`Actor::Admin(user id)`, `Actor::Api(token id)`).
    #[tracing::instrument(skip(db, patch))]
    pub async fn update(
        db: &DatabaseConnection,
        user_id: &domain::user_id::UserId,
        patch: &UserPatch,
        mode: MetadataMode,
        actor: services::audit::Actor<'_>,
    ) -> Result<UserProfile, DirectoryError> {
        update_notifying(db, None, user_id, patch, mode, actor).await
    }

    /// [`update`]; when the email changes and `site` is given, the old address is told (as
    /// at a self-service change), so an account does not change hands silently.
    pub async fn update_notifying(
        db: &DatabaseConnection,
        site: Option<&services::email::templates::Site>,
        user_id: &domain::user_id::UserId,
        patch: &UserPatch,
        mode: MetadataMode,
        actor: services::audit::Actor<'_>,
    ) -> Result<UserProfile, DirectoryError> {
        let limits = MetadataLimits::default();
        let limits = &limits;
        store::retry(|| async move {
            let user = store::load(db, user_id).await?.ok_or(DirectoryError::NotFound)?;
            let apply =
                |current: &Value, change: &Option<Map<String, Value>>, which: &'static str| -> Result<Option<Value>, DirectoryError> {
                    let Some(change) = change else { return Ok(None) };
                    let next = match mode {
                        MetadataMode::Merge => merge_metadata(&current.as_object().cloned().unwrap_or_default(), change),
                        MetadataMode::Replace => change.clone(),
                    };
                    let next = Value::Object(next);
                    validate_metadata(&next, limits).map_err(|problem| DirectoryError::InvalidMetadata { which, problem })?;
                    Ok(Some(next))
                };
            let user_metadata = apply(&user.user_metadata, &patch.user_metadata, "user_metadata")?;
            let app_metadata = apply(&user.app_metadata, &patch.app_metadata, "app_metadata")?;

            // Keys set here are the site owner's (or the API's) word from now on.
            let source = actor.source();
            let mut write = ProfileWrite::new(&user, Utc::now());
            if let Some(Value::Object(next)) = user_metadata {
                write.replace_user_metadata(next, &source);
            }
            if let Some(Value::Object(next)) = app_metadata {
                write.set_app_metadata(next);
            }
            if let Some(blocked) = patch.blocked {
                write.set_blocked(blocked);
            }
            for (attr, value) in [
                (TextAttribute::GivenName, &patch.given_name),
                (TextAttribute::FamilyName, &patch.family_name),
                (TextAttribute::Name, &patch.name),
                (TextAttribute::Nickname, &patch.nickname),
                (TextAttribute::Picture, &patch.picture),
            ] {
                if let Some(v) = value {
                    let v = v.trim();
                    if attr == TextAttribute::Picture && !v.is_empty() && !(v.starts_with("https://") || v.starts_with("http://")) {
                        return Err(DirectoryError::InvalidAttribute { input: "picture", problem: "a web address (https://…)".into() });
                    }
                    if v.chars().count() > 256 {
                        return Err(DirectoryError::InvalidAttribute {
                            input: attr.attribute().as_str(),
                            problem: "at most 256 characters".into(),
                        });
                    }
                    write.set_text(attr, Some(v.to_string()).filter(|v| !v.is_empty()), &source);
                }
            }
            let new_email = match &patch.email {
                Some(e) => Some(
                    domain::profile::Email::parse(e)
                        .map_err(|e| DirectoryError::InvalidAttribute { input: "email", problem: e.to_string() })?,
                ),
                None => None,
            };
            if let Some(email) = &new_email {
                let vouched = patch.email_verified == Some(true);
                let evidence = vouched.then(|| domain::profile::EmailEvidence::new(&email.normalized(), source.clone(), Utc::now()));
                write.set_email(email.as_str().to_string(), &source, evidence);
            } else if patch.email_verified == Some(true) {
                if let Some(current) = user.email_normalized.as_deref() {
                    write.email_evidence(Some(domain::profile::EmailEvidence::new(current, source.clone(), Utc::now())));
                }
            }
            let txn = services::db::begin_write(db).await?;
            // A password account signs in with its address: the sign-in key follows it.
            if let Some(email) = &new_email {
                let moved = services::entities::password_credentials::Entity::update_many()
                    .col_expr(services::entities::password_credentials::Column::EmailNormalized, Expr::value(email.normalized()))
                    .filter(services::entities::password_credentials::Column::UserId.eq(user_id.as_str()))
                    .exec(&txn)
                    .await;
                if let Err(e) = moved {
                    let _ = txn.rollback().await;
                    return Err(match e.sql_err() {
                        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => DirectoryError::EmailTaken,
                        _ => DirectoryError::Db(e),
                    });
                }
            }
            if let Err(err) = write.commit(&txn).await {
                txn.rollback().await?;
                return Err(err.into());
            }
            if patch.blocked == Some(true) {
                // Their sessions end: the signed-in list forgets them now, and every session
                // is refused at its next request (the user is blocked).
                user_sessions::Entity::delete_many().filter(user_sessions::Column::UserId.eq(user_id.as_str())).exec(&txn).await?;
            }
            let changed: Vec<&str> = [
                patch.user_metadata.as_ref().map(|_| "user_metadata"),
                patch.app_metadata.as_ref().map(|_| "app_metadata"),
                patch.blocked.map(|b| if b { "blocked" } else { "unblocked" }),
                patch.name.as_ref().map(|_| "name"),
                patch.given_name.as_ref().map(|_| "given_name"),
                patch.family_name.as_ref().map(|_| "family_name"),
                patch.nickname.as_ref().map(|_| "nickname"),
                patch.picture.as_ref().map(|_| "picture"),
                patch.email.as_ref().map(|_| "email"),
                patch.email_verified.map(|_| "email_verified"),
            ]
            .into_iter()
            .flatten()
            .collect();
            services::audit::record(&txn, actor, services::audit::Action::UserUpdated, Some(user_id), json!({ "changed": changed }))
                .await?;
            // The old address learns of a new one.
            if let (Some(site), Some(new), Some(old)) = (site, &new_email, user.email.as_deref()) {
                if !old.eq_ignore_ascii_case(new.as_str()) {
                    let message = services::email::templates::email_changed(site, new.as_str());
                    let key = format!("email_changed:admin:{user_id}:{}", Utc::now().timestamp_micros());
                    services::email::queue(&txn, services::email::Kind::EmailChanged, key, old, message).await?;
                }
            }
            // The person's own activity says what the site did to their account.
            let by = domain::activity::Actor::from(actor);
            let edited: Vec<&str> = changed.iter().copied().filter(|c| !matches!(*c, "blocked" | "unblocked")).collect();
            if !edited.is_empty() {
                let event = ActivityEvent::new(EventKind::ProfileEdited, by).details(json!({ "fields": edited }));
                services::activity::record(&txn, user_id, event).await?;
            }
            match patch.blocked {
                Some(true) if !user.blocked => {
                    services::activity::record(&txn, user_id, ActivityEvent::new(EventKind::Blocked, by)).await?
                }
                Some(false) if user.blocked => {
                    services::activity::record(&txn, user_id, ActivityEvent::new(EventKind::Unblocked, by)).await?
                }
                _ => 0,
            };
            txn.commit().await?;
            load_user_profile(db, user_id).await?.ok_or(DirectoryError::NotFound)
        })
        .await
    }

    /// How many users there are, and how many of them are blocked.
    pub async fn counts(db: &DatabaseConnection) -> Result<(u64, u64), sea_orm::DbErr> {
        use sea_orm::PaginatorTrait;
        let all = users::Entity::find().count(db).await?;
        let blocked = users::Entity::find().filter(users::Column::Blocked.eq(true)).count(db).await?;
        Ok((all, blocked))
    }

    /// Deletes `user_id` when `confirm` repeats their email (or their id when they have none).
    pub(crate) async fn delete_confirmed(
        db: &DatabaseConnection,
        user_id: &domain::user_id::UserId,
        confirm: &str,
        actor: services::audit::Actor<'_>,
    ) -> Result<(), DirectoryError> {
        let user = store::load(db, user_id).await?.ok_or(DirectoryError::NotFound)?;
        let expected = user.email.unwrap_or(user.id);
        if !confirm.trim().eq_ignore_ascii_case(&expected) {
            return Err(DirectoryError::NotConfirmed { expected });
        }
        delete(db, user_id, actor).await
    }

    /// Deletes a user and everything about them (see `erase_account`).
    pub async fn delete(
        db: &DatabaseConnection,
        user_id: &domain::user_id::UserId,
        actor: services::audit::Actor<'_>,
    ) -> Result<(), DirectoryError> {
        if services::profile::store::erase_account(db, user_id, actor).await? {
            Ok(())
        } else {
            Err(DirectoryError::NotFound)
        }
    }

    #[cfg(all(test, feature = "test-support"))]
    mod tests {
        use super::*;
        use domain::profile::Email;
        use sea_orm::ActiveModelTrait;
        use services::auth::accounts::sign_up_with_password;

        async fn user(db: &DatabaseConnection, email: &str) -> users::Model {
            sign_up_with_password(db, &Email::parse(email).unwrap(), "a long passphrase".into()).await.unwrap()
        }

        fn obj(v: Value) -> Option<Map<String, Value>> {
            v.as_object().cloned()
        }

        services::db_test!(search_finds_email_name_and_metadata_and_pages_by_cursor, |db| {
            let mut ids = Vec::new();
            for i in 0..5 {
                let u = user(db, &format!("person{i}@example.com")).await;
                ids.push(u.id);
            }
            update(
                db,
                &domain::user_id::UserId::from_stored(ids[2].clone()),
                &UserPatch { user_metadata: obj(json!({"company": "Acme_50%"})), ..Default::default() },
                MetadataMode::Merge,
                services::audit::Actor::Admin(&domain::user_id::UserId::from_stored("u0")),
            )
            .await
            .unwrap();
            let mut named: users::ActiveModel = users::Entity::find_by_id(ids[3].clone()).one(db).await.unwrap().unwrap().into();
            named.name = sea_orm::Set(Some("Grace Hopper".into()));
            named.update(db).await.unwrap();

            assert_eq!(search(db, "PERSON1@", None, 10).await.unwrap().users[0].user_id, ids[1]);
            assert_eq!(search(db, "acme_50%", None, 10).await.unwrap().users[0].user_id, ids[2]);
            assert_eq!(search(db, "hopper", None, 10).await.unwrap().users[0].user_id, ids[3]);
            assert!(search(db, "acme_5_%", None, 10).await.unwrap().users.is_empty(), "wildcards are literal");

            // All five, two at a time, newest first, each exactly once.
            let mut seen = Vec::new();
            let mut from = None;
            loop {
                let page = search(db, "", from.as_ref(), 2).await.unwrap();
                seen.extend(page.users.iter().map(|u| u.user_id.clone()));
                match page.next {
                    Some(next) => from = Some(Cursor::decode(&next).unwrap()),
                    None => break,
                }
            }
            let mut expected = ids.clone();
            expected.reverse();
            assert_eq!(seen, expected);
        });

        services::db_test!(postgres_search_walks_then_asks_the_trigram_index, |db| {
            if db.get_database_backend() == DatabaseBackend::Postgres {
                // 1,200 users, one a second; "needle" only in the oldest 30, so the first walk
                // (the newest 500 rows) finds none and the trigram candidates answer, page by page.
                db.execute_unprepared(
                    "INSERT INTO users (id, email, name, user_metadata, app_metadata, provenance, created_at) \
                     SELECT 'u' || lpad(g::text, 5, '0'), 'user' || g || '@example.com', \
                            CASE WHEN g <= 30 THEN 'Needle_' || g ELSE 'Hay ' || g END, '{}', '{}', '{}', \
                            timestamptz '2026-01-01' + g * interval '1 second' \
                     FROM generate_series(1, 1200) AS g",
                )
                .await
                .unwrap();
                for (term, expected) in [("NEEDLE", 30), ("needle_1", 11), ("edle_3", 2), ("needle%", 0), ("user1199@", 1), ("ay 4", 110)] {
                    let mut seen = Vec::new();
                    let mut from = None;
                    loop {
                        let page = search(db, term, from.as_ref(), 7).await.unwrap();
                        seen.extend(page.users.iter().map(|u| u.user_id.clone()));
                        match page.next {
                            Some(next) => from = Some(Cursor::decode(&next).unwrap()),
                            None => break,
                        }
                    }
                    let like = contains_pattern(term);
                    let rows = db
                        .query_all(sea_orm::Statement::from_sql_and_values(
                            DatabaseBackend::Postgres,
                            "SELECT id FROM users WHERE search_text LIKE $1 ESCAPE '\\' ORDER BY created_at DESC, id DESC",
                            [like.into()],
                        ))
                        .await
                        .unwrap();
                    let all: Vec<String> = rows.iter().map(|r| r.try_get("", "id").unwrap()).collect();
                    assert_eq!(seen, all, "{term}");
                    assert_eq!(seen.len(), expected, "{term}");
                }
            }
        });

        services::db_test!(patches_merge_validate_block_and_audit, |db| {
            let u = user(db, "ada@example.com").await;
            let merge = |v| UserPatch { user_metadata: obj(v), ..Default::default() };
            update(
                db,
                &u.user_id(),
                &merge(json!({"a": 1, "prefs": {"x": 1, "y": 2}})),
                MetadataMode::Merge,
                services::audit::Actor::Api(&domain::token_id::TokenId::from_stored("t1")),
            )
            .await
            .unwrap();
            let p = update(
                db,
                &u.user_id(),
                &merge(json!({"b": 2, "prefs": {"z": 3}, "a": null})),
                MetadataMode::Merge,
                services::audit::Actor::Api(&domain::token_id::TokenId::from_stored("t1")),
            )
            .await
            .unwrap();
            assert_eq!(p.user_metadata, json!({"b": 2, "prefs": {"z": 3}}), "merge, nested replaced, null deletes");
            assert_eq!(p.provenance["user_metadata.b"].source, domain::profile::Source::Api);
            assert!(!p.provenance.contains_key("user_metadata.a"));

            let p = update(
                db,
                &u.user_id(),
                &merge(json!({"only": true})),
                MetadataMode::Replace,
                services::audit::Actor::Admin(&domain::user_id::UserId::from_stored("u0")),
            )
            .await
            .unwrap();
            assert_eq!(p.user_metadata, json!({"only": true}));

            let deep = merge(json!({"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}));
            assert!(matches!(
                update(
                    db,
                    &u.user_id(),
                    &deep,
                    MetadataMode::Merge,
                    services::audit::Actor::Api(&domain::token_id::TokenId::from_stored("t0"))
                )
                .await,
                Err(DirectoryError::InvalidMetadata { which: "user_metadata", .. })
            ));

            let app = UserPatch { app_metadata: obj(json!({"plan": "pro"})), blocked: Some(true), ..Default::default() };
            let p = update(
                db,
                &u.user_id(),
                &app,
                MetadataMode::Merge,
                services::audit::Actor::Admin(&domain::user_id::UserId::from_stored("u0")),
            )
            .await
            .unwrap();
            assert!(p.blocked);
            assert_eq!(p.app_metadata, json!({"plan": "pro"}));
            assert!(matches!(
                update(
                    db,
                    &domain::user_id::UserId::from_stored("nobody"),
                    &app,
                    MetadataMode::Merge,
                    services::audit::Actor::Admin(&domain::user_id::UserId::from_stored("u0"))
                )
                .await,
                Err(DirectoryError::NotFound)
            ));
            let audits = services::entities::audit_log::Entity::find().all(db).await.unwrap();
            assert!(audits.iter().filter(|a| a.action == services::audit::Action::UserUpdated.as_str()).count() >= 4);
            delete(db, &u.user_id(), services::audit::Actor::Admin(&domain::user_id::UserId::from_stored("u0"))).await.unwrap();
            assert!(matches!(
                delete(db, &u.user_id(), services::audit::Actor::Admin(&domain::user_id::UserId::from_stored("u0"))).await,
                Err(DirectoryError::NotFound)
            ));
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_metadata_editor_takes_two_json_objects() {
        let patch = UserPatch::from_documents("{\"plan\": \"pro\"}", " ").unwrap_or_default();
        assert_eq!(patch.user_metadata.map(Value::Object), Some(serde_json::json!({"plan": "pro"})));
        assert_eq!(patch.app_metadata, Some(Map::new()), "empty means {{}}");
        let problems = UserPatch::from_documents("[1]", "{oops").unwrap_err();
        assert!(problems["user_metadata"].contains("JSON object"));
        assert!(problems["app_metadata"].starts_with("Not valid JSON"));
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = Cursor { created_at: DateTime::from_timestamp_micros(1_763_000_000_123_456).unwrap(), id: "u-1.x".into() };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        for bad in ["", "abc", "12", "x.y", "1."] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn like_wildcards_in_a_search_are_literal() {
        assert_eq!(contains_pattern(" Ada_50% "), "%ada\\_50\\%%");
    }
}
