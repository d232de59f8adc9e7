//! Moving users in and out in Auth0's bulk user format (`askonce users import FILE`,
//! `askonce users export`): a JSON array of users with root attributes, `user_metadata`,
//! `app_metadata`, `identities`, and optionally `password_hash` (bcrypt) or
//! `custom_password_hash` (argon2, bcrypt, pbkdf2, md5, sha1, sha256, sha512, ldap — kept as
//! it is and replaced by argon2id at its owner's first sign-in, so people keep their
//! passwords: `auth::imported_hash`).
//!
//! An import is checked whole before anything is written, and written in one transaction:
//! a file with a problem changes nothing and every problem is listed. Users whose email or
//! provider account already exists here are skipped and reported, never overwritten.
//!
//! `format` reads and checks the file; this module writes it and reads it back out.

pub mod format;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use serde_json::json;

use super::users::Cursor;
use domain::{identity::PASSWORD_CONNECTION, profile::Email, profile::EmailEvidence, profile::Source};
use format::{problems, BulkIdentity, BulkUser};
use services::{
    entities::identities, entities::password_credentials, entities::users, profile::store, profile::store::NewProfile,
    profile::store::ProfileWrite, profile::store::StoreError, profile::store::TextAttribute,
};

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub imported: usize,
    /// `(index in the file, why)`.
    pub skipped: Vec<(usize, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum BulkError {
    #[error("the file is not a JSON array of users: {0}")]
    Format(String),
    #[error("{} problem(s), nothing imported:\n{}", .0.len(), .0.join("\n"))]
    Invalid(Vec<String>),
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Imports `users` (see the module docs).
#[tracing::instrument(skip(db, users), fields(count = users.len()))]
pub async fn import(db: &DatabaseConnection, users: &[BulkUser]) -> Result<ImportReport, BulkError> {
    let problems = problems(users);
    if !problems.is_empty() {
        return Err(BulkError::Invalid(problems));
    }
    let now = Utc::now();
    let mut report = ImportReport::default();
    let txn = services::db::begin_write(db).await?;
    for (i, u) in users.iter().enumerate() {
        let normalized = u.email.as_deref().and_then(|e| Email::parse(e).ok()).map(|e| e.normalized());
        if let Some(email) = &normalized {
            if users::Entity::find().filter(users::Column::EmailNormalized.eq(email.as_str())).count(&txn).await? > 0 {
                report.skipped.push((i, format!("{email} already has an account here")));
                continue;
            }
        }
        let mut taken = Condition::any();
        for identity in &u.identities {
            taken = taken.add(
                Condition::all()
                    .add(identities::Column::Connection.eq(identity.connection.as_str()))
                    .add(identities::Column::Subject.eq(identity.user_id.as_str())),
            );
        }
        if !u.identities.is_empty() && identities::Entity::find().filter(taken).count(&txn).await? > 0 {
            report.skipped.push((i, "one of its provider accounts is already linked here".into()));
            continue;
        }
        let id = match &u.user_id {
            Some(id) if users::Entity::find_by_id(id.clone()).count(&txn).await? == 0 => id.clone(),
            _ => store::new_user_id(),
        };
        let new = NewProfile { id: id.clone(), created_at: u.created_at.unwrap_or(now), logins_count: u.logins_count.unwrap_or(0) };
        let empty = store::insert_empty(&txn, new).await?;
        let mut write = ProfileWrite::new(&empty, now);
        let source = Source::Import;
        if let Some(email) = &u.email {
            // The site owner's export vouches for exactly the address it came with.
            let evidence = normalized.as_deref().filter(|_| u.email_verified).map(|e| EmailEvidence::new(e, Source::Import, now));
            write.set_email(email.clone(), &source, evidence);
        }
        // The file's name as given, even when absent: nothing is derived on import.
        write.set_text(TextAttribute::Name, u.name.clone(), &source);
        for (attr, value) in [
            (TextAttribute::GivenName, &u.given_name),
            (TextAttribute::FamilyName, &u.family_name),
            (TextAttribute::Nickname, &u.nickname),
            (TextAttribute::Picture, &u.picture),
            (TextAttribute::Locale, &u.locale),
        ] {
            if value.is_some() {
                write.set_text(attr, value.clone(), &source);
            }
        }
        write.replace_user_metadata(u.user_metadata.clone(), &source);
        write.set_app_metadata(u.app_metadata.clone());
        write.set_blocked(u.blocked);
        write.commit(&txn).await?;
        let mut has_password_identity = false;
        for identity in &u.identities {
            // Auth0's database connection is ours too: its subject becomes our user id.
            let password = identity.connection == PASSWORD_CONNECTION;
            has_password_identity |= password;
            identities::ActiveModel {
                user_id: Set(id.clone()),
                connection: Set(identity.connection.clone()),
                provider: Set(identity.provider.clone().unwrap_or_else(|| identity.connection.clone())),
                subject: Set(if password { id.clone() } else { identity.user_id.clone() }),
                is_social: Set(identity.is_social),
                profile_data: Set(identity.profile_data.clone().unwrap_or_else(|| json!({}))),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
        // Checked with the whole file above (`problems`); an error here is a file that changed.
        let hash = u.stored_password_hash().map_err(|e| BulkError::Invalid(vec![format!("user {i}: {e}")]))?;
        if let (Some(hash), Some(email)) = (hash, &normalized) {
            if !has_password_identity {
                identities::ActiveModel {
                    user_id: Set(id.clone()),
                    connection: Set(PASSWORD_CONNECTION.to_string()),
                    provider: Set("auth0".to_string()),
                    subject: Set(id.clone()),
                    is_social: Set(false),
                    profile_data: Set(json!({ "email": u.email })),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
            }
            password_credentials::ActiveModel {
                user_id: Set(id.clone()),
                email_normalized: Set(email.clone()),
                password_hash: Set(hash),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?;
        }
        report.imported += 1;
    }
    services::audit::record(
        &txn,
        services::audit::Actor::Cli,
        services::audit::Action::UsersImported,
        None,
        json!({ "imported": report.imported, "skipped": report.skipped.len() }),
    )
    .await?;
    txn.commit().await?;
    Ok(report)
}

/// Every user, oldest first, in pages of `page` (`write` is called per user, so a million
/// users never sit in memory at once). `with_password_hashes`: include the password hashes
/// (`custom_password_hash`: argon2id, or an imported hash not yet replaced).
pub async fn export<F: FnMut(BulkUser) -> std::io::Result<()>>(
    db: &DatabaseConnection,
    with_password_hashes: bool,
    mut write: F,
) -> Result<usize, BulkError> {
    let page = 500;
    let mut after: Option<Cursor> = None;
    let mut count = 0;
    loop {
        let mut select = users::Entity::find();
        if let Some(c) = &after {
            select = select.filter(super::users::ssr::past(c, false));
        }
        let rows = select.order_by_asc(users::Column::CreatedAt).order_by_asc(users::Column::Id).limit(page).all(db).await?;
        let Some(last) = rows.last() else { break };
        after = Some(Cursor { created_at: last.created_at, id: last.id.clone() });
        let ids: Vec<String> = rows.iter().map(|u| u.id.clone()).collect();
        let all_identities = identities::Entity::find()
            .filter(identities::Column::UserId.is_in(ids.clone()))
            .order_by_asc(identities::Column::Id)
            .all(db)
            .await?;
        let hashes = if with_password_hashes {
            password_credentials::Entity::find().filter(password_credentials::Column::UserId.is_in(ids)).all(db).await?
        } else {
            Vec::new()
        };
        for u in rows {
            let identities = all_identities
                .iter()
                .filter(|i| i.user_id == u.id)
                .map(|i| BulkIdentity {
                    connection: i.connection.clone(),
                    provider: Some(i.provider.clone()),
                    user_id: i.subject.clone(),
                    is_social: i.is_social,
                    profile_data: Some(i.profile_data.clone()),
                })
                .collect();
            let custom_password_hash =
                hashes.iter().find(|h| h.user_id == u.id).and_then(|h| services::auth::imported_hash::to_custom(&h.password_hash));
            write(BulkUser {
                user_id: Some(u.id),
                email: u.email,
                email_verified: u.email_verified,
                name: u.name,
                given_name: u.given_name,
                family_name: u.family_name,
                nickname: u.nickname,
                picture: u.picture,
                locale: u.locale,
                blocked: u.blocked,
                user_metadata: u.user_metadata.as_object().cloned().unwrap_or_default(),
                app_metadata: u.app_metadata.as_object().cloned().unwrap_or_default(),
                identities,
                password_hash: None,
                custom_password_hash,
                created_at: Some(u.created_at),
                logins_count: Some(u.logins_count),
            })
            .map_err(|e| BulkError::Format(format!("writing the export failed: {e}")))?;
            count += 1;
        }
    }
    Ok(count)
}

#[cfg(all(test, feature = "test-support"))]
mod tests {
    use super::*;
    use format::parse;

    async fn sample() -> String {
        let hash = services::auth::password::hash_password("a long passphrase".into()).await.unwrap();
        json!([
            {"user_id": "auth0|abc", "email": "ada@example.com", "email_verified": true, "given_name": "Ada",
             "user_metadata": {"company": "Analytical Engines"}, "app_metadata": {"plan": "pro"},
             "identities": [{"connection": "Username-Password-Authentication", "provider": "auth0", "user_id": "abc", "isSocial": false}],
             "custom_password_hash": {"algorithm": "argon2", "hash": {"value": hash}}},
            {"email": "grace@example.com", "email_verified": true, "name": "Grace Hopper", "blocked": true,
             "identities": [{"connection": "google", "provider": "google-oauth2", "user_id": "g-42", "isSocial": true}]}
        ])
        .to_string()
    }

    services::db_test!(import_then_export_round_trips_and_passwords_keep_working, |db| {
        let users = parse(&sample().await).unwrap();
        let report = import(db, &users).await.unwrap();
        assert_eq!(report.imported, 2);
        let mut exported = Vec::new();
        export(db, true, |u| {
            exported.push(u);
            Ok(())
        })
        .await
        .unwrap();
        assert_eq!(exported.len(), 2);
        let ada = exported.iter().find(|u| u.email.as_deref() == Some("ada@example.com")).unwrap();
        assert_eq!(ada.user_id.as_deref(), Some("auth0|abc"));
        assert_eq!(ada.user_metadata, users[0].user_metadata);
        assert_eq!(ada.app_metadata, users[0].app_metadata);
        assert_eq!(ada.custom_password_hash, users[0].custom_password_hash);
        let grace = exported.iter().find(|u| u.email.as_deref() == Some("grace@example.com")).unwrap();
        assert!(grace.blocked);
        assert_eq!(grace.identities[0].user_id, "g-42");
        // The imported password signs in.
        services::auth::accounts::sign_in_with_password(db, "ada@example.com", "a long passphrase".into()).await.unwrap();
        // Importing again skips both, overwriting nothing.
        let again = import(db, &exported).await.unwrap();
        assert_eq!((again.imported, again.skipped.len()), (0, 2));
    });

    services::db_test!(a_file_with_any_problem_imports_nothing, |db| {
        let text = json!([
            {"email": "ok@example.com", "identities": [{"connection": "google", "user_id": "1"}]},
            {"email": "not an email"},
            {"email": "b@example.com", "custom_password_hash": {"algorithm": "md5", "hash": {"value": "x"}}}
        ])
        .to_string();
        let err = import(db, &parse(&text).unwrap()).await.unwrap_err();
        let BulkError::Invalid(problems) = err else { panic!("{err:?}") };
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[1].contains("hex"), "why the md5 hash cannot be kept: {problems:?}");
        assert_eq!(users::Entity::find().count(db).await.unwrap(), 0);
    });

    #[test]
    fn an_imported_id_follows_the_rule_every_console_and_api_path_reads_ids_by() {
        let text =
            json!([{"user_id": "a\tb", "email": "tab@example.com"}, {"user_id": "x".repeat(65), "email": "long@example.com"}]).to_string();
        let problems = format::problems(&parse(&text).unwrap());
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems.iter().all(|p| p.contains("user_id must be 1–64 bytes without control characters")), "{problems:?}");
    }

    #[test]
    fn ndjson_and_arrays_both_parse() {
        assert_eq!(parse("{\"email\": \"a@example.com\"}\n{\"email\": \"b@example.com\"}\n").unwrap().len(), 2);
        assert_eq!(parse("[{\"email\": \"a@example.com\"}]").unwrap().len(), 1);
        assert!(matches!(parse("nope"), Err(BulkError::Format(_))));
    }
}
