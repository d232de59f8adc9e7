//! What people can do with their own data: download it and forget an answer.
//! Erasing the account is the profile store's (`profile::store::erase_account`).

use domain::user_id::UserId;

use chrono::Utc;
use sea_orm::{DatabaseConnection, DbErr};
use serde_json::{json, Value};

use crate::profile::{
    read::load_user_profile,
    store::{self, ProfileWrite, StoreError},
    Source,
};

/// Everything AskOnce holds about `user_id`, as one JSON document: the profile (identities
/// with their provider data — AskOnce stores no provider tokens), every value's provenance,
/// the history of questions shown, answered and skipped, and the account's activity.
#[tracing::instrument(skip(db))]
pub async fn export_my_data(db: &DatabaseConnection, user_id: &UserId) -> Result<Option<Value>, DbErr> {
    let Some(profile) = load_user_profile(db, user_id).await? else {
        return Ok(None);
    };
    Ok(Some(json!({
        "exported_at": Utc::now(),
        "profile": profile,
        "prompt_history": crate::profiling::prompt_history(db, user_id).await?,
        "consents": crate::profiling::consent_history(db, user_id).await?,
        "activity": crate::activity::list(db, user_id, &crate::activity::Filter::default(), None).await?,
    })))
}

/// Clears one `user_metadata` answer (and its provenance); the matching stage may ask it
/// again later, by its rules. A consent's answer forgotten is a consent no longer given: its
/// refusal is recorded in the same transaction (`profiling::note_forgotten`).
#[tracing::instrument(skip(db))]
pub async fn forget_answer(db: &DatabaseConnection, user_id: &UserId, key: &str) -> Result<bool, StoreError> {
    store::retry(|| async move {
        let Some(user) = store::load(db, user_id).await? else { return Ok(false) };
        if user.user_metadata.get(key).is_none() {
            return Ok(false);
        }
        let txn = crate::db::begin_write(db).await?;
        if let Err(err) = ProfileWrite::new(&user, Utc::now()).set_user_metadata(key, None, &Source::User).commit(&txn).await {
            txn.rollback().await?;
            return Err(err);
        }
        crate::profiling::note_forgotten(&txn, user_id, key).await?;
        txn.commit().await?;
        Ok(true)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        auth::accounts::sign_up_with_password,
        entities::{audit_log, identities, password_credentials},
        profile::store::record_login,
        profile::Email,
        profiling::{answer_stage, next_prompt, seed_defaults_if_empty, Moment},
    };
    use crate::{
        entities::{prompt_events, users},
        profile::store::erase_account,
    };
    use sea_orm::EntityTrait;
    use sea_orm::PaginatorTrait;
    use std::collections::BTreeMap;

    async fn answered_user(db: &DatabaseConnection) -> users::Model {
        seed_defaults_if_empty(db).await.unwrap();
        let user = sign_up_with_password(db, &Email::parse("ada@example.com").unwrap(), "a long passphrase".into()).await.unwrap();
        let user = record_login(db, &user.user_id(), None).await.unwrap();
        let article = Moment::Context { name: "article".into(), tags: vec![] };
        next_prompt(db, &user.user_id(), &article).await.unwrap().unwrap();
        let answers: BTreeMap<String, Vec<String>> = [("subscribed".to_string(), vec!["yes".to_string()])].into();
        answer_stage(db, &user.user_id(), "subscription", &article, &answers).await.unwrap();
        user
    }

    crate::db_test!(the_export_holds_profile_provenance_and_history_but_no_secrets, |db| {
        let user = answered_user(db).await;
        let export = export_my_data(db, &user.user_id()).await.unwrap().unwrap();
        assert_eq!(export["profile"]["user_metadata"]["subscribed"], true);
        assert_eq!(export["profile"]["provenance"]["user_metadata.subscribed"]["source"], "user");
        let events: Vec<&str> = export["prompt_history"].as_array().unwrap().iter().map(|e| e["event"].as_str().unwrap()).collect();
        assert_eq!(events, ["shown", "answered"]);
        let text = export.to_string();
        assert!(!text.contains("argon2"), "no password hash in the export");
    });

    crate::db_test!(a_forgotten_answer_is_asked_again, |db| {
        let user = answered_user(db).await;
        let article = Moment::Context { name: "article".into(), tags: vec![] };
        assert!(next_prompt(db, &user.user_id(), &article).await.unwrap().is_none());
        assert!(forget_answer(db, &user.user_id(), "subscribed").await.unwrap());
        let fresh = users::Entity::find_by_id(user.id.clone()).one(db).await.unwrap().unwrap();
        assert!(fresh.user_metadata.get("subscribed").is_none());
        assert!(fresh.provenance.get("user_metadata.subscribed").is_none());
        assert!(next_prompt(db, &user.user_id(), &article).await.unwrap().is_some());
        assert!(!forget_answer(db, &user.user_id(), "subscribed").await.unwrap(), "nothing left to forget");
    });

    crate::db_test!(erasing_an_account_leaves_only_an_anonymous_audit_entry, |db| {
        let user = answered_user(db).await;
        assert!(erase_account(db, &user.user_id(), crate::audit::Actor::User).await.unwrap());
        assert_eq!(users::Entity::find().count(db).await.unwrap(), 0);
        assert_eq!(identities::Entity::find().count(db).await.unwrap(), 0);
        assert_eq!(password_credentials::Entity::find().count(db).await.unwrap(), 0);
        assert_eq!(prompt_events::Entity::find().count(db).await.unwrap(), 0);
        let audit = audit_log::Entity::find().all(db).await.unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].action, "account.erased");
        let entry = serde_json::to_string(&(audit[0].actor_id.clone(), audit[0].details.clone(), audit[0].subject_hash.clone())).unwrap();
        assert!(!entry.contains(&user.id) && !entry.contains("ada@example.com"), "{entry}");
        assert_eq!(audit[0].subject_hash.as_deref(), Some(crate::audit::subject_hash(&user.user_id()).as_str()));
        assert!(!erase_account(db, &user.user_id(), crate::audit::Actor::User).await.unwrap(), "already gone");
    });
}
