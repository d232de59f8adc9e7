//! Test support: fresh, migrated databases on SQLite and PostgreSQL (feature `test-support`).
//!
//! Every PostgreSQL test gets a database of its own (`askonce_t_<uuid>`), so tests run in
//! parallel without seeing each other's rows. `scripts/test.sh` drops leftovers of crashed runs.
// Test helpers fail loudly: a database that cannot be prepared is a broken test run.
#![allow(clippy::expect_used, clippy::panic)]

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::db::{connect, migrate, DbConfig};

/// Where the PostgreSQL test server is; overridable with `TEST_DATABASE_URL`.
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// A migrated database for one test.
pub struct TestDb {
    pub db: DatabaseConnection,
    /// The URL the app would be configured with to use this database.
    pub url: String,
    /// For PostgreSQL: the database to drop afterwards.
    pg_name: Option<String>,
}

impl TestDb {
    /// A private in-memory SQLite database.
    pub async fn sqlite() -> TestDb {
        let url = "sqlite::memory:".to_string();
        Self::open(url, None).await
    }

    /// A SQLite file in `dir` (for tests that start the whole server).
    pub async fn sqlite_file(dir: &std::path::Path) -> TestDb {
        let url = format!("sqlite://{}?mode=rwc", dir.join("askonce-test.db").display());
        Self::open(url, None).await
    }

    /// A brand-new PostgreSQL database on the test server.
    pub async fn postgres() -> TestDb {
        let admin_url = postgres_admin_url();
        let admin = connect(&config(admin_url.clone())).await.unwrap_or_else(|e| {
            panic!("PostgreSQL test server unreachable ({e}); set TEST_DATABASE_URL or run with SKIP_POSTGRES=1 through scripts/test.sh")
        });
        let name = format!("askonce_t_{}", uuid::Uuid::new_v4().simple());
        admin
            .execute(Statement::from_string(admin.get_database_backend(), format!("CREATE DATABASE \"{name}\"")))
            .await
            .expect("create test database");
        let _ = admin.close().await;
        let url = replace_database(&admin_url, &name);
        Self::open(url, Some(name)).await
    }

    async fn open(url: String, pg_name: Option<String>) -> TestDb {
        let db = connect(&config(url.clone())).await.expect("open test database");
        migrate(&db).await.expect("migrate test database");
        TestDb { db, url, pg_name }
    }

    /// Closes the pool and drops a PostgreSQL test database.
    pub async fn cleanup(self) {
        let _ = self.db.close().await;
        if let Some(name) = self.pg_name {
            if let Ok(admin) = connect(&config(postgres_admin_url())).await {
                let _ = admin
                    .execute(Statement::from_string(
                        admin.get_database_backend(),
                        format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
                    ))
                    .await;
                let _ = admin.close().await;
            }
        }
    }
}

fn config(url: String) -> DbConfig {
    DbConfig { url, max_connections: 5, connect_timeout: Duration::from_secs(5) }
}

/// `postgres://u@h:5432/test?x=y` with the database name replaced.
fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_and_path = &base[scheme_end..];
    let root = match host_and_path.find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

/// Defines one test per database backend: `<name>::on_sqlite` and `<name>::on_postgres`.
/// The body sees `$db: &DatabaseConnection`. `scripts/test.sh` counts the `on_postgres`
/// tests that ran, and passes `--skip on_postgres` only when no PostgreSQL is reachable and
/// `REQUIRE_POSTGRES` is not set.
#[macro_export]
macro_rules! db_test {
    ($(#[$meta:meta])* $name:ident, |$db:ident| $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test]
            async fn on_sqlite() {
                let test_db = $crate::testing::TestDb::sqlite().await;
                {
                    let $db: &::sea_orm::DatabaseConnection = &test_db.db;
                    $body
                }
                test_db.cleanup().await;
            }

            #[tokio::test]
            async fn on_postgres() {
                let test_db = $crate::testing::TestDb::postgres().await;
                {
                    let $db: &::sea_orm::DatabaseConnection = &test_db.db;
                    $body
                }
                test_db.cleanup().await;
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::replace_database;

    #[test]
    fn the_database_name_is_replaced_and_the_query_kept() {
        assert_eq!(replace_database("postgres://postgres@127.0.0.1:5432/test", "x"), "postgres://postgres@127.0.0.1:5432/x");
        assert_eq!(replace_database("postgres://u:p@h/test?sslmode=disable", "x"), "postgres://u:p@h/x?sslmode=disable");
        assert_eq!(replace_database("postgres://h", "x"), "postgres://h/x");
    }
}
