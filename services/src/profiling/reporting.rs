//! The schema-change report over the database: everyone, in batches by id, each person's
//! facts and history read as the engine reads them and added to a [`Tally`]. Reads only.
//!
//! Why it reads the way it does (a million people must take seconds, see BENCHMARKS.md):
//! only the columns the engine reads (not provenance, app_metadata or the search text), a
//! few thousand people per round trip, and the reading of the next batch runs beside the
//! counting of this one.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect};
use serde_json::Value;
use tokio::sync::mpsc;

use super::{
    consents::record_of,
    events::past_event,
    flow::{facts_from, identity_claims},
    load_config, ProfilingError,
};
use domain::profiling::change_report::{ChangeReport, Tally};

use crate::{
    entities::{consent_records, identities, prompt_events, users},
    profiling::{
        consent::GivenConsent,
        engine::{IdentityClaims, PastEvent, ProfileFacts},
        field::FieldKey,
        stage::StageKey,
    },
};

/// People per batch: few round trips for a million people, little memory each.
const BATCH: u64 = 5000;

/// The columns of a person the engine reads.
#[derive(Debug, FromQueryResult)]
struct Person {
    id: String,
    email: Option<String>,
    email_verified: bool,
    name: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    nickname: Option<String>,
    picture: Option<String>,
    locale: Option<String>,
    user_metadata: Value,
    logins_count: i32,
}

impl Person {
    /// As a profile row, for the profile store's readers; the columns the engine does not
    /// read are left empty.
    fn into_user(self) -> users::Model {
        let never = DateTime::<Utc>::UNIX_EPOCH;
        users::Model {
            id: self.id,
            email: self.email,
            email_normalized: None,
            email_verified: self.email_verified,
            name: self.name,
            given_name: self.given_name,
            family_name: self.family_name,
            nickname: self.nickname,
            picture: self.picture,
            locale: self.locale,
            user_metadata: self.user_metadata,
            app_metadata: Value::Null,
            provenance: Value::Null,
            logins_count: self.logins_count,
            last_login: None,
            last_ip: None,
            blocked: false,
            is_admin: false,
            primary_identity_id: None,
            version: 0,
            created_at: never,
            updated_at: never,
        }
    }
}

#[derive(Debug, FromQueryResult)]
struct Claims {
    user_id: String,
    connection: String,
    profile_data: Value,
}

/// One batch, read: each person's facts and history, and the last id (where the next batch
/// starts; `None` when there was nobody left).
struct Batch {
    people: Vec<(ProfileFacts, Vec<PastEvent>)>,
    last_id: Option<String>,
}

/// The batch's rows of another table, by the range of user ids it covers (`after < user_id
/// <= last`): one walk along that table's user-id index, cheaper than thousands of `IN`
/// lookups.
fn user_range<C: ColumnTrait>(column: C, after: Option<&str>, last: &str) -> Condition {
    let upto = Condition::all().add(column.lte(last));
    match after {
        Some(after) => upto.add(column.gt(after)),
        None => upto,
    }
}

async fn read_batch(db: &DatabaseConnection, after: Option<&str>) -> Result<Batch, DbErr> {
    use users::Column as U;
    let mut page = users::Entity::find()
        .select_only()
        .columns([
            U::Id,
            U::Email,
            U::EmailVerified,
            U::Name,
            U::GivenName,
            U::FamilyName,
            U::Nickname,
            U::Picture,
            U::Locale,
            U::UserMetadata,
            U::LoginsCount,
        ])
        .order_by_asc(U::Id)
        .limit(BATCH);
    if let Some(last) = after {
        page = page.filter(U::Id.gt(last));
    }
    let people = page.into_model::<Person>().all(db).await?;
    let Some(last_id) = people.last().map(|p| p.id.clone()) else {
        return Ok(Batch { people: Vec::new(), last_id: None });
    };

    let mut linked: HashMap<String, Vec<IdentityClaims>> = HashMap::new();
    let claims = identities::Entity::find()
        .select_only()
        .columns([identities::Column::UserId, identities::Column::Connection, identities::Column::ProfileData])
        .filter(user_range(identities::Column::UserId, after, &last_id))
        .order_by_asc(identities::Column::Id)
        .into_model::<Claims>()
        .all(db)
        .await?;
    for c in claims {
        if let Some(pair) = identity_claims(c.connection, c.profile_data) {
            linked.entry(c.user_id).or_default().push(pair);
        }
    }
    let mut histories: HashMap<String, Vec<PastEvent>> = HashMap::new();
    for row in prompt_events::Entity::find()
        .filter(user_range(prompt_events::Column::UserId, after, &last_id))
        .order_by_asc(prompt_events::Column::Id)
        .all(db)
        .await?
    {
        let user_id = row.user_id.clone();
        if let Some(event) = past_event(row) {
            histories.entry(user_id).or_default().push(event);
        }
    }
    let mut consents: HashMap<String, BTreeMap<FieldKey, GivenConsent>> = HashMap::new();
    for row in consent_records::Entity::find()
        .filter(user_range(consent_records::Column::UserId, after, &last_id))
        .order_by_asc(consent_records::Column::Id)
        .all(db)
        .await?
    {
        let user_id = row.user_id.clone();
        if let Some(r) = record_of(row) {
            consents.entry(user_id).or_default().insert(r.field, GivenConsent { version: r.version, granted: r.granted });
        }
    }

    let people = people
        .into_iter()
        .map(|person| {
            let user = person.into_user();
            let facts = facts_from(&user, linked.remove(&user.id).unwrap_or_default(), consents.remove(&user.id).unwrap_or_default());
            let history = histories.remove(&user.id).unwrap_or_default();
            (facts, history)
        })
        .collect();
    Ok(Batch { people, last_id: Some(last_id) })
}

/// The report for `stage` under the configuration in force; `None` when there is no such
/// stage.
#[tracing::instrument(skip(db))]
pub async fn change_report(db: &DatabaseConnection, stage: &StageKey) -> Result<Option<ChangeReport>, ProfilingError> {
    let started = Instant::now();
    let now = Utc::now();
    let config = load_config(db).await?;
    let Some(mut tally) = Tally::new(&config, stage) else { return Ok(None) };

    // The reader runs ahead by one batch while this task counts.
    let (batches, mut incoming) = mpsc::channel::<Result<(Batch, Duration), DbErr>>(1);
    let reader_db = db.clone();
    tokio::spawn(async move {
        let mut after: Option<String> = None;
        loop {
            let read_started = Instant::now();
            let batch = read_batch(&reader_db, after.as_deref()).await;
            let read = read_started.elapsed();
            let done = match &batch {
                Ok(b) => (b.people.len() as u64) < BATCH,
                Err(_) => true,
            };
            if let Ok(b) = &batch {
                after.clone_from(&b.last_id);
            }
            // A closed channel: the report was abandoned (an error, a dropped request).
            if batches.send(batch.map(|b| (b, read))).await.is_err() || done {
                break;
            }
        }
    });
    let (mut reading, mut counting) = (Duration::ZERO, Duration::ZERO);
    while let Some(next) = incoming.recv().await {
        let (batch, read) = next?;
        reading += read;
        let count_started = Instant::now();
        for (facts, history) in batch.people {
            tally.add(facts, &history, now);
        }
        counting += count_started.elapsed();
    }
    let report = tally.finish(started.elapsed().as_millis() as u64);
    tracing::info!(
        people = report.people,
        reading_ms = reading.as_millis() as u64,
        counting_ms = counting.as_millis() as u64,
        "change report"
    );
    Ok(Some(report))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        auth::accounts::sign_up_with_password,
        profile::{store::record_login, Email},
        profiling::seed_defaults_if_empty,
    };

    crate::db_test!(the_report_counts_people_as_the_engine_would_and_records_nothing, |db| {
        seed_defaults_if_empty(db).await.unwrap();
        for n in 0..3 {
            let email = Email::parse(&format!("p{n}@example.com")).unwrap();
            let user = sign_up_with_password(db, &email, "a long passphrase".into()).await.unwrap();
            record_login(db, &user.user_id(), None).await.unwrap();
        }
        let before = prompt_events::Entity::find().all(db).await.unwrap().len();
        let report = change_report(db, &FieldKey::parse("name").unwrap()).await.unwrap().unwrap();
        assert_eq!(report.people, 3);
        assert_eq!(report.asked, 3, "nobody has a name yet");
        assert_eq!(prompt_events::Entity::find().all(db).await.unwrap().len(), before, "nothing recorded");
        assert!(change_report(db, &FieldKey::parse("nope").unwrap()).await.unwrap().is_none());
    });
}
