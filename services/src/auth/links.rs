//! The emailed links' table: issuing, checking and redeeming single-use tokens (what a link
//! is for and why one is refused are `domain::auth::links`).
//!
//! A token is 32 random bytes, written into the link as hex; the database keeps only its
//! SHA-256 (`account_tokens.token_hash`), so a leaked database or backup opens no account. A
//! link works once ([`redeem`] marks it used in the same statement that checks it was not),
//! until it expires, and only for what it was made for. Issuing a new link of one kind
//! retires the person's earlier ones of that kind: only the newest message works.

pub use domain::auth::links::*;
pub use store::{check, issue, prune};
pub(crate) use store::{may_send, redeem, retire_all};

/// A link's message is about its purpose.
impl From<Purpose> for crate::email::Kind {
    fn from(purpose: Purpose) -> Self {
        match purpose {
            Purpose::VerifyEmail => crate::email::Kind::VerifyEmail,
            Purpose::ResetPassword => crate::email::Kind::ResetPassword,
            Purpose::ChangeEmail => crate::email::Kind::ChangeEmail,
            Purpose::Invite => crate::email::Kind::Invite,
        }
    }
}

/// The links' table.
mod store {
    use chrono::{DateTime, Duration, Utc};
    use domain::user_id::UserId;
    use password_hash::rand_core::{OsRng, RngCore};
    use sea_orm::{
        sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, Set,
    };
    use sha2::{Digest, Sha256};

    use super::{IssuedLink, LinkRefused, Purpose};
    use crate::entities::account_tokens;

    fn hash(token: &str) -> String {
        hex::encode(Sha256::digest(token.as_bytes()))
    }

    fn new_token() -> String {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        hex::encode(bytes)
    }

    /// Makes a link of `purpose` for `user_id`, sent to `email`, and retires their earlier
    /// unused links of that kind. Call it in the transaction that queues the message.
    #[tracing::instrument(skip(db, email))]
    pub async fn issue(
        db: &impl ConnectionTrait,
        user_id: &UserId,
        purpose: Purpose,
        email: &str,
        now: DateTime<Utc>,
    ) -> Result<IssuedLink, DbErr> {
        account_tokens::Entity::update_many()
            .col_expr(account_tokens::Column::UsedAt, Expr::value(now))
            .filter(account_tokens::Column::UserId.eq(user_id.as_str()))
            .filter(account_tokens::Column::Purpose.eq(purpose.as_str()))
            .filter(account_tokens::Column::UsedAt.is_null())
            .exec(db)
            .await?;
        let token = new_token();
        let expires_at = now + purpose.valid_for();
        let row = account_tokens::ActiveModel {
            user_id: Set(user_id.to_string()),
            purpose: Set(purpose.as_str().to_string()),
            token_hash: Set(hash(&token)),
            email: Set(email.to_string()),
            created_at: Set(now),
            expires_at: Set(expires_at),
            used_at: Set(None),
            ..Default::default()
        }
        .insert(db)
        .await?;
        let path = format!("{}?token={token}", purpose.path());
        Ok(IssuedLink { id: row.id, token, path, expires_at })
    }

    /// The link `token` stands for, if it still works — without using it (the reset page shows
    /// its form only for a working link).
    pub async fn check(
        db: &impl ConnectionTrait,
        purpose: Purpose,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Result<account_tokens::Model, LinkRefused>, DbErr> {
        let row = account_tokens::Entity::find()
            .filter(account_tokens::Column::TokenHash.eq(hash(token.trim())))
            .filter(account_tokens::Column::Purpose.eq(purpose.as_str()))
            .one(db)
            .await?;
        Ok(match row {
            None => Err(LinkRefused::Invalid),
            Some(row) if row.used_at.is_some() => Err(LinkRefused::Used),
            Some(row) if row.expires_at <= now => Err(LinkRefused::Expired),
            Some(row) => Ok(row),
        })
    }

    /// Uses the link `token` stands for: `Ok` once, for the first caller only (two clicks racing
    /// get one success), and never after it expired.
    #[tracing::instrument(skip(db, token))]
    pub(crate) async fn redeem(
        db: &impl ConnectionTrait,
        purpose: Purpose,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Result<account_tokens::Model, LinkRefused>, DbErr> {
        let row = match check(db, purpose, token, now).await? {
            Ok(row) => row,
            Err(refused) => return Ok(Err(refused)),
        };
        let taken = account_tokens::Entity::update_many()
            .col_expr(account_tokens::Column::UsedAt, Expr::value(now))
            .filter(account_tokens::Column::Id.eq(row.id))
            .filter(account_tokens::Column::UsedAt.is_null())
            .exec(db)
            .await?;
        if taken.rows_affected == 0 {
            return Ok(Err(LinkRefused::Used));
        }
        Ok(Ok(account_tokens::Model { used_at: Some(now), ..row }))
    }

    /// How many links of `purpose` `user_id` was sent since `since` (the per-address throttle).
    pub(crate) async fn issued_since(
        db: &impl ConnectionTrait,
        user_id: &UserId,
        purpose: Purpose,
        since: DateTime<Utc>,
    ) -> Result<u64, DbErr> {
        account_tokens::Entity::find()
            .filter(account_tokens::Column::UserId.eq(user_id.as_str()))
            .filter(account_tokens::Column::Purpose.eq(purpose.as_str()))
            .filter(account_tokens::Column::CreatedAt.gt(since))
            .count(db)
            .await
    }

    /// Whether `user_id` may be sent another link of `purpose` now. Call it in the write
    /// transaction that issues the link: it locks the account's row first (PostgreSQL; SQLite's
    /// write transaction is already exclusive), so requests racing each other count one
    /// another's links instead of all seeing room for one more.
    pub(crate) async fn may_send(db: &impl ConnectionTrait, user_id: &UserId, purpose: Purpose, now: DateTime<Utc>) -> Result<bool, DbErr> {
        crate::entities::users::Entity::find_by_id(user_id.to_string()).lock_exclusive().one(db).await?;
        Ok(issued_since(db, user_id, purpose, now - Duration::hours(1)).await? < Purpose::PER_HOUR)
    }

    /// Retires every unused link of `user_id`, of any kind: after the password or the address
    /// changed, a link sent before (a change of email someone else asked for, a reset link to
    /// the old address) must not work any more.
    pub(crate) async fn retire_all(db: &impl ConnectionTrait, user_id: &UserId, now: DateTime<Utc>) -> Result<u64, DbErr> {
        let retired = account_tokens::Entity::update_many()
            .col_expr(account_tokens::Column::UsedAt, Expr::value(now))
            .filter(account_tokens::Column::UserId.eq(user_id.as_str()))
            .filter(account_tokens::Column::UsedAt.is_null())
            .exec(db)
            .await?;
        Ok(retired.rows_affected)
    }

    /// Deletes links that expired before `cutoff`: they can only be refused, and the hourly
    /// limit looks back one hour.
    pub async fn prune(db: &impl ConnectionTrait, cutoff: DateTime<Utc>) -> Result<u64, DbErr> {
        Ok(account_tokens::Entity::delete_many().filter(account_tokens::Column::ExpiresAt.lt(cutoff)).exec(db).await?.rows_affected)
    }
}

/// What the tests of the emailed flows share: the site the messages speak for, and the token
/// of the newest queued message's link.
#[cfg(test)]
pub(crate) mod test_links {
    pub(crate) fn site() -> crate::email::templates::Site {
        crate::email::templates::Site::new("AskOnce", "https://login.example.com")
    }

    pub(crate) async fn token_in_last_message(db: &sea_orm::DatabaseConnection) -> String {
        let message = crate::email::outbox::recent(db, 1).await.unwrap().remove(0);
        let start = message.body_text.find("token=").unwrap() + "token=".len();
        message.body_text[start..start + 64].to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{auth::accounts::sign_up_with_password, entities::account_tokens, profile::Email};
    use chrono::{Duration, Utc};
    use sea_orm::EntityTrait;

    async fn ada(db: &sea_orm::DatabaseConnection) -> String {
        sign_up_with_password(db, &Email::parse("ada@example.com").unwrap(), "a long passphrase".into()).await.unwrap().id
    }

    crate::db_test!(a_link_works_once_and_only_for_its_purpose, |db| {
        let user = ada(db).await;
        let now = Utc::now();
        let link =
            issue(db, &domain::user_id::UserId::from_stored(user.clone()), Purpose::ResetPassword, "ada@example.com", now).await.unwrap();
        assert_eq!(link.path, format!("/reset-password?token={}", link.token));
        assert_eq!(link.token.len(), 64);
        assert_eq!(redeem(db, Purpose::VerifyEmail, &link.token, now).await.unwrap(), Err(LinkRefused::Invalid), "another purpose");
        let used = redeem(db, Purpose::ResetPassword, &link.token, now).await.unwrap().unwrap();
        assert_eq!((used.user_id.as_str(), used.email.as_str()), (user.as_str(), "ada@example.com"));
        assert_eq!(redeem(db, Purpose::ResetPassword, &link.token, now).await.unwrap(), Err(LinkRefused::Used));
    });

    crate::db_test!(expired_and_tampered_links_are_refused, |db| {
        let user = ada(db).await;
        let now = Utc::now();
        let link =
            issue(db, &domain::user_id::UserId::from_stored(user.clone()), Purpose::VerifyEmail, "ada@example.com", now).await.unwrap();
        let mut tampered = link.token.clone();
        tampered.replace_range(0..1, if tampered.starts_with('0') { "1" } else { "0" });
        assert_eq!(redeem(db, Purpose::VerifyEmail, &tampered, now).await.unwrap(), Err(LinkRefused::Invalid));
        let later = now + Purpose::VerifyEmail.valid_for();
        assert_eq!(check(db, Purpose::VerifyEmail, &link.token, later).await.unwrap(), Err(LinkRefused::Expired));
        assert_eq!(redeem(db, Purpose::VerifyEmail, &link.token, later).await.unwrap(), Err(LinkRefused::Expired));
        assert!(check(db, Purpose::VerifyEmail, &link.token, now).await.unwrap().is_ok(), "checking does not use it");
    });

    crate::db_test!(the_database_holds_only_a_hash_of_the_token, |db| {
        let user = ada(db).await;
        let link = issue(db, &domain::user_id::UserId::from_stored(user.clone()), Purpose::ResetPassword, "ada@example.com", Utc::now())
            .await
            .unwrap();
        let row = account_tokens::Entity::find_by_id(link.id).one(db).await.unwrap().unwrap();
        assert_ne!(row.token_hash, link.token);
        assert!(!row.token_hash.contains(&link.token[..16]));
    });

    crate::db_test!(a_new_link_retires_the_earlier_ones_and_sending_is_limited_per_hour, |db| {
        let user = ada(db).await;
        let now = Utc::now();
        let first =
            issue(db, &domain::user_id::UserId::from_stored(user.clone()), Purpose::ResetPassword, "ada@example.com", now).await.unwrap();
        let second =
            issue(db, &domain::user_id::UserId::from_stored(user.clone()), Purpose::ResetPassword, "ada@example.com", now).await.unwrap();
        assert_eq!(redeem(db, Purpose::ResetPassword, &first.token, now).await.unwrap(), Err(LinkRefused::Used));
        assert!(may_send(db, &domain::user_id::UserId::from_stored(user.clone()), Purpose::ResetPassword, now).await.unwrap());
        issue(db, &domain::user_id::UserId::from_stored(user.clone()), Purpose::ResetPassword, "ada@example.com", now).await.unwrap();
        assert!(
            !may_send(db, &domain::user_id::UserId::from_stored(user.clone()), Purpose::ResetPassword, now).await.unwrap(),
            "three in the hour"
        );
        assert!(
            may_send(db, &domain::user_id::UserId::from_stored(user.clone()), Purpose::VerifyEmail, now).await.unwrap(),
            "counted per purpose"
        );
        assert!(may_send(db, &domain::user_id::UserId::from_stored(user.clone()), Purpose::ResetPassword, now + Duration::minutes(61))
            .await
            .unwrap());
        assert_eq!(redeem(db, Purpose::ResetPassword, &second.token, now).await.unwrap(), Err(LinkRefused::Used));
    });
}
