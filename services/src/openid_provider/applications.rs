//! Registering and changing applications from the console and `/api/v2/clients`. AskOnce
//! makes the client id and a confidential application's secret (256 random bits, shown once,
//! kept as a hash); a rotation makes a new one and lets the old one work for a while beside
//! it, so a site owner can roll the secret out without a failed sign-in. Applications from
//! `askonce.toml` are shown but changed only there: the file is rewritten into the database
//! at each start, and an edit here would be silently undone.
//!
//! A machine application is granted management API scopes: whoever registers, changes or
//! rotates the secret of one must hold every scope it has ([`Grantor`]), or a token allowed
//! only `create:clients` would make itself a machine allowed everything.

use chrono::{DateTime, Duration, Utc};
use domain::openid_provider::application::{
    Application, ApplicationChanges, ApplicationSettings, ApplicationSource, ApplicationWithSecret, RotateSecret, MAX_SECRET_OVERLAP_SECS,
};
use domain::{api_scope::Scope, openid_provider::AppType};
use sea_orm::{ActiveModelTrait, DatabaseConnection, DbErr, EntityTrait, QueryOrder, QuerySelect};

use super::{
    clients::{self, ClientSettings, InvalidClient, SecretHash},
    secret,
};
use crate::{
    audit::{self, Action, Actor},
    entities::oauth_clients,
};

/// Who is registering or changing applications, as far as the API scopes they may hand a
/// machine go.
#[derive(Debug, Clone, Copy)]
pub enum Grantor<'a> {
    /// A site owner in the console, or the command line: every scope.
    Owner,
    /// An API caller holding these scopes.
    Holding(&'a [Scope]),
}

impl Grantor<'_> {
    /// The first of `scopes` this grantor does not hold.
    fn lacks<'s>(&self, scopes: &'s [String]) -> Option<&'s str> {
        match self {
            Grantor::Owner => None,
            Grantor::Holding(held) => {
                scopes.iter().map(String::as_str).find(|s| s.parse::<Scope>().map_or(true, |scope| !held.contains(&scope)))
            }
        }
    }

    fn check(&self, app_type: AppType, scopes: &[String]) -> Result<(), ApplicationError> {
        if app_type.signs_people_in() {
            return Ok(());
        }
        match self.lacks(scopes) {
            Some(scope) => Err(ApplicationError::Forbidden(format!(
                "a machine application allowed {scope} can be registered, changed or given a new secret only by a caller holding {scope}"
            ))),
            None => Ok(()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApplicationError {
    #[error("no such application")]
    NotFound,
    /// The caller may not hand out what the application would hold.
    #[error("{0}")]
    Forbidden(String),
    /// Configured in `askonce.toml`: changed there, not here.
    #[error("application {0} is configured in askonce.toml ([clients.{0}]): change it there")]
    Configured(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<ApplicationError> for crate::error::ServiceError {
    fn from(err: ApplicationError) -> Self {
        match err {
            ApplicationError::NotFound => crate::error::ServiceError::NotFound,
            ApplicationError::Forbidden(why) => crate::error::ServiceError::Refused(why),
            ApplicationError::Configured(_) => crate::error::ServiceError::Conflict(err.to_string()),
            ApplicationError::Invalid(problem) => crate::error::ServiceError::BadRequest(problem),
            ApplicationError::Db(e) => crate::error::internal("storing an application", e),
        }
    }
}

impl From<InvalidClient> for ApplicationError {
    fn from(err: InvalidClient) -> Self {
        ApplicationError::Invalid(err.problem)
    }
}

/// Every application, the most recently made first.
pub async fn list(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<Vec<Application>, DbErr> {
    let rows = oauth_clients::Entity::find().order_by_desc(oauth_clients::Column::CreatedAt).all(db).await?;
    Ok(rows.into_iter().map(|m| clients::application(m, now)).collect())
}

pub async fn get(db: &DatabaseConnection, client_id: &str, now: DateTime<Utc>) -> Result<Application, ApplicationError> {
    let row = oauth_clients::Entity::find_by_id(client_id).one(db).await?.ok_or(ApplicationError::NotFound)?;
    Ok(clients::application(row, now))
}

/// Registers an application; a confidential one's secret is in the answer only.
#[tracing::instrument(skip_all, fields(app_type = settings.app_type.as_str()))]
pub async fn create(
    db: &DatabaseConnection,
    settings: ApplicationSettings,
    grantor: Grantor<'_>,
    actor: Actor<'_>,
    now: DateTime<Utc>,
) -> Result<ApplicationWithSecret, ApplicationError> {
    let client_id: String = secret::random().chars().take(32).collect();
    let client_secret = (!settings.app_type.is_public()).then(secret::random);
    let settings = ClientSettings::from_application(settings, client_secret.clone());
    clients::validate(&client_id, &settings)?;
    grantor.check(settings.app_type, &settings.scopes)?;
    let secrets: Vec<SecretHash> =
        client_secret.iter().map(|s| SecretHash { hash: secret::hash(s), created_at: now, expires_at: None }).collect();
    let txn = crate::db::begin_write(db).await?;
    let row = clients::row(&client_id, &settings, &secrets, ApplicationSource::Console, now, now).insert(&txn).await?;
    audit::record(&txn, actor, Action::ClientCreated, None, serde_json::json!({ "client_id": client_id, "name": row.name })).await?;
    txn.commit().await?;
    tracing::info!(%client_id, "application registered");
    Ok(ApplicationWithSecret { application: clients::application(row, now), client_secret })
}

/// Changes an application: the fields `changes` names (a `PATCH`); the rest stays. Its kind (`app_type`) cannot change: a public client
/// becoming confidential would need a secret, a confidential one becoming public would keep
/// codes issued without PKCE. Register a new application instead.
#[tracing::instrument(skip_all, fields(%client_id))]
pub async fn update(
    db: &DatabaseConnection,
    client_id: &str,
    changes: ApplicationChanges,
    grantor: Grantor<'_>,
    actor: Actor<'_>,
    now: DateTime<Utc>,
) -> Result<Application, ApplicationError> {
    let txn = crate::db::begin_write(db).await?;
    let before = editable(&txn, client_id).await?;
    let current = clients::application(before.clone(), now);
    // What it holds now and what it would hold: both must be the caller's to hand out.
    grantor.check(current.app_type, &current.scopes)?;
    let settings = current.settings().with(changes);
    if settings.app_type != current.app_type {
        return Err(ApplicationError::Invalid(format!(
            "app_type cannot change (it is {}): register a new application instead",
            current.app_type.as_str()
        )));
    }
    let secrets: Vec<SecretHash> = serde_json::from_value(before.secret_hashes.clone()).unwrap_or_default();
    // The secret is not in play here; a confidential client is validated as holding one.
    let placeholder = (!settings.app_type.is_public()).then(secret::random);
    let settings = ClientSettings::from_application(settings, placeholder);
    clients::validate(client_id, &settings)?;
    grantor.check(settings.app_type, &settings.scopes)?;
    clients::void_pending_if_moved(&txn, &before, &settings).await?;
    let mut row = clients::row(client_id, &settings, &secrets, ApplicationSource::Console, before.created_at, now);
    // The secrets are a rotation's alone: written back from this read, a rotation that
    // committed in between would be undone (the rotated-out secret alive again).
    row.secret_hashes = sea_orm::NotSet;
    let row = row.update(&txn).await?;
    audit::record(&txn, actor, Action::ClientChanged, None, serde_json::json!({ "client_id": client_id, "name": row.name })).await?;
    txn.commit().await?;
    Ok(clients::application(row, now))
}

/// Deletes an application, and with it (by the tables' cascades) its codes, tokens, grants
/// and authorizations in flight: everything it was given stops working at once.
#[tracing::instrument(skip_all, fields(%client_id))]
pub async fn delete(db: &DatabaseConnection, client_id: &str, actor: Actor<'_>) -> Result<(), ApplicationError> {
    let txn = crate::db::begin_write(db).await?;
    let row = editable(&txn, client_id).await?;
    oauth_clients::Entity::delete_by_id(client_id).exec(&txn).await?;
    audit::record(&txn, actor, Action::ClientDeleted, None, serde_json::json!({ "client_id": client_id, "name": row.name })).await?;
    txn.commit().await?;
    Ok(())
}

/// Makes a new secret; the current ones keep working for `previous_secret_expires_in_secs`
/// (secrets already set to expire keep their earlier end).
#[tracing::instrument(skip_all, fields(%client_id))]
pub async fn rotate_secret(
    db: &DatabaseConnection,
    client_id: &str,
    rotation: RotateSecret,
    grantor: Grantor<'_>,
    actor: Actor<'_>,
    now: DateTime<Utc>,
) -> Result<ApplicationWithSecret, ApplicationError> {
    if rotation.previous_secret_expires_in_secs > MAX_SECRET_OVERLAP_SECS {
        return Err(ApplicationError::Invalid(format!("previous_secret_expires_in_secs must be 0–{MAX_SECRET_OVERLAP_SECS} (30 days)")));
    }
    let txn = crate::db::begin_write(db).await?;
    let before = editable(&txn, client_id).await?;
    let app_type = AppType::parse(&before.app_type).unwrap_or(AppType::Spa);
    if app_type.is_public() {
        return Err(ApplicationError::Invalid("a public application (spa, native) has no secret to rotate".into()));
    }
    // A machine's new secret is its scopes in the caller's hands.
    let scopes: Vec<String> = serde_json::from_value(before.scopes.clone()).unwrap_or_default();
    grantor.check(app_type, &scopes)?;
    let old_end = now + Duration::seconds(i64::from(rotation.previous_secret_expires_in_secs));
    let mut secrets: Vec<SecretHash> = serde_json::from_value::<Vec<SecretHash>>(before.secret_hashes.clone())
        .unwrap_or_default()
        .into_iter()
        .filter(|s| s.expires_at.is_none_or(|e| e > now))
        .map(|s| SecretHash { expires_at: Some(s.expires_at.map_or(old_end, |e| e.min(old_end))), ..s })
        .filter(|s| s.expires_at.is_none_or(|e| e > now))
        .collect();
    let client_secret = secret::random();
    secrets.push(SecretHash { hash: secret::hash(&client_secret), created_at: now, expires_at: None });
    let mut row: oauth_clients::ActiveModel = before.into();
    row.secret_hashes = sea_orm::Set(serde_json::to_value(&secrets).unwrap_or_default());
    row.updated_at = sea_orm::Set(now);
    let row = row.update(&txn).await?;
    audit::record(&txn, actor, Action::ClientSecretRotated, None, serde_json::json!({ "client_id": client_id })).await?;
    txn.commit().await?;
    Ok(ApplicationWithSecret { application: clients::application(row, now), client_secret: Some(client_secret) })
}

/// The application's row, if it exists and is not the configuration file's, locked until
/// the transaction ends (PostgreSQL; SQLite's write transaction holds the whole database):
/// a change and a rotation at once take turns.
async fn editable(db: &impl sea_orm::ConnectionTrait, client_id: &str) -> Result<oauth_clients::Model, ApplicationError> {
    let row = oauth_clients::Entity::find_by_id(client_id).lock_exclusive().one(db).await?.ok_or(ApplicationError::NotFound)?;
    if row.source == ApplicationSource::Config.as_str() {
        return Err(ApplicationError::Configured(row.client_id));
    }
    Ok(row)
}
