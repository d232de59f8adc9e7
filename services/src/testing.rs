//! Test support: fresh, migrated databases on SQLite and PostgreSQL (feature `test-support`).
//!
//! Every PostgreSQL test gets a database of its own, so tests run in parallel without seeing
//! each other's rows. Its name starts with its run's prefix ([`RunPrefix`]), which tells
//! `scripts/postgres.sh` whether the run that made it may still be going; a `TestDb` drops its
//! database when it is dropped, so only killed runs leave any behind.
// Test helpers fail loudly: a database that cannot be prepared is a broken test run.
#![allow(clippy::expect_used, clippy::panic)]

use std::{
    sync::OnceLock,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::db::{connect, migrate, DbConfig};

/// Where the PostgreSQL test server is; overridable with `TEST_DATABASE_URL`.
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// The run a test database belongs to: the test process that made it, named by when it
/// started (Unix seconds) and its process id. Databases are `askonce_t_<started>_<pid>_<random>`.
///
/// Several runs may share one PostgreSQL (two checkouts, CI jobs in containers), so a cleanup
/// must tell a crashed run's leftovers from a live run's databases. A process id alone cannot:
/// the other run may be in another container, whose ids mean nothing here, and ids are
/// reused. The start time can: `scripts/postgres.sh` drops only databases of runs that started
/// hours ago (no test process lives that long), and never one somebody is connected to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunPrefix {
    pub started: u64,
    pub pid: u32,
}

impl RunPrefix {
    /// This process's run, fixed at its first test database.
    pub fn current() -> RunPrefix {
        static CURRENT: OnceLock<RunPrefix> = OnceLock::new();
        *CURRENT.get_or_init(|| {
            let started = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
            RunPrefix { started, pid: std::process::id() }
        })
    }

    /// The name of a database of this run; `unique` (lowercase hex) tells it from the run's
    /// others, and runs with the same prefix on other hosts.
    pub fn database(&self, unique: &str) -> String {
        format!("askonce_t_{}_{}_{unique}", self.started, self.pid)
    }

    /// The run that made the test database `name`; `None` for other names (including the
    /// `askonce_t_<uuid>` ones from before run prefixes).
    #[cfg(test)]
    pub(crate) fn of_database(name: &str) -> Option<RunPrefix> {
        let mut parts = name.strip_prefix("askonce_t_")?.split('_');
        let (started, pid, unique) = (parts.next()?, parts.next()?, parts.next()?);
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let hex = !unique.is_empty() && unique.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if parts.next().is_some() || !digits(started) || !digits(pid) || !hex {
            return None;
        }
        Some(RunPrefix { started: started.parse().ok()?, pid: pid.parse().ok()? })
    }
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
            panic!("PostgreSQL test server unreachable ({e}); set TEST_DATABASE_URL, start it with scripts/postgres.sh, or skip these tests with `cargo test -- --skip on_postgres` (scripts/test.sh does so, loudly, when it cannot start one)")
        });
        // 64 random bits: unique within the run, and against a run with the same prefix in
        // another container; the name stays within PostgreSQL's 63 bytes (48 at most).
        let name = RunPrefix::current().database(&uuid::Uuid::new_v4().simple().to_string()[..16]);
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
    pub async fn cleanup(mut self) {
        let _ = self.db.close_by_ref().await;
        if let Some(name) = self.pg_name.take() {
            drop_database(&name).await;
        }
    }
}

/// A test that ends before its `cleanup` (a failed assertion), or that owns its database
/// through an app, drops its PostgreSQL database here. `drop` cannot await, and runs inside the
/// test's runtime, where starting another one panics: the drop runs on a thread and a runtime
/// of its own, and is waited for.
impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else { return };
        let dropping = std::thread::spawn(move || match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(runtime) => runtime.block_on(drop_database(&name)),
            Err(e) => eprintln!("test database {name} left for scripts/postgres.sh: no runtime to drop it ({e})"),
        });
        // A panic there leaves the database to `scripts/postgres.sh`, like a killed run's.
        let _ = dropping.join();
    }
}

/// Drops the test database `name`, whoever is still connected to it (the app under test).
async fn drop_database(name: &str) {
    let Ok(admin) = connect(&config(postgres_admin_url())).await else {
        eprintln!("test database {name} left for scripts/postgres.sh: PostgreSQL unreachable");
        return;
    };
    let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    if let Err(e) = admin.execute(Statement::from_string(admin.get_database_backend(), drop)).await {
        eprintln!("test database {name} left for scripts/postgres.sh: {e}");
    }
    let _ = admin.close().await;
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
    use super::{replace_database, RunPrefix};

    #[test]
    fn a_database_name_carries_its_run_and_is_read_back() {
        let run = RunPrefix { started: 1_767_225_600, pid: 4_194_304 };
        let name = run.database("0123456789abcdef");
        assert_eq!(name, "askonce_t_1767225600_4194304_0123456789abcdef");
        assert!(name.len() <= 63, "PostgreSQL truncates longer names: {name}");
        assert_eq!(RunPrefix::of_database(&name), Some(run));
    }

    #[test]
    fn this_process_names_every_database_with_one_prefix() {
        let (a, b) = (RunPrefix::current().database("aa"), RunPrefix::current().database("bb"));
        assert_eq!(RunPrefix::of_database(&a), RunPrefix::of_database(&b));
        assert_eq!(RunPrefix::of_database(&a).map(|run| run.pid), Some(std::process::id()));
    }

    #[test]
    fn other_names_are_not_test_databases_of_a_run() {
        for name in [
            "askonce_t_0123456789abcdef0123456789abcdef",
            "askonce_bench",
            "askonce_t_1767225600_42",
            "askonce_t_1767225600_42_XYZ",
            "askonce_t_1767225600_42_ab_cd",
            "askonce_t__42_ab",
            "test",
        ] {
            assert_eq!(RunPrefix::of_database(name), None, "{name}");
        }
    }

    #[test]
    fn the_database_name_is_replaced_and_the_query_kept() {
        assert_eq!(replace_database("postgres://postgres@127.0.0.1:5432/test", "x"), "postgres://postgres@127.0.0.1:5432/x");
        assert_eq!(replace_database("postgres://u:p@h/test?sslmode=disable", "x"), "postgres://u:p@h/x?sslmode=disable");
        assert_eq!(replace_database("postgres://h", "x"), "postgres://h/x");
    }
}
