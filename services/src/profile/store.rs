//! The profile store: the only code that writes profile values, and the readers of a
//! `users` row's attributes that the engine and the forms share. Every write — a login's claims, answers, self-service edits, the console, the API,
//! an import — is one [`ProfileWrite`]: values with their provenance, `name` kept in step
//! with the first and last names, `email_verified` derived from the evidence for exactly the
//! stored address, and `version` bumped by compare-and-swap, so two writers that read the same
//! profile never silently lose each other's values (the second gets [`StoreError::Conflict`]
//! and retries with fresh data).

use domain::user_id::UserId;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use serde_json::{json, Map, Value};

use super::{
    names::{name_following_parts, NameParts},
    verification::{normalize_address, record_evidence, EmailEvidence},
    RootAttribute, Source,
};
use crate::entities::users;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Someone wrote the profile after it was read: nothing was written; read it again.
    #[error("the profile changed while saving; please try again")]
    Conflict,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// What the person is told: a conflict is theirs to retry; anything else is ours.
impl From<StoreError> for crate::error::ServiceError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict => crate::error::ServiceError::Conflict("Your profile changed meanwhile. Please try again.".into()),
            StoreError::Db(e) => crate::error::internal("profile store", e),
        }
    }
}

/// How many times a writer re-reads and re-applies its change after a [`StoreError::Conflict`]
/// before giving up (and saying so, 409). Each attempt is one read and one conditional
/// update, so this is cheap; it must outlast a burst of writers on one profile — a sign-in's
/// sync racing API updates and the person's own edits (`concurrency::racing_profile_writers…`):
/// at 3, a sign-in in such a burst could fail for nothing but bad luck.
pub const WRITE_ATTEMPTS: usize = 8;

/// An error that may mean "someone wrote the profile between our read and our write", after
/// which the whole attempt (read, decide, write) is run again from a fresh read.
pub trait WriteRace {
    fn lost_race(&self) -> bool;
}

impl WriteRace for StoreError {
    fn lost_race(&self) -> bool {
        matches!(self, StoreError::Conflict)
    }
}

/// The compare-and-swap retry, the one place it lives: runs `attempt` again while it lost a
/// write race, at most [`WRITE_ATTEMPTS`] times, and returns its first other outcome (or the
/// last lost race). Each attempt must read what it decides on afresh (and roll back what it
/// wrote before losing: a transaction dropped uncommitted does).
///
/// (`FnMut() -> Future` rather than an async closure: the futures of server functions must be
/// `Send`, which rustc cannot yet prove through an `AsyncFnMut`'s higher-ranked future.)
pub async fn retry<T, E, Attempt, Outcome>(mut attempt: Attempt) -> Result<T, E>
where
    E: WriteRace,
    Attempt: FnMut() -> Outcome,
    Outcome: std::future::Future<Output = Result<T, E>>,
{
    let mut tries = 1;
    loop {
        match attempt().await {
            Err(err) if err.lost_race() && tries < WRITE_ATTEMPTS => tries += 1,
            outcome => return outcome,
        }
    }
}

/// One change to `user_id`'s profile: reads it, lets `change` fill a [`ProfileWrite`] from it
/// (or refuse), commits, and starts again from a fresh read when someone wrote in between.
/// `Ok(None)`: there is no such user. Returns the profile after the write and what `change`
/// returned.
pub async fn update<T, E, Change>(db: &impl ConnectionTrait, user_id: &UserId, change: Change) -> Result<Option<(users::Model, T)>, E>
where
    E: WriteRace + From<StoreError>,
    Change: for<'u> FnMut(&'u users::Model, &mut ProfileWrite<'u>) -> Result<T, E> + Send,
{
    // Each attempt's future borrows `change`; a mutex (never held across an await) lets the
    // attempts share it.
    let change = std::sync::Mutex::new(change);
    let change = &change;
    retry(|| async move {
        let Some(user) = load(db, user_id).await.map_err(StoreError::from)? else { return Ok(None) };
        let mut write = ProfileWrite::new(&user, Utc::now());
        let out = {
            let mut change = change.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            (*change)(&user, &mut write)?
        };
        let after = write.commit(db).await?;
        Ok(Some((after, out)))
    })
    .await
}

// ---------------------------------------------------------------------------------------
// Reading

/// Loads one profile row.
pub async fn load(db: &impl ConnectionTrait, user_id: &UserId) -> Result<Option<users::Model>, DbErr> {
    users::Entity::find_by_id(user_id.to_string()).one(db).await
}

/// The value of a root attribute. `email_verified` is a value only when true: `false` is the
/// default, not something anyone told us.
pub(crate) fn root_value(user: &users::Model, attr: RootAttribute) -> Option<Value> {
    match TextAttribute::try_from(attr) {
        Ok(text) => text_of(user, text).map(Value::from),
        Err(RootAttribute::Email) => user.email.as_deref().map(Value::from),
        Err(_) => user.email_verified.then_some(Value::Bool(true)),
    }
}

/// Every root attribute the profile has a value for, as the engine's facts: all but
/// `email_verified`, which is the provider's word and never a question.
pub(crate) fn root_values(user: &users::Model) -> BTreeMap<RootAttribute, Value> {
    RootAttribute::ALL
        .into_iter()
        .filter(|a| *a != RootAttribute::EmailVerified)
        .filter_map(|a| root_value(user, a).map(|v| (a, v)))
        .collect()
}

/// The answers and other values the person may edit.
pub fn user_metadata(user: &users::Model) -> Map<String, Value> {
    user.user_metadata.as_object().cloned().unwrap_or_default()
}

/// The provenance key of a `user_metadata` value.
pub(crate) fn metadata_provenance_key(key: &str) -> String {
    format!("user_metadata.{key}")
}

/// A root attribute stored as plain text: every one but `email` (its verification evidence goes
/// with it, see [`ProfileWrite::set_email`]) and `email_verified` (derived, never written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextAttribute {
    Name,
    GivenName,
    FamilyName,
    Nickname,
    Picture,
    Locale,
}

impl TryFrom<RootAttribute> for TextAttribute {
    type Error = RootAttribute;
    fn try_from(attr: RootAttribute) -> Result<Self, RootAttribute> {
        Ok(match attr {
            RootAttribute::Name => Self::Name,
            RootAttribute::GivenName => Self::GivenName,
            RootAttribute::FamilyName => Self::FamilyName,
            RootAttribute::Nickname => Self::Nickname,
            RootAttribute::Picture => Self::Picture,
            RootAttribute::Locale => Self::Locale,
            RootAttribute::Email | RootAttribute::EmailVerified => return Err(attr),
        })
    }
}

impl TextAttribute {
    pub fn attribute(self) -> RootAttribute {
        match self {
            Self::Name => RootAttribute::Name,
            Self::GivenName => RootAttribute::GivenName,
            Self::FamilyName => RootAttribute::FamilyName,
            Self::Nickname => RootAttribute::Nickname,
            Self::Picture => RootAttribute::Picture,
            Self::Locale => RootAttribute::Locale,
        }
    }
}

fn text_of(user: &users::Model, attr: TextAttribute) -> Option<&str> {
    match attr {
        TextAttribute::Name => user.name.as_deref(),
        TextAttribute::GivenName => user.given_name.as_deref(),
        TextAttribute::FamilyName => user.family_name.as_deref(),
        TextAttribute::Nickname => user.nickname.as_deref(),
        TextAttribute::Picture => user.picture.as_deref(),
        TextAttribute::Locale => user.locale.as_deref(),
    }
}

fn text_slot(user: &mut users::Model, attr: TextAttribute) -> &mut Option<String> {
    match attr {
        TextAttribute::Name => &mut user.name,
        TextAttribute::GivenName => &mut user.given_name,
        TextAttribute::FamilyName => &mut user.family_name,
        TextAttribute::Nickname => &mut user.nickname,
        TextAttribute::Picture => &mut user.picture,
        TextAttribute::Locale => &mut user.locale,
    }
}

fn name_parts(user: &users::Model) -> NameParts<'_> {
    NameParts { given: user.given_name.as_deref(), family: user.family_name.as_deref() }
}

// ---------------------------------------------------------------------------------------
// Creating

/// A profile about to exist: its id and the counters that are not profile values.
#[derive(Debug, Clone)]
pub struct NewProfile {
    pub id: String,
    pub created_at: DateTime<Utc>,
    /// Logins before this one (an import keeps the count of the system it came from).
    pub logins_count: i32,
}

impl NewProfile {
    /// A profile created now, with a fresh id.
    pub fn now() -> Self {
        Self { id: new_user_id(), created_at: Utc::now(), logins_count: 0 }
    }
}

/// Inserts an empty profile: values are then written with a [`ProfileWrite`], so a new
/// profile gets its provenance, name and evidence by the same rules as every later write.
pub async fn insert_empty(db: &impl ConnectionTrait, new: NewProfile) -> Result<users::Model, DbErr> {
    let NewProfile { id, created_at, logins_count } = new;
    users::ActiveModel {
        id: Set(id),
        logins_count: Set(logins_count.max(0)),
        email_verified: Set(false),
        user_metadata: Set(json!({})),
        app_metadata: Set(json!({})),
        provenance: Set(json!({})),
        created_at: Set(created_at),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// A new profile id: time-ordered, so the directory's newest-first pages follow the index.
pub fn new_user_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Counts a successful login (`logins_count + 1`, `last_login`, `last_ip`) in one UPDATE, so
/// concurrent logins never lose a count; bumps `version` so writers that read before it retry.
#[tracing::instrument(skip(db))]
pub(crate) async fn record_login(db: &impl ConnectionTrait, user_id: &UserId, ip: Option<String>) -> Result<users::Model, DbErr> {
    let now = Utc::now();
    users::Entity::update_many()
        .col_expr(users::Column::LoginsCount, Expr::col(users::Column::LoginsCount).add(1))
        .col_expr(users::Column::Version, Expr::col(users::Column::Version).add(1))
        .col_expr(users::Column::LastLogin, Expr::value(now))
        .col_expr(users::Column::LastIp, Expr::value(ip))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(user_id.as_str()))
        .exec(db)
        .await?;
    load(db, user_id).await?.ok_or_else(|| DbErr::RecordNotFound(format!("user {user_id}")))
}

// ---------------------------------------------------------------------------------------
// Erasing

/// Removes the user and, through the schema's cascades, their identities, password and
/// prompt history; records an audit entry without personal data. Their other browser
/// sessions end at their next request (the session user no longer exists).
#[tracing::instrument(skip(db))]
pub async fn erase_account(db: &sea_orm::DatabaseConnection, user_id: &UserId, actor: crate::audit::Actor<'_>) -> Result<bool, DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let deleted = users::Entity::delete_by_id(user_id.to_string()).exec(&txn).await?.rows_affected;
    if deleted == 0 {
        txn.rollback().await?;
        return Ok(false);
    }
    crate::audit::record(&txn, actor, crate::audit::Action::AccountErased, Some(user_id), json!({})).await?;
    txn.commit().await?;
    Ok(true)
}

/// Deletes the profile `user_id` that was linked into another one (its identities and
/// password have moved there already); its sessions, history and consents go with it. The
/// link's audit entry is the caller's, in the same transaction.
pub(crate) async fn delete_linked_in(txn: &impl ConnectionTrait, user_id: &UserId) -> Result<(), DbErr> {
    users::Entity::delete_by_id(user_id.to_string()).exec(txn).await?;
    Ok(())
}

/// Sets or clears the console flag of `user_id`: how many profiles changed (0: no such user).
/// The grant's audit entry is the caller's, in the same transaction.
pub(crate) async fn set_admin_flag(db: &impl ConnectionTrait, user_id: &UserId, admin: bool) -> Result<u64, DbErr> {
    Ok(users::Entity::update_many()
        .col_expr(users::Column::IsAdmin, Expr::value(admin))
        .col_expr(users::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(users::Column::Id.eq(user_id.as_str()))
        .exec(db)
        .await?
        .rows_affected)
}

// ---------------------------------------------------------------------------------------
// Writing

/// One change to a profile read as `user`, applied by [`ProfileWrite::commit`] only if nobody
/// wrote the profile since.
#[must_use = "a profile write changes nothing until it is committed"]
pub struct ProfileWrite<'u> {
    user: &'u users::Model,
    now: DateTime<Utc>,
    next: users::Model,
    provenance: Map<String, Value>,
    /// The evidence for the email after the write, when the write re-derives `email_verified`.
    evidence: Option<Option<EmailEvidence>>,
    /// Who changed a first or last name (the display name follows them, with this source).
    parts_source: Option<Source>,
    name_set: bool,
}

impl<'u> ProfileWrite<'u> {
    pub fn new(user: &'u users::Model, now: DateTime<Utc>) -> Self {
        Self {
            user,
            now,
            next: user.clone(),
            provenance: user.provenance.as_object().cloned().unwrap_or_default(),
            evidence: None,
            parts_source: None,
            name_set: false,
        }
    }

    fn record(&mut self, key: String, present: bool, source: &Source) {
        if present {
            self.provenance.insert(key, json!({ "source": source, "at": self.now }));
        } else {
            self.provenance.remove(&key);
        }
    }

    /// Sets (or, with `None`, clears) a text attribute.
    pub fn set_text(&mut self, attr: TextAttribute, value: Option<String>, source: &Source) -> &mut Self {
        match attr {
            TextAttribute::Name => self.name_set = true,
            TextAttribute::GivenName | TextAttribute::FamilyName => self.parts_source = Some(source.clone()),
            _ => {}
        }
        self.record(attr.attribute().as_str().to_string(), value.is_some(), source);
        *text_slot(&mut self.next, attr) = value;
        self
    }

    /// Replaces the email, with the evidence that the new address is verified (`None`: nothing
    /// vouches for it — a typed-in address proves nothing). Never cleared: the email is how
    /// people sign in and are reached.
    pub fn set_email(&mut self, email: String, source: &Source, evidence: Option<EmailEvidence>) -> &mut Self {
        self.record(RootAttribute::Email.as_str().to_string(), true, source);
        self.next.email_normalized = Some(normalize_address(&email));
        self.next.email = Some(email);
        self.evidence = Some(evidence);
        self
    }

    /// Re-derives `email_verified` for the current address from `evidence` (after an identity
    /// was linked or unlinked, or a provider stopped vouching).
    pub fn email_evidence(&mut self, evidence: Option<EmailEvidence>) -> &mut Self {
        self.evidence = Some(evidence);
        self
    }

    /// Sets (or, with `None`, removes) one `user_metadata` value.
    pub(crate) fn set_user_metadata(&mut self, key: &str, value: Option<Value>, source: &Source) -> &mut Self {
        let mut metadata = user_metadata(&self.next);
        match &value {
            Some(v) => metadata.insert(key.to_string(), v.clone()),
            None => metadata.remove(key),
        };
        self.next.user_metadata = Value::Object(metadata);
        self.record(metadata_provenance_key(key), value.is_some(), source);
        self
    }

    /// Replaces the whole `user_metadata` (the console's and the API's edits): changed keys are
    /// `source`'s word from now on, removed keys lose their provenance.
    pub fn replace_user_metadata(&mut self, next: Map<String, Value>, source: &Source) -> &mut Self {
        let before = user_metadata(&self.next);
        for (key, value) in &next {
            if before.get(key) != Some(value) {
                self.record(metadata_provenance_key(key), true, source);
            }
        }
        for key in before.keys().filter(|k| !next.contains_key(k.as_str())) {
            self.record(metadata_provenance_key(key), false, source);
        }
        self.next.user_metadata = Value::Object(next);
        self
    }

    /// Replaces `app_metadata` (admins and the API only; no provenance: it is the site's own).
    pub fn set_app_metadata(&mut self, value: Map<String, Value>) -> &mut Self {
        self.next.app_metadata = Value::Object(value);
        self
    }

    pub fn set_blocked(&mut self, blocked: bool) -> &mut Self {
        self.next.blocked = blocked;
        self
    }

    /// Makes a linked identity the one whose claims are the root attributes.
    pub fn set_primary_identity(&mut self, identity_id: i64) -> &mut Self {
        self.next.primary_identity_id = Some(identity_id);
        self
    }

    /// The profile as this write leaves it (derived values included), without writing it.
    fn finish(&self) -> users::Model {
        let mut next = self.next.clone();
        let mut provenance = self.provenance.clone();
        if let (false, Some(source)) = (self.name_set, &self.parts_source) {
            match name_following_parts(self.user.name.as_deref(), name_parts(self.user), name_parts(&next)) {
                Some(Some(name)) => {
                    provenance.insert(RootAttribute::Name.as_str().to_string(), json!({ "source": source, "at": self.now }));
                    next.name = Some(name);
                }
                Some(None) => {
                    provenance.remove(RootAttribute::Name.as_str());
                    next.name = None;
                }
                None => {}
            }
        }
        if let Some(evidence) = &self.evidence {
            // Evidence counts for exactly the stored address, never for another one.
            let evidence = evidence.as_ref().filter(|e| next.email.as_deref().is_some_and(|email| e.vouches_for(email)));
            next.email_verified = record_evidence(&mut provenance, evidence);
        }
        next.provenance = Value::Object(provenance);
        next
    }

    /// Writes the change if nobody wrote the profile since it was read (`users.version`), and
    /// returns the profile after it; [`StoreError::Conflict`] and nothing written otherwise. A
    /// write that changes nothing writes nothing.
    pub async fn commit(&self, db: &impl ConnectionTrait) -> Result<users::Model, StoreError> {
        let (before, now, mut next) = (self.user, self.now, self.finish());
        let mut update = users::Entity::update_many();
        let mut changed = false;
        macro_rules! column_if_changed {
            ($($field:ident => $column:ident),* $(,)?) => {$(
                if next.$field != before.$field {
                    update = update.col_expr(users::Column::$column, Expr::value(next.$field.clone()));
                    changed = true;
                }
            )*};
        }
        column_if_changed!(
            email => Email, email_normalized => EmailNormalized, email_verified => EmailVerified,
            name => Name, given_name => GivenName, family_name => FamilyName, nickname => Nickname,
            picture => Picture, locale => Locale, user_metadata => UserMetadata,
            app_metadata => AppMetadata, provenance => Provenance, blocked => Blocked,
            primary_identity_id => PrimaryIdentityId,
        );
        if !changed {
            return Ok(next);
        }
        next.version = before.version + 1;
        next.updated_at = now;
        let result = update
            .col_expr(users::Column::Version, Expr::value(next.version))
            .col_expr(users::Column::UpdatedAt, Expr::value(now))
            .filter(users::Column::Id.eq(&before.id))
            .filter(users::Column::Version.eq(before.version))
            .exec(db)
            .await?;
        if result.rows_affected == 0 {
            return Err(StoreError::Conflict);
        }
        // Blocked: every application's tokens for this person stop working now, not when
        // they expire (introspection says inactive, refresh is refused).
        if next.blocked && !before.blocked {
            crate::openid_provider::refresh::revoke_all_for_user(db, &UserId::from_stored(before.id.clone()), now).await?;
        }
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> users::Model {
        users::Model {
            id: "u-1".into(),
            email: Some("ada@example.com".into()),
            email_normalized: Some("ada@example.com".into()),
            email_verified: false,
            name: Some("Ada Lovelace".into()),
            given_name: Some("Ada".into()),
            family_name: Some("Lovelace".into()),
            nickname: None,
            picture: None,
            locale: None,
            user_metadata: json!({"company": "Analytical"}),
            app_metadata: json!({}),
            provenance: json!({}),
            logins_count: 1,
            last_login: None,
            last_ip: None,
            blocked: false,
            is_admin: false,
            primary_identity_id: None,
            version: 4,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn email_and_email_verified_are_not_text_attributes() {
        assert!(TextAttribute::try_from(RootAttribute::Email).is_err());
        assert!(TextAttribute::try_from(RootAttribute::EmailVerified).is_err());
        for attr in RootAttribute::ALL {
            if let Ok(text) = TextAttribute::try_from(attr) {
                assert_eq!(text.attribute(), attr);
            }
        }
    }

    #[test]
    fn root_values_leave_out_email_verified_and_missing_values() {
        let mut u = user();
        u.email_verified = true;
        let values = root_values(&u);
        assert_eq!(values.get(&RootAttribute::GivenName), Some(&json!("Ada")));
        assert!(!values.contains_key(&RootAttribute::EmailVerified));
        assert!(!values.contains_key(&RootAttribute::Nickname));
        assert_eq!(root_value(&u, RootAttribute::EmailVerified), Some(json!(true)));
    }

    #[test]
    fn editing_a_first_name_updates_the_name_made_from_it() {
        let u = user();
        let mut w = ProfileWrite::new(&u, Utc::now());
        w.set_text(TextAttribute::GivenName, Some("Augusta".into()), &Source::User);
        let next = w.finish();
        assert_eq!(next.name.as_deref(), Some("Augusta Lovelace"));
        assert_eq!(next.provenance["name"]["source"], "user");
    }

    #[test]
    fn a_name_set_in_the_same_write_wins_over_the_derivation() {
        let u = user();
        let mut w = ProfileWrite::new(&u, Utc::now());
        let google = Source::Claim { connection: "google".into(), claim: "name".into() };
        w.set_text(TextAttribute::GivenName, Some("Augusta".into()), &google);
        w.set_text(TextAttribute::Name, Some("Augusta Ada King".into()), &google);
        assert_eq!(w.finish().name.as_deref(), Some("Augusta Ada King"));
    }

    #[test]
    fn evidence_for_another_address_never_verifies_the_email() {
        let u = user();
        let mut w = ProfileWrite::new(&u, Utc::now());
        let google = Source::Claim { connection: "google".into(), claim: "email_verified".into() };
        w.email_evidence(Some(EmailEvidence::new("stranger@example.net", google.clone(), Utc::now())));
        let next = w.finish();
        assert!(!next.email_verified);
        assert!(next.provenance.get("email_verified").is_none());

        let mut w = ProfileWrite::new(&u, Utc::now());
        w.set_email("Ada@Work.example".into(), &Source::User, Some(EmailEvidence::new("ada@work.example", google, Utc::now())));
        let next = w.finish();
        assert!(next.email_verified);
        assert_eq!(next.email_normalized.as_deref(), Some("ada@work.example"));
        assert_eq!(next.provenance["email_verified"]["address"], "ada@work.example");
    }

    #[test]
    fn replacing_metadata_records_changed_keys_and_forgets_removed_ones() {
        let mut u = user();
        u.provenance = json!({"user_metadata.company": {"source": "user", "at": Utc::now()}});
        let mut w = ProfileWrite::new(&u, Utc::now());
        w.replace_user_metadata(json!({"plan": "pro"}).as_object().cloned().unwrap_or_default(), &Source::Api);
        let next = w.finish();
        assert_eq!(next.user_metadata, json!({"plan": "pro"}));
        assert_eq!(next.provenance["user_metadata.plan"]["source"], "api");
        assert!(next.provenance.get("user_metadata.company").is_none());
    }
}
