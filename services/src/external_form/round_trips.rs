//! The record of external forms' round trips, for the console's "Executions" view: a row when
//! the browser leaves for the form, updated each time it comes back (stored, or refused with
//! the reason). Recording never decides anything: a failure to record is logged and the
//! person goes on.

use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use sha2::Digest;

use super::{FormProblem, RoundTrip, RoundTripOutcome};
use crate::entities::form_round_trips;

/// Round trips kept per stage (the oldest beyond are forgotten).
pub const KEPT_PER_STAGE: u64 = 200;

fn state_hash(state: &str) -> String {
    hex::encode(sha2::Sha256::digest(state.as_bytes()))
}

/// The browser left for `stage`'s form on the round trip `state`. It replaces the person's
/// round trip to that form that never came back (as the new start replaces it in the
/// browser): one person cannot fill the list by starting again and again.
pub(crate) async fn started(db: &DatabaseConnection, stage: &str, user_id: &str, state: &str, at: DateTime<Utc>) {
    let replaced = form_round_trips::Entity::delete_many()
        .filter(form_round_trips::Column::StageKey.eq(stage))
        .filter(form_round_trips::Column::UserId.eq(user_id))
        .filter(form_round_trips::Column::Outcome.eq(RoundTripOutcome::Started.as_str()))
        .exec(db)
        .await;
    if let Err(e) = replaced {
        tracing::warn!(error = %e, stage, "replacing a form round trip failed");
    }
    let row = form_round_trips::ActiveModel {
        id: sea_orm::NotSet,
        stage_key: Set(stage.to_string()),
        user_id: Set(user_id.to_string()),
        state_hash: Set(Some(state_hash(state))),
        started_at: Set(Some(at)),
        returned_at: Set(None),
        outcome: Set(RoundTripOutcome::Started.as_str().to_string()),
        reason: Set(None),
        returns: Set(0),
    };
    if let Err(e) = insert_and_trim(db, row, stage).await {
        tracing::warn!(error = %e, stage, "recording a form round trip failed");
    }
}

/// The browser came back on its round trip `state` to `stage`'s form, with `outcome` (and the
/// refusal's reason).
pub(crate) async fn returned(
    db: &DatabaseConnection,
    stage: &str,
    user_id: &str,
    state: &str,
    outcome: RoundTripOutcome,
    reason: Option<FormProblem>,
    at: DateTime<Utc>,
) {
    let reason = reason.map(|r| r.code().to_string());
    let updated = form_round_trips::Entity::update_many()
        .col_expr(form_round_trips::Column::ReturnedAt, Expr::value(at))
        .col_expr(form_round_trips::Column::Outcome, Expr::value(outcome.as_str()))
        .col_expr(form_round_trips::Column::Reason, Expr::value(reason))
        .col_expr(form_round_trips::Column::Returns, Expr::col(form_round_trips::Column::Returns).add(1))
        .filter(form_round_trips::Column::StageKey.eq(stage))
        .filter(form_round_trips::Column::UserId.eq(user_id))
        .filter(form_round_trips::Column::StateHash.eq(state_hash(state)))
        .exec(db)
        .await;
    if let Err(e) = updated {
        tracing::warn!(error = %e, stage, "recording a form's return failed");
    }
}

async fn insert_and_trim(db: &DatabaseConnection, row: form_round_trips::ActiveModel, stage: &str) -> Result<(), DbErr> {
    row.insert(db).await?;
    let keep: Vec<i64> = form_round_trips::Entity::find()
        .select_only()
        .column(form_round_trips::Column::Id)
        .filter(form_round_trips::Column::StageKey.eq(stage))
        .order_by_desc(form_round_trips::Column::Id)
        .limit(KEPT_PER_STAGE)
        .into_tuple()
        .all(db)
        .await?;
    if let Some(oldest_kept) = keep.last().filter(|_| keep.len() as u64 == KEPT_PER_STAGE) {
        form_round_trips::Entity::delete_many()
            .filter(form_round_trips::Column::StageKey.eq(stage))
            .filter(form_round_trips::Column::Id.lt(*oldest_kept))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// `stage`'s most recent round trips, newest first (at most `limit`).
pub async fn recent_round_trips(db: &DatabaseConnection, stage: &str, limit: u64) -> Result<Vec<RoundTrip>, DbErr> {
    let rows = form_round_trips::Entity::find()
        .filter(form_round_trips::Column::StageKey.eq(stage))
        .order_by_desc(form_round_trips::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| RoundTrip {
            user_id: r.user_id,
            started_at: r.started_at.map(|t| t.to_rfc3339()),
            returned_at: r.returned_at.map(|t| t.to_rfc3339()),
            outcome: RoundTripOutcome::parse(&r.outcome).unwrap_or(RoundTripOutcome::Failed),
            reason: r.reason.as_deref().and_then(FormProblem::from_code),
            returns: u32::try_from(r.returns).unwrap_or(0),
        })
        .collect())
}
