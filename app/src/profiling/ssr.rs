//! Progressive profiling on the server: the configuration in the database, the facts and
//! history the engine needs, and the writes that follow its decisions (claim values copied
//! in, answers saved, events recorded).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::{json, Value};

use super::{
    engine::{decide, ClaimFill, Decision, EventKind, Moment, PastEvent, ProfileFacts, ProfilingConfig, Prompt},
    field::{Field, FieldKey, Target},
    stage::{Condition, Cooldown, Stage, Trigger},
    validate_answer, AnswerProblem,
};
use crate::{
    entities::{identities, profile_fields, profile_stage_fields, profile_stages, prompt_events, users},
    profile::{
        store::{self, ProfileWrite, StoreError, TextAttribute},
        RootAttribute, Source,
    },
};

#[derive(Debug, thiserror::Error)]
pub enum ProfilingError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("the stored profiling configuration is unreadable: {0}")]
    Corrupt(String),
    #[error("that question stage is not open for you now")]
    StageNotOpen,
    #[error("this stage cannot be skipped")]
    NotSkippable,
    #[error("some answers need attention")]
    Invalid(BTreeMap<String, AnswerProblem>),
    #[error("the profile changed while saving; please try again")]
    Conflict,
}

/// What the person is told, with the status set once here for every page and server function.
impl From<ProfilingError> for crate::error::AppError {
    fn from(err: ProfilingError) -> Self {
        use crate::error::AppError;
        match err {
            ProfilingError::Invalid(problems) => AppError::Invalid(problems.into_iter().map(|(k, v)| (k, v.to_string())).collect()),
            ProfilingError::StageNotOpen => AppError::Conflict("These questions are no longer open. Reload the page.".into()),
            ProfilingError::NotSkippable => AppError::BadRequest("These questions cannot be skipped.".into()),
            ProfilingError::Conflict => AppError::Conflict("Your profile changed meanwhile. Please try again.".into()),
            other => crate::error::ssr::internal("progressive profiling", other),
        }
    }
}

impl From<StoreError> for ProfilingError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict => ProfilingError::Conflict,
            StoreError::Db(e) => ProfilingError::Db(e),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Configuration

/// Loads the configuration, stages in their order.
pub async fn load_config(db: &impl ConnectionTrait) -> Result<ProfilingConfig, ProfilingError> {
    let corrupt = |what: &str, e: &dyn std::fmt::Display| ProfilingError::Corrupt(format!("{what}: {e}"));
    let mut fields = Vec::new();
    for row in profile_fields::Entity::find().order_by_asc(profile_fields::Column::Position).all(db).await? {
        let field = Field {
            key: FieldKey::parse(&row.key).map_err(|e| corrupt("field key", &e))?,
            label: row.label,
            help: row.help,
            kind: serde_json::from_value(Value::from(row.kind)).map_err(|e| corrupt("field kind", &e))?,
            target: row.target.parse().map_err(|e| corrupt("field target", &e))?,
            validation: serde_json::from_value(row.validation).map_err(|e| corrupt("field validation", &e))?,
            claims: serde_json::from_value(row.claims).map_err(|e| corrupt("field claims", &e))?,
            user_editable: row.user_editable,
        };
        fields.push(field);
    }
    let links = profile_stage_fields::Entity::find().order_by_asc(profile_stage_fields::Column::Position).all(db).await?;
    let mut stages = Vec::new();
    for row in profile_stages::Entity::find().order_by_asc(profile_stages::Column::Position).all(db).await? {
        let trigger = match row.trigger_kind.as_str() {
            "signup" => Trigger::Signup,
            "login" => Trigger::Login { min_logins: row.min_logins.unwrap_or(1).max(1) as u32 },
            "context" => Trigger::Context {
                name: row.context_name.clone().unwrap_or_default(),
                tags: serde_json::from_value(row.context_tags.clone()).unwrap_or_default(),
            },
            other => return Err(corrupt("stage trigger", &other)),
        };
        let when: Option<Condition> = match row.condition.clone() {
            Some(v) if !v.is_null() => Some(serde_json::from_value(v).map_err(|e| corrupt("stage condition", &e))?),
            _ => None,
        };
        let stage_fields = links.iter().filter(|l| l.stage_key == row.key).filter_map(|l| FieldKey::parse(&l.field_key).ok()).collect();
        stages.push(Stage {
            key: FieldKey::parse(&row.key).map_err(|e| corrupt("stage key", &e))?,
            title: row.title,
            intro: row.intro,
            trigger,
            when,
            fields: stage_fields,
            skippable: row.skippable,
            cooldown: Cooldown { days: row.cooldown_days.map(|d| d.max(0) as u32), logins: row.cooldown_logins.map(|n| n.max(0) as u32) },
            enabled: row.enabled,
        });
    }
    Ok(ProfilingConfig { fields, stages })
}

/// Replaces the whole configuration (import, and the console's saves) with one that passed
/// the checks. One transaction: readers see the old or the new configuration, never a mix.
pub async fn replace_config(db: &DatabaseConnection, config: &super::ValidConfig) -> Result<(), ProfilingError> {
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    profile_stage_fields::Entity::delete_many().exec(&txn).await?;
    profile_stages::Entity::delete_many().exec(&txn).await?;
    profile_fields::Entity::delete_many().exec(&txn).await?;
    for (i, f) in config.fields.iter().enumerate() {
        profile_fields::ActiveModel {
            key: Set(f.key.to_string()),
            label: Set(f.label.clone()),
            help: Set(f.help.clone()),
            kind: Set(serde_json::to_value(f.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()),
            target: Set(f.target.to_string()),
            validation: Set(serde_json::to_value(&f.validation).unwrap_or(Value::Null)),
            claims: Set(json!(f.claims)),
            user_editable: Set(f.user_editable),
            position: Set(i as i32),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    for (i, s) in config.stages.iter().enumerate() {
        let (kind, min_logins, context_name, tags) = match &s.trigger {
            Trigger::Signup => ("signup", None, None, json!([])),
            Trigger::Login { min_logins } => ("login", Some(*min_logins as i32), None, json!([])),
            Trigger::Context { name, tags } => ("context", None, Some(name.clone()), json!(tags)),
        };
        profile_stages::ActiveModel {
            key: Set(s.key.to_string()),
            title: Set(s.title.clone()),
            intro: Set(s.intro.clone()),
            position: Set(i as i32),
            trigger_kind: Set(kind.to_string()),
            min_logins: Set(min_logins),
            context_name: Set(context_name),
            context_tags: Set(tags),
            condition: Set(s.when.as_ref().and_then(|c| serde_json::to_value(c).ok())),
            skippable: Set(s.skippable),
            cooldown_days: Set(s.cooldown.days.map(|d| d as i32)),
            cooldown_logins: Set(s.cooldown.logins.map(|n| n as i32)),
            enabled: Set(s.enabled),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        let mut seen = std::collections::BTreeSet::new();
        for (j, field) in s.fields.iter().enumerate() {
            if !seen.insert(field.clone()) {
                continue;
            }
            profile_stage_fields::ActiveModel {
                stage_key: Set(s.key.to_string()),
                field_key: Set(field.to_string()),
                position: Set(j as i32),
            }
            .insert(&txn)
            .await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

/// On first start: the shipped defaults (the seed scenario), unless anything is configured.
pub async fn seed_defaults_if_empty(db: &DatabaseConnection) -> Result<bool, ProfilingError> {
    let fields = profile_fields::Entity::find().count(db).await?;
    let stages = profile_stages::Entity::find().count(db).await?;
    if fields > 0 || stages > 0 {
        return Ok(false);
    }
    replace_config(db, &super::ValidConfig::defaults()).await?;
    tracing::info!("profiling configuration seeded from the shipped defaults");
    Ok(true)
}

// ---------------------------------------------------------------------------------------
// Facts and history

pub async fn facts_for(db: &impl ConnectionTrait, user: &users::Model) -> Result<ProfileFacts, DbErr> {
    let identity_claims = identities::Entity::find()
        .filter(identities::Column::UserId.eq(&user.id))
        .order_by_asc(identities::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|i| match i.profile_data {
            Value::Object(map) => Some((i.connection, map)),
            _ => None,
        })
        .collect();
    Ok(ProfileFacts {
        root: store::root_values(user),
        user_metadata: store::user_metadata(user),
        identity_claims,
        logins_count: user.logins_count.max(0) as u32,
    })
}

pub async fn history_for(db: &impl ConnectionTrait, user_id: &str) -> Result<Vec<PastEvent>, DbErr> {
    let rows = prompt_events::Entity::find()
        .filter(prompt_events::Column::UserId.eq(user_id))
        .order_by_asc(prompt_events::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let kind = EventKind::parse(&r.kind)?;
            let declined = r.fields.get("declined").and_then(|d| serde_json::from_value(d.clone()).ok()).unwrap_or_default();
            Some(PastEvent {
                stage: FieldKey::parse(&r.stage_key).ok()?,
                kind,
                at: r.created_at,
                login_number: r.login_number.max(0) as u32,
                declined,
            })
        })
        .collect())
}

fn moment_parts(moment: &Moment) -> (&'static str, Option<String>) {
    match moment {
        Moment::Signup => ("signup", None),
        Moment::Login { .. } => ("login", None),
        Moment::Context { name, .. } => ("context", Some(name.clone())),
    }
}

/// One prompt event about to be recorded: what happened to which stage, for whom, when.
struct NewEvent<'a> {
    user_id: &'a str,
    stage: &'a FieldKey,
    kind: EventKind,
    moment: &'a Moment,
    /// The login it happened at (the user's `logins_count` then).
    login_number: i32,
    /// `asked`, `answered`, `declined`: the fields involved, for analytics.
    fields: Value,
    at: DateTime<Utc>,
}

impl NewEvent<'_> {
    async fn record(self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        let (trigger, context) = moment_parts(self.moment);
        prompt_events::ActiveModel {
            user_id: Set(self.user_id.to_string()),
            stage_key: Set(self.stage.to_string()),
            kind: Set(self.kind.as_str().to_string()),
            trigger_kind: Set(trigger.to_string()),
            context_name: Set(context),
            fields: Set(self.fields),
            login_number: Set(self.login_number),
            created_at: Set(self.at),
            ..Default::default()
        }
        .insert(db)
        .await?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Decisions and writes

/// Writes claim-supplied values with `claim:<connection>:<claim>` provenance.
async fn apply_claim_fills(
    db: &impl ConnectionTrait,
    user: &users::Model,
    fills: &[ClaimFill],
    now: DateTime<Utc>,
) -> Result<(), ProfilingError> {
    if fills.is_empty() {
        return Ok(());
    }
    let values: Vec<(Target, Value, Source)> = fills
        .iter()
        .map(|f| (f.target.clone(), f.value.clone(), Source::Claim { connection: f.connection.clone(), claim: f.claim.clone() }))
        .collect();
    write_values(db, user, &values, now).await
}

/// The value `target` holds on the profile now.
pub fn current_value(user: &users::Model, target: &Target) -> Option<Value> {
    match target {
        Target::UserMetadata(key) => user.user_metadata.get(key).cloned(),
        Target::Root(attr) => store::root_value(user, *attr),
    }
}

/// Sets profile values with their provenance through the profile store, in one
/// compare-and-swap on `users.version`: if anyone else wrote the profile since `user` was
/// read, nothing is written ([`ProfilingError::Conflict`]) and the caller retries with fresh
/// data, so neither write is lost. A new email is verified only by its own evidence.
pub async fn write_values(
    db: &impl ConnectionTrait,
    user: &users::Model,
    values: &[(Target, Value, Source)],
    now: DateTime<Utc>,
) -> Result<(), ProfilingError> {
    let mut write = ProfileWrite::new(user, now);
    for (target, value, source) in values {
        match target {
            Target::UserMetadata(key) => {
                write.set_user_metadata(key, Some(value.clone()), source);
            }
            Target::Root(attr) => {
                let text = value.as_str().map(str::to_string);
                match (TextAttribute::try_from(*attr), text) {
                    (Ok(attr), text) => {
                        write.set_text(attr, text, source);
                    }
                    (Err(RootAttribute::Email), Some(email)) => {
                        let evidence = crate::identity::ssr::load_email_evidence(db, user, Some(&email)).await?;
                        write.set_email(email, source, evidence);
                    }
                    // `email_verified` is not a target (refused by `Target::from_str`), and an
                    // email is replaced, never cleared.
                    (Err(_), _) => {}
                }
            }
        }
    }
    write.commit(db).await?;
    Ok(())
}

/// What to ask `user_id` now. Copies in values the claims supply, records `shown`.
#[tracing::instrument(skip(db))]
pub async fn next_prompt(db: &DatabaseConnection, user_id: &str, moment: &Moment) -> Result<Option<Prompt>, ProfilingError> {
    let now = Utc::now();
    for _attempt in 0..store::WRITE_ATTEMPTS {
        let config = load_config(db).await?;
        let Some(user) = store::load(db, user_id).await? else {
            return Ok(None);
        };
        let facts = facts_for(db, &user).await?;
        let history = history_for(db, user_id).await?;
        if !matches!(moment, Moment::Context { .. }) {
            for stage in super::engine::newly_abandoned(&config, &history, facts.logins_count) {
                let kind = EventKind::Abandoned;
                NewEvent { user_id, stage: &stage, kind, moment, login_number: user.logins_count, fields: json!({}), at: now }
                    .record(db)
                    .await?;
            }
        }
        let Decision { prompt, from_claims, .. } = decide(&config, &facts, &history, moment, now);
        match apply_claim_fills(db, &user, &from_claims, now).await {
            Err(ProfilingError::Conflict) => continue,
            other => other?,
        }
        if let Some(p) = &prompt {
            let already_shown =
                history.iter().any(|e| e.stage == p.stage && e.kind == EventKind::Shown && e.login_number == facts.logins_count);
            // Context prompts count each page view; a login prompt once per login.
            if matches!(moment, Moment::Context { .. }) || !already_shown {
                // Which fields were asked (only the unknown ones): analytics counts per field.
                let asked: Vec<String> = p.fields.iter().map(|f| f.key.to_string()).collect();
                let fields = json!({ "asked": asked });
                let kind = EventKind::Shown;
                NewEvent { user_id, stage: &p.stage, kind, moment, login_number: user.logins_count, fields, at: now }.record(db).await?;
            }
        }
        return Ok(prompt);
    }
    Err(ProfilingError::Conflict)
}

/// Saves the answers to `stage` (only to the fields it is asking now), validated on the
/// server. Nothing is written unless every answer is valid.
#[tracing::instrument(skip(db, answers))]
pub async fn answer_stage(
    db: &DatabaseConnection,
    user_id: &str,
    stage: &str,
    moment: &Moment,
    answers: &BTreeMap<String, Vec<String>>,
) -> Result<(), ProfilingError> {
    let now = Utc::now();
    for _attempt in 0..store::WRITE_ATTEMPTS {
        let config = load_config(db).await?;
        let user = store::load(db, user_id).await?.ok_or(ProfilingError::StageNotOpen)?;
        let facts = facts_for(db, &user).await?;
        let history = history_for(db, user_id).await?;
        let decision = decide(&config, &facts, &history, moment, now);
        let prompt = decision.prompt.filter(|p| p.stage.as_str() == stage).ok_or(ProfilingError::StageNotOpen)?;

        let mut problems = BTreeMap::new();
        let mut values = Vec::new();
        let mut declined = Vec::new();
        for field in &prompt.fields {
            let raw = answers.get(field.key.as_str()).cloned().unwrap_or_default();
            match validate_answer(field, &raw) {
                Ok(Some(value)) => values.push((field.target.clone(), value, Source::User)),
                Ok(None) => declined.push(field.key.clone()),
                Err(problem) => {
                    problems.insert(field.key.to_string(), problem);
                }
            }
        }
        if !problems.is_empty() {
            return Err(ProfilingError::Invalid(problems));
        }
        let txn = crate::db::begin_write(db).await?;
        match write_values(&txn, &user, &values, now).await {
            Err(ProfilingError::Conflict) => {
                txn.rollback().await?;
                continue;
            }
            other => other?,
        }
        let answered: Vec<String> = values.iter().map(|(t, ..)| t.to_string()).collect();
        let fields = json!({ "answered": answered, "declined": declined });
        let kind = EventKind::Answered;
        NewEvent { user_id, stage: &prompt.stage, kind, moment, login_number: user.logins_count, fields, at: now }.record(&txn).await?;
        txn.commit().await?;
        return Ok(());
    }
    Err(ProfilingError::Conflict)
}

/// Records a skip of the stage open now; it then waits out its cooldown.
#[tracing::instrument(skip(db))]
pub async fn skip_stage(db: &DatabaseConnection, user_id: &str, stage: &str, moment: &Moment) -> Result<(), ProfilingError> {
    let now = Utc::now();
    let config = load_config(db).await?;
    let user = store::load(db, user_id).await?.ok_or(ProfilingError::StageNotOpen)?;
    let facts = facts_for(db, &user).await?;
    let history = history_for(db, user_id).await?;
    let prompt =
        decide(&config, &facts, &history, moment, now).prompt.filter(|p| p.stage.as_str() == stage).ok_or(ProfilingError::StageNotOpen)?;
    if !prompt.skippable {
        return Err(ProfilingError::NotSkippable);
    }
    let asked: Vec<String> = prompt.fields.iter().map(|f| f.key.to_string()).collect();
    let fields = json!({ "asked": asked });
    let kind = EventKind::Skipped;
    NewEvent { user_id, stage: &prompt.stage, kind, moment, login_number: user.logins_count, fields, at: now }.record(db).await?;
    Ok(())
}

/// The moment of a login: the signup when it is the account's first.
pub fn login_moment(logins_count: i32) -> Moment {
    if logins_count <= 1 {
        Moment::Signup
    } else {
        Moment::Login { number: logins_count as u32 }
    }
}

#[cfg(all(test, feature = "test-support"))]
mod tests {
    use super::*;
    use crate::profile::Email;
    use crate::{auth::accounts::sign_up_with_password, profile::store::record_login};
    use sea_orm::sea_query::Expr;

    async fn new_user(db: &DatabaseConnection) -> users::Model {
        let user = sign_up_with_password(db, &Email::parse("ada@example.com").unwrap(), "a long passphrase".into()).await.unwrap();
        record_login(db, &user.id, None).await.unwrap()
    }

    fn form(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<String>> {
        pairs.iter().map(|(k, v)| (k.to_string(), vec![v.to_string()])).collect()
    }

    crate::db_test!(the_defaults_round_trip_through_the_database, |db| {
        assert!(seed_defaults_if_empty(db).await.unwrap());
        assert!(!seed_defaults_if_empty(db).await.unwrap(), "seeded once");
        assert_eq!(load_config(db).await.unwrap(), ProfilingConfig::defaults());
    });

    crate::db_test!(signup_asks_names_then_saves_them_with_user_provenance, |db| {
        seed_defaults_if_empty(db).await.unwrap();
        let user = new_user(db).await;
        let prompt = next_prompt(db, &user.id, &Moment::Signup).await.unwrap().unwrap();
        assert_eq!(prompt.stage.as_str(), "name");
        let bad = answer_stage(db, &user.id, "name", &Moment::Signup, &form(&[("given_name", "Ada")])).await;
        assert!(matches!(bad, Err(ProfilingError::Invalid(p)) if p.contains_key("family_name")));
        let saved = users::Entity::find_by_id(user.id.clone()).one(db).await.unwrap().unwrap();
        assert_eq!(saved.given_name, None, "nothing half-saved");
        answer_stage(db, &user.id, "name", &Moment::Signup, &form(&[("given_name", "Ada"), ("family_name", "Lovelace")])).await.unwrap();
        let saved = users::Entity::find_by_id(user.id.clone()).one(db).await.unwrap().unwrap();
        assert_eq!(saved.given_name.as_deref(), Some("Ada"));
        assert_eq!(saved.name.as_deref(), Some("Ada Lovelace"));
        assert_eq!(saved.provenance["given_name"]["source"], "user");
        assert!(next_prompt(db, &user.id, &Moment::Signup).await.unwrap().is_none());
    });

    crate::db_test!(a_skip_is_recorded_and_respected, |db| {
        seed_defaults_if_empty(db).await.unwrap();
        let user = new_user(db).await;
        next_prompt(db, &user.id, &Moment::Signup).await.unwrap().unwrap();
        skip_stage(db, &user.id, "name", &Moment::Signup).await.unwrap();
        assert!(next_prompt(db, &user.id, &Moment::Signup).await.unwrap().is_none());
        let kinds: Vec<EventKind> = history_for(db, &user.id).await.unwrap().into_iter().map(|e| e.kind).collect();
        assert_eq!(kinds, vec![EventKind::Shown, EventKind::Skipped]);
    });

    crate::db_test!(a_login_stage_left_unanswered_is_recorded_as_abandoned_at_the_next_login, |db| {
        seed_defaults_if_empty(db).await.unwrap();
        let user = new_user(db).await;
        next_prompt(db, &user.id, &Moment::Signup).await.unwrap().unwrap();
        let user = record_login(db, &user.id, None).await.unwrap();
        // The name stage comes back at login 2 (never settled), and the first showing is
        // counted as abandoned.
        let again = next_prompt(db, &user.id, &Moment::Login { number: 2 }).await.unwrap().unwrap();
        assert_eq!(again.stage.as_str(), "name");
        let kinds: Vec<EventKind> = history_for(db, &user.id).await.unwrap().into_iter().map(|e| e.kind).collect();
        assert_eq!(kinds, vec![EventKind::Shown, EventKind::Abandoned, EventKind::Shown]);
    });

    crate::db_test!(claims_answer_fields_and_are_copied_in_with_provenance, |db| {
        seed_defaults_if_empty(db).await.unwrap();
        let user = new_user(db).await;
        let user = record_login(db, &user.id, None).await.unwrap();
        identities::Entity::update_many()
            .col_expr(identities::Column::ProfileData, Expr::value(json!({"email": "ada@example.com", "job_title": "Analyst"})))
            .filter(identities::Column::UserId.eq(&user.id))
            .exec(db)
            .await
            .unwrap();
        // Names first (one stage per login): answer them, then log in again.
        answer_stage(db, &user.id, "name", &Moment::Login { number: 2 }, &form(&[("given_name", "Ada"), ("family_name", "L")]))
            .await
            .unwrap();
        let user = record_login(db, &user.id, None).await.unwrap();
        let prompt = next_prompt(db, &user.id, &Moment::Login { number: 3 }).await.unwrap().unwrap();
        let asked: Vec<&str> = prompt.fields.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(asked, ["company"]);
        let saved = users::Entity::find_by_id(user.id.clone()).one(db).await.unwrap().unwrap();
        assert_eq!(saved.user_metadata["job_title"], "Analyst");
        assert_eq!(
            saved.provenance["user_metadata.job_title"]["source"],
            format!("claim:{}:job_title", crate::identity::PASSWORD_CONNECTION)
        );
    });

    crate::db_test!(an_answered_email_is_verified_only_by_the_new_addresss_own_evidence, |db| {
        use crate::identity::{
            ssr::{upsert_login, ConnectionRef},
            ProviderKind, SyncPolicy,
        };
        let google = ConnectionRef { name: "google".into(), kind: ProviderKind::Google, sync: SyncPolicy::OnEachLogin };
        let claims = json!({"sub": "g-1", "email": "ada@example.com", "email_verified": true, "given_name": "Ada"});
        let a = upsert_login(db, &google, "g-1", claims, None).await.unwrap();
        assert_eq!(a.user.provenance["email_verified"]["address"], "ada@example.com");
        let okta = ConnectionRef { name: "okta".into(), kind: ProviderKind::Oidc, sync: SyncPolicy::OnEachLogin };
        upsert_login(db, &okta, "o-1", json!({"sub": "o-1", "email": "Ada@Work.example", "email_verified": true}), Some(&a.user.id))
            .await
            .unwrap();

        let email = Target::Root(RootAttribute::Email);
        let user = store::load(db, &a.user.id).await.unwrap().unwrap();
        write_values(db, &user, &[(email.clone(), json!("someone@else.example"), Source::User)], Utc::now()).await.unwrap();
        let user = store::load(db, &a.user.id).await.unwrap().unwrap();
        assert!(!user.email_verified, "a typed-in address proves nothing");
        assert!(user.provenance.get("email_verified").is_none());

        write_values(db, &user, &[(email, json!("ada@work.example"), Source::User)], Utc::now()).await.unwrap();
        let user = store::load(db, &a.user.id).await.unwrap().unwrap();
        assert!(user.email_verified, "the linked okta account verified exactly this address");
        assert_eq!(user.provenance["email_verified"]["source"], "claim:okta:email_verified");
        assert_eq!(user.provenance["email_verified"]["address"], "ada@work.example");
    });

    crate::db_test!(editing_a_first_name_updates_the_name_made_from_it, |db| {
        let user = new_user(db).await;
        let given = Target::Root(RootAttribute::GivenName);
        let family = Target::Root(RootAttribute::FamilyName);
        write_values(db, &user, &[(given.clone(), json!("Ada"), Source::User), (family, json!("Lovelace"), Source::User)], Utc::now())
            .await
            .unwrap();
        let user = store::load(db, &user.id).await.unwrap().unwrap();
        assert_eq!(user.name.as_deref(), Some("Ada Lovelace"));
        write_values(db, &user, &[(given, json!("Augusta"), Source::User)], Utc::now()).await.unwrap();
        let user = store::load(db, &user.id).await.unwrap().unwrap();
        assert_eq!(user.name.as_deref(), Some("Augusta Lovelace"));
        assert_eq!(user.provenance["name"]["source"], "user");
    });

    crate::db_test!(concurrent_writes_to_one_profile_both_survive, |db| {
        let user = new_user(db).await;
        let a = write_values(db, &user, &[(Target::UserMetadata("a".into()), json!(1), Source::User)], Utc::now()).await;
        // The second writer read the same version: refused, not silently overwriting.
        let b = write_values(db, &user, &[(Target::UserMetadata("b".into()), json!(2), Source::User)], Utc::now()).await;
        assert!(a.is_ok());
        assert!(matches!(b, Err(ProfilingError::Conflict)));
        let fresh = users::Entity::find_by_id(user.id.clone()).one(db).await.unwrap().unwrap();
        write_values(db, &fresh, &[(Target::UserMetadata("b".into()), json!(2), Source::User)], Utc::now()).await.unwrap();
        let done = users::Entity::find_by_id(user.id).one(db).await.unwrap().unwrap();
        assert_eq!(done.user_metadata, json!({"a": 1, "b": 2}));
    });
}
