//! Whether a required stage holds a person now (see `profiling::required`): the engine's
//! login-time decision, computed without recording anything.

use domain::user_id::UserId;

use chrono::Utc;
use sea_orm::DatabaseConnection;

use super::{events::history_for, facts_for, load_config, login_moment, ProfilingError};
use domain::profiling::required::holds;

use crate::{
    profile::store,
    profiling::{decide, StageKey},
};

/// The required stage `user_id` must answer before anything else, if any.
#[tracing::instrument(skip(db))]
pub async fn required_stage_due(db: &DatabaseConnection, user_id: &UserId) -> Result<Option<StageKey>, ProfilingError> {
    let config = load_config(db).await?;
    // Nothing can hold anyone: no need to read the person (the common case).
    if !config.stages.iter().any(|s| s.enabled && holds(s)) {
        return Ok(None);
    }
    let Some(user) = store::load(db, user_id).await? else {
        return Ok(None);
    };
    let facts = facts_for(db, &user).await?;
    let history = history_for(db, user_id).await?;
    let decision = decide(&config, &facts, &history, &login_moment(user.logins_count), Utc::now());
    Ok(decision.prompt.and_then(|p| config.stage(&p.stage).filter(|s| holds(s)).map(|s| s.key.clone())))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::{
        auth::accounts::sign_up_with_password,
        profile::{store::record_login, Email},
        profiling::{answer_stage, load_versioned, replace_config, BasedOn, Moment},
    };

    crate::db_test!(an_unskippable_login_stage_is_due_until_answered, |db| {
        let mut config = crate::profiling::ProfilingConfig::defaults();
        config.stages[0].skippable = false;
        let config = crate::profiling::ValidConfig::check(config).unwrap();
        let current = load_versioned(db).await.unwrap();
        replace_config(db, &config, BasedOn::Version(current.version), None).await.unwrap();
        let user = sign_up_with_password(db, &Email::parse("ada@example.com").unwrap(), "a long passphrase".into()).await.unwrap();
        let user = record_login(db, &user.user_id(), None).await.unwrap();
        assert_eq!(required_stage_due(db, &user.user_id()).await.unwrap().map(|k| k.to_string()).as_deref(), Some("name"));
        let answers: BTreeMap<String, Vec<String>> =
            [("given_name", "Ada"), ("family_name", "Lovelace")].into_iter().map(|(k, v)| (k.to_string(), vec![v.to_string()])).collect();
        answer_stage(db, &user.user_id(), "name", &Moment::Signup, &answers).await.unwrap();
        assert_eq!(required_stage_due(db, &user.user_id()).await.unwrap(), None);
    });

    crate::db_test!(skippable_stages_hold_nobody, |db| {
        crate::profiling::seed_defaults_if_empty(db).await.unwrap();
        let user = sign_up_with_password(db, &Email::parse("ada@example.com").unwrap(), "a long passphrase".into()).await.unwrap();
        let user = record_login(db, &user.user_id(), None).await.unwrap();
        assert_eq!(required_stage_due(db, &user.user_id()).await.unwrap(), None);
    });
}
