//! Calling the hooks of a sign-in: each enabled hook of the trigger, in the order they were
//! made, one after the other (a later hook sees what an earlier one added). Each call is
//! signed (`super::super::signature`), bounded by the hook's timeout, never follows a
//! redirect, and is recorded for the console whatever its outcome.

use domain::user_id::UserId;

use std::time::Duration;

use chrono::Utc;
use sea_orm::{DatabaseConnection, DbErr};
use serde::Serialize;
use serde_json::{Map, Value};

use super::store;
use crate::{
    entities::hooks,
    hooks::{signature, CallOutcome, HookCall, HookReply, HookSettings, HookTrigger, OnFailure},
    outbound::{Outbound, OutboundError},
    profile::{
        merge_metadata,
        read::load_user_profile,
        store::{self as profile_store, StoreError, WriteRace},
        validate_metadata, MetadataError, MetadataLimits, Source, UserProfile,
    },
};

/// What the person is told when a hook that must succeed did not.
pub const UNAVAILABLE: &str = "This site could not complete your sign-in just now. Please try again in a moment.";

/// The sign-in the hooks are told about.
#[derive(Debug, Clone)]
pub struct SignIn<'a> {
    /// The connection signed in with (`password` for a password).
    pub connection: &'a str,
    /// The account's id at that connection (`sub`; the user id for a password).
    pub identity_user_id: &'a str,
    /// This sign-in created the account: `post-signup` hooks run first.
    pub new_account: bool,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

/// Whether the sign-in goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Continue,
    /// Refused; the person reads the message.
    Deny(String),
}

/// The JSON body of a call.
#[derive(Debug, Serialize)]
pub struct HookEvent<'a> {
    /// Unique per call: a receiver can drop a duplicate.
    pub id: String,
    pub trigger: HookTrigger,
    pub created_at: chrono::DateTime<Utc>,
    /// The profile as the management API serves it (`GET /api/v2/users/{id}`): no password
    /// hash, no provider tokens, no session.
    pub user: &'a UserProfile,
    pub identity: EventIdentity<'a>,
    pub context: EventContext<'a>,
}

#[derive(Debug, Serialize)]
pub struct EventIdentity<'a> {
    pub connection: &'a str,
    pub user_id: &'a str,
}

#[derive(Debug, Serialize)]
pub struct EventContext<'a> {
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

/// Runs the hooks of a sign-in of `user_id`; stops at the first that denies it.
#[tracing::instrument(skip_all, fields(user_id, connection = sign_in.connection))]
pub(crate) async fn run_sign_in_hooks(
    db: &DatabaseConnection,
    outbound: &Outbound,
    user_id: &UserId,
    sign_in: &SignIn<'_>,
) -> Result<Verdict, DbErr> {
    let triggers: &[HookTrigger] =
        if sign_in.new_account { &[HookTrigger::PostSignup, HookTrigger::PostLogin] } else { &[HookTrigger::PostLogin] };
    for trigger in triggers {
        for (row, settings) in store::enabled_for(db, *trigger).await? {
            let verdict = run_one(db, outbound, user_id, sign_in, *trigger, &row, &settings).await?;
            if verdict != Verdict::Continue {
                return Ok(verdict);
            }
        }
    }
    Ok(Verdict::Continue)
}

async fn run_one(
    db: &DatabaseConnection,
    outbound: &Outbound,
    user_id: &UserId,
    sign_in: &SignIn<'_>,
    trigger: HookTrigger,
    row: &hooks::Model,
    settings: &HookSettings,
) -> Result<Verdict, DbErr> {
    let Some(user) = load_user_profile(db, user_id).await? else {
        return Ok(Verdict::Continue);
    };
    let event = HookEvent {
        id: uuid::Uuid::now_v7().to_string(),
        trigger,
        created_at: Utc::now(),
        user: &user,
        identity: EventIdentity { connection: sign_in.connection, user_id: sign_in.identity_user_id },
        context: EventContext { ip: sign_in.ip, user_agent: sign_in.user_agent },
    };
    let started = std::time::Instant::now();
    let answer = call(outbound, row, settings, &event).await;
    let mut record = HookCall {
        at: event.created_at,
        outcome: CallOutcome::Ok,
        http_status: None,
        duration_ms: u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX),
        detail: None,
    };
    let verdict = match answer {
        Ok((status, reply)) => {
            record.http_status = Some(status);
            match (&reply.deny, apply(db, user_id, &settings.name, &reply).await?) {
                (_, Err(problem)) => failed(&mut record, CallOutcome::Failed, problem, settings.on_failure),
                (Some(message), Ok(())) => {
                    record.outcome = CallOutcome::Denied;
                    record.detail = Some(message.clone());
                    Verdict::Deny(message.trim().to_string())
                }
                (None, Ok(())) => Verdict::Continue,
            }
        }
        Err(CallFailure { outcome, status, detail }) => {
            record.http_status = status;
            // A call that never connected has no duration to show: a refused address fails at
            // once and a closed port after a round trip, and the recent calls must not tell
            // the two apart.
            if outcome == CallOutcome::Failed && status.is_none() {
                record.duration_ms = 0;
            }
            failed(&mut record, outcome, detail, settings.on_failure)
        }
    };
    tracing::info!(hook = %settings.name, outcome = record.outcome.as_str(), duration_ms = record.duration_ms, "hook called");
    store::record_call(db, &row.id, Some(user_id.as_str()), &record).await?;
    Ok(verdict)
}

fn failed(record: &mut HookCall, outcome: CallOutcome, detail: String, on_failure: OnFailure) -> Verdict {
    record.outcome = outcome;
    record.detail = Some(detail);
    match on_failure {
        OnFailure::Continue => Verdict::Continue,
        OnFailure::Deny => Verdict::Deny(UNAVAILABLE.to_string()),
    }
}

struct CallFailure {
    outcome: CallOutcome,
    status: Option<u16>,
    detail: String,
}

impl CallFailure {
    fn new(detail: impl Into<String>) -> Self {
        CallFailure { outcome: CallOutcome::Failed, status: None, detail: detail.into() }
    }
}

/// Replies larger than this are not read (a reply carries a few metadata keys).
const MAX_REPLY_BYTES: usize = 64 * 1024;

async fn call(
    outbound: &Outbound,
    row: &hooks::Model,
    settings: &HookSettings,
    event: &HookEvent<'_>,
) -> Result<(u16, HookReply), CallFailure> {
    let body = serde_json::to_vec(event).map_err(|e| CallFailure::new(format!("encoding the event: {e}")))?;
    let signature = signature::sign(&row.secret, Utc::now().timestamp(), &body);
    let headers = [(signature::HEADER, signature)];
    let timeout = Duration::from_millis(u64::from(settings.timeout_ms));
    // What a failure says is `OutboundError`'s general text: the recent calls must not tell
    // a closed port from a refused address (the server's log has the cause).
    let reply = outbound.post_json(&settings.url, &headers, body, timeout, MAX_REPLY_BYTES).await.map_err(|e| match e {
        OutboundError::Timeout => CallFailure { outcome: CallOutcome::Timeout, status: None, detail: e.to_string() },
        OutboundError::TooLarge { status, .. } | OutboundError::Unreadable { status } => {
            CallFailure { status: Some(status), ..CallFailure::new(e.to_string()) }
        }
        OutboundError::BadAddress | OutboundError::Unreachable => CallFailure::new(e.to_string()),
    })?;
    let status = reply.status;
    if !(200..300).contains(&status) {
        let what = if (300..400).contains(&status) { "redirects are not followed" } else { "not a 2xx answer" };
        return Err(CallFailure { outcome: CallOutcome::Failed, status: Some(status), detail: format!("HTTP {status}: {what}") });
    }
    let reply_body = HookReply::parse(&reply.body).map_err(|reason| CallFailure { status: Some(status), ..CallFailure::new(reason) })?;
    Ok((status, reply_body))
}

/// Why a reply's metadata was refused, in fixed words: the recent calls never repeat what a
/// service answered (a key or a number of its reply).
fn without_words(err: &MetadataError) -> String {
    match err {
        MetadataError::InvalidKey { max, .. } => format!("a key is not 1–{max} characters without `.` or a leading `$`"),
        MetadataError::NumberOutOfRange { .. } => "a number is out of range".to_string(),
        other => other.to_string(),
    }
}

/// Merges the reply's metadata into the profile with provenance `hook:<name>`; `Ok(Err(_))`
/// when the reply's metadata is not acceptable (nothing is written then).
async fn apply(db: &DatabaseConnection, user_id: &UserId, name: &str, reply: &HookReply) -> Result<Result<(), String>, DbErr> {
    if reply.deny.is_some() || (reply.user_metadata.is_none() && reply.app_metadata.is_none()) {
        return Ok(Ok(()));
    }
    let source = Source::Hook { name: name.to_string() };
    let limits = MetadataLimits::default();
    let applied = profile_store::update(db, user_id, |user, write| {
        if let Some(patch) = &reply.user_metadata {
            let merged = merge_metadata(&profile_store::user_metadata(user), patch);
            validate_metadata(&Value::Object(merged), &limits)
                .map_err(|e| Refused::Reply(format!("user_metadata: {}", without_words(&e))))?;
            for (key, value) in patch {
                write.set_user_metadata(key, Some(value.clone()).filter(|v| !v.is_null()), &source);
            }
        }
        if let Some(patch) = &reply.app_metadata {
            let current: Map<String, Value> = user.app_metadata.as_object().cloned().unwrap_or_default();
            let merged = merge_metadata(&current, patch);
            validate_metadata(&Value::Object(merged.clone()), &limits)
                .map_err(|e| Refused::Reply(format!("app_metadata: {}", without_words(&e))))?;
            write.set_app_metadata(merged);
        }
        Ok(())
    })
    .await;
    match applied {
        // A user gone meanwhile has nothing to write to.
        Ok(_) => Ok(Ok(())),
        Err(Refused::Reply(why)) => Ok(Err(why)),
        Err(Refused::Store(StoreError::Conflict)) => Ok(Err("the profile kept changing while the reply was saved".into())),
        Err(Refused::Store(StoreError::Db(e))) => Err(e),
    }
}

/// Why a reply's metadata was not written.
enum Refused {
    /// Not acceptable (nothing is written).
    Reply(String),
    Store(StoreError),
}

impl From<StoreError> for Refused {
    fn from(err: StoreError) -> Self {
        Refused::Store(err)
    }
}

impl WriteRace for Refused {
    fn lost_race(&self) -> bool {
        matches!(self, Refused::Store(StoreError::Conflict))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_reply_is_described_without_its_words() {
        let key = MetadataError::InvalidKey { key: "secret.key".into(), max: 100 };
        let number = MetadataError::NumberOutOfRange { number: "1e300".into() };
        for err in [key, number] {
            let text = without_words(&err);
            assert!(!text.contains("secret") && !text.contains("1e300"), "{text}");
        }
    }
}
