//! Consent records in the database (`consent_records`): written beside every answer a
//! person gives to a consent field, read by the engine (latest word per field), the profile
//! page, the API and the export. Append-only: a withdrawal is a new record.

use domain::user_id::UserId;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::Value;

use super::{flow::write_values, load_config, ProfilingError};
use crate::{
    entities::{consent_records, users},
    profile::{store, Source},
    profiling::{
        consent::{terms_of, ConsentRecord, ConsentStatus, GivenConsent},
        field::{Field, FieldKey, Target},
    },
};

pub(super) fn record_of(row: consent_records::Model) -> Option<ConsentRecord> {
    Some(ConsentRecord {
        field: FieldKey::parse(&row.field_key).ok()?,
        purpose: row.purpose,
        version: row.version.max(1) as u32,
        granted: row.granted,
        source: row.source,
        at: row.recorded_at,
    })
}

/// Every record of `user_id`, oldest first.
pub async fn consent_history(db: &impl ConnectionTrait, user_id: &UserId) -> Result<Vec<ConsentRecord>, DbErr> {
    let rows = consent_records::Entity::find()
        .filter(consent_records::Column::UserId.eq(user_id.as_str()))
        .order_by_asc(consent_records::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(record_of).collect())
}

/// The latest word of `user_id` on each consent field, as the engine reads it.
pub(crate) async fn latest_consents(db: &impl ConnectionTrait, user_id: &UserId) -> Result<BTreeMap<FieldKey, GivenConsent>, DbErr> {
    Ok(consent_history(db, user_id)
        .await?
        .into_iter()
        .map(|r| (r.field, GivenConsent { version: r.version, granted: r.granted }))
        .collect())
}

/// For each consent field of `fields`: the highest version any record of its key carries, with
/// that record's purpose (one indexed lookup per consent field).
pub(super) async fn highest_recorded_versions(
    db: &impl ConnectionTrait,
    fields: &[Field],
) -> Result<BTreeMap<FieldKey, (u32, String)>, DbErr> {
    let mut out = BTreeMap::new();
    for field in fields.iter().filter(|f| terms_of(f).is_some()) {
        let top = consent_records::Entity::find()
            .filter(consent_records::Column::FieldKey.eq(field.key.as_str()))
            .order_by_desc(consent_records::Column::Version)
            .one(db)
            .await?;
        if let Some(row) = top {
            out.insert(field.key.clone(), (row.version.max(1) as u32, row.purpose));
        }
    }
    Ok(out)
}

/// Records the answers among `values` that are answers to consent fields of `fields`, with
/// the purpose and version in force. Called in the transaction that writes the values.
pub(super) async fn record_answers(
    db: &impl ConnectionTrait,
    fields: &[Field],
    user_id: &UserId,
    values: &[(Target, Value, Source)],
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    for (target, value, source) in values {
        let Some(granted) = value.as_bool() else { continue };
        let Some((field, terms)) = fields.iter().find(|f| &f.target == target).and_then(|f| terms_of(f).map(|t| (f, t))) else {
            continue;
        };
        consent_records::ActiveModel {
            user_id: Set(user_id.to_string()),
            field_key: Set(field.key.to_string()),
            version: Set(terms.version.min(i32::MAX as u32) as i32),
            purpose: Set(terms.purpose),
            granted: Set(granted),
            source: Set(source.to_string()),
            recorded_at: Set(at),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// Sets values (as [`write_values`]) and records the consents among them, in one
/// transaction: a consent is never changed without its record, nor recorded without the
/// change.
pub async fn write_values_recording_consent(
    db: &DatabaseConnection,
    fields: &[Field],
    user: &users::Model,
    values: &[(Target, Value, Source)],
    now: DateTime<Utc>,
) -> Result<(), ProfilingError> {
    let txn = crate::db::begin_write(db).await?;
    if let Err(e) = write_values(&txn, user, values, now).await {
        txn.rollback().await?;
        return Err(e);
    }
    record_answers(&txn, fields, &user.user_id(), values, now).await?;
    txn.commit().await?;
    Ok(())
}

/// Each consent field of the configuration with the person's latest word on it.
pub async fn consent_statuses(db: &impl ConnectionTrait, user_id: &UserId) -> Result<Vec<ConsentStatus>, ProfilingError> {
    let config = load_config(db).await?;
    let history = consent_history(db, user_id).await?;
    Ok(config
        .fields
        .iter()
        .filter_map(|field| {
            let terms = terms_of(field)?;
            Some(ConsentStatus {
                field: field.key.clone(),
                label: field.label.clone(),
                purpose: terms.purpose,
                version: terms.version,
                latest: history.iter().rev().find(|r| r.field == field.key).cloned(),
            })
        })
        .collect())
}

#[derive(Debug, thiserror::Error)]
pub enum WithdrawError {
    #[error("there is no consent `{0}`")]
    NoSuchConsent(String),
    #[error("you have not agreed to this")]
    NotGranted,
    #[error(transparent)]
    Profiling(#[from] ProfilingError),
}

/// Withdraws the person's agreement on consent field `key`: the answer becomes "no" (their
/// own word, `user`) and a refusal is recorded.
#[tracing::instrument(skip(db))]
pub async fn withdraw_consent(db: &DatabaseConnection, user_id: &UserId, key: &str) -> Result<(), WithdrawError> {
    store::retry(|| async move {
        let config = load_config(db).await?;
        let field = config
            .fields
            .iter()
            .find(|f| f.key.as_str() == key && terms_of(f).is_some())
            .ok_or_else(|| WithdrawError::NoSuchConsent(key.to_string()))?;
        let user = store::load(db, user_id).await.map_err(ProfilingError::from)?.ok_or(ProfilingError::StageNotOpen)?;
        let latest = latest_consents(db, user_id).await.map_err(ProfilingError::from)?;
        let agreed_here = latest.get(&field.key).is_some_and(|c| c.granted);
        let agreed_elsewhere = super::current_value(&user, &field.target) == Some(Value::Bool(true));
        if !agreed_here && !agreed_elsewhere {
            return Err(WithdrawError::NotGranted);
        }
        let values = [(field.target.clone(), Value::Bool(false), Source::User)];
        Ok(write_values_recording_consent(db, &config.fields, &user, &values, Utc::now()).await?)
    })
    .await
}

impl store::WriteRace for WithdrawError {
    fn lost_race(&self) -> bool {
        matches!(self, WithdrawError::Profiling(ProfilingError::Conflict))
    }
}

/// After an answer was forgotten (`account::self_service::forget_answer`): a consent whose
/// answer is gone is no longer given, so a refusal is recorded for it when the latest record
/// was an agreement.
pub(crate) async fn note_forgotten(db: &impl ConnectionTrait, user_id: &UserId, metadata_key: &str) -> Result<(), DbErr> {
    let config = match load_config(db).await {
        Ok(config) => config,
        Err(ProfilingError::Db(e)) => return Err(e),
        // An unreadable configuration has no consent fields to speak of.
        Err(_) => return Ok(()),
    };
    let target = Target::UserMetadata(metadata_key.to_string());
    let Some(field) = config.fields.iter().find(|f| f.target == target && terms_of(f).is_some()) else { return Ok(()) };
    if latest_consents(db, user_id).await?.get(&field.key).is_some_and(|c| c.granted) {
        let values = [(target, Value::Bool(false), Source::User)];
        record_answers(db, &config.fields, user_id, &values, Utc::now()).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        auth::accounts::sign_up_with_password,
        profile::Email,
        profiling::{
            consent::ConsentTerms,
            edit::{apply, Edit},
            facts_for, replace_config, seed_defaults_if_empty, BasedOn,
        },
    };

    crate::db_test!(a_reworded_purpose_is_a_new_version_and_a_withdrawal_a_new_record, |db| {
        seed_defaults_if_empty(db).await.unwrap();
        let user = sign_up_with_password(db, &Email::parse("ada@example.com").unwrap(), "a long passphrase".into()).await.unwrap();
        let config = load_config(db).await.unwrap();
        let values = [(Target::UserMetadata("subscribed".into()), Value::Bool(true), Source::User)];
        write_values_recording_consent(db, &config.fields, &user, &values, Utc::now()).await.unwrap();

        let mut field = config.field(&FieldKey::parse("subscribed").unwrap()).unwrap().clone();
        let version = field.consent.as_ref().map(|t| t.version).unwrap_or(1);
        field.consent = Some(ConsentTerms { purpose: "Articles, and offers from partners".into(), version: 1, reask: true });
        let edited = apply(&config, Edit::SaveField { original: Some(field.key.clone()), field }).unwrap();
        replace_config(db, &edited, BasedOn::Anything, None).await.unwrap();
        let saved = load_config(db).await.unwrap();
        let terms = saved.field(&FieldKey::parse("subscribed").unwrap()).unwrap().consent.clone().unwrap();
        assert_eq!(terms.version, version + 1, "the stored version moved on, whatever the edit said");

        let user = store::load(db, &user.user_id()).await.unwrap().unwrap();
        let facts = facts_for(db, &user).await.unwrap();
        assert_eq!(facts.consents[&FieldKey::parse("subscribed").unwrap()], GivenConsent { version, granted: true });

        withdraw_consent(db, &user.user_id(), "subscribed").await.unwrap();
        let history = consent_history(db, &user.user_id()).await.unwrap();
        assert_eq!(history.iter().map(|r| (r.granted, r.version)).collect::<Vec<_>>(), [(true, version), (false, version + 1)]);
        let user = store::load(db, &user.user_id()).await.unwrap().unwrap();
        assert_eq!(user.user_metadata["subscribed"], false);
        assert!(matches!(withdraw_consent(db, &user.user_id(), "subscribed").await, Err(WithdrawError::NotGranted)));
        assert!(matches!(withdraw_consent(db, &user.user_id(), "company").await, Err(WithdrawError::NoSuchConsent(_))));
    });
}
