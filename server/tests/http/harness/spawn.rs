//! Starting the real application, as `askonce serve` would, on port 0 with a fresh database
//! and a site root of its own.

use std::net::SocketAddr;

use figment::{
    providers::{Format, Toml},
    Figment,
};
use server::{config::Settings, startup::Application};
use services::testing::TestDb;
use tokio::net::TcpListener;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The running application. Its database lives as long as it does: a PostgreSQL one is
/// dropped when the `TestApp` is (`TestDb`'s `Drop`), also when a test fails half-way.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`
    pub address: String,
    pub db: sea_orm::DatabaseConnection,
    /// A browser that keeps cookies and follows no redirects (see [`super::browser`]).
    pub client: reqwest::Client,
    pub site_root: tempfile::TempDir,
    _test_db: TestDb,
    _data: tempfile::TempDir,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// An app about to start on `backend`; `.start()` starts it.
    pub fn on<'a>(backend: Backend) -> Launch<'a> {
        Launch { backend, server_toml: "", extra_toml: "", listener: None }
    }
}

/// The app on SQLite with the test configuration.
pub async fn spawn_app() -> TestApp {
    TestApp::on(Backend::Sqlite).start().await
}

/// The app on `backend` with `extra_toml` added to the test configuration.
pub async fn spawn_app_on(backend: Backend, extra_toml: &str) -> TestApp {
    TestApp::on(backend).config(extra_toml).start().await
}

/// How an app is to start: its database, configuration and listener.
pub struct Launch<'a> {
    backend: Backend,
    server_toml: &'a str,
    extra_toml: &'a str,
    listener: Option<TcpListener>,
}

impl<'a> Launch<'a> {
    /// Adds `toml` to the test configuration: top-level keys (e.g. `admins = [...]`) and
    /// tables (connections, rate limits, …).
    pub fn config(self, toml: &'a str) -> Self {
        Launch { extra_toml: toml, ..self }
    }

    /// Adds `toml` to the `[server]` table, which the test configuration already opens (so
    /// [`Launch::config`] cannot).
    pub fn server_config(self, toml: &'a str) -> Self {
        Launch { server_toml: toml, ..self }
    }

    /// Serves on a listener bound beforehand, so that a provider can be told the redirect URI
    /// before the app starts.
    pub fn listener(self, listener: TcpListener) -> Self {
        Launch { listener: Some(listener), ..self }
    }

    pub async fn start(self) -> TestApp {
        // Warnings (why a sign-in was refused, …) appear in the output of failing tests.
        // `try_init`: the first app of the process installs it; a test that captured the logs
        // itself beforehand (log_secrets) keeps its own.
        let _ = tracing_subscriber::fmt().with_env_filter("warn").with_test_writer().try_init();
        let listener = match self.listener {
            Some(listener) => listener,
            None => TcpListener::bind("127.0.0.1:0").await.expect("bind a port for the app"),
        };
        let data = tempfile::tempdir().unwrap();
        let site_root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(site_root.path().join("pkg")).unwrap();
        std::fs::write(site_root.path().join("pkg/askonce.css"), "body{}").unwrap();
        std::fs::write(site_root.path().join("favicon.svg"), "<svg/>").unwrap();

        let test_db = match self.backend {
            Backend::Sqlite => TestDb::sqlite_file(data.path()).await,
            Backend::Postgres => TestDb::postgres().await,
        };
        let addr = listener.local_addr().unwrap();
        let toml = configuration(addr, &site_root, &test_db.url, self.server_toml, self.extra_toml);
        let settings = Settings::from_figment(Figment::new().merge(Toml::string(&toml)))
            .unwrap_or_else(|e| panic!("the test configuration is refused: {e}\n{toml}"));
        let app = Application::build_on(&settings, listener).await.unwrap_or_else(|e| panic!("the app did not start: {e}"));
        let db = app.db.clone();
        tokio::spawn(app.run_until_stopped());

        TestApp { address: format!("http://{addr}"), db, client: super::browser(), site_root, _test_db: test_db, _data: data }
    }
}

impl TestApp {
    /// A second AskOnce on this app's database (another process would be the same: nothing
    /// but the database is shared), with the test configuration plus `extra_toml` and its own
    /// port. Its address.
    pub async fn another_instance(&self, extra_toml: &str) -> String {
        let (address, stop, _) = self.stoppable_instance(extra_toml).await;
        // Runs as long as the test: nothing will stop it.
        std::mem::forget(stop);
        address
    }

    /// Like [`TestApp::another_instance`], stopped gracefully (no new connections, requests in
    /// flight finish) when the returned sender is used or dropped; the handle ends with it.
    pub async fn stoppable_instance(&self, extra_toml: &str) -> (String, tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a port for another instance");
        let addr = listener.local_addr().unwrap();
        let toml = configuration(addr, &self.site_root, &self._test_db.url, "", extra_toml);
        let settings = Settings::from_figment(Figment::new().merge(Toml::string(&toml))).unwrap();
        let app = Application::build_on(&settings, listener).await.unwrap_or_else(|e| panic!("another instance did not start: {e}"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let handle = tokio::spawn(async move {
            app.run_until(async move {
                let _ = stopped.await;
            })
            .await
            .unwrap_or_else(|e| panic!("an instance failed: {e}"));
        });
        (format!("http://{addr}"), stop, handle)
    }
}

/// The test configuration: the app at `addr`, its files in `site_root`, its database at
/// `database_url`, with `server_toml` in `[server]` and `extra_toml` added.
fn configuration(addr: SocketAddr, site_root: &tempfile::TempDir, database_url: &str, server_toml: &str, extra_toml: &str) -> String {
    // Top-level keys of `extra_toml` (before its first table, e.g. `admins = [...]`) must
    // come before the tables written here.
    let split = if extra_toml.trim_start().starts_with('[') { 0 } else { extra_toml.find("\n[").map_or(extra_toml.len(), |i| i + 1) };
    let (root_keys, tables) = extra_toml.split_at(split);
    format!(
        "{root_keys}\n[server]\nbind = \"{addr}\"\npublic_url = \"http://{addr}\"\nsite_root = \"{}\"\nmax_body_bytes = 65536\n{server_toml}\n\
         [database]\nurl = \"{database_url}\"\n\
         [openid_provider]\nkey_encryption_key_file = \"{}/askonce.kek\"\n{tables}",
        site_root.path().display(),
        // Beside the site's files, which every instance of one test app shares: they open
        // the same signing keys.
        site_root.path().display(),
    )
}
