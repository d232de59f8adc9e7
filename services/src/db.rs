//! Opening the database and bringing its schema up to date.
//!
//! SQLite is the embedded default; PostgreSQL is for production and scale-out (several
//! instances share one database, sessions included).

use std::{str::FromStr, time::Duration};

use migrations::{Migrator, MigratorTrait};
use sea_orm::{
    sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr, SqlxSqliteConnector,
    TransactionTrait,
};

/// How to reach the database. The URL may hold a password, so this type's `Debug` hides it.
#[derive(Clone)]
pub struct DbConfig {
    pub url: String,
    pub max_connections: u32,
    pub connect_timeout: Duration,
}

impl std::fmt::Debug for DbConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbConfig")
            .field("url", &redact_url(&self.url))
            .field("max_connections", &self.max_connections)
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}

/// The URL with any password replaced, fit for logs and error messages.
pub(crate) fn redact_url(url: &str) -> String {
    // scheme://user:password@host/... -> scheme://user:***@host/...
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((credentials, host)) = rest.split_once('@') else {
        return url.to_string();
    };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbOpenError {
    #[error("database URL must start with sqlite:// or postgres:// (got {0})")]
    UnsupportedScheme(String),
    #[error("could not create the data directory {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error("could not open the database at {url}: {source}")]
    Open { url: String, source: DbErr },
    #[error("could not apply database migrations: {0}")]
    Migrate(DbErr),
}

/// Opens a connection pool. SQLite files (and their directory) are created when missing.
#[tracing::instrument(skip_all, fields(url = %redact_url(&config.url)))]
pub async fn connect(config: &DbConfig) -> Result<DatabaseConnection, DbOpenError> {
    let url = config.url.as_str();
    if url.starts_with("sqlite:") {
        connect_sqlite(config).await
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let mut options = ConnectOptions::new(url.to_string());
        options
            .max_connections(config.max_connections)
            .connect_timeout(config.connect_timeout)
            .acquire_timeout(config.connect_timeout)
            .sqlx_logging(false);
        Database::connect(options).await.map_err(|source| DbOpenError::Open { url: redact_url(url), source })
    } else {
        Err(DbOpenError::UnsupportedScheme(redact_url(url)))
    }
}

async fn connect_sqlite(config: &DbConfig) -> Result<DatabaseConnection, DbOpenError> {
    let open_err = |source: sea_orm::sqlx::Error| DbOpenError::Open {
        url: config.url.clone(),
        source: DbErr::Conn(sea_orm::RuntimeErr::SqlxError(source)),
    };
    let options = SqliteConnectOptions::from_str(&config.url)
        .map_err(open_err)?
        .create_if_missing(true)
        // WAL lets readers proceed during a write; FULL sync makes every acknowledged commit
        // durable even across a power cut, not just an app crash.
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        // Writers wait for each other instead of failing with "database is locked".
        .busy_timeout(Duration::from_secs(5));
    let in_memory = options.get_filename().to_string_lossy() == ":memory:" || config.url.contains("mode=memory");
    if !in_memory {
        if let Some(dir) = options.get_filename().parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| DbOpenError::DataDir { path: dir.display().to_string(), source })?;
        }
    }
    // An in-memory database lives as long as its connection: keep exactly one.
    let max = if in_memory { 1 } else { config.max_connections.max(1) };
    let pool = SqlitePoolOptions::new()
        .max_connections(max)
        .min_connections(if in_memory { 1 } else { 0 })
        .idle_timeout(if in_memory { None } else { Some(Duration::from_secs(600)) })
        .max_lifetime(if in_memory { None } else { Some(Duration::from_secs(1800)) })
        .acquire_timeout(config.connect_timeout)
        .connect_with(options)
        .await
        .map_err(open_err)?;
    Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
}

/// Applies every pending migration. Safe to run on every start-up: applied ones are skipped.
#[tracing::instrument(skip(db))]
pub async fn migrate(db: &DatabaseConnection) -> Result<usize, DbOpenError> {
    let pending = Migrator::get_pending_migrations(db).await.map_err(DbOpenError::Migrate)?;
    Migrator::up(db, None).await.map_err(DbOpenError::Migrate)?;
    if !pending.is_empty() {
        tracing::info!(applied = pending.len(), "database migrations applied");
    }
    Ok(pending.len())
}

/// Starts a transaction that will write. On SQLite it takes the database's write lock before
/// anything else — what `BEGIN IMMEDIATE` does; sea-orm always begins deferred. A deferred
/// transaction that reads and then writes fails at once with `SQLITE_BUSY_SNAPSHOT` when
/// another writer committed in between (busy_timeout cannot help: its snapshot is stale),
/// which made concurrent sign-ins fail; a transaction whose first statement writes waits
/// its turn under busy_timeout instead. The statement writes nothing (`WHERE 0`) but, being
/// an UPDATE, reserves the write lock. PostgreSQL needs nothing: row locks and MVCC serve.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let txn = db.begin().await?;
    if db.get_database_backend() == DatabaseBackend::Sqlite {
        txn.execute_unprepared("UPDATE users SET id = id WHERE 0").await?;
    }
    Ok(txn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_from_database_urls() {
        assert_eq!(redact_url("postgres://askonce:s3cret@db.internal:5432/askonce"), "postgres://askonce:***@db.internal:5432/askonce");
        assert_eq!(redact_url("postgres://postgres@127.0.0.1/test"), "postgres://postgres@127.0.0.1/test");
        assert_eq!(redact_url("sqlite://data/askonce.db"), "sqlite://data/askonce.db");
    }

    #[test]
    fn debug_output_never_shows_the_password() {
        let config = DbConfig { url: "postgres://u:hunter2@h/db".into(), max_connections: 5, connect_timeout: Duration::from_secs(1) };
        assert!(!format!("{config:?}").contains("hunter2"));
    }
}
