//! The schema as the migrations build it, on SQLite and PostgreSQL: rollbacks, cascades,
//! uniqueness, and SQLite's pragmas. Here rather than in `db`'s own tests because they need
//! `testing`'s databases, and `testing` opens them through `db`: `db` stays below both.

use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};

use crate::db::migrate;

async fn exec(db: &DatabaseConnection, sql: &str) -> Result<sea_orm::ExecResult, DbErr> {
    db.execute(Statement::from_string(db.get_database_backend(), sql.to_string())).await
}

async fn count(db: &DatabaseConnection, table: &str) -> i64 {
    let row = db
        .query_one(Statement::from_string(db.get_database_backend(), format!("SELECT COUNT(*) AS n FROM {table}")))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

crate::db_test!(migrations_roll_back_and_reapply_cleanly, |db| {
    Migrator::down(db, None).await.unwrap();
    assert_eq!(Migrator::get_applied_migrations(db).await.unwrap().len(), 0);
    assert_eq!(migrate(db).await.unwrap(), Migrator::migrations().len());
    // A second run finds nothing to do.
    assert_eq!(migrate(db).await.unwrap(), 0);
});

crate::db_test!(deleting_a_user_removes_their_identities_and_credentials, |db| {
    exec(db, "INSERT INTO users (id, user_metadata, app_metadata, provenance) VALUES ('u1', '{}', '{}', '{}')").await.unwrap();
    exec(db, "INSERT INTO identities (user_id, connection, provider, subject, profile_data) VALUES ('u1', 'google', 'google-oauth2', '1234', '{}')").await.unwrap();
    exec(db, "INSERT INTO password_credentials (user_id, email_normalized, password_hash) VALUES ('u1', 'a@example.com', 'x')")
        .await
        .unwrap();
    exec(db, "DELETE FROM users WHERE id = 'u1'").await.unwrap();
    assert_eq!(count(db, "identities").await, 0);
    assert_eq!(count(db, "password_credentials").await, 0);
});

crate::db_test!(one_provider_account_maps_to_exactly_one_identity, |db| {
    exec(db, "INSERT INTO users (id, user_metadata, app_metadata, provenance) VALUES ('u1', '{}', '{}', '{}'), ('u2', '{}', '{}', '{}')")
        .await
        .unwrap();
    exec(db, "INSERT INTO identities (user_id, connection, provider, subject, profile_data) VALUES ('u1', 'google', 'google-oauth2', 'same-sub', '{}')").await.unwrap();
    let duplicate = exec(db, "INSERT INTO identities (user_id, connection, provider, subject, profile_data) VALUES ('u2', 'google', 'google-oauth2', 'same-sub', '{}')").await;
    assert!(duplicate.is_err(), "(connection, sub) must be unique");
    // The same sub at another connection is another account.
    exec(
        db,
        "INSERT INTO identities (user_id, connection, provider, subject, profile_data) VALUES ('u2', 'okta', 'oidc', 'same-sub', '{}')",
    )
    .await
    .unwrap();
});

crate::db_test!(a_field_used_by_a_stage_cannot_be_deleted, |db| {
    exec(db, "INSERT INTO profile_fields (key, label, kind, target, validation, claims) VALUES ('company', 'Company', 'text', 'user_metadata.company', '{}', '[]')").await.unwrap();
    exec(db, "INSERT INTO profile_stages (key, title, trigger_kind, context_tags) VALUES ('work', 'About your work', 'login', '[]')")
        .await
        .unwrap();
    exec(db, "INSERT INTO profile_stage_fields (stage_key, field_key) VALUES ('work', 'company')").await.unwrap();
    assert!(exec(db, "DELETE FROM profile_fields WHERE key = 'company'").await.is_err());
    exec(db, "DELETE FROM profile_stages WHERE key = 'work'").await.unwrap();
    assert_eq!(count(db, "profile_stage_fields").await, 0);
    exec(db, "DELETE FROM profile_fields WHERE key = 'company'").await.unwrap();
});

#[tokio::test]
async fn sqlite_files_use_wal_and_enforce_foreign_keys() {
    let dir = std::env::temp_dir().join(format!("askonce-wal-{}", uuid::Uuid::new_v4().simple()));
    let test_db = crate::testing::TestDb::sqlite_file(&dir).await;
    let db = &test_db.db;
    let mode = db
        .query_one(Statement::from_string(db.get_database_backend(), "PRAGMA journal_mode".to_string()))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<String>(0)
        .unwrap();
    assert_eq!(mode, "wal");
    let fk = db
        .query_one(Statement::from_string(db.get_database_backend(), "PRAGMA foreign_keys".to_string()))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i32>(0)
        .unwrap();
    assert_eq!(fk, 1);
    test_db.cleanup().await;
    let _ = std::fs::remove_dir_all(dir);
}
