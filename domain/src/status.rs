//! What the service status check found: shown to people on the home and `/status` pages.

use serde::{Deserialize, Serialize};

/// What the status check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceStatus {
    /// "SQLite" or "PostgreSQL".
    pub database: String,
    pub database_reachable: bool,
    /// Migrations still to apply; 0 when the schema is current.
    pub pending_migrations: usize,
    pub applied_migrations: usize,
    /// RFC 3339, UTC, with milliseconds.
    pub checked_at: String,
}

impl ServiceStatus {
    pub fn is_healthy(&self) -> bool {
        self.database_reachable && self.pending_migrations == 0
    }

    /// One sentence a person can read.
    pub fn summary(&self) -> &'static str {
        match (self.database_reachable, self.pending_migrations) {
            (false, _) => "The database is not answering. Sign-in is unavailable.",
            (true, 0) => "All systems normal.",
            (true, _) => "The database schema is out of date; run `askonce migrate`.",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(reachable: bool, pending: usize) -> ServiceStatus {
        ServiceStatus {
            database: "SQLite".into(),
            database_reachable: reachable,
            pending_migrations: pending,
            applied_migrations: 1,
            checked_at: "2026-11-22T00:00:00.000Z".into(),
        }
    }

    #[test]
    fn healthy_only_when_reachable_and_migrated() {
        assert!(status(true, 0).is_healthy());
        assert!(!status(true, 2).is_healthy());
        assert!(!status(false, 0).is_healthy());
    }

    #[test]
    fn an_unreachable_database_is_reported_before_pending_migrations() {
        assert!(status(false, 3).summary().contains("not answering"));
        assert!(status(true, 3).summary().contains("askonce migrate"));
    }
}
