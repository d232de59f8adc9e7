//! The flow that follows the engine's decisions: what to ask now (copying in what the claims
//! already say), saving answers, recording skips.

use domain::user_id::UserId;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{json, Map, Value};

use crate::{
    entities::{identities, users},
    profile::{
        store::{self, ProfileWrite, TextAttribute},
        RootAttribute, Source,
    },
    profiling::{
        consent::GivenConsent,
        engine::{decide, ClaimFill, Decision, EventKind, Moment, ProfileFacts, Prompt},
        field::{FieldKey, HiddenContext, Target},
        validate_answer,
    },
};

use super::{
    events::{history_for, AskedBy, NewEvent},
    load_config, ProfilingError,
};

pub async fn facts_for(db: &impl ConnectionTrait, user: &users::Model) -> Result<ProfileFacts, DbErr> {
    let identities =
        identities::Entity::find().filter(identities::Column::UserId.eq(&user.id)).order_by_asc(identities::Column::Id).all(db).await?;
    let consents = super::consents::latest_consents(db, &user.user_id()).await?;
    let claims = identities.into_iter().filter_map(|i| identity_claims(i.connection, i.profile_data)).collect();
    Ok(facts_from(user, claims, consents))
}

/// A linked identity's claims as the engine reads them (`None` when they are not an object).
pub(super) fn identity_claims(connection: String, profile_data: Value) -> Option<(String, Map<String, Value>)> {
    match profile_data {
        Value::Object(map) => Some((connection, map)),
        _ => None,
    }
}

/// The facts of `user`, with the claims of their linked identities (in link order) and their
/// latest consents.
pub(super) fn facts_from(
    user: &users::Model,
    identity_claims: Vec<(String, Map<String, Value>)>,
    consents: BTreeMap<FieldKey, GivenConsent>,
) -> ProfileFacts {
    ProfileFacts {
        root: store::root_values(user),
        user_metadata: store::user_metadata(user),
        identity_claims,
        logins_count: user.logins_count.max(0) as u32,
        consents,
    }
}

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
pub(crate) async fn write_values(
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
                        let evidence = crate::identity::load_email_evidence(db, user, Some(&email)).await?;
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

/// Whether [`next_prompt`] would ask `user_id` something at `moment`, without recording or
/// copying anything: the OpenID Provider's `prompt=none` must answer `interaction_required`
/// rather than skip a question silently.
#[tracing::instrument(skip(db))]
pub async fn would_ask(db: &DatabaseConnection, user_id: &UserId, moment: &Moment) -> Result<bool, ProfilingError> {
    Ok(due_prompt(db, user_id, moment).await?.is_some())
}

/// The stage [`next_prompt`] would show `user_id` at `moment`, recording and copying
/// nothing: what the prompt API answers a `GET` with ("shown" is recorded when the page says
/// it rendered the stage, [`mark_shown`]).
#[tracing::instrument(skip(db))]
pub async fn due_prompt(db: &DatabaseConnection, user_id: &UserId, moment: &Moment) -> Result<Option<Prompt>, ProfilingError> {
    let Some(user) = store::load(db, user_id).await? else {
        return Ok(None);
    };
    due_prompt_for(db, &user, moment).await
}

/// [`due_prompt`] for a person the caller has just loaded (the prompt API has, checking the
/// token): a read on every page view saved.
#[tracing::instrument(skip_all, fields(user_id = %user.id))]
pub async fn due_prompt_for(db: &DatabaseConnection, user: &users::Model, moment: &Moment) -> Result<Option<Prompt>, ProfilingError> {
    let config = load_config(db).await?;
    let facts = facts_for(db, user).await?;
    let history = history_for(db, &user.user_id()).await?;
    Ok(decide(&config, &facts, &history, moment, Utc::now()).prompt)
}

/// Whether an application's page may ask `prompt` (the prompt API): only a stage whose every
/// field is stored in `user_metadata`. Root attributes — the address, the names the ID token
/// carries — are asked on AskOnce's own pages only.
pub fn askable_by_app(prompt: &Prompt) -> bool {
    prompt.fields.iter().all(|f| matches!(f.target, Target::UserMetadata(_)))
}

/// A named stage as it is open now, with what deciding it read.
struct OpenStage {
    config: crate::profiling::ProfilingConfig,
    user: users::Model,
    history: Vec<crate::profiling::PastEvent>,
    prompt: Prompt,
}

/// The stage `stage`, due for `user_id` at `moment` at `now`: `StageNotOpen` when it is not
/// the one to ask — or, asked by an application's page, when it would write a root attribute
/// ([`askable_by_app`]). Every write about a named stage starts here.
async fn open_stage(
    db: &impl ConnectionTrait,
    user_id: &UserId,
    stage: &str,
    moment: &Moment,
    asked_by: Option<&AskedBy>,
    now: DateTime<Utc>,
) -> Result<OpenStage, ProfilingError> {
    let config = load_config(db).await?;
    let user = store::load(db, user_id).await?.ok_or(ProfilingError::StageNotOpen)?;
    let facts = facts_for(db, &user).await?;
    let history = history_for(db, user_id).await?;
    let prompt = decide(&config, &facts, &history, moment, now)
        .prompt
        .filter(|p| p.stage.as_str() == stage && (asked_by.is_none() || askable_by_app(p)))
        .ok_or(ProfilingError::StageNotOpen)?;
    Ok(OpenStage { config, user, history, prompt })
}

/// Records that `stage`, due for `user_id` at the in-context `moment`, was rendered by
/// `asked_by`'s page — once per window (`engine::shown_in_window`). `StageNotOpen` when it is
/// not the stage due there. Whether this call recorded it comes back.
#[tracing::instrument(skip(db, asked_by))]
pub async fn mark_shown(
    db: &DatabaseConnection,
    user_id: &UserId,
    stage: &str,
    moment: &Moment,
    asked_by: Option<&AskedBy>,
) -> Result<bool, ProfilingError> {
    let now = Utc::now();
    let OpenStage { config, user, history, prompt } = open_stage(db, user_id, stage, moment, asked_by, now).await?;
    if config.stage(&prompt.stage).is_none_or(|s| crate::profiling::engine::shown_in_window(s, &history, now)) {
        return Ok(false);
    }
    let asked: Vec<String> = prompt.fields.iter().map(|f| f.key.to_string()).collect();
    NewEvent {
        user_id: user_id.as_str(),
        stage: &prompt.stage,
        kind: EventKind::Shown,
        moment,
        login_number: user.logins_count,
        fields: json!({ "asked": asked }),
        at: now,
        asked_by,
    }
    .record(db)
    .await?;
    Ok(true)
}

/// What to ask `user_id` now. Copies in values the claims supply, records `shown`.
#[tracing::instrument(skip(db))]
pub async fn next_prompt(db: &DatabaseConnection, user_id: &UserId, moment: &Moment) -> Result<Option<Prompt>, ProfilingError> {
    let now = Utc::now();
    store::retry(|| async move {
        let config = load_config(db).await?;
        let Some(user) = store::load(db, user_id).await? else {
            return Ok(None);
        };
        let facts = facts_for(db, &user).await?;
        let history = history_for(db, user_id).await?;
        if !matches!(moment, Moment::Context { .. }) {
            for stage in crate::profiling::engine::newly_abandoned(&config, &history, facts.logins_count) {
                let kind = EventKind::Abandoned;
                NewEvent {
                    user_id: user_id.as_str(),
                    stage: &stage,
                    kind,
                    moment,
                    login_number: user.logins_count,
                    fields: json!({}),
                    at: now,
                    asked_by: None,
                }
                .record(db)
                .await?;
            }
        }
        let Decision { prompt, from_claims, .. } = decide(&config, &facts, &history, moment, now);
        apply_claim_fills(db, &user, &from_claims, now).await?;
        if let Some(p) = &prompt {
            // A login prompt counts once per login; one in context once per window (not per
            // page view: `engine::shown_in_window`).
            let already_shown = match moment {
                Moment::Context { .. } => {
                    config.stage(&p.stage).is_none_or(|s| crate::profiling::engine::shown_in_window(s, &history, now))
                }
                _ => history.iter().any(|e| e.stage == p.stage && e.kind == EventKind::Shown && e.login_number == facts.logins_count),
            };
            if !already_shown {
                // Which fields were asked (only the unknown ones): analytics counts per field.
                let asked: Vec<String> = p.fields.iter().map(|f| f.key.to_string()).collect();
                let fields = json!({ "asked": asked });
                let kind = EventKind::Shown;
                let asked_by = None;
                NewEvent {
                    user_id: user_id.as_str(),
                    stage: &p.stage,
                    kind,
                    moment,
                    login_number: user.logins_count,
                    fields,
                    at: now,
                    asked_by,
                }
                .record(db)
                .await?;
            }
        }
        Ok(prompt)
    })
    .await
}

/// Saves the answers the person typed here to `stage` (see [`answer_stage_from`]); the tests'
/// shorthand (the forms pass their context: [`answer_stage_in`]).
#[cfg(test)]
pub(crate) async fn answer_stage(
    db: &DatabaseConnection,
    user_id: &UserId,
    stage: &str,
    moment: &Moment,
    answers: &BTreeMap<String, Vec<String>>,
) -> Result<(), ProfilingError> {
    answer_stage_from(db, user_id, stage, moment, answers, Source::User, &HiddenContext::default(), None).await
}

/// [`answer_stage`], with the context the stage's hidden fields take their values from (the
/// page's query, the place's tags, the sign-in's connection).
pub async fn answer_stage_in(
    db: &DatabaseConnection,
    user_id: &UserId,
    stage: &str,
    moment: &Moment,
    answers: &BTreeMap<String, Vec<String>>,
    context: &HiddenContext,
) -> Result<(), ProfilingError> {
    answer_stage_from(db, user_id, stage, moment, answers, Source::User, context, None).await
}

/// Saves the answers given on `asked_by`'s page (the prompt API), with provenance
/// `app:<client_id>`: the same checks, consents and events as [`answer_stage_in`].
pub async fn answer_stage_for_app(
    db: &DatabaseConnection,
    user_id: &UserId,
    stage: &str,
    moment: &Moment,
    answers: &BTreeMap<String, Vec<String>>,
    context: &HiddenContext,
    asked_by: &AskedBy,
) -> Result<(), ProfilingError> {
    let source = Source::App { client: asked_by.client_id.clone() };
    answer_stage_from(db, user_id, stage, moment, answers, source, context, Some(asked_by)).await
}

/// The connection of `user_id`'s latest sign-in (for hidden fields `from = "connection"`).
async fn latest_sign_in_connection(db: &DatabaseConnection, user_id: &UserId) -> Result<Option<String>, DbErr> {
    use sea_orm::QuerySelect;
    let latest = identities::Entity::find()
        .filter(identities::Column::UserId.eq(user_id.as_str()))
        .order_by_desc(identities::Column::UpdatedAt)
        .limit(1)
        .one(db)
        .await?;
    Ok(latest.map(|i| i.connection))
}

/// Saves the answers to `stage` (only to the fields it is asking now), validated on the
/// server, with `source` as their provenance (the person here, or an external form). Nothing
/// is written unless every answer is valid.
#[tracing::instrument(skip(db, answers, asked_by))]
#[allow(clippy::too_many_arguments)]
pub(crate) async fn answer_stage_from(
    db: &DatabaseConnection,
    user_id: &UserId,
    stage: &str,
    moment: &Moment,
    answers: &BTreeMap<String, Vec<String>>,
    source: Source,
    context: &HiddenContext,
    asked_by: Option<&AskedBy>,
) -> Result<(), ProfilingError> {
    let now = Utc::now();
    let source = &source;
    store::retry(|| async move {
        let OpenStage { config, user, prompt, .. } = open_stage(db, user_id, stage, moment, asked_by, now).await?;
        // A stage asked by a form elsewhere takes its answers from that form's signed token
        // only: whatever the form checks cannot be walked around by posting here.
        if prompt.external && !matches!(source, Source::Form { .. }) {
            return Err(ProfilingError::StageNotOpen);
        }

        let mut problems = BTreeMap::new();
        let mut values = Vec::new();
        let mut declined = Vec::new();
        for field in &prompt.fields {
            let raw = answers.get(field.key.as_str()).cloned().unwrap_or_default();
            match validate_answer(field, &raw) {
                Ok(Some(value)) => values.push((field.target.clone(), value, source.clone())),
                Ok(None) => declined.push(field.key.clone()),
                Err(problem) => {
                    problems.insert(field.key.to_string(), problem);
                }
            }
        }
        if !problems.is_empty() {
            return Err(ProfilingError::Invalid(problems));
        }
        // The stage's hidden fields, from the context, when the profile has no value yet
        // (the first page someone came by stays theirs).
        let stage_fields = config.stage(&prompt.stage).map(|s| s.fields.clone()).unwrap_or_default();
        let hidden: Vec<&crate::profiling::Field> =
            stage_fields.iter().filter_map(|k| config.field(k)).filter(|f| f.kind == crate::profiling::FieldKind::Hidden).collect();
        // The sign-in's connection is looked up only for a hidden field that takes it.
        let mut context = context.clone();
        if context.connection.is_none() && hidden.iter().any(|f| f.from == Some(crate::profiling::field::HiddenFrom::Connection)) {
            context.connection = latest_sign_in_connection(db, user_id).await?;
        }
        for field in hidden {
            let Some(from) = &field.from else { continue };
            if crate::profiling::field::is_present(current_value(&user, &field.target).as_ref()) {
                continue;
            }
            if let Some(value) = context.value(from) {
                values.push((field.target.clone(), value, Source::Context { from: from.to_string() }));
            }
        }
        let txn = crate::db::begin_write(db).await?;
        if let Err(err) = write_values(&txn, &user, &values, now).await {
            txn.rollback().await?;
            return Err(err);
        }
        super::consents::record_answers(&txn, &config.fields, user_id, &values, now).await?;
        let answered: Vec<String> = values.iter().map(|(t, ..)| t.to_string()).collect();
        let fields = json!({ "answered": answered, "declined": declined });
        let kind = EventKind::Answered;
        NewEvent {
            user_id: user_id.as_str(),
            stage: &prompt.stage,
            kind,
            moment,
            login_number: user.logins_count,
            fields,
            at: now,
            asked_by,
        }
        .record(&txn)
        .await?;
        txn.commit().await?;
        Ok(())
    })
    .await
}

/// The stage `stage` as it is open for `user_id` at `moment` now (what a form for it shows);
/// `StageNotOpen` when it is not the one to ask. Records nothing.
pub async fn open_prompt(db: &DatabaseConnection, user_id: &UserId, stage: &str, moment: &Moment) -> Result<Prompt, ProfilingError> {
    Ok(open_stage(db, user_id, stage, moment, None, Utc::now()).await?.prompt)
}

/// Records a skip of the stage open now; it then waits out its cooldown.
pub async fn skip_stage(db: &DatabaseConnection, user_id: &UserId, stage: &str, moment: &Moment) -> Result<(), ProfilingError> {
    skip_stage_by(db, user_id, stage, moment, None).await
}

/// [`skip_stage`], on `asked_by`'s page when it is an application's (the prompt API).
#[tracing::instrument(skip(db, asked_by))]
pub async fn skip_stage_by(
    db: &DatabaseConnection,
    user_id: &UserId,
    stage: &str,
    moment: &Moment,
    asked_by: Option<&AskedBy>,
) -> Result<(), ProfilingError> {
    let now = Utc::now();
    let OpenStage { user, prompt, .. } = open_stage(db, user_id, stage, moment, asked_by, now).await?;
    if !prompt.skippable {
        return Err(ProfilingError::NotSkippable);
    }
    let asked: Vec<String> = prompt.fields.iter().map(|f| f.key.to_string()).collect();
    let fields = json!({ "asked": asked });
    let kind = EventKind::Skipped;
    NewEvent { user_id: user_id.as_str(), stage: &prompt.stage, kind, moment, login_number: user.logins_count, fields, at: now, asked_by }
        .record(db)
        .await?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Email;
    use crate::profiling::{events::history_for, seed_defaults_if_empty};
    use crate::{auth::accounts::sign_up_with_password, profile::store::record_login};
    use sea_orm::sea_query::Expr;

    async fn new_user(db: &DatabaseConnection) -> users::Model {
        let user = sign_up_with_password(db, &Email::parse("ada@example.com").unwrap(), "a long passphrase".into()).await.unwrap();
        record_login(db, &user.user_id(), None).await.unwrap()
    }

    fn form(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<String>> {
        pairs.iter().map(|(k, v)| (k.to_string(), vec![v.to_string()])).collect()
    }

    crate::db_test!(signup_asks_names_then_saves_them_with_user_provenance, |db| {
        seed_defaults_if_empty(db).await.unwrap();
        let user = new_user(db).await;
        let prompt = next_prompt(db, &user.user_id(), &Moment::Signup).await.unwrap().unwrap();
        assert_eq!(prompt.stage.as_str(), "name");
        let bad = answer_stage(db, &user.user_id(), "name", &Moment::Signup, &form(&[("given_name", "Ada")])).await;
        assert!(matches!(bad, Err(ProfilingError::Invalid(p)) if p.contains_key("family_name")));
        let saved = users::Entity::find_by_id(user.id.clone()).one(db).await.unwrap().unwrap();
        assert_eq!(saved.given_name, None, "nothing half-saved");
        answer_stage(db, &user.user_id(), "name", &Moment::Signup, &form(&[("given_name", "Ada"), ("family_name", "Lovelace")]))
            .await
            .unwrap();
        let saved = users::Entity::find_by_id(user.id.clone()).one(db).await.unwrap().unwrap();
        assert_eq!(saved.given_name.as_deref(), Some("Ada"));
        assert_eq!(saved.name.as_deref(), Some("Ada Lovelace"));
        assert_eq!(saved.provenance["given_name"]["source"], "user");
        assert!(next_prompt(db, &user.user_id(), &Moment::Signup).await.unwrap().is_none());
    });

    crate::db_test!(a_skip_is_recorded_and_respected, |db| {
        seed_defaults_if_empty(db).await.unwrap();
        let user = new_user(db).await;
        next_prompt(db, &user.user_id(), &Moment::Signup).await.unwrap().unwrap();
        skip_stage(db, &user.user_id(), "name", &Moment::Signup).await.unwrap();
        assert!(next_prompt(db, &user.user_id(), &Moment::Signup).await.unwrap().is_none());
        let kinds: Vec<EventKind> = history_for(db, &user.user_id()).await.unwrap().into_iter().map(|e| e.kind).collect();
        assert_eq!(kinds, vec![EventKind::Shown, EventKind::Skipped]);
    });

    crate::db_test!(a_login_stage_left_unanswered_is_recorded_as_abandoned_at_the_next_login, |db| {
        seed_defaults_if_empty(db).await.unwrap();
        let user = new_user(db).await;
        next_prompt(db, &user.user_id(), &Moment::Signup).await.unwrap().unwrap();
        let user = record_login(db, &user.user_id(), None).await.unwrap();
        // The name stage comes back at login 2 (never settled), and the first showing is
        // counted as abandoned.
        let again = next_prompt(db, &user.user_id(), &Moment::Login { number: 2 }).await.unwrap().unwrap();
        assert_eq!(again.stage.as_str(), "name");
        let kinds: Vec<EventKind> = history_for(db, &user.user_id()).await.unwrap().into_iter().map(|e| e.kind).collect();
        assert_eq!(kinds, vec![EventKind::Shown, EventKind::Abandoned, EventKind::Shown]);
    });

    crate::db_test!(claims_answer_fields_and_are_copied_in_with_provenance, |db| {
        seed_defaults_if_empty(db).await.unwrap();
        let user = new_user(db).await;
        let user = record_login(db, &user.user_id(), None).await.unwrap();
        identities::Entity::update_many()
            .col_expr(identities::Column::ProfileData, Expr::value(json!({"email": "ada@example.com", "job_title": "Analyst"})))
            .filter(identities::Column::UserId.eq(&user.id))
            .exec(db)
            .await
            .unwrap();
        // Names first (one stage per login): answer them, then log in again.
        answer_stage(db, &user.user_id(), "name", &Moment::Login { number: 2 }, &form(&[("given_name", "Ada"), ("family_name", "L")]))
            .await
            .unwrap();
        let user = record_login(db, &user.user_id(), None).await.unwrap();
        let prompt = next_prompt(db, &user.user_id(), &Moment::Login { number: 3 }).await.unwrap().unwrap();
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
        use crate::identity::{upsert_login, ConnectionRef, ProviderKind, SyncPolicy};
        let google = ConnectionRef { name: "google".into(), kind: ProviderKind::Google, sync: SyncPolicy::OnEachLogin };
        let claims = json!({"sub": "g-1", "email": "ada@example.com", "email_verified": true, "given_name": "Ada"});
        let a = upsert_login(db, &google, "g-1", claims, None).await.unwrap();
        assert_eq!(a.user.provenance["email_verified"]["address"], "ada@example.com");
        let okta = ConnectionRef { name: "okta".into(), kind: ProviderKind::Oidc, sync: SyncPolicy::OnEachLogin };
        upsert_login(db, &okta, "o-1", json!({"sub": "o-1", "email": "Ada@Work.example", "email_verified": true}), Some(&a.user.id))
            .await
            .unwrap();

        let email = Target::Root(RootAttribute::Email);
        let user = store::load(db, &a.user.user_id()).await.unwrap().unwrap();
        write_values(db, &user, &[(email.clone(), json!("someone@else.example"), Source::User)], Utc::now()).await.unwrap();
        let user = store::load(db, &a.user.user_id()).await.unwrap().unwrap();
        assert!(!user.email_verified, "a typed-in address proves nothing");
        assert!(user.provenance.get("email_verified").is_none());

        write_values(db, &user, &[(email, json!("ada@work.example"), Source::User)], Utc::now()).await.unwrap();
        let user = store::load(db, &a.user.user_id()).await.unwrap().unwrap();
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
        let user = store::load(db, &user.user_id()).await.unwrap().unwrap();
        assert_eq!(user.name.as_deref(), Some("Ada Lovelace"));
        write_values(db, &user, &[(given, json!("Augusta"), Source::User)], Utc::now()).await.unwrap();
        let user = store::load(db, &user.user_id()).await.unwrap().unwrap();
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
