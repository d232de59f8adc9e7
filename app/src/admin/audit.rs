//! The audit log: who changed what in the console, the API and the CLI. Entries name the
//! subject by [`subject_hash`](crate::account::self_service::subject_hash) only, so erasing a
//! person leaves nothing personal behind.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};
use serde_json::Value;

use crate::{account::self_service::subject_hash, entities::audit_log};

/// Records one action. `actor_kind`: `admin`, `api`, `cli`, `user`.
pub async fn record(
    db: &impl ConnectionTrait,
    actor_kind: &str,
    actor_id: Option<&str>,
    action: &str,
    subject_user_id: Option<&str>,
    details: Value,
) -> Result<(), DbErr> {
    audit_log::ActiveModel {
        at: Set(Utc::now()),
        actor_kind: Set(actor_kind.to_string()),
        actor_id: Set(actor_id.map(str::to_string)),
        action: Set(action.to_string()),
        subject_hash: Set(subject_user_id.map(subject_hash)),
        details: Set(details),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}
