//! Recording and reading account activity.

use domain::user_id::UserId;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde_json::{json, Value};

use super::{describe, ActivityEntry, Actor, EventKind};
use crate::entities::account_events;

/// Where a request came from, as the activity shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Client {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// One thing that happened, about to be recorded.
#[derive(Debug, Clone)]
pub struct Event {
    pub kind: EventKind,
    pub success: bool,
    pub actor: Actor,
    pub connection: Option<String>,
    pub client: Client,
    pub details: Value,
}

impl Event {
    /// A successful `kind` done by `actor`, with no further facts.
    pub fn new(kind: EventKind, actor: Actor) -> Self {
        Self { kind, success: true, actor, connection: None, client: Client::default(), details: json!({}) }
    }

    pub fn failed(mut self) -> Self {
        self.success = false;
        self
    }

    pub fn connection(mut self, connection: impl Into<String>) -> Self {
        self.connection = Some(connection.into());
        self
    }

    pub fn client(mut self, client: Client) -> Self {
        self.client = client;
        self
    }

    pub fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
}

/// Records `event` for `user_id`. Call it in the transaction of what it records, so the
/// record exists exactly when the change does.
#[tracing::instrument(skip(db, event), fields(kind = event.kind.as_str()))]
pub async fn record(db: &impl ConnectionTrait, user_id: &UserId, event: Event) -> Result<i64, DbErr> {
    let Event { kind, success, actor, connection, client, details } = event;
    let row = account_events::ActiveModel {
        user_id: Set(user_id.to_string()),
        at: Set(Utc::now()),
        kind: Set(kind.as_str().to_string()),
        success: Set(success),
        actor: Set(actor.as_str().to_string()),
        connection: Set(connection),
        ip: Set(client.ip.map(|ip| ip.chars().take(64).collect())),
        user_agent: Set(client.user_agent.map(|ua| ua.chars().take(512).collect())),
        details: Set(details),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(row.id)
}

/// Which entries to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only these kinds (empty: all).
    pub kinds: Vec<EventKind>,
    /// Only successes (`Some(true)`) or only refusals (`Some(false)`).
    pub success: Option<bool>,
    /// Entries older than this id (the next page).
    pub before_id: Option<i64>,
}

/// `user_id`'s newest entries matching `filter`, at most `limit` (`None`: all of them).
pub async fn list(db: &impl ConnectionTrait, user_id: &UserId, filter: &Filter, limit: Option<u64>) -> Result<Vec<ActivityEntry>, DbErr> {
    let mut query = account_events::Entity::find().filter(account_events::Column::UserId.eq(user_id.as_str()));
    if !filter.kinds.is_empty() {
        query = query.filter(account_events::Column::Kind.is_in(filter.kinds.iter().map(|k| k.as_str())));
    }
    if let Some(success) = filter.success {
        query = query.filter(account_events::Column::Success.eq(success));
    }
    if let Some(before) = filter.before_id {
        query = query.filter(account_events::Column::Id.lt(before));
    }
    // `QuerySelect::limit(None)` sets no LIMIT (a u64::MAX one would not fit the database's
    // signed integer).
    let rows = query.order_by_desc(account_events::Column::Id).limit(limit).all(db).await?;
    Ok(rows.into_iter().filter_map(entry).collect())
}

/// A stored row as shown; rows of a kind this version does not know are skipped.
fn entry(row: account_events::Model) -> Option<ActivityEntry> {
    let kind = EventKind::parse(&row.kind)?;
    let description = describe(kind, row.success, &row.actor, row.connection.as_deref(), &row.details);
    Some(ActivityEntry {
        id: row.id,
        at: row.at,
        kind,
        success: row.success,
        actor: row.actor,
        connection: row.connection,
        ip: row.ip,
        user_agent: row.user_agent,
        details: row.details,
        description,
    })
}

/// Whether `user_id` signed in successfully before from this browser (same user agent,
/// within the activity's retention): a sign-in from anything else — or from a client that
/// does not say what it is — is "a new device".
pub(crate) async fn seen_device(
    db: &impl ConnectionTrait,
    user_id: &UserId,
    user_agent: Option<&str>,
    before_id: i64,
) -> Result<bool, DbErr> {
    let Some(user_agent) = user_agent else {
        return Ok(false);
    };
    let earlier = account_events::Entity::find()
        .filter(account_events::Column::UserId.eq(user_id.as_str()))
        .filter(account_events::Column::Kind.is_in([EventKind::SignIn.as_str(), EventKind::SignUp.as_str()]))
        .filter(account_events::Column::Success.eq(true))
        .filter(account_events::Column::UserAgent.eq(user_agent))
        .filter(account_events::Column::Id.lt(before_id))
        .one(db)
        .await?;
    Ok(earlier.is_some())
}

/// Deletes entries recorded before `cutoff` (the retention setting); returns how many.
pub async fn prune(db: &impl ConnectionTrait, cutoff: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(account_events::Entity::delete_many().filter(account_events::Column::At.lt(cutoff)).exec(db).await?.rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{auth::accounts::sign_up_with_password, profile::Email};

    async fn ada(db: &sea_orm::DatabaseConnection) -> String {
        sign_up_with_password(db, &Email::parse("ada@example.com").unwrap(), "a long passphrase".into()).await.unwrap().id
    }

    crate::db_test!(entries_are_listed_newest_first_with_filters, |db| {
        let user = ada(db).await;
        let client = Client { ip: Some("192.0.2.1".into()), user_agent: Some("Firefox".into()) };
        record(
            db,
            &domain::user_id::UserId::from_stored(user.clone()),
            Event::new(EventKind::SignIn, Actor::User).connection("google").client(client.clone()),
        )
        .await
        .unwrap();
        record(
            db,
            &domain::user_id::UserId::from_stored(user.clone()),
            Event::new(EventKind::SignIn, Actor::User).failed().connection("password"),
        )
        .await
        .unwrap();
        record(db, &domain::user_id::UserId::from_stored(user.clone()), Event::new(EventKind::PasswordChanged, Actor::User)).await.unwrap();
        let all = list(db, &domain::user_id::UserId::from_stored(user.clone()), &Filter::default(), Some(30)).await.unwrap();
        assert_eq!(all.iter().map(|e| e.kind).collect::<Vec<_>>(), [EventKind::PasswordChanged, EventKind::SignIn, EventKind::SignIn]);
        assert_eq!(all[2].description, "Signed in with google");
        assert_eq!(all[2].ip.as_deref(), Some("192.0.2.1"));
        let failures =
            list(db, &domain::user_id::UserId::from_stored(user.clone()), &Filter { success: Some(false), ..Filter::default() }, Some(30))
                .await
                .unwrap();
        assert_eq!(failures.len(), 1);
        let sign_ins = list(
            db,
            &domain::user_id::UserId::from_stored(user.clone()),
            &Filter { kinds: vec![EventKind::SignIn], ..Filter::default() },
            Some(30),
        )
        .await
        .unwrap();
        assert_eq!(sign_ins.len(), 2);
        let older = list(
            db,
            &domain::user_id::UserId::from_stored(user.clone()),
            &Filter { before_id: Some(all[0].id), ..Filter::default() },
            Some(1),
        )
        .await
        .unwrap();
        assert_eq!(older.iter().map(|e| e.id).collect::<Vec<_>>(), [all[1].id]);
        assert!(list(db, &UserId::from_stored("someone-else"), &Filter::default(), Some(30)).await.unwrap().is_empty());
    });

    crate::db_test!(old_entries_are_pruned_and_the_account_takes_its_entries_along, |db| {
        let user = ada(db).await;
        record(db, &domain::user_id::UserId::from_stored(user.clone()), Event::new(EventKind::SignIn, Actor::User)).await.unwrap();
        assert_eq!(prune(db, Utc::now() - chrono::Duration::days(1)).await.unwrap(), 0);
        assert_eq!(prune(db, Utc::now() + chrono::Duration::seconds(1)).await.unwrap(), 1);
        record(db, &domain::user_id::UserId::from_stored(user.clone()), Event::new(EventKind::SignIn, Actor::User)).await.unwrap();
        crate::profile::store::erase_account(db, &domain::user_id::UserId::from_stored(user.clone()), crate::audit::Actor::User)
            .await
            .unwrap();
        assert!(account_events::Entity::find().all(db).await.unwrap().is_empty());
    });

    crate::db_test!(a_device_is_new_until_it_signed_in_once, |db| {
        let user = ada(db).await;
        let firefox = Client { ip: None, user_agent: Some("Firefox".into()) };
        record(db, &domain::user_id::UserId::from_stored(user.clone()), Event::new(EventKind::SignIn, Actor::User).client(firefox))
            .await
            .unwrap();
        let last = list(db, &domain::user_id::UserId::from_stored(user.clone()), &Filter::default(), Some(1)).await.unwrap()[0].id;
        assert!(seen_device(db, &domain::user_id::UserId::from_stored(user.clone()), Some("Firefox"), last + 1).await.unwrap());
        assert!(!seen_device(db, &domain::user_id::UserId::from_stored(user.clone()), Some("Chrome"), last + 1).await.unwrap());
        assert!(
            !seen_device(db, &domain::user_id::UserId::from_stored(user.clone()), Some("Firefox"), last).await.unwrap(),
            "only earlier sign-ins count"
        );
    });
}
