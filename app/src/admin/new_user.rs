//! A site owner creates a person's account (the console's "Create a user", and
//! `POST /api/v2/users` in Auth0's shape): an email-and-password account, either with a
//! password the owner chose or — without one — an invitation emailed to the address, whose
//! link lets the person choose their own password (valid a week).
//!
//! Rules: the address must be free (as at sign-up), a given password meets the same policy as
//! at sign-up, metadata meets the same limits as every other write, and the values are the
//! site's word (`admin` / `api` provenance). `email_verified: true` is the owner vouching for
//! the address; otherwise a verification link is sent as at sign-up (with a password) or the
//! invitation itself proves the address once used.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A new user, as the API takes it (Auth0's `POST /api/v2/users` body, database connection).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub email: String,
    /// Only `Username-Password-Authentication` (the default): people of a provider's
    /// connection are created by signing in there.
    #[serde(default)]
    pub connection: Option<String>,
    /// Without one, an invitation to choose a password is emailed.
    #[serde(default)]
    pub password: Option<String>,
    /// The site vouches for the address.
    #[serde(default)]
    pub email_verified: bool,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub family_name: Option<String>,
    #[serde(default)]
    pub nickname: Option<String>,
    #[serde(default)]
    pub picture: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub user_metadata: Option<Map<String, Value>>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub app_metadata: Option<Map<String, Value>>,
}

/// Why an account could not be created, per input where there is one.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("{0}")]
    Invalid(String, String),
    #[error("An account with this email already exists.")]
    EmailTaken,
    #[cfg(feature = "ssr")]
    #[error(transparent)]
    Account(#[from] services::auth::accounts::AccountError),
    #[cfg(feature = "ssr")]
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

#[cfg(feature = "ssr")]
impl From<CreateError> for crate::error::AppError {
    fn from(err: CreateError) -> Self {
        use crate::error::AppError;
        match err {
            CreateError::Invalid(input, problem) => AppError::Invalid(std::collections::BTreeMap::from([(input, problem)])),
            CreateError::EmailTaken => AppError::Conflict(err.to_string()),
            CreateError::Account(e) => e.into(),
            CreateError::Db(e) => crate::error::ssr::internal("creating a user", e),
        }
    }
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use chrono::Utc;
    use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
    use serde_json::{json, Value};

    use super::{CreateError, NewUser};
    use domain::auth::password::check_new_password;
    use domain::{
        identity::PASSWORD_CONNECTION, profile::validate_metadata, profile::Email, profile::EmailEvidence, profile::MetadataLimits,
        profile::UserProfile,
    };
    use services::{
        auth::links, auth::links::Purpose, auth::password as hashing, email, email::templates, entities::password_credentials,
        entities::users, profile::read::load_user_profile, profile::store, profile::store::NewProfile, profile::store::ProfileWrite,
        profile::store::TextAttribute,
    };

    /// The stored stand-in for "no password yet": no hash format starts with `!`, so nothing
    /// verifies against it; the invitation link replaces it.
    pub const NO_PASSWORD_YET: &str = "!invited";

    /// How the account was set up.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Created {
        WithPassword,
        Invited,
    }

    /// Creates the account; `actor`: `Actor::Admin(user id)` or `Actor::Api(token id)`.
    #[tracing::instrument(skip(db, site, new), fields(actor = actor.kind()))]
    pub async fn create(
        db: &DatabaseConnection,
        site: &templates::Site,
        new: &NewUser,
        actor: services::audit::Actor<'_>,
    ) -> Result<(UserProfile, Created), CreateError> {
        let invalid = |input: &str, problem: String| CreateError::Invalid(input.to_string(), problem);
        if new.connection.as_deref().is_some_and(|c| c != PASSWORD_CONNECTION) {
            return Err(invalid(
                "connection",
                format!("only {PASSWORD_CONNECTION} accounts can be created here; people of a provider sign in there"),
            ));
        }
        let email = Email::parse(&new.email).map_err(|e| invalid("email", e.to_string()))?;
        let password = new.password.as_deref().filter(|p| !p.is_empty());
        if let Some(p) = password {
            check_new_password(p, email.as_str()).map_err(|e| invalid("password", e.to_string()))?;
        }
        let limits = MetadataLimits::default();
        for (which, value) in [("user_metadata", &new.user_metadata), ("app_metadata", &new.app_metadata)] {
            if let Some(map) = value {
                validate_metadata(&Value::Object(map.clone()), &limits).map_err(|e| invalid(which, e.to_string()))?;
            }
        }
        if let Some(picture) = new.picture.as_deref().filter(|p| !p.is_empty()) {
            if !(picture.starts_with("https://") || picture.starts_with("http://")) {
                return Err(invalid("picture", "a picture is a web address (https://…)".into()));
            }
        }
        let normalized = email.normalized();
        let taken =
            password_credentials::Entity::find().filter(password_credentials::Column::EmailNormalized.eq(&normalized)).one(db).await?;
        if taken.is_some() {
            return Err(CreateError::EmailTaken);
        }
        let hash = match password {
            Some(p) => hashing::hash_password(p.to_string()).await.map_err(services::auth::accounts::AccountError::from)?,
            None => NO_PASSWORD_YET.to_string(),
        };

        let now = Utc::now();
        let source = actor.source();
        let txn = services::db::begin_write(db).await?;
        let empty = store::insert_empty(&txn, NewProfile { created_at: now, ..NewProfile::now() }).await?;
        let user_id = empty.user_id();
        let mut write = ProfileWrite::new(&empty, now);
        let evidence = new.email_verified.then(|| EmailEvidence::new(&normalized, source.clone(), now));
        write.set_email(email.as_str().to_string(), &source, evidence);
        for (attr, value) in [
            (TextAttribute::GivenName, &new.given_name),
            (TextAttribute::FamilyName, &new.family_name),
            (TextAttribute::Name, &new.name),
            (TextAttribute::Nickname, &new.nickname),
            (TextAttribute::Picture, &new.picture),
        ] {
            if let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                write.set_text(attr, Some(v.to_string()), &source);
            }
        }
        if let Some(map) = &new.user_metadata {
            write.replace_user_metadata(map.clone(), &source);
        }
        if let Some(map) = &new.app_metadata {
            write.set_app_metadata(map.clone());
        }
        let user: users::Model = write.commit(&txn).await.map_err(|e| match e {
            store::StoreError::Db(e) => CreateError::Db(e),
            store::StoreError::Conflict => CreateError::Db(sea_orm::DbErr::Custom("a new profile changed while it was made".into())),
        })?;
        if let Err(err) =
            services::auth::accounts::insert_password_login(&txn, &user_id, &email, json!({ "email": email.as_str() }), hash, now).await
        {
            let _ = txn.rollback().await;
            return Err(match err {
                services::auth::accounts::AccountError::EmailTaken => CreateError::EmailTaken,
                other => CreateError::Account(other),
            });
        }
        let created = if password.is_some() { Created::WithPassword } else { Created::Invited };
        if created == Created::Invited {
            let link = links::issue(&txn, &user_id, Purpose::Invite, email.as_str(), now).await?;
            let message = templates::invitation(site, &site.url(&link.path), Purpose::Invite.valid_for());
            email::queue(&txn, Purpose::Invite.into(), format!("link:{}", link.id), email.as_str(), message).await?;
        }
        services::audit::record(
            &txn,
            actor,
            services::audit::Action::UsersCreated,
            Some(&user_id),
            json!({ "invited": created == Created::Invited }),
        )
        .await?;
        txn.commit().await?;
        // With a password and an address nobody vouched for: proven as at sign-up.
        if created == Created::WithPassword && !user.email_verified {
            if let Err(e) = services::auth::verification::send(db, site, &user, services::activity::Client::default()).await {
                tracing::warn!(error = %e, "the verification link for a created user could not be queued");
            }
        }
        let profile = load_user_profile(db, &user_id).await?.ok_or(sea_orm::DbErr::RecordNotFound("the user just created".into()))?;
        Ok((profile, created))
    }
}
