//! Bearer tokens for the management API: named, scoped, shown once, stored as a SHA-256
//! hash (they are 256-bit random strings, so a slow password hash would add nothing), and
//! revocable. Created from the console (`/admin/tokens`) or `askonce token create`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use domain::api_scope::{Scope, UnknownScope};

/// The console's new-token form: a name and the ticked scopes (`scopes[read:users]=on`).
/// Problems per input (`name`, `scopes`), for the form to show beside each.
pub fn scopes_from_form(
    name: &str,
    ticked: &std::collections::BTreeMap<String, String>,
) -> Result<Vec<Scope>, std::collections::BTreeMap<String, String>> {
    let mut problems = std::collections::BTreeMap::new();
    if name.trim().is_empty() {
        problems.insert("name".to_string(), "Give the token a name, to recognise it later.".to_string());
    }
    let mut chosen = Vec::new();
    for key in ticked.keys() {
        match key.parse::<Scope>() {
            Ok(s) => chosen.push(s),
            Err(e) => {
                problems.insert("scopes".into(), e.to_string());
            }
        }
    }
    if chosen.is_empty() && !problems.contains_key("scopes") {
        problems.insert("scopes".into(), "Choose at least one scope.".into());
    }
    if problems.is_empty() {
        Ok(chosen)
    } else {
        Err(problems)
    }
}

/// Whether a token opens the API. The one answer to "is this token live?": the API's check,
/// the console's list and overview, and `askonce token list` all read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenState {
    Live,
    /// Past its `expires_at` (the instant itself included).
    Expired,
    /// Revoked, whatever its expiry: revoking is the stronger, deliberate act.
    Revoked,
}

impl TokenState {
    pub fn at(revoked_at: Option<DateTime<Utc>>, expires_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> TokenState {
        if revoked_at.is_some() {
            TokenState::Revoked
        } else if expires_at.is_some_and(|at| at <= now) {
            TokenState::Expired
        } else {
            TokenState::Live
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TokenState::Live => "live",
            TokenState::Expired => "expired",
            TokenState::Revoked => "revoked",
        }
    }
}

/// A token as lists show it (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub id: domain::token_id::TokenId,
    pub name: String,
    /// The first characters of the token, to recognise it.
    pub prefix: String,
    pub scopes: Vec<Scope>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// [`TokenState::at`] when it was read, by the server's clock: the browser shows this
    /// rather than judge the dates by its own clock.
    pub state: TokenState,
}

impl TokenInfo {
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }
}

/// Tokens start with this, so secret scanners and people recognise them.
pub const TOKEN_PREFIX: &str = "askonce_";

#[cfg(feature = "ssr")]
pub mod ssr {
    use chrono::{DateTime, Utc};
    use sea_orm::{
        sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
        Set,
    };
    use sha2::{Digest, Sha256};

    use super::{Scope, TokenInfo, TokenState, TOKEN_PREFIX};
    use services::entities::api_tokens;

    fn hash(token: &str) -> String {
        hex::encode(Sha256::digest(token.as_bytes()))
    }

    fn info(row: api_tokens::Model, now: DateTime<Utc>) -> TokenInfo {
        TokenInfo {
            state: TokenState::at(row.revoked_at, row.expires_at, now),
            id: domain::token_id::TokenId::from_stored(row.id),
            name: row.name,
            prefix: row.prefix,
            scopes: serde_json::from_value(row.scopes).unwrap_or_default(),
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            expires_at: row.expires_at,
            revoked_at: row.revoked_at,
        }
    }

    /// Creates a token; returns it with the secret, which is never shown again. `actor`: who,
    /// for the audit log and the token's `created_by` (`Actor::Admin(user id)`, `Actor::Cli`).
    pub async fn create(
        db: &DatabaseConnection,
        name: &str,
        scopes: &[Scope],
        actor: services::audit::Actor<'_>,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<(TokenInfo, String), DbErr> {
        // Two v4 UUIDs: 244 random bits from the OS generator.
        let secret = format!("{TOKEN_PREFIX}{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
        let mut scopes = scopes.to_vec();
        scopes.sort();
        scopes.dedup();
        // The token and its audit entry in one transaction.
        let txn = services::db::begin_write(db).await?;
        let row = api_tokens::ActiveModel {
            id: Set(uuid::Uuid::now_v7().to_string()),
            name: Set(name.trim().chars().take(128).collect()),
            token_hash: Set(hash(&secret)),
            prefix: Set(secret.chars().take(TOKEN_PREFIX.len() + 6).collect()),
            scopes: Set(serde_json::json!(scopes)),
            created_by: Set(actor.id().map(str::to_string)),
            created_at: Set(Utc::now()),
            last_used_at: Set(None),
            expires_at: Set(expires_at),
            revoked_at: Set(None),
        }
        .insert(&txn)
        .await?;
        services::audit::record(&txn, actor, services::audit::Action::TokenCreated, None, serde_json::json!({ "token": row.id })).await?;
        txn.commit().await?;
        Ok((info(row, Utc::now()), secret))
    }

    /// The live token `presented` stands for, noting its use; `None` for unknown, revoked
    /// or expired tokens, and for tokens whose creating admin is no longer an admin (deleted,
    /// blocked, flag revoked, or their configured address no longer verified on the account):
    /// a token never carries more authority than the person who made it still has. Tokens made
    /// with `askonce token create` on the server have no creator and live until revoked.
    pub async fn authenticate(
        db: &impl ConnectionTrait,
        presented: &str,
        admins: &services::auth::roles::ConfiguredAdmins,
    ) -> Result<Option<TokenInfo>, DbErr> {
        if !presented.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        let now = Utc::now();
        let Some(row) = api_tokens::Entity::find().filter(api_tokens::Column::TokenHash.eq(hash(presented))).one(db).await? else {
            return Ok(None);
        };
        let creator = row.created_by.clone();
        let token = info(row, now);
        if token.state != TokenState::Live {
            return Ok(None);
        }
        if let Some(creator) = creator {
            let still_admin = services::entities::users::Entity::find_by_id(creator).one(db).await?.is_some_and(|u| {
                !u.blocked
                    && services::auth::roles::is_admin(
                        u.is_admin,
                        u.email_normalized.as_deref(),
                        services::auth::roles::email_vouched(&u),
                        admins,
                    )
            });
            if !still_admin {
                return Ok(None);
            }
        }
        // At most one write a minute per token: the list shows "last used", not an access log.
        if token.last_used_at.is_none_or(|at| now - at > chrono::Duration::minutes(1)) {
            api_tokens::Entity::update_many()
                .col_expr(api_tokens::Column::LastUsedAt, Expr::value(now))
                .filter(api_tokens::Column::Id.eq(token.id.as_str()))
                .exec(db)
                .await?;
        }
        Ok(Some(token))
    }

    /// Every token, newest first, each with its state now.
    pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<TokenInfo>, DbErr> {
        let now = Utc::now();
        let rows = api_tokens::Entity::find().order_by_desc(api_tokens::Column::CreatedAt).all(db).await?;
        Ok(rows.into_iter().map(|row| info(row, now)).collect())
    }

    /// Revokes a token; whether one was live.
    pub async fn revoke(db: &DatabaseConnection, id: &domain::token_id::TokenId, actor: services::audit::Actor<'_>) -> Result<bool, DbErr> {
        let txn = services::db::begin_write(db).await?;
        let result = api_tokens::Entity::update_many()
            .col_expr(api_tokens::Column::RevokedAt, Expr::value(Utc::now()))
            .filter(api_tokens::Column::Id.eq(id.as_str()))
            .filter(api_tokens::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
        if result.rows_affected > 0 {
            services::audit::record(&txn, actor, services::audit::Action::TokenRevoked, None, serde_json::json!({ "token": id.as_str() }))
                .await?;
        }
        txn.commit().await?;
        Ok(result.rows_affected > 0)
    }

    #[cfg(all(test, feature = "test-support"))]
    mod tests {
        use super::*;

        services::db_test!(a_token_works_until_revoked_and_is_stored_hashed, |db| {
            let (info, secret) =
                create(db, "CRM sync", &[Scope::ReadUsers, Scope::ReadUsers], services::audit::Actor::Cli, None).await.unwrap();
            assert!(secret.starts_with(TOKEN_PREFIX));
            assert_eq!(info.scopes, vec![Scope::ReadUsers]);
            let row = api_tokens::Entity::find_by_id(info.id.to_string()).one(db).await.unwrap().unwrap();
            assert_ne!(row.token_hash, secret, "never stored as given");
            assert!(!row.token_hash.contains(&secret[TOKEN_PREFIX.len()..]));
            let found = authenticate(db, &secret, &Default::default()).await.unwrap().unwrap();
            assert_eq!(found.id, info.id);
            assert!(authenticate(db, &format!("{secret}x"), &Default::default()).await.unwrap().is_none());
            assert!(revoke(db, &info.id, services::audit::Actor::Cli).await.unwrap());
            assert!(!revoke(db, &info.id, services::audit::Actor::Cli).await.unwrap(), "already revoked");
            assert!(authenticate(db, &secret, &Default::default()).await.unwrap().is_none());
        });

        services::db_test!(an_expired_token_is_refused_and_listed_as_expired, |db| {
            let past = Utc::now() - chrono::Duration::seconds(1);
            let (created, secret) = create(db, "old", &[Scope::ReadUsers], services::audit::Actor::Cli, Some(past)).await.unwrap();
            assert_eq!(created.state, TokenState::Expired);
            assert!(authenticate(db, &secret, &Default::default()).await.unwrap().is_none());
            let (live, _) = create(db, "new", &[Scope::ReadUsers], services::audit::Actor::Cli, None).await.unwrap();
            let states: Vec<(domain::token_id::TokenId, TokenState)> =
                list(db).await.unwrap().into_iter().map(|t| (t.id, t.state)).collect();
            assert!(states.contains(&(created.id.clone(), TokenState::Expired)), "{states:?}");
            assert!(states.contains(&(live.id, TokenState::Live)), "{states:?}");
            revoke(db, &created.id, services::audit::Actor::Cli).await.unwrap();
            let revoked = list(db).await.unwrap().into_iter().find(|t| t.id == created.id).unwrap();
            assert_eq!(revoked.state, TokenState::Revoked);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_live_until_it_expires_or_is_revoked() {
        let now = Utc::now();
        let later = now + chrono::Duration::days(1);
        assert_eq!(TokenState::at(None, None, now), TokenState::Live);
        assert_eq!(TokenState::at(None, Some(later), now), TokenState::Live);
        assert_eq!(TokenState::at(None, Some(now), now), TokenState::Expired, "the instant of expiry is past it");
        assert_eq!(TokenState::at(Some(now), Some(later), now), TokenState::Revoked);
        assert_eq!(TokenState::at(Some(now), Some(now), now), TokenState::Revoked, "revoked wins over expired");
    }

    #[test]
    fn scopes_use_auth0_names_and_round_trip() {
        for scope in Scope::ALL {
            assert_eq!(scope.as_str().parse::<Scope>(), Ok(scope));
        }
        assert_eq!(serde_json::to_string(&Scope::UpdateUsersAppMetadata).unwrap(), "\"update:users_app_metadata\"");
        assert!("admin:all".parse::<Scope>().is_err());
    }

    #[test]
    fn a_new_token_needs_a_name_and_known_scopes() {
        let ticked = |keys: &[&str]| keys.iter().map(|k| (k.to_string(), "on".to_string())).collect();
        assert_eq!(scopes_from_form("ci", &ticked(&["read:users"])), Ok(vec![Scope::ReadUsers]));
        let problems = scopes_from_form(" ", &ticked(&[])).unwrap_err();
        assert!(problems.contains_key("name") && problems["scopes"].contains("at least one"));
        assert!(scopes_from_form("ci", &ticked(&["admin:all"])).unwrap_err().contains_key("scopes"));
    }
}
