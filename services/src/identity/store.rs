//! Login-time identity upsert: find the identity by (connection, sub) — never
//! by email — create the user on first sight, link to a signed-in user on request, and copy
//! the provider's normalized values onto the profile as the connection's policy allows.

use domain::user_id::UserId;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::Value;

use super::{normalize, source_claim, sync::attributes_to_write, ProviderKind, SyncPolicy};
use crate::{
    entities::{identities, users},
    profile::{
        store::{self, NewProfile, ProfileWrite, StoreError, TextAttribute},
        verification::{self, evidence_for},
        EmailEvidence, RootAttribute, Source,
    },
};

/// The connection a login came through.
#[derive(Debug, Clone)]
pub struct ConnectionRef {
    pub name: String,
    pub kind: ProviderKind,
    pub sync: SyncPolicy,
}

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("This {0} account is already linked to another AskOnce account. Sign in with it and unlink it there first.")]
    LinkedElsewhere(String),
    #[error("This account is blocked. Contact the site owner.")]
    Blocked,
    #[error("The account to link to no longer exists.")]
    NoSuchUser,
    #[error("This is your only way to sign in; link another account before removing it.")]
    LastIdentity,
    #[error("That linked account was not found on your profile.")]
    NoSuchIdentity,
    #[error("A user cannot be linked to itself.")]
    SameUser,
    #[error("Both users sign in with a password; remove one password (unlink its Username-Password-Authentication identity) first.")]
    TwoPasswords,
    #[error("The account to link has no {0} identity.")]
    WrongProvider(String),
    /// Someone else wrote the profile meanwhile, again and again; nothing was changed.
    #[error("Your profile changed meanwhile. Please try again.")]
    Conflict,
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<StoreError> for IdentityError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict => IdentityError::Conflict,
            StoreError::Db(e) => IdentityError::Db(e),
        }
    }
}

/// What the person is told; the HTTP status follows from the variant (`app::error::AppError::status_code`).
impl From<IdentityError> for crate::error::ServiceError {
    fn from(err: IdentityError) -> Self {
        use crate::error::ServiceError;
        match err {
            IdentityError::LinkedElsewhere(_)
            | IdentityError::LastIdentity
            | IdentityError::NoSuchIdentity
            | IdentityError::Conflict
            | IdentityError::TwoPasswords => ServiceError::Conflict(err.to_string()),
            IdentityError::SameUser | IdentityError::WrongProvider(_) => ServiceError::BadRequest(err.to_string()),
            IdentityError::Blocked => ServiceError::Refused(err.to_string()),
            IdentityError::NoSuchUser => ServiceError::Unauthorized,
            IdentityError::Db(e) => crate::error::internal("identity store error", e),
        }
    }
}

#[derive(Debug)]
pub struct LoginResult {
    pub user: users::Model,
    pub created_user: bool,
    pub created_identity: bool,
}

/// Records a successful provider login of `subject` with its raw `profile_data`.
/// `link_to`: the signed-in user who asked to link this provider account.
#[tracing::instrument(skip(db, profile_data), fields(connection = %connection.name))]
pub async fn upsert_login(
    db: &DatabaseConnection,
    connection: &ConnectionRef,
    subject: &str,
    profile_data: Value,
    link_to: Option<&str>,
) -> Result<LoginResult, IdentityError> {
    // A concurrent first login of the same account may win the unique index; then the next
    // attempt finds the identity and proceeds as a returning login. A profile written by
    // someone else between our read and our write (the store's compare-and-swap) is read again.
    store::retry(|| upsert_once(db, connection, subject, profile_data.clone(), link_to)).await
}

impl store::WriteRace for IdentityError {
    /// A profile written meanwhile, or a concurrent first login that took the unique index.
    fn lost_race(&self) -> bool {
        match self {
            IdentityError::Conflict => true,
            IdentityError::Db(err) => matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))),
            _ => false,
        }
    }
}

async fn upsert_once(
    db: &DatabaseConnection,
    connection: &ConnectionRef,
    subject: &str,
    profile_data: Value,
    link_to: Option<&str>,
) -> Result<LoginResult, IdentityError> {
    let now = Utc::now();
    let attrs = normalize(connection.kind, &profile_data).present();
    let txn = crate::db::begin_write(db).await?;
    let existing = identities::Entity::find()
        .filter(identities::Column::Connection.eq(&connection.name))
        .filter(identities::Column::Subject.eq(subject))
        .one(&txn)
        .await?;

    let (user, created_user, created_identity, first_login_of_identity) = match existing {
        Some(identity) => {
            if let Some(target) = link_to {
                if identity.user_id != target {
                    return Err(IdentityError::LinkedElsewhere(connection.name.clone()));
                }
            }
            // Locked (PostgreSQL; SQLite writes one at a time anyway): two sign-ins of one
            // person at once must not each derive `email_verified` from a profile the other
            // is changing — the second waits and reads the first one's result.
            let user =
                users::Entity::find_by_id(identity.user_id.clone()).lock_exclusive().one(&txn).await?.ok_or(IdentityError::NoSuchUser)?;
            let mut active = identity.into_active_model();
            active.profile_data = Set(profile_data.clone());
            active.last_login = Set(Some(now));
            active.updated_at = Set(now);
            active.update(&txn).await?;
            (user, false, false, false)
        }
        None => {
            let (user, created_user) = match link_to {
                Some(target) => (
                    users::Entity::find_by_id(target.to_string()).lock_exclusive().one(&txn).await?.ok_or(IdentityError::NoSuchUser)?,
                    false,
                ),
                None => (store::insert_empty(&txn, NewProfile { created_at: now, ..NewProfile::now() }).await?, true),
            };
            identities::ActiveModel {
                user_id: Set(user.id.clone()),
                connection: Set(connection.name.clone()),
                provider: Set(connection.kind.provider_name().to_string()),
                subject: Set(subject.to_string()),
                is_social: Set(connection.kind.is_social()),
                profile_data: Set(profile_data.clone()),
                last_login: Set(Some(now)),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            (user, created_user, true, true)
        }
    };
    if user.blocked {
        return Err(IdentityError::Blocked);
    }

    // The root attributes are the primary identity's; any other identity only fills gaps,
    // whatever its connection's policy (and linking a new one never overwrites anything).
    let linked = linked_identities(&txn, &user.user_id()).await?;
    let this = linked
        .iter()
        .find(|i| i.connection == connection.name && i.subject == subject)
        .map(|i| i.id)
        .ok_or(IdentityError::NoSuchIdentity)?;
    let ids: Vec<i64> = linked.iter().map(|i| i.id).collect();
    let primary = crate::profile::primary_of(user.primary_identity_id, &ids);
    let policy = super::primary::effective_policy(this, primary, connection.sync);
    // `email_verified` is never copied on its own: it is derived below from the evidence for
    // whichever address the profile ends up with.
    let attrs: Vec<_> = attrs.into_iter().filter(|(a, _)| *a != RootAttribute::EmailVerified).collect();
    let to_write = attributes_to_write(policy, first_login_of_identity, &attrs, |a| store::root_value(&user, a).is_some());
    let user = write_attributes(&txn, &user, connection, &to_write, &linked, now).await?;
    txn.commit().await?;
    Ok(LoginResult { user, created_user, created_identity })
}

async fn linked_identities(db: &impl ConnectionTrait, user_id: &UserId) -> Result<Vec<identities::Model>, DbErr> {
    identities::Entity::find().filter(identities::Column::UserId.eq(user_id.as_str())).order_by_asc(identities::Column::Id).all(db).await
}

/// The evidence that `email` is verified for `user`: standing evidence kept in the
/// provenance (a link, an import) for exactly that address, or a linked identity whose latest
/// claims assert that address as verified.
pub(crate) fn email_evidence_for(user: &users::Model, linked: &[identities::Model], email: Option<&str>) -> Option<EmailEvidence> {
    let standing = match user.provenance.get(verification::PROVENANCE_KEY) {
        Some(record) => EmailEvidence::from_provenance(record, user.email_normalized.as_deref()).filter(EmailEvidence::is_standing),
        // Verified without any record: only an import wrote that before evidence records
        // existed (provider claims always wrote one). It vouched for the email it came with.
        None if user.email_verified => user.email_normalized.as_deref().map(|e| EmailEvidence::new(e, Source::Import, user.updated_at)),
        None => None,
    };
    let from_identities = linked.iter().filter_map(|i| {
        let kind = ProviderKind::from_provider_name(&i.provider)?;
        super::email_evidence(&i.connection, kind, &i.profile_data, i.updated_at)
    });
    // A provider's word comes before a link's: both verify the address, but only the former
    // also vouches for the person signing in (`auth::roles::email_vouched`).
    let (by_link, standing): (Vec<_>, Vec<_>) = standing.into_iter().partition(|e| e.source == Source::Link);
    evidence_for(email, standing.into_iter().chain(from_identities).chain(by_link))
}

/// Loads `user_id`'s identities and derives the evidence for `email` (see [`email_evidence_for`]).
pub(crate) async fn load_email_evidence(
    db: &impl ConnectionTrait,
    user: &users::Model,
    email: Option<&str>,
) -> Result<Option<EmailEvidence>, DbErr> {
    let linked = linked_identities(db, &user.user_id()).await?;
    Ok(email_evidence_for(user, &linked, email))
}

/// Makes one of `user_id`'s linked identities the primary one: its claims become the root
/// attributes at its next sign-in, under its connection's sync policy.
#[tracing::instrument(skip(db))]
pub async fn set_primary_identity(db: &DatabaseConnection, user_id: &UserId, connection: &str, subject: &str) -> Result<(), IdentityError> {
    let target = identities::Entity::find()
        .filter(identities::Column::UserId.eq(user_id.as_str()))
        .filter(identities::Column::Connection.eq(connection))
        .filter(identities::Column::Subject.eq(subject))
        .one(db)
        .await?
        .ok_or(IdentityError::NoSuchIdentity)?;
    // Only a lost write race is tried again (`StoreError`'s rule).
    store::update(db, user_id, |_, write| {
        write.set_primary_identity(target.id);
        Ok::<_, StoreError>(())
    })
    .await?
    .ok_or(IdentityError::NoSuchUser)?;
    Ok(())
}

/// Copies the provider's values the policy lets through, with claim provenance, and derives
/// `email_verified` for whichever address the profile ends up with.
async fn write_attributes(
    txn: &sea_orm::DatabaseTransaction,
    user: &users::Model,
    connection: &ConnectionRef,
    values: &[(RootAttribute, Value)],
    linked: &[identities::Model],
    now: chrono::DateTime<Utc>,
) -> Result<users::Model, IdentityError> {
    let new_email = values
        .iter()
        .find(|(a, _)| *a == RootAttribute::Email)
        .and_then(|(_, v)| v.as_str().map(str::to_string))
        .or_else(|| user.email.clone());
    let evidence = email_evidence_for(user, linked, new_email.as_deref());
    let mut write = ProfileWrite::new(user, now);
    write.email_evidence(evidence.clone());
    for (attr, value) in values {
        let source = Source::Claim { connection: connection.name.clone(), claim: source_claim(connection.kind, *attr).to_string() };
        let text = value.as_str().map(str::to_string);
        match (TextAttribute::try_from(*attr), text) {
            (Ok(attr), text) => {
                write.set_text(attr, text, &source);
            }
            (Err(RootAttribute::Email), Some(email)) => {
                write.set_email(email, &source, evidence.clone());
            }
            // `email_verified` is derived above, never copied.
            (Err(_), _) => {}
        }
    }
    Ok(write.commit(txn).await?)
}

/// Removes one of `user_id`'s linked accounts, never the last one (the person could no
/// longer sign in). Unlinking the local password identity also removes the password.
#[tracing::instrument(skip(db))]
pub async fn unlink_identity(db: &DatabaseConnection, user_id: &UserId, connection: &str, subject: &str) -> Result<(), IdentityError> {
    use sea_orm::PaginatorTrait;
    let txn = crate::db::begin_write(db).await?;
    let owned = identities::Entity::find().filter(identities::Column::UserId.eq(user_id.as_str()));
    let target = owned
        .clone()
        .filter(identities::Column::Connection.eq(connection))
        .filter(identities::Column::Subject.eq(subject))
        .one(&txn)
        .await?
        .ok_or(IdentityError::NoSuchIdentity)?;
    if owned.count(&txn).await? <= 1 {
        return Err(IdentityError::LastIdentity);
    }
    identities::Entity::delete_by_id(target.id).exec(&txn).await?;
    if connection == super::PASSWORD_CONNECTION {
        crate::entities::password_credentials::Entity::delete_by_id(user_id.to_string()).exec(&txn).await?;
    }
    // The unlinked account's claims no longer vouch for anything here, and the tokens
    // applications hold may have come from a sign-in through it.
    rederive_email_verified(&txn, user_id).await?;
    crate::openid_provider::refresh::revoke_all_for_user(&txn, user_id, chrono::Utc::now()).await?;
    txn.commit().await?;
    Ok(())
}

/// Links the account `secondary` into `primary` (Auth0's `POST /users/{id}/identities`): every
/// identity of `secondary` (and its password, if it has one) moves to `primary`, and the
/// `secondary` profile is removed — its values are not merged, as in Auth0; the moved
/// identities fill what `primary` lacks at their next sign-in, as any linked account does.
/// `provider`: when given, `secondary` must have an identity of that provider (Auth0's check).
/// Blocked users are not linked (as at self-service linking).
#[tracing::instrument(skip(db))]
pub async fn link_accounts(
    db: &DatabaseConnection,
    primary: &UserId,
    secondary: &UserId,
    provider: Option<&str>,
    actor: crate::audit::Actor<'_>,
) -> Result<(), IdentityError> {
    use crate::entities::password_credentials;
    if primary == secondary {
        return Err(IdentityError::SameUser);
    }
    let txn = crate::db::begin_write(db).await?;
    let (Some(keep), Some(merge)) = (store::load(&txn, primary).await?, store::load(&txn, secondary).await?) else {
        return Err(IdentityError::NoSuchUser);
    };
    if keep.blocked || merge.blocked {
        return Err(IdentityError::Blocked);
    }
    let moving = identities::Entity::find().filter(identities::Column::UserId.eq(secondary.as_str())).all(&txn).await?;
    if let Some(p) = provider.filter(|p| !moving.iter().any(|i| i.provider == *p || i.connection == *p)) {
        return Err(IdentityError::WrongProvider(p.to_string()));
    }
    let passwords = password_credentials::Entity::find()
        .filter(password_credentials::Column::UserId.is_in([primary.to_string(), secondary.to_string()]))
        .all(&txn)
        .await?;
    if passwords.len() > 1 {
        return Err(IdentityError::TwoPasswords);
    }
    let now = Utc::now();
    identities::Entity::update_many()
        .col_expr(identities::Column::UserId, sea_orm::sea_query::Expr::value(primary.as_str()))
        .col_expr(identities::Column::UpdatedAt, sea_orm::sea_query::Expr::value(now))
        .filter(identities::Column::UserId.eq(secondary.as_str()))
        .exec(&txn)
        .await?;
    // The password (if the linked-in account has it) moves with its identity.
    password_credentials::Entity::update_many()
        .col_expr(password_credentials::Column::UserId, sea_orm::sea_query::Expr::value(primary.as_str()))
        .col_expr(password_credentials::Column::UpdatedAt, sea_orm::sea_query::Expr::value(now))
        .filter(password_credentials::Column::UserId.eq(secondary.as_str()))
        .exec(&txn)
        .await?;
    // Everything else of the linked-in account (sessions, history, consents) goes with it.
    store::delete_linked_in(&txn, secondary).await?;
    rederive_email_verified(&txn, primary).await?;
    // The link and its audit entry in one transaction: neither is kept without the other.
    let merged = crate::audit::subject_hash(secondary);
    crate::audit::record(&txn, actor, crate::audit::Action::UsersLinked, Some(primary), serde_json::json!({ "merged_user": merged }))
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Removes identity (`provider`, `subject`) from `user_id` (the management API's unlink,
/// named as Auth0 names it), by the same rules as self-service: never the last one.
pub async fn unlink_by_provider(db: &DatabaseConnection, user_id: &UserId, provider: &str, subject: &str) -> Result<(), IdentityError> {
    let identity = identities::Entity::find()
        .filter(identities::Column::UserId.eq(user_id.as_str()))
        .filter(identities::Column::Subject.eq(subject))
        .all(db)
        .await?
        .into_iter()
        .find(|i| i.provider == provider || i.connection == provider)
        .ok_or(IdentityError::NoSuchIdentity)?;
    unlink_identity(db, user_id, &identity.connection, subject).await
}

/// Re-derives `user_id`'s `email_verified` from the evidence that remains (after an identity
/// was unlinked, say), with its provenance. Called inside the caller's write transaction,
/// whose lock keeps the profile still between the read and the write.
pub(crate) async fn rederive_email_verified(db: &impl ConnectionTrait, user_id: &UserId) -> Result<(), IdentityError> {
    let Some(user) = users::Entity::find_by_id(user_id.to_string()).lock_exclusive().one(db).await? else {
        return Ok(());
    };
    let evidence = load_email_evidence(db, &user, user.email.as_deref()).await?;
    ProfileWrite::new(&user, Utc::now()).email_evidence(evidence).commit(db).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{sea_query::Expr, PaginatorTrait};
    use serde_json::json;

    fn google() -> ConnectionRef {
        ConnectionRef { name: "google".into(), kind: ProviderKind::Google, sync: SyncPolicy::OnEachLogin }
    }

    fn claims(given: &str) -> Value {
        json!({"sub": "g-1", "email": "ada@example.com", "email_verified": true, "given_name": given, "family_name": "Lovelace"})
    }

    crate::db_test!(a_first_login_creates_a_user_with_claim_provenance, |db| {
        let r = upsert_login(db, &google(), "g-1", claims("Ada"), None).await.unwrap();
        assert!(r.created_user && r.created_identity);
        assert_eq!(r.user.given_name.as_deref(), Some("Ada"));
        assert_eq!(r.user.name.as_deref(), Some("Ada Lovelace"));
        assert!(r.user.email_verified);
        assert_eq!(r.user.provenance["given_name"]["source"], "claim:google:given_name");
    });

    crate::db_test!(a_returning_login_finds_the_same_user_and_resyncs, |db| {
        let first = upsert_login(db, &google(), "g-1", claims("Ada"), None).await.unwrap();
        let again = upsert_login(db, &google(), "g-1", claims("Augusta"), None).await.unwrap();
        assert!(!again.created_user);
        assert_eq!(again.user.id, first.user.id);
        assert_eq!(again.user.given_name.as_deref(), Some("Augusta"));
        assert_eq!(users::Entity::find().count(db).await.unwrap(), 1);
    });

    crate::db_test!(on_first_login_policy_keeps_later_changes, |db| {
        let conn = ConnectionRef { sync: SyncPolicy::OnFirstLogin, ..google() };
        upsert_login(db, &conn, "g-1", claims("Ada"), None).await.unwrap();
        let again = upsert_login(db, &conn, "g-1", claims("Augusta"), None).await.unwrap();
        assert_eq!(again.user.given_name.as_deref(), Some("Ada"));
    });

    crate::db_test!(the_same_email_at_another_connection_is_another_user, |db| {
        let a = upsert_login(db, &google(), "g-1", claims("Ada"), None).await.unwrap();
        let okta = ConnectionRef { name: "okta".into(), kind: ProviderKind::Oidc, sync: SyncPolicy::OnEachLogin };
        let b = upsert_login(db, &okta, "o-9", claims("Ada"), None).await.unwrap();
        assert_ne!(a.user.id, b.user.id, "no silent linking by email");
    });

    crate::db_test!(linking_adds_an_identity_and_only_fills_gaps, |db| {
        let a = upsert_login(db, &google(), "g-1", claims("Ada"), None).await.unwrap();
        let github = ConnectionRef { name: "github".into(), kind: ProviderKind::Github, sync: SyncPolicy::OnEachLogin };
        let gh = json!({"id": 42, "login": "ada", "name": "Countess", "avatar_url": "https://avatars.example/ada.png"});
        let linked = upsert_login(db, &github, "42", gh, Some(&a.user.id)).await.unwrap();
        assert_eq!(linked.user.id, a.user.id);
        assert!(linked.created_identity && !linked.created_user);
        assert_eq!(linked.user.name.as_deref(), Some("Ada Lovelace"), "existing values kept");
        assert_eq!(linked.user.picture.as_deref(), Some("https://avatars.example/ada.png"), "gap filled");
        assert_eq!(linked.user.provenance["picture"]["source"], "claim:github:avatar_url");
    });

    crate::db_test!(any_identity_but_the_last_can_be_unlinked, |db| {
        let a = upsert_login(db, &google(), "g-1", claims("Ada"), None).await.unwrap();
        let github = ConnectionRef { name: "github".into(), kind: ProviderKind::Github, sync: SyncPolicy::OnEachLogin };
        upsert_login(db, &github, "42", json!({"id": 42, "login": "ada"}), Some(&a.user.id)).await.unwrap();
        // Someone else's identity is not ours to remove.
        assert!(matches!(
            unlink_identity(db, &UserId::from_stored("someone-else"), "github", "42").await,
            Err(IdentityError::NoSuchIdentity)
        ));
        unlink_identity(db, &a.user.user_id(), "github", "42").await.unwrap();
        assert!(matches!(unlink_identity(db, &a.user.user_id(), "google", "g-1").await, Err(IdentityError::LastIdentity)));
        // Unlinked, the GitHub account signs in as a new person.
        let again = upsert_login(db, &github, "42", json!({"id": 42, "login": "ada"}), None).await.unwrap();
        assert!(again.created_user);
    });

    crate::db_test!(linking_an_identity_owned_by_someone_else_is_refused_and_merges_nothing, |db| {
        let a = upsert_login(db, &google(), "g-1", claims("Ada"), None).await.unwrap();
        let okta = ConnectionRef { name: "okta".into(), kind: ProviderKind::Oidc, sync: SyncPolicy::OnEachLogin };
        let b = upsert_login(db, &okta, "o-9", claims("Bob"), None).await.unwrap();
        let err = upsert_login(db, &google(), "g-1", claims("Ada"), Some(&b.user.id)).await.unwrap_err();
        assert!(matches!(err, IdentityError::LinkedElsewhere(_)));
        let ids = identities::Entity::find().filter(identities::Column::UserId.eq(&b.user.id)).count(db).await.unwrap();
        assert_eq!(ids, 1);
        let _ = a;
    });

    /// `owner@example.com` signed up with a password: an unverified address.
    async fn password_owner(db: &DatabaseConnection) -> users::Model {
        let email = crate::profile::Email::parse("owner@example.com").unwrap();
        crate::auth::accounts::sign_up_with_password(db, &email, "a long passphrase".into()).await.unwrap()
    }

    async fn reload(db: &DatabaseConnection, id: &str) -> users::Model {
        users::Entity::find_by_id(id.to_string()).one(db).await.unwrap().unwrap()
    }

    crate::db_test!(a_linked_provider_vouching_for_another_address_does_not_verify_ours, |db| {
        let owner = password_owner(db).await;
        let okta = ConnectionRef { name: "okta".into(), kind: ProviderKind::Oidc, sync: SyncPolicy::OnEachLogin };
        let stranger = json!({"sub": "s-1", "email": "stranger@example.net", "email_verified": true});
        let linked = upsert_login(db, &okta, "s-1", stranger.clone(), Some(&owner.id)).await.unwrap();
        assert_eq!(linked.user.email.as_deref(), Some("owner@example.com"));
        assert!(!linked.user.email_verified, "verified belongs to stranger@example.net, not to us");
        // Signing in through the linked identity later changes nothing either.
        let again = upsert_login(db, &okta, "s-1", stranger, None).await.unwrap();
        assert_eq!(again.user.email.as_deref(), Some("owner@example.com"));
        assert!(!again.user.email_verified);
    });

    crate::db_test!(the_primary_provider_moving_to_an_unverified_address_unverifies_the_profile, |db| {
        let a = upsert_login(db, &google(), "g-1", claims("Ada"), None).await.unwrap();
        assert!(a.user.email_verified);
        let moved = json!({"sub": "g-1", "email": "ada@new.example", "email_verified": false, "given_name": "Ada"});
        let again = upsert_login(db, &google(), "g-1", moved, None).await.unwrap();
        assert_eq!(again.user.email.as_deref(), Some("ada@new.example"));
        assert!(!again.user.email_verified);
    });

    crate::db_test!(unlinking_the_only_evidence_unverifies_the_email, |db| {
        let owner = password_owner(db).await;
        let linked = upsert_login(
            db,
            &google(),
            "g-1",
            json!({"sub": "g-1", "email": "Owner@example.com", "email_verified": true}),
            Some(&owner.id),
        )
        .await
        .unwrap();
        assert!(linked.user.email_verified, "google vouched for exactly this address");
        unlink_identity(db, &owner.user_id(), "google", "g-1").await.unwrap();
        let user = reload(db, &owner.id).await;
        assert!(!user.email_verified);
        assert!(user.provenance.get("email_verified").is_none());
    });

    crate::db_test!(concurrent_sign_ins_never_verify_an_address_nobody_vouched_for, |db| {
        // The attacker's verified address at google, and a primary identity of their own that
        // asserts the owner's address without verifying it (the nOAuth shape).
        let a = upsert_login(db, &google(), "g-1", json!({"sub": "g-1", "email": "attacker@example.net", "email_verified": true}), None)
            .await
            .unwrap();
        let okta = ConnectionRef { name: "okta".into(), kind: ProviderKind::Oidc, sync: SyncPolicy::OnEachLogin };
        let owner_claims = json!({"sub": "o-1", "email": "owner@example.com", "email_verified": false});
        upsert_login(db, &okta, "o-1", owner_claims.clone(), Some(&a.user.id)).await.unwrap();
        set_primary_identity(db, &a.user.user_id(), "okta", "o-1").await.unwrap();
        for round in 0..10 {
            let attacker = json!({"sub": "g-1", "email": "attacker@example.net", "email_verified": true, "round": round});
            // SQLite may refuse one of two simultaneous writers (busy); that is not a breach.
            let google = google();
            let _ =
                tokio::join!(upsert_login(db, &okta, "o-1", owner_claims.clone(), None), upsert_login(db, &google, "g-1", attacker, None),);
            let user = reload(db, &a.user.id).await;
            if user.email_verified {
                assert_eq!(
                    user.provenance["email_verified"]["address"].as_str(),
                    user.email_normalized.as_deref(),
                    "round {round}: {:?}",
                    user.provenance
                );
            }
            assert_ne!((user.email_normalized.as_deref(), user.email_verified), (Some("owner@example.com"), true), "round {round}");
        }
    });

    crate::db_test!(the_upgrade_clears_flags_that_rest_on_a_claim_for_another_address, |db| {
        use migrations::MigratorTrait;
        let owner = password_owner(db).await;
        // What linking wrote before this fix: the provider's `true` beside our address.
        users::Entity::update_many()
            .col_expr(users::Column::EmailVerified, Expr::value(true))
            .col_expr(
                users::Column::Provenance,
                Expr::value(json!({"email_verified": {"source": "claim:test:email_verified", "at": Utc::now()}})),
            )
            .filter(users::Column::Id.eq(&owner.id))
            .exec(db)
            .await
            .unwrap();
        // Run the upgrade's migration (m20261123_000005; its `down` changes nothing) again over
        // this row: roll back it and every one after it, then migrate up.
        let after_it = migrations::Migrator::migrations().len() - 4;
        migrations::Migrator::down(db, Some(after_it as u32)).await.unwrap();
        migrations::Migrator::up(db, None).await.unwrap();
        assert!(!reload(db, &owner.id).await.email_verified);
    });
}
