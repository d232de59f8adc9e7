//! Who is an admin. A privilege is granted only on evidence the account itself holds:
//!
//! - an email named in `askonce.toml` (`admins = [...]`) counts only while that exact address
//!   is the account's email *and* vouched for ([`email_vouched`]: verified, by more than a link
//!   AskOnce emailed), so an unverified look-alike with the owner's address gets nothing;
//! - `askonce admin grant` flags one account: by email only when exactly one account has that
//!   address and it is verified, otherwise by its user id (an explicit grant to one account).
//!
//! The console uses this module; it never decides roles itself.

use domain::user_id::UserId;

use std::{collections::BTreeSet, sync::Arc};

/// Emails named as admins in the configuration, normalized.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfiguredAdmins(Arc<BTreeSet<String>>);

impl ConfiguredAdmins {
    pub fn new<'a>(emails: impl IntoIterator<Item = &'a crate::profile::Email>) -> Self {
        Self(Arc::new(emails.into_iter().map(crate::profile::Email::normalized).collect()))
    }

    pub fn contains(&self, email_normalized: &str) -> bool {
        self.0.contains(email_normalized)
    }
}

/// Whether `user`'s email counts as the owner's for admin purposes: verified by a provider's
/// word or the site's import — not only by a link AskOnce emailed, nor by an API token or a
/// console edit. Anyone may sign up with the owner's address and a password of their own; if
/// the owner then opened the verification message they never asked for, a link-verified
/// address would hand the console to whoever holds that password. And a token allowed to
/// edit users (`update:users`, `create:users`) must not be able to make an account the
/// owner's by saying its address is verified. A provider's word (or the site's import) is
/// about the person signing in; the others are not.
pub fn email_vouched(user: &crate::entities::users::Model) -> bool {
    let source = user
        .provenance
        .get(crate::profile::verification::PROVENANCE_KEY)
        .and_then(|r| r.get("source"))
        .and_then(|s| s.as_str())
        .and_then(|s| s.parse::<crate::profile::Source>().ok());
    user.email_verified && matches!(source, Some(crate::profile::Source::Claim { .. } | crate::profile::Source::Import))
}

/// Whether a user is an admin: explicitly granted, or a configured address that is vouched
/// for on this account (`email_verified` here: [`email_vouched`]).
pub fn is_admin(flagged: bool, email_normalized: Option<&str>, email_verified: bool, configured: &ConfiguredAdmins) -> bool {
    flagged || (email_verified && email_normalized.is_some_and(|e| configured.contains(e)))
}

/// Whether account `user_id` is a site owner (granted, or a configured address vouched for).
/// The management API does not change an owner's name, email or sign-in accounts: a token
/// must never be a way into the console.
pub async fn account_is_admin(
    db: &sea_orm::DatabaseConnection,
    admins: &ConfiguredAdmins,
    user_id: &UserId,
) -> Result<bool, sea_orm::DbErr> {
    Ok(crate::profile::store::load(db, user_id)
        .await?
        .is_some_and(|u| is_admin(u.is_admin, u.email_normalized.as_deref(), email_vouched(&u), admins)))
}

/// An account `admin grant` could mean, as the refusal lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountCandidate {
    pub user_id: UserId,
    pub connections: Vec<String>,
    /// The address is vouched for on this account ([`email_vouched`]), not just verified.
    pub email_verified: bool,
}

/// Which account(s) a grant or revoke is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountRef {
    Email(String),
    UserId(UserId),
}

#[derive(Debug, thiserror::Error)]
pub enum GrantError {
    #[error("no account has the email {0}; they must sign in once first")]
    NoAccount(String),
    #[error("no account has the id {0}")]
    NoSuchUser(UserId),
    #[error("{email} is not a verified address of exactly one account, so it proves nothing; grant by user id (`--user <id>`) to the account you mean:\n{}", list(.candidates))]
    NotProven { email: String, candidates: Vec<AccountCandidate> },
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

fn list(candidates: &[AccountCandidate]) -> String {
    candidates
        .iter()
        .map(|c| {
            let verified = if c.email_verified { "verified by a provider" } else { "not verified by a provider" };
            format!("  {}  {}  ({verified})", c.user_id, c.connections.join(", "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The one account a grant by email may flag: the only account with that address, verified.
pub(crate) fn grantee_by_email(candidates: &[AccountCandidate]) -> Option<&AccountCandidate> {
    match candidates {
        [only] if only.email_verified => Some(only),
        _ => None,
    }
}

pub mod ssr {
    use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

    use super::{grantee_by_email, AccountCandidate, AccountRef, GrantError, UserId};
    use crate::entities::{identities, users};

    /// The accounts whose email is `email` (any case), with their connections.
    pub async fn accounts_with_email(db: &impl ConnectionTrait, email: &str) -> Result<Vec<AccountCandidate>, sea_orm::DbErr> {
        let normalized = crate::profile::verification::normalize_address(email);
        let rows = users::Entity::find()
            .filter(users::Column::EmailNormalized.eq(normalized))
            .order_by_asc(users::Column::CreatedAt)
            .find_with_related(identities::Entity)
            .all(db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(u, ids)| AccountCandidate {
                email_verified: super::email_vouched(&u),
                user_id: UserId::from_stored(u.id),
                connections: ids.into_iter().map(|i| i.connection).collect(),
            })
            .collect())
    }

    /// Flags one account admin; the account's id. Refuses a grant by an email that does not
    /// prove one account (none, several, or unverified), listing the accounts it could mean.
    pub async fn grant(db: &sea_orm::DatabaseConnection, who: &AccountRef, actor: crate::audit::Actor<'_>) -> Result<UserId, GrantError> {
        let user_id = match who {
            AccountRef::UserId(id) => id.clone(),
            AccountRef::Email(email) => {
                let candidates = accounts_with_email(db, email).await?;
                if candidates.is_empty() {
                    return Err(GrantError::NoAccount(email.clone()));
                }
                match grantee_by_email(&candidates) {
                    Some(c) => c.user_id.clone(),
                    None => return Err(GrantError::NotProven { email: email.clone(), candidates }),
                }
            }
        };
        // The flag and its audit entry in one transaction: neither is kept without the other.
        let txn = crate::db::begin_write(db).await?;
        if crate::profile::store::set_admin_flag(&txn, &user_id, true).await? == 0 {
            return Err(GrantError::NoSuchUser(user_id));
        }
        crate::audit::record(&txn, actor, crate::audit::Action::AdminGranted, Some(&user_id), serde_json::json!({})).await?;
        txn.commit().await?;
        Ok(user_id)
    }

    /// Clears the admin flag: of the one account (by id), or of every account with the email
    /// (taking a privilege away needs no proof). How many accounts lost it.
    pub async fn revoke(db: &sea_orm::DatabaseConnection, who: &AccountRef, actor: crate::audit::Actor<'_>) -> Result<u64, GrantError> {
        let ids = match who {
            AccountRef::UserId(id) => vec![id.clone()],
            AccountRef::Email(email) => accounts_with_email(db, email).await?.into_iter().map(|c| c.user_id).collect(),
        };
        let txn = crate::db::begin_write(db).await?;
        let mut changed = 0;
        for id in &ids {
            if crate::profile::store::set_admin_flag(&txn, id, false).await? > 0 {
                crate::audit::record(&txn, actor, crate::audit::Action::AdminRevoked, Some(id), serde_json::json!({})).await?;
                changed += 1;
            }
        }
        txn.commit().await?;
        Ok(changed)
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::{auth::accounts::sign_up_with_password, profile::Email};

        async fn flagged(db: &sea_orm::DatabaseConnection, id: &str) -> bool {
            users::Entity::find_by_id(id.to_string()).one(db).await.unwrap().unwrap().is_admin
        }

        crate::db_test!(a_grant_by_an_unverified_email_is_refused_and_lists_the_account, |db| {
            let user = sign_up_with_password(db, &Email::parse("Owner@Example.com").unwrap(), "a long passphrase".into()).await.unwrap();
            let err = grant(db, &AccountRef::Email("owner@example.com".into()), crate::audit::Actor::Cli).await.unwrap_err();
            match err {
                GrantError::NotProven { candidates, .. } => {
                    assert_eq!(candidates.len(), 1);
                    assert_eq!(candidates[0].user_id, user.id);
                    assert!(!candidates[0].email_verified);
                }
                other => panic!("{other}"),
            }
            assert!(!flagged(db, &user.id).await);
            // An explicit grant to the one account works, and revoking by email clears it.
            grant(db, &AccountRef::UserId(user.user_id()), crate::audit::Actor::Cli).await.unwrap();
            assert!(flagged(db, &user.id).await);
            assert_eq!(revoke(db, &AccountRef::Email("OWNER@example.com".into()), crate::audit::Actor::Cli).await.unwrap(), 1);
            assert!(!flagged(db, &user.id).await);
            assert!(matches!(
                grant(db, &AccountRef::Email("nobody@example.com".into()), crate::audit::Actor::Cli).await,
                Err(GrantError::NoAccount(_))
            ));
            assert!(matches!(
                grant(db, &AccountRef::UserId(UserId::from_stored("nobody")), crate::audit::Actor::Cli).await,
                Err(GrantError::NoSuchUser(_))
            ));
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configured_email_counts_only_when_verified() {
        let configured = ConfiguredAdmins::new(&[crate::profile::Email::parse(" Owner@Example.com ").unwrap()]);
        assert!(is_admin(false, Some("owner@example.com"), true, &configured));
        assert!(!is_admin(false, Some("owner@example.com"), false, &configured), "unverified");
        assert!(!is_admin(false, Some("other@example.com"), true, &configured));
        assert!(!is_admin(false, None, true, &configured));
        assert!(is_admin(true, None, false, &configured), "granted in the database");
    }

    fn candidate(id: &str, verified: bool) -> AccountCandidate {
        AccountCandidate { user_id: UserId::from_stored(id), connections: vec!["google".into()], email_verified: verified }
    }

    #[test]
    fn a_grant_by_email_needs_exactly_one_verified_account() {
        assert_eq!(grantee_by_email(&[candidate("a", true)]).map(|c| c.user_id.as_str()), Some("a"));
        assert_eq!(grantee_by_email(&[candidate("a", false)]), None);
        assert_eq!(grantee_by_email(&[candidate("a", true), candidate("b", false)]), None, "look-alikes make it ambiguous");
        assert_eq!(grantee_by_email(&[]), None);
    }
}
