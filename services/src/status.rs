//! The status check's database queries.

use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection};

use domain::status::ServiceStatus;

/// Checks the database and the schema. Never fails: an unreachable database is a status to
/// report, not an error.
#[tracing::instrument(skip(db))]
pub async fn service_status(db: &DatabaseConnection) -> ServiceStatus {
    let database = match db.get_database_backend() {
        DatabaseBackend::Sqlite => "SQLite",
        DatabaseBackend::Postgres => "PostgreSQL",
        DatabaseBackend::MySql => "MySQL",
    };
    let reachable = match db.ping().await {
        Ok(()) => true,
        Err(err) => {
            tracing::warn!(error = %err, "database ping failed");
            false
        }
    };
    let (applied, pending) = if reachable {
        let applied = Migrator::get_applied_migrations(db).await.map(|m| m.len());
        let pending = Migrator::get_pending_migrations(db).await.map(|m| m.len());
        match (applied, pending) {
            (Ok(a), Ok(p)) => (a, p),
            (Err(err), _) | (_, Err(err)) => {
                tracing::warn!(error = %err, "could not read migration state");
                (0, Migrator::migrations().len())
            }
        }
    } else {
        (0, 0)
    };
    ServiceStatus {
        database: database.to_string(),
        database_reachable: reachable,
        pending_migrations: pending,
        applied_migrations: applied,
        checked_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::db_test!(a_freshly_migrated_database_reports_healthy, |db| {
        let status = service_status(db).await;
        assert!(status.is_healthy(), "{status:?}");
        assert_eq!(status.applied_migrations, Migrator::migrations().len());
        assert_eq!(status.pending_migrations, 0);
    });

    crate::db_test!(a_closed_database_is_reported_unreachable_not_as_an_error, |db| {
        let closed = db.clone();
        closed.close_by_ref().await.ok();
        let status = service_status(&closed).await;
        assert!(!status.database_reachable);
        assert!(!status.is_healthy());
    });
}
