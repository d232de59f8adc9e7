//! The audit log: who changed what in the console, the API, the CLI, and people erasing
//! their own account. Entries name the subject by [`subject_hash`] only, so erasing a person
//! leaves nothing personal behind.
//!
//! Below every domain that records (admin, auth's role grants, profile's erasure): it
//! depends on the entities alone.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::entities::audit_log;

/// The audit log's stand-in for a user id: it can confirm "this id was erased" to someone who
/// already knows the id, and reveals nothing to anyone else.
pub fn subject_hash(user_id: &str) -> String {
    let digest = Sha256::digest(format!("askonce-audit:{user_id}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

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
