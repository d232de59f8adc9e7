//! Prompt events: what each person was shown, answered, skipped or abandoned, and when — the
//! history the engine reads and analytics counts.

use domain::user_id::UserId;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::{json, Value};

use crate::{
    entities::prompt_events,
    profiling::{
        engine::{EventKind, Moment, PastEvent},
        field::FieldKey,
    },
};

pub async fn history_for(db: &impl ConnectionTrait, user_id: &UserId) -> Result<Vec<PastEvent>, DbErr> {
    let rows = prompt_events::Entity::find()
        .filter(prompt_events::Column::UserId.eq(user_id.as_str()))
        .order_by_asc(prompt_events::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(past_event).collect())
}

/// A stored event as the engine reads it (`None` for a kind or stage this version cannot read).
pub(super) fn past_event(r: prompt_events::Model) -> Option<PastEvent> {
    let kind = EventKind::parse(&r.kind)?;
    let declined = r.fields.get("declined").and_then(|d| serde_json::from_value(d.clone()).ok()).unwrap_or_default();
    Some(PastEvent {
        stage: FieldKey::parse(&r.stage_key).ok()?,
        kind,
        at: r.created_at,
        login_number: r.login_number.max(0) as u32,
        declined,
    })
}

fn moment_parts(moment: &Moment) -> (&'static str, Option<String>) {
    match moment {
        Moment::Signup => ("signup", None),
        Moment::Login { .. } => ("login", None),
        Moment::Context { name, .. } => ("context", Some(name.clone())),
    }
}

/// Which application's page asked (the prompt API), for analytics; AskOnce's own pages are
/// none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AskedBy {
    /// The application (`client_id`).
    pub client_id: String,
    /// The page it asked on: a path, or an origin and path — never the query, which may
    /// carry what analytics and logs must not (codes, tokens, addresses).
    pub page: Option<String>,
}

/// One prompt event about to be recorded: what happened to which stage, for whom, when.
pub(super) struct NewEvent<'a> {
    pub(super) user_id: &'a str,
    pub(super) stage: &'a FieldKey,
    pub(super) kind: EventKind,
    pub(super) moment: &'a Moment,
    /// The login it happened at (the user's `logins_count` then).
    pub(super) login_number: i32,
    /// `asked`, `answered`, `declined`: the fields involved, for analytics.
    pub(super) fields: Value,
    pub(super) at: DateTime<Utc>,
    pub(super) asked_by: Option<&'a AskedBy>,
}

impl NewEvent<'_> {
    pub(super) async fn record(self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        let (trigger, context) = moment_parts(self.moment);
        prompt_events::ActiveModel {
            user_id: Set(self.user_id.to_string()),
            stage_key: Set(self.stage.to_string()),
            kind: Set(self.kind.as_str().to_string()),
            trigger_kind: Set(trigger.to_string()),
            context_name: Set(context),
            fields: Set(self.fields),
            login_number: Set(self.login_number),
            client_id: Set(self.asked_by.map(|a| a.client_id.clone())),
            page: Set(self.asked_by.and_then(|a| a.page.clone())),
            created_at: Set(self.at),
            ..Default::default()
        }
        .insert(db)
        .await?;
        Ok(())
    }
}

/// The questions shown to `user_id`, answered and skipped, oldest first, as the export and
/// the console show them.
pub async fn prompt_history(db: &impl ConnectionTrait, user_id: &UserId) -> Result<Vec<Value>, DbErr> {
    Ok(prompt_events::Entity::find()
        .filter(prompt_events::Column::UserId.eq(user_id.as_str()))
        .order_by_asc(prompt_events::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|e| {
            json!({
                "stage": e.stage_key, "event": e.kind, "trigger": e.trigger_kind,
                "context": e.context_name, "fields": e.fields, "login_number": e.login_number,
                "at": e.created_at,
            })
        })
        .collect())
}
