//! The schema-change report over the database: everyone, in batches by id, each person's
//! facts and history read as the engine reads them and added to a [`Tally`]. Reads only.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{consents::record_of, events::past_event, flow::facts_from, load_config, ProfilingError};
use crate::{
    entities::{consent_records, identities, prompt_events, users},
    profiling::{
        change_report::{ChangeReport, Tally},
        consent::GivenConsent,
        engine::PastEvent,
        field::FieldKey,
        stage::StageKey,
    },
};

/// People per batch: few enough for one `IN (…)` list on either database, many enough that
/// a million people are a thousand round trips.
const BATCH: u64 = 1000;

/// The report for `stage` under the configuration in force; `None` when there is no such
/// stage.
#[tracing::instrument(skip(db))]
pub async fn change_report(db: &impl ConnectionTrait, stage: &StageKey) -> Result<Option<ChangeReport>, ProfilingError> {
    let started = Instant::now();
    let now = Utc::now();
    let config = load_config(db).await?;
    let Some(mut tally) = Tally::new(&config, stage) else { return Ok(None) };
    let mut after: Option<String> = None;
    loop {
        let mut page = users::Entity::find().order_by_asc(users::Column::Id).limit(BATCH);
        if let Some(last) = &after {
            page = page.filter(users::Column::Id.gt(last.as_str()));
        }
        let people = page.all(db).await?;
        let Some(last) = people.last() else { break };
        after = Some(last.id.clone());
        let ids: Vec<String> = people.iter().map(|u| u.id.clone()).collect();

        let mut linked: HashMap<String, Vec<identities::Model>> = HashMap::new();
        for identity in identities::Entity::find()
            .filter(identities::Column::UserId.is_in(ids.clone()))
            .order_by_asc(identities::Column::Id)
            .all(db)
            .await?
        {
            linked.entry(identity.user_id.clone()).or_default().push(identity);
        }
        let mut histories: HashMap<String, Vec<PastEvent>> = HashMap::new();
        for row in prompt_events::Entity::find()
            .filter(prompt_events::Column::UserId.is_in(ids.clone()))
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
            .filter(consent_records::Column::UserId.is_in(ids))
            .order_by_asc(consent_records::Column::Id)
            .all(db)
            .await?
        {
            let user_id = row.user_id.clone();
            if let Some(r) = record_of(row) {
                consents.entry(user_id).or_default().insert(r.field, GivenConsent { version: r.version, granted: r.granted });
            }
        }

        for person in &people {
            let facts = facts_from(person, linked.remove(&person.id).unwrap_or_default(), consents.remove(&person.id).unwrap_or_default());
            tally.add(&facts, histories.get(&person.id).map(Vec::as_slice).unwrap_or(&[]), now);
        }
        if (people.len() as u64) < BATCH {
            break;
        }
    }
    Ok(Some(tally.finish(started.elapsed().as_millis() as u64)))
}

#[cfg(all(test, feature = "test-support"))]
mod tests {
    use super::*;
    use crate::{
        auth::accounts::sign_up_with_password,
        profile::{store::record_login, Email},
        profiling::ssr::seed_defaults_if_empty,
    };

    crate::db_test!(the_report_counts_people_as_the_engine_would_and_records_nothing, |db| {
        seed_defaults_if_empty(db).await.unwrap();
        for n in 0..3 {
            let user =
                sign_up_with_password(db, &Email::parse(&format!("p{n}@example.com")).unwrap(), "a long passphrase".into()).await.unwrap();
            record_login(db, &user.id, None).await.unwrap();
        }
        let before = prompt_events::Entity::find().all(db).await.unwrap().len();
        let report = change_report(db, &FieldKey::parse("name").unwrap()).await.unwrap().unwrap();
        assert_eq!(report.people, 3);
        assert_eq!(report.asked, 3, "nobody has a name yet");
        assert_eq!(prompt_events::Entity::find().all(db).await.unwrap().len(), before, "nothing recorded");
        assert!(change_report(db, &FieldKey::parse("nope").unwrap()).await.unwrap().is_none());
    });
}
