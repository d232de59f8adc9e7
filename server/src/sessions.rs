//! Browser sessions: tower-sessions, stored in the app's own database (SQLite or
//! PostgreSQL), so several instances behind a load balancer share them.
//!
//! Cookie rules (docs/SECURITY.md): HttpOnly; SameSite=Lax, because Strict would drop the cookie
//! on the provider's redirect back to our callback; Secure and the `__Host-` prefix when
//! served over https (the prefix pins the cookie to our host and path `/`).

use std::time::Duration;

use async_trait::async_trait;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection};
use tower_sessions::{
    cookie::SameSite, session::Id, session::Record, session_store, session_store::ExpiredDeletion, session_store::SessionStore, Expiry,
    SessionManagerLayer,
};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

use crate::config::Settings;

/// The session store for whichever database AskOnce runs on.
#[derive(Debug, Clone)]
pub enum AppSessionStore {
    /// The upstream store, and its pool for [`SessionStore::save`] below.
    Sqlite(SqliteStore, sea_orm::sqlx::SqlitePool),
    Postgres(PostgresStore, sea_orm::sqlx::PgPool),
}

#[derive(Debug, thiserror::Error)]
pub enum SessionSetupError {
    #[error("sessions are not supported on this database backend")]
    UnsupportedBackend,
    #[error("could not create the session table: {0}")]
    Migrate(#[from] sea_orm::sqlx::Error),
}

impl AppSessionStore {
    /// A store sharing `db`'s connection pool, with its table created if missing.
    pub async fn for_database(db: &DatabaseConnection) -> Result<Self, SessionSetupError> {
        let store = match db.get_database_backend() {
            DatabaseBackend::Sqlite => {
                let pool = db.get_sqlite_connection_pool().clone();
                let store = SqliteStore::new(pool.clone());
                store.migrate().await?;
                AppSessionStore::Sqlite(store, pool)
            }
            DatabaseBackend::Postgres => {
                let pool = db.get_postgres_connection_pool().clone();
                let store = PostgresStore::new(pool.clone());
                store.migrate().await?;
                AppSessionStore::Postgres(store, pool)
            }
            DatabaseBackend::MySql => return Err(SessionSetupError::UnsupportedBackend),
        };
        Ok(store)
    }

    /// Deletes expired sessions every `period`, forever. Failures are logged and retried at
    /// the next tick (the upstream helper would stop at the first error).
    pub(crate) async fn delete_expired_continuously(self, period: Duration) {
        let mut interval = tokio::time::interval(period);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            if let Err(err) = self.delete_expired().await {
                tracing::warn!(error = %err, "deleting expired sessions failed; will retry");
            }
        }
    }
}

#[async_trait]
impl SessionStore for AppSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite(s, _) => s.create(record).await,
            Self::Postgres(s, _) => s.create(record).await,
        }
    }

    /// Updates a stored session; never inserts one. tower-sessions calls `save` only for a
    /// session that has an id (new ones go through `create`, and `cycle_id` deletes the old
    /// record and creates a new one), but the upstream stores upsert: a slower request of a
    /// session that another request meanwhile ended (sign-out, signing in as someone else)
    /// would write its record back — and, with it, the old sign-in. An update of a deleted
    /// record changes nothing. The record is encoded as the upstream store encodes it
    /// (MessagePack), so `load` reads it unchanged.
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data = rmp_serde::to_vec(record).map_err(|e| session_store::Error::Encode(e.to_string()))?;
        let result = match self {
            Self::Sqlite(_, pool) => sea_orm::sqlx::query("UPDATE tower_sessions SET data = ?, expiry_date = ? WHERE id = ?")
                .bind(data)
                .bind(record.expiry_date)
                .bind(record.id.to_string())
                .execute(pool)
                .await
                .map(|_| ()),
            Self::Postgres(_, pool) => sea_orm::sqlx::query("UPDATE tower_sessions.session SET data = $1, expiry_date = $2 WHERE id = $3")
                .bind(data)
                .bind(record.expiry_date)
                .bind(record.id.to_string())
                .execute(pool)
                .await
                .map(|_| ()),
        };
        result.map_err(|e| session_store::Error::Backend(e.to_string()))
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Self::Sqlite(s, _) => s.load(id).await,
            Self::Postgres(s, _) => s.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Self::Sqlite(s, _) => s.delete(id).await,
            Self::Postgres(s, _) => s.delete(id).await,
        }
    }
}

#[async_trait]
impl ExpiredDeletion for AppSessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        match self {
            Self::Sqlite(s, _) => s.delete_expired().await,
            Self::Postgres(s, _) => s.delete_expired().await,
        }
    }
}

/// What every request checks about its signed-in session.
#[derive(Clone)]
pub struct SessionPolicy {
    pub db: DatabaseConnection,
    /// The absolute session limit, in seconds.
    pub absolute_limit_secs: i64,
    /// The idle limit, in seconds: a signed-in session in use moves it forward.
    pub idle_limit_secs: i64,
}

/// Before the request is handled, ends a signed-in session that is past the absolute limit or
/// that its owner ended from another device, and records the use of one that goes on (see
/// [`services::auth::session::touch`]: at most one session write a minute, not one per request).
pub(crate) async fn enforce_session_policy(
    axum::extract::State(policy): axum::extract::State<SessionPolicy>,
    session: tower_sessions::Session,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    request.extensions_mut().insert(app::auth::ssr::RequestUser::default());
    // Each check that ends the session hands the request on at once: the later ones would
    // only look at a session that is already gone.
    let handle = services::auth::session::handle(&session).await.ok().flatten();
    match services::auth::session::enforce_absolute_limit(&session, policy.absolute_limit_secs).await {
        Ok(true) => {
            tracing::info!("session ended: absolute lifetime reached");
            if let Some(handle) = &handle {
                if let Err(err) = services::auth::devices::forget(&policy.db, handle).await {
                    tracing::warn!(error = %err, "could not forget an ended session");
                }
            }
            return next.run(request).await;
        }
        Ok(false) => {}
        Err(err) => tracing::warn!(error = %err, "could not check the session lifetime"),
    }
    match services::auth::session::end_if_incomplete(&session).await {
        Ok(true) => {
            tracing::info!("session ended: signed in without a device record");
            return next.run(request).await;
        }
        Ok(false) => {}
        Err(err) => tracing::warn!(error = %err, "could not check the session's records"),
    }
    if let Some(handle) = handle {
        match services::auth::devices::still_valid(&policy.db, &handle).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::info!("session ended from another device");
                if let Err(err) = session.flush().await {
                    tracing::warn!(error = %err, "could not end a revoked session");
                }
                return next.run(request).await;
            }
            Err(err) => tracing::warn!(error = %err, "could not check the session list"),
        }
        if let Err(err) = services::auth::session::touch(&session, policy.idle_limit_secs).await {
            tracing::warn!(error = %err, "could not record the session's use");
        }
    }
    next.run(request).await
}

/// The session cookie's name: `__Host-` prefixed when served over https.
pub(crate) fn cookie_name(https: bool) -> &'static str {
    if https {
        "__Host-askonce_session"
    } else {
        "askonce_session"
    }
}

/// The session layer with AskOnce's cookie rules.
pub fn layer(store: AppSessionStore, settings: &Settings) -> SessionManagerLayer<AppSessionStore> {
    let https = settings.is_https();
    SessionManagerLayer::new(store)
        .with_name(cookie_name(https))
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(https)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(time::Duration::minutes(i64::from(settings.session.idle_timeout_minutes))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_cookies_carry_the_host_prefix() {
        assert!(cookie_name(true).starts_with("__Host-"));
        assert!(!cookie_name(false).starts_with("__Host-"));
    }
}
