//! Building and running the application: database, migrations, sessions, listener.
//! Tests use the same path (`Application::build` on port 0).

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use app::state::AppState;
use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::{config::Settings, connections, connections::ConnectionRegistry, http, sessions};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] services::db::DbOpenError),
    #[error(transparent)]
    Sessions(#[from] sessions::SessionSetupError),
    #[error("could not listen on {addr}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("identity providers: {0}")]
    Connections(String),
    #[error("could not create the HTTP client for identity providers")]
    HttpClient(#[source] reqwest::Error),
    #[error("could not set up the client for calls to hooks")]
    Outbound(#[from] services::outbound::SetupError),
    #[error("could not seed the default configuration")]
    SeedQuestions(#[source] services::profiling::ProfilingError),
    #[error("email settings")]
    Email(#[from] crate::mail_worker::MailSetupError),
    #[error("could not seed the demo articles")]
    SeedArticles(#[source] sea_orm::DbErr),
    #[error("openid_provider: {0}")]
    Keys(#[from] services::openid_provider::keys::KeyError),
    #[error("clients: {0}")]
    Clients(#[from] services::openid_provider::clients::SyncError),
    #[error("{0}")]
    ExternalForms(String),
}

/// A bound, ready-to-serve AskOnce.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    header_read_timeout: Duration,
    pub db: DatabaseConnection,
}

impl Application {
    /// Opens and migrates the database, prepares sessions and binds the listener.
    pub async fn build(settings: &Settings) -> Result<Application, StartupError> {
        let addr = settings.server.bind;
        let listener = TcpListener::bind(addr).await.map_err(|source| StartupError::Bind { addr, source })?;
        Self::build_on(settings, listener).await
    }

    /// Like [`Application::build`], on a listener the caller bound (tests bind port 0 first
    /// so they know the public URL before the app starts).
    pub async fn build_on(settings: &Settings, listener: TcpListener) -> Result<Application, StartupError> {
        let db = services::db::connect(&settings.db_config()).await?;
        services::db::migrate(&db).await?;
        services::profiling::seed_defaults_if_empty(&db).await.map_err(StartupError::SeedQuestions)?;
        app::articles::ssr::seed_demo_if_empty(&db).await.map_err(StartupError::SeedArticles)?;
        let store = sessions::AppSessionStore::for_database(&db).await?;
        tokio::spawn(store.clone().delete_expired_continuously(Duration::from_secs(settings.session.cleanup_interval_secs.max(1))));

        // Rows of the signed-in sessions list outlive nothing: idle ones go with their sessions.
        let idle = chrono::Duration::minutes(i64::from(settings.session.idle_timeout_minutes));
        let cleanup_db = db.clone();
        let every = Duration::from_secs(settings.session.cleanup_interval_secs.max(1));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                if let Err(err) = services::auth::devices::forget_idle(&cleanup_db, idle).await {
                    tracing::warn!(error = %err, "pruning the signed-in sessions list failed");
                }
            }
        });

        // Once an hour: account activity older than its retention, and emailed links that
        // expired more than a day ago (they can only be refused).
        let retention = (settings.activity.retention_days > 0).then(|| chrono::Duration::days(i64::from(settings.activity.retention_days)));
        let housekeeping_db = db.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(3600));
            loop {
                tick.tick().await;
                let now = chrono::Utc::now();
                if let Some(keep) = retention {
                    match services::activity::prune(&housekeeping_db, now - keep).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(deleted = n, "pruned old account activity"),
                        Err(err) => tracing::warn!(error = %err, "pruning account activity failed"),
                    }
                }
                if let Err(err) = services::auth::links::prune(&housekeeping_db, now - chrono::Duration::days(1)).await {
                    tracing::warn!(error = %err, "pruning expired email links failed");
                }
                // Applications' tokens and codes a day past their expiry can only be refused;
                // authorizations in flight are of no use once expired.
                let day_ago = now - chrono::Duration::days(1);
                if let Err(err) = services::openid_provider::refresh::prune(&housekeeping_db, day_ago).await {
                    tracing::warn!(error = %err, "pruning expired tokens failed");
                }
                if let Err(err) = services::openid_provider::codes::prune(&housekeeping_db, day_ago).await {
                    tracing::warn!(error = %err, "pruning expired codes failed");
                }
                if let Err(err) = services::openid_provider::authorizations::prune(&housekeeping_db, now).await {
                    tracing::warn!(error = %err, "pruning expired authorizations failed");
                }
            }
        });

        // Outgoing email: the outbox's delivery worker (SMTP, or the outbox alone).
        tokio::spawn(crate::mail_worker::MailWorker::new(db.clone(), &settings.email)?.run());

        let addr = settings.server.bind;
        let local = listener.local_addr().map_err(|source| StartupError::Bind { addr, source })?;

        let http_client = connections::provider_http_client().map_err(StartupError::HttpClient)?;
        let registry = Arc::new(
            ConnectionRegistry::new(&settings.connections, &settings.server.public_url, http_client).map_err(StartupError::Connections)?,
        );
        registry.discover_all_in_background();
        // The OpenID Provider: the configured applications, and the keys' encryption key
        // (made at first start when not configured). Signing keys are made when first needed.
        services::openid_provider::clients::sync_configured(&db, &settings.clients, chrono::Utc::now()).await?;
        let kek = settings.openid_provider.key_encryption_key()?;
        let keys = services::openid_provider::keys::Keys::new(db.clone(), kek);
        keys.check_kek().await?;
        let provider = services::openid_provider::Provider::new(settings.server.public_url.as_str(), keys);
        let external_forms =
            services::external_form::ConfiguredForms::new(&settings.external_forms).map_err(StartupError::ExternalForms)?;
        external_forms.retire_stored(&db).await.map_err(|e| StartupError::ExternalForms(format!("external_forms: {e}")))?;
        let state = AppState {
            db: db.clone(),
            leptos_options: leptos_options(settings, local),
            connections: registry.clone(),
            admins: services::auth::roles::ConfiguredAdmins::new(&settings.admins),
            password_throttle: Arc::new(services::auth::throttle::PasswordThrottle::new(settings.rate_limit.password_failure_limits())),
            site: services::email::templates::Site::new(settings.server.site_name.clone(), settings.server.public_url.as_str()),
            email_policy: settings.email.policy(),
            outbound: services::outbound::Outbound::new(settings.hooks.outbound_policy(&settings.server.public_url).await)?,
            provider: provider.clone(),
            external_forms,
        };
        // The signing key's schedule: checked hourly, on every instance (two rotating at once
        // both end up signing with the same key: see `keys`).
        if settings.openid_provider.rotate_keys_after_days > 0 {
            let keys = provider.keys.clone();
            let max_age = chrono::Duration::days(i64::from(settings.openid_provider.rotate_keys_after_days));
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(3600));
                loop {
                    tick.tick().await;
                    match keys.rotate_if_older_than(max_age).await {
                        Ok(Some(kid)) => tracing::info!(%kid, "rotated the signing key on schedule"),
                        Ok(None) => {}
                        Err(err) => tracing::warn!(error = %err, "checking the signing key's age failed"),
                    }
                }
            });
        }
        let router = http::router(state, settings, store, registry);
        let header_read_timeout = Duration::from_secs(settings.server.header_read_timeout_secs);
        Ok(Application { listener, router, header_read_timeout, db })
    }

    /// The address actually bound (differs from the setting when it asked for port 0).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Serves until SIGTERM or Ctrl-C, then finishes in-flight requests and returns.
    pub async fn run_until_stopped(self) -> Result<(), StartupError> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `shutdown` completes, then stops accepting connections, finishes the
    /// requests in flight and returns (what a rolling restart relies on; the tests drive it).
    pub async fn run_until(self, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> Result<(), StartupError> {
        crate::serve::serve(self.listener, self.router, self.header_read_timeout, shutdown).await;
        self.db.close().await.ok();
        tracing::info!("stopped");
        Ok(())
    }
}

/// Leptos' own options: where the built site is and what its files are called.
fn leptos_options(settings: &Settings, bound: SocketAddr) -> LeptosOptions {
    // cargo-leptos bakes the output name in at compile time; plain `cargo` builds (tests) don't.
    let output_name = option_env!("LEPTOS_OUTPUT_NAME").unwrap_or("askonce");
    let site_root = settings
        .server
        .site_root
        .clone()
        .or_else(|| std::env::var_os("LEPTOS_SITE_ROOT").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("target/site"));
    LeptosOptions::builder()
        .output_name(output_name)
        .site_root(site_root.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(bound)
        .build()
}

/// Completes at SIGTERM or Ctrl-C. The handlers are installed now, when it is made, not when
/// it is first polled: the server answers requests before the serve loop first polls it, and
/// a SIGTERM in between took the default action (the process killed, not stopped gracefully).
fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let (terminate, interrupt) = {
        use tokio::signal::unix::{signal, SignalKind};
        (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
    };
    async move {
        #[cfg(unix)]
        {
            let wait = |stream: std::io::Result<tokio::signal::unix::Signal>, name: &'static str| async move {
                match stream {
                    Ok(mut sig) => {
                        sig.recv().await;
                    }
                    Err(err) => {
                        tracing::error!(error = %err, "cannot listen for {name}");
                        std::future::pending::<()>().await;
                    }
                }
            };
            tokio::select! {
                () = wait(terminate, "SIGTERM") => {},
                () = wait(interrupt, "Ctrl-C") => {},
            }
        }
        #[cfg(not(unix))]
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
        tracing::info!("shutdown requested; finishing in-flight requests");
    }
}
