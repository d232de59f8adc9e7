//! Hooks in the database: made (with a secret shown once), listed with their recent calls,
//! changed, deleted — each change with its audit entry in the same transaction.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    SqlErr,
};

use crate::{
    entities::{hook_calls, hooks},
    hooks::{CallOutcome, Hook, HookCall, HookSettings, HookTrigger, NewHook, OnFailure},
    outbound::OutboundPolicy,
};

/// Calls kept per hook (older ones are deleted as new ones are recorded).
pub const CALLS_KEPT: u64 = 50;
/// Calls shown with each hook.
pub const CALLS_SHOWN: u64 = 10;

/// Who changes hooks, for the audit log.
pub use crate::audit::Actor;

#[derive(Debug, thiserror::Error)]
pub enum HookError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("some settings need attention")]
    Invalid(std::collections::BTreeMap<String, String>),
    #[error("there is no such hook")]
    NotFound,
}

impl From<HookError> for crate::error::ServiceError {
    fn from(err: HookError) -> Self {
        use crate::error::ServiceError;
        match err {
            HookError::Invalid(problems) => ServiceError::Invalid(problems),
            HookError::NotFound => ServiceError::NotFound,
            HookError::Db(e) => crate::error::internal("hooks", e),
        }
    }
}

/// The settings' own problems, and an address the server may not call (checked again at
/// every connection: `outbound`). A disabled hook is never called, so switching one off is
/// never refused; switching it on checks its address.
fn check(settings: &HookSettings, policy: &OutboundPolicy) -> Result<(), HookError> {
    let mut problems = settings.problems();
    if settings.enabled && !problems.contains_key("url") {
        if let Err(refused) = policy.check_url(&settings.url) {
            problems.insert("url".into(), refused.message());
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(HookError::Invalid(problems))
    }
}

/// A unique-name violation reads as a problem with the name.
fn name_taken(err: DbErr) -> HookError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            HookError::Invalid([("name".to_string(), "Another hook has this name.".to_string())].into_iter().collect())
        }
        _ => HookError::Db(err),
    }
}

fn settings_of(row: &hooks::Model) -> HookSettings {
    HookSettings {
        name: row.name.clone(),
        trigger: HookTrigger::parse(&row.trigger).unwrap_or(HookTrigger::PostLogin),
        url: row.url.clone(),
        enabled: row.enabled,
        timeout_ms: u32::try_from(row.timeout_ms).unwrap_or(crate::hooks::DEFAULT_TIMEOUT_MS),
        on_failure: OnFailure::parse(&row.on_failure).unwrap_or_default(),
    }
}

fn call_of(row: hook_calls::Model) -> HookCall {
    HookCall {
        at: row.at,
        outcome: CallOutcome::parse(&row.outcome).unwrap_or(CallOutcome::Failed),
        http_status: row.http_status.and_then(|s| u16::try_from(s).ok()),
        duration_ms: u32::try_from(row.duration_ms).unwrap_or(0),
        detail: row.detail,
    }
}

async fn view(db: &impl ConnectionTrait, row: hooks::Model) -> Result<Hook, DbErr> {
    let calls = hook_calls::Entity::find()
        .filter(hook_calls::Column::HookId.eq(&row.id))
        .order_by_desc(hook_calls::Column::At)
        .order_by_desc(hook_calls::Column::Id)
        .limit(CALLS_SHOWN)
        .all(db)
        .await?;
    Ok(Hook {
        id: row.id.clone(),
        settings: settings_of(&row),
        created_at: row.created_at,
        recent_calls: calls.into_iter().map(call_of).collect(),
    })
}

/// Every hook, oldest first (the order they run in), with its recent calls.
pub async fn list(db: &DatabaseConnection) -> Result<Vec<Hook>, DbErr> {
    let rows = hooks::Entity::find().order_by_asc(hooks::Column::CreatedAt).order_by_asc(hooks::Column::Id).all(db).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(view(db, row).await?);
    }
    Ok(out)
}

pub async fn get(db: &DatabaseConnection, id: &str) -> Result<Hook, HookError> {
    let row = hooks::Entity::find_by_id(id).one(db).await?.ok_or(HookError::NotFound)?;
    Ok(view(db, row).await?)
}

/// The enabled hooks for `trigger`, in the order they run, with their secrets.
pub(crate) async fn enabled_for(db: &impl ConnectionTrait, trigger: HookTrigger) -> Result<Vec<(hooks::Model, HookSettings)>, DbErr> {
    let rows = hooks::Entity::find()
        .filter(hooks::Column::Trigger.eq(trigger.as_str()))
        .filter(hooks::Column::Enabled.eq(true))
        .order_by_asc(hooks::Column::CreatedAt)
        .order_by_asc(hooks::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let settings = settings_of(&row);
            (row, settings)
        })
        .collect())
}

/// A new signing secret: 32 random bytes from the OS generator, as hex.
fn new_secret() -> String {
    format!("whsec_{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

#[tracing::instrument(skip(db, policy, settings), fields(name = %settings.name))]
pub async fn create(
    db: &DatabaseConnection,
    policy: &OutboundPolicy,
    settings: HookSettings,
    actor: Actor<'_>,
) -> Result<NewHook, HookError> {
    check(&settings, policy)?;
    let secret = new_secret();
    let txn = crate::db::begin_write(db).await?;
    let row = hooks::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        name: Set(settings.name.clone()),
        trigger: Set(settings.trigger.as_str().to_string()),
        url: Set(settings.url.clone()),
        enabled: Set(settings.enabled),
        timeout_ms: Set(i32::try_from(settings.timeout_ms).unwrap_or(i32::MAX)),
        on_failure: Set(settings.on_failure.as_str().to_string()),
        secret: Set(secret.clone()),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await
    .map_err(name_taken)?;
    crate::audit::record(&txn, actor, crate::audit::Action::HookCreated, None, serde_json::json!({ "hook": row.id, "name": row.name }))
        .await?;
    txn.commit().await?;
    Ok(NewHook { hook: Hook { id: row.id, settings, created_at: row.created_at, recent_calls: vec![] }, secret })
}

/// Replaces a hook's settings (its secret and calls stay).
#[tracing::instrument(skip(db, policy, settings))]
pub async fn update(
    db: &DatabaseConnection,
    policy: &OutboundPolicy,
    id: &str,
    settings: HookSettings,
    actor: Actor<'_>,
) -> Result<Hook, HookError> {
    check(&settings, policy)?;
    let txn = crate::db::begin_write(db).await?;
    let row = hooks::Entity::find_by_id(id).one(&txn).await?.ok_or(HookError::NotFound)?;
    let mut active: hooks::ActiveModel = row.into();
    active.name = Set(settings.name.clone());
    active.trigger = Set(settings.trigger.as_str().to_string());
    active.url = Set(settings.url.clone());
    active.enabled = Set(settings.enabled);
    active.timeout_ms = Set(i32::try_from(settings.timeout_ms).unwrap_or(i32::MAX));
    active.on_failure = Set(settings.on_failure.as_str().to_string());
    let row = active.update(&txn).await.map_err(name_taken)?;
    crate::audit::record(&txn, actor, crate::audit::Action::HookChanged, None, serde_json::json!({ "hook": row.id, "name": row.name }))
        .await?;
    txn.commit().await?;
    Ok(view(db, row).await?)
}

#[tracing::instrument(skip(db))]
pub async fn delete(db: &DatabaseConnection, id: &str, actor: Actor<'_>) -> Result<(), HookError> {
    let txn = crate::db::begin_write(db).await?;
    let row = hooks::Entity::find_by_id(id).one(&txn).await?.ok_or(HookError::NotFound)?;
    // Explicitly, not only by the foreign key: SQLite enforces it only where turned on.
    hook_calls::Entity::delete_many().filter(hook_calls::Column::HookId.eq(id)).exec(&txn).await?;
    hooks::Entity::delete_by_id(id).exec(&txn).await?;
    crate::audit::record(&txn, actor, crate::audit::Action::HookDeleted, None, serde_json::json!({ "hook": row.id, "name": row.name }))
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Records one call and forgets the hook's calls beyond the newest [`CALLS_KEPT`].
pub(crate) async fn record_call(db: &DatabaseConnection, hook_id: &str, user_id: Option<&str>, call: &HookCall) -> Result<(), DbErr> {
    hook_calls::ActiveModel {
        id: sea_orm::NotSet,
        hook_id: Set(hook_id.to_string()),
        user_id: Set(user_id.map(str::to_string)),
        at: Set(call.at),
        outcome: Set(call.outcome.as_str().to_string()),
        http_status: Set(call.http_status.map(i32::from)),
        duration_ms: Set(i32::try_from(call.duration_ms).unwrap_or(i32::MAX)),
        detail: Set(call.detail.as_ref().map(|d| d.chars().take(500).collect())),
    }
    .insert(db)
    .await?;
    let keep: Vec<i64> = hook_calls::Entity::find()
        .select_only()
        .column(hook_calls::Column::Id)
        .filter(hook_calls::Column::HookId.eq(hook_id))
        .order_by_desc(hook_calls::Column::Id)
        .limit(CALLS_KEPT)
        .into_tuple()
        .all(db)
        .await?;
    if let Some(oldest_kept) = keep.last().filter(|_| keep.len() as u64 == CALLS_KEPT) {
        hook_calls::Entity::delete_many()
            .filter(hook_calls::Column::HookId.eq(hook_id))
            .filter(hook_calls::Column::Id.lt(*oldest_kept))
            .exec(db)
            .await?;
    }
    Ok(())
}
