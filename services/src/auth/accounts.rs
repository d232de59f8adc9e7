//! Local accounts and logins: sign up and sign in with email + password, and
//! the bookkeeping every successful login does.

use domain::user_id::UserId;

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set};
use serde_json::json;

use super::password::{self as hashing, check_new_password, PasswordProblem};
use crate::identity::PASSWORD_CONNECTION;
use crate::{
    entities::{identities, password_credentials, users},
    identity::{normalize, ProviderKind},
    profile::{
        store::{self, NewProfile, ProfileWrite, StoreError, TextAttribute},
        Email, Source,
    },
};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// One answer for unknown email and wrong password, so nobody can probe for accounts.
    #[error("Wrong email or password.")]
    InvalidCredentials,
    #[error("An account with this email already exists. Sign in instead.")]
    EmailTaken,
    #[error("This account is blocked. Contact the site owner.")]
    Blocked,
    #[error("{0}")]
    WeakPassword(#[from] PasswordProblem),
    /// An emailed link that does not work (expired, used, tampered with).
    #[error("{0}")]
    Link(#[from] super::links::LinkRefused),
    #[error("That is already your email address.")]
    SameEmail,
    /// The email comes from a provider that overwrites it at each sign-in.
    #[error("{0}")]
    EmailLocked(String),
    /// Too many messages of one kind asked for within the hour.
    #[error("We sent you a link a few minutes ago. Check your inbox (and spam folder), or try again in an hour.")]
    TooManyEmails,
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hash(#[from] hashing::HashError),
}

/// What the person is told.
impl From<AccountError> for crate::error::ServiceError {
    fn from(err: AccountError) -> Self {
        use crate::error::{internal, ServiceError};
        use AccountError as E;
        match err {
            E::InvalidCredentials | E::WeakPassword(_) | E::Link(_) | E::SameEmail => ServiceError::BadRequest(err.to_string()),
            E::EmailTaken => ServiceError::Conflict(err.to_string()),
            E::EmailLocked(_) => ServiceError::Refused(err.to_string()),
            E::TooManyEmails => ServiceError::TooManyAttempts { message: err.to_string(), retry_after_secs: 3600 },
            E::Blocked => ServiceError::Refused(err.to_string()),
            E::Db(e) => internal("account database error", e),
            E::Store(e) => internal("account store error", e),
            E::Hash(e) => internal("password hashing error", e),
        }
    }
}

impl store::WriteRace for AccountError {
    fn lost_race(&self) -> bool {
        matches!(self, AccountError::Store(StoreError::Conflict))
    }
}

/// Creates a user with a local password identity. `email_verified` stays false.
#[tracing::instrument(skip(db, password), fields(email = %email))]
pub async fn sign_up_with_password(db: &DatabaseConnection, email: &Email, password: String) -> Result<users::Model, AccountError> {
    check_new_password(&password, email.as_str())?;
    let normalized = email.normalized();
    if find_credential(db, &normalized).await?.is_some() {
        return Err(AccountError::EmailTaken);
    }
    let hash = hashing::hash_password(password).await?;
    let now = Utc::now();
    let new = NewProfile { created_at: now, ..NewProfile::now() };
    let user_id = new.id.clone();
    let raw = json!({ "email": email.as_str() });
    let attrs = normalize(ProviderKind::Password, &raw);

    let txn = crate::db::begin_write(db).await?;
    let empty = store::insert_empty(&txn, new).await?;
    let source = |claim: &str| Source::Claim { connection: PASSWORD_CONNECTION.to_string(), claim: claim.to_string() };
    let mut write = ProfileWrite::new(&empty, now);
    // A typed-in address proves nothing: unverified until a link sent to it is opened.
    write.set_email(email.as_str().to_string(), &source("email"), None);
    write.set_text(TextAttribute::Name, attrs.name.clone(), &source("name"));
    write.set_text(TextAttribute::Nickname, attrs.nickname.clone(), &source("nickname"));
    let user = write.commit(&txn).await?;
    if let Err(err) = insert_password_login(&txn, &domain::user_id::UserId::from_stored(user_id.clone()), email, raw, hash, now).await {
        let _ = txn.rollback().await;
        return Err(err);
    }
    txn.commit().await?;
    Ok(user)
}

/// The email-and-password sign-in of a new account: its identity and its password (`hash`:
/// argon2id, or a stand-in no password matches). Two accounts racing for one address: the
/// unique index decides, and the loser is told `EmailTaken`; the caller rolls back.
pub async fn insert_password_login(
    txn: &impl sea_orm::ConnectionTrait,
    user_id: &UserId,
    email: &Email,
    profile_data: serde_json::Value,
    hash: String,
    now: chrono::DateTime<Utc>,
) -> Result<(), AccountError> {
    identities::ActiveModel {
        user_id: Set(user_id.to_string()),
        connection: Set(PASSWORD_CONNECTION.to_string()),
        provider: Set(ProviderKind::Password.provider_name().to_string()),
        subject: Set(user_id.to_string()),
        is_social: Set(false),
        profile_data: Set(profile_data),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let inserted = password_credentials::ActiveModel {
        user_id: Set(user_id.to_string()),
        email_normalized: Set(email.normalized()),
        password_hash: Set(hash),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(txn)
    .await;
    match inserted {
        Ok(_) => Ok(()),
        Err(err) => Err(match err.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => AccountError::EmailTaken,
            _ => AccountError::Db(err),
        }),
    }
}

/// Checks email + password. Unknown emails cost the same hashing work as wrong passwords.
// Not the typed email either: people type their password into that box by mistake.
#[tracing::instrument(skip_all)]
pub async fn sign_in_with_password(db: &DatabaseConnection, email: &str, password: String) -> Result<users::Model, AccountError> {
    let Ok(email) = Email::parse(email) else {
        hashing::verify_against_dummy(password).await?;
        return Err(AccountError::InvalidCredentials);
    };
    let Some(credential) = find_credential(db, &email.normalized()).await? else {
        hashing::verify_against_dummy(password).await?;
        return Err(AccountError::InvalidCredentials);
    };
    if !hashing::verify_password(password.clone(), credential.password_hash.clone()).await? {
        return Err(AccountError::InvalidCredentials);
    }
    if crate::auth::imported_hash::needs_rehash(&credential.password_hash) {
        rehash(db, &credential, password).await;
    }
    let user = users::Entity::find_by_id(credential.user_id.clone()).one(db).await?.ok_or(AccountError::InvalidCredentials)?;
    if user.blocked {
        return Err(AccountError::Blocked);
    }
    Ok(user)
}

/// Replaces a hash imported from elsewhere by this app's own (argon2id) once its password is
/// known to be right. Only if it is still the one verified (a password change meanwhile
/// wins); a failure is logged and tried again at the next sign-in.
async fn rehash(db: &DatabaseConnection, credential: &password_credentials::Model, password: String) {
    let result = async {
        let hash = hashing::hash_password(password).await.map_err(|e| DbErr::Custom(e.to_string()))?;
        password_credentials::Entity::update_many()
            .col_expr(password_credentials::Column::PasswordHash, sea_orm::sea_query::Expr::value(hash))
            .col_expr(password_credentials::Column::UpdatedAt, sea_orm::sea_query::Expr::value(Utc::now()))
            .filter(password_credentials::Column::UserId.eq(credential.user_id.as_str()))
            .filter(password_credentials::Column::PasswordHash.eq(credential.password_hash.as_str()))
            .exec(db)
            .await
    }
    .await;
    match result {
        Ok(_) => tracing::info!(user_id = %credential.user_id, "an imported password hash was replaced by argon2id"),
        Err(e) => tracing::error!(user_id = %credential.user_id, error = %e, "replacing an imported password hash failed"),
    }
}

/// The password of `user_id`, if the account has one (provider-only accounts do not): for
/// re-authentication, which checks the failure limit before verifying.
pub async fn own_password(db: &DatabaseConnection, user_id: &UserId) -> Result<Option<password_credentials::Model>, DbErr> {
    password_credentials::Entity::find_by_id(user_id.to_string()).one(db).await
}

/// The account a login form's `email` names, if it has a password (to record a refused
/// sign-in in that account's activity).
pub async fn account_for_login(db: &DatabaseConnection, email: &str) -> Result<Option<UserId>, DbErr> {
    let Ok(email) = Email::parse(email) else { return Ok(None) };
    Ok(find_credential(db, &email.normalized()).await?.map(|c| UserId::from_stored(c.user_id)))
}

async fn find_credential(db: &DatabaseConnection, email_normalized: &str) -> Result<Option<password_credentials::Model>, DbErr> {
    password_credentials::Entity::find().filter(password_credentials::Column::EmailNormalized.eq(email_normalized)).one(db).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::store::record_login;
    use sea_orm::PaginatorTrait;

    fn email(s: &str) -> Email {
        Email::parse(s).unwrap()
    }

    crate::db_test!(sign_up_creates_an_unverified_user_with_a_password_identity, |db| {
        let user = sign_up_with_password(db, &email("Ada@Example.com"), "a long passphrase".into()).await.unwrap();
        assert_eq!(user.email.as_deref(), Some("Ada@Example.com"));
        assert!(!user.email_verified);
        assert_eq!(user.nickname.as_deref(), Some("Ada"));
        let ids = identities::Entity::find().all(db).await.unwrap();
        assert_eq!(ids.len(), 1);
        assert_eq!(ids[0].connection, PASSWORD_CONNECTION);
        assert_eq!(ids[0].subject, user.id);
        assert_eq!(user.provenance["email"]["source"], format!("claim:{PASSWORD_CONNECTION}:email"));
    });

    crate::db_test!(the_same_email_cannot_sign_up_twice_in_any_case, |db| {
        sign_up_with_password(db, &email("ada@example.com"), "a long passphrase".into()).await.unwrap();
        let again = sign_up_with_password(db, &email("ADA@example.com"), "another passphrase".into()).await;
        assert!(matches!(again, Err(AccountError::EmailTaken)));
        assert_eq!(users::Entity::find().count(db).await.unwrap(), 1);
    });

    crate::db_test!(weak_passwords_are_refused_and_nothing_is_saved, |db| {
        let result = sign_up_with_password(db, &email("ada@example.com"), "short".into()).await;
        assert!(matches!(result, Err(AccountError::WeakPassword(PasswordProblem::TooShort(8)))));
        assert_eq!(users::Entity::find().count(db).await.unwrap(), 0);
    });

    crate::db_test!(sign_in_gives_one_answer_for_unknown_email_and_wrong_password, |db| {
        sign_up_with_password(db, &email("ada@example.com"), "a long passphrase".into()).await.unwrap();
        let ok = sign_in_with_password(db, "ADA@example.com", "a long passphrase".into()).await;
        assert!(ok.is_ok());
        let wrong = sign_in_with_password(db, "ada@example.com", "not the passphrase".into()).await.unwrap_err();
        let unknown = sign_in_with_password(db, "bob@example.com", "a long passphrase".into()).await.unwrap_err();
        assert!(matches!(wrong, AccountError::InvalidCredentials));
        assert!(matches!(unknown, AccountError::InvalidCredentials));
        assert_eq!(wrong.to_string(), unknown.to_string());
    });

    crate::db_test!(blocked_users_cannot_sign_in, |db| {
        let user = sign_up_with_password(db, &email("ada@example.com"), "a long passphrase".into()).await.unwrap();
        let mut active: users::ActiveModel = user.into();
        active.blocked = Set(true);
        active.update(db).await.unwrap();
        let result = sign_in_with_password(db, "ada@example.com", "a long passphrase".into()).await;
        assert!(matches!(result, Err(AccountError::Blocked)));
    });

    crate::db_test!(concurrent_logins_are_all_counted, |db| {
        let user = sign_up_with_password(db, &email("ada@example.com"), "a long passphrase".into()).await.unwrap();
        let mut tasks = Vec::new();
        for _ in 0..5 {
            let db = db.clone();
            let id = user.id.clone();
            tasks.push(tokio::spawn(async move {
                record_login(&db, &domain::user_id::UserId::from_stored(id.clone()), Some("127.0.0.1".into())).await
            }));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        let after = users::Entity::find_by_id(user.id).one(db).await.unwrap().unwrap();
        assert_eq!(after.logins_count, 5);
        assert_eq!(after.last_ip.as_deref(), Some("127.0.0.1"));
        assert!(after.last_login.is_some());
    });
}
