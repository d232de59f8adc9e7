//! The audit log: who changed what in the console, the API, the CLI, and people erasing
//! their own account. Entries name the subject by [`subject_hash`] only, so erasing a person
//! leaves nothing personal behind.
//!
//! Below every domain that records (admin, auth's role grants, profile's erasure): it
//! depends on the entities alone.

use domain::user_id::UserId;

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::entities::audit_log;

/// The audit log's stand-in for a user id: it can confirm "this id was erased" to someone who
/// already knows the id, and reveals nothing to anyone else.
pub fn subject_hash(user_id: &UserId) -> String {
    hex::encode(Sha256::digest(format!("askonce-audit:{user_id}").as_bytes()))
}

/// Who did something the audit log records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor<'a> {
    /// A site owner in the console: their user id.
    Admin(&'a UserId),
    /// A management API token: its id.
    Api(&'a domain::token_id::TokenId),
    /// A machine application calling the management API with a `client_credentials` access
    /// token: its client id.
    Machine(&'a str),
    /// `askonce` on the command line, on the server.
    Cli,
    /// The person themselves (erasing their own account).
    User,
}

impl<'a> Actor<'a> {
    /// The log's `actor_kind` column.
    pub fn kind(self) -> &'static str {
        match self {
            Actor::Admin(_) => "admin",
            Actor::Api(_) => "api",
            Actor::Machine(_) => "client",
            Actor::Cli => "cli",
            Actor::User => "user",
        }
    }

    /// The log's `actor_id` column.
    pub fn id(self) -> Option<&'a str> {
        match self {
            Actor::Admin(id) => Some(id.as_str()),
            Actor::Api(id) => Some(id.as_str()),
            Actor::Machine(client_id) => Some(client_id),
            Actor::Cli | Actor::User => None,
        }
    }

    /// The provenance of profile values this actor sets: the API's word, or the site owner's.
    pub fn source(self) -> domain::profile::Source {
        match self {
            Actor::Api(_) | Actor::Machine(_) => domain::profile::Source::Api,
            _ => domain::profile::Source::Admin,
        }
    }
}

/// What the audit log records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    AccountErased,
    AdminGranted,
    AdminRevoked,
    ClientChanged,
    ClientCreated,
    ClientDeleted,
    ClientSecretRotated,
    FormSecretMade,
    HookChanged,
    HookCreated,
    HookDeleted,
    QuestionsChanged,
    QuestionsImported,
    TokenCreated,
    TokenRevoked,
    UserUpdated,
    UsersCreated,
    UsersImported,
    UsersLinked,
    UsersUnlinked,
}

impl Action {
    /// The log's `action` column (names shipped releases wrote, kept as they are).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::AccountErased => "account.erased",
            Action::AdminGranted => "admin.granted",
            Action::AdminRevoked => "admin.revoked",
            Action::ClientChanged => "client.changed",
            Action::ClientCreated => "client.created",
            Action::ClientDeleted => "client.deleted",
            Action::ClientSecretRotated => "client.secret_rotated",
            Action::FormSecretMade => "form_secret.made",
            Action::HookChanged => "hook.changed",
            Action::HookCreated => "hook.created",
            Action::HookDeleted => "hook.deleted",
            Action::QuestionsChanged => "questions.changed",
            Action::QuestionsImported => "questions.imported",
            Action::TokenCreated => "token.created",
            Action::TokenRevoked => "token.revoked",
            Action::UserUpdated => "user.updated",
            Action::UsersCreated => "users.created",
            Action::UsersImported => "users.imported",
            Action::UsersLinked => "users.linked",
            Action::UsersUnlinked => "users.unlinked",
        }
    }
}

/// Records one action of `actor` (on `subject_user_id`, named in the log by its hash).
pub async fn record(
    db: &impl ConnectionTrait,
    actor: Actor<'_>,
    action: Action,
    subject_user_id: Option<&UserId>,
    details: Value,
) -> Result<(), DbErr> {
    audit_log::ActiveModel {
        at: Set(Utc::now()),
        actor_kind: Set(actor.kind().to_string()),
        actor_id: Set(actor.id().map(str::to_string)),
        action: Set(action.as_str().to_string()),
        subject_hash: Set(subject_user_id.map(subject_hash)),
        details: Set(details),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}
