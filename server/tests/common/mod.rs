//! `spawn_app()`: the real application on port 0 with a fresh database, for HTTP tests.
#![allow(dead_code)]

pub mod browser;
pub mod idp;
pub mod oidc_provider;

use std::net::SocketAddr;

use app::testing::TestDb;
use figment::{
    providers::{Format, Toml},
    Figment,
};
use server::{config::Settings, startup::Application};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub address: String,
    pub addr: SocketAddr,
    pub db: sea_orm::DatabaseConnection,
    /// A client that keeps cookies and does not follow redirects, like a careful browser.
    pub client: reqwest::Client,
    pub site_root: tempfile::TempDir,
    test_db: Option<TestDb>,
    _data: tempfile::TempDir,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn cleanup(mut self) {
        if let Some(db) = self.test_db.take() {
            db.cleanup().await;
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_on(Backend::Sqlite, "").await
}

/// Starts the app with `extra_toml` appended to the test configuration.
pub async fn spawn_app_on(backend: Backend, extra_toml: &str) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    spawn_app_on_listener(backend, listener, extra_toml).await
}

/// Like [`spawn_app_on`], on a listener bound beforehand (so a provider can be told the
/// redirect URI before the app starts).
pub async fn spawn_app_on_listener(backend: Backend, listener: tokio::net::TcpListener, extra_toml: &str) -> TestApp {
    spawn_app_configured(backend, listener, "", extra_toml).await
}

/// Like [`spawn_app_on`], with `server_toml` added to the `[server]` table (which the test
/// configuration already opens, so `extra_toml` cannot).
pub async fn spawn_app_with_server(backend: Backend, server_toml: &str, extra_toml: &str) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    spawn_app_configured(backend, listener, server_toml, extra_toml).await
}

async fn spawn_app_configured(backend: Backend, listener: tokio::net::TcpListener, server_toml: &str, extra_toml: &str) -> TestApp {
    // Warnings (why a sign-in was refused, …) appear in the output of failing tests.
    let _ = tracing_subscriber::fmt().with_env_filter("warn").with_test_writer().try_init();
    let data = tempfile::tempdir().unwrap();
    let site_root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(site_root.path().join("pkg")).unwrap();
    std::fs::write(site_root.path().join("pkg/askonce.css"), "body{}").unwrap();
    std::fs::write(site_root.path().join("favicon.svg"), "<svg/>").unwrap();

    let test_db = match backend {
        Backend::Sqlite => TestDb::sqlite_file(data.path()).await,
        Backend::Postgres => TestDb::postgres().await,
    };
    let addr = listener.local_addr().unwrap();
    // Top-level keys of `extra_toml` (before its first table, e.g. `admins = [...]`) must
    // come before the tables written here.
    let split = if extra_toml.trim_start().starts_with('[') { 0 } else { extra_toml.find("\n[").map_or(extra_toml.len(), |i| i + 1) };
    let (root_keys, extra_toml) = extra_toml.split_at(split);
    let toml = format!(
        "{root_keys}\n[server]\nbind = \"{addr}\"\npublic_url = \"http://{addr}\"\nsite_root = \"{}\"\nmax_body_bytes = 65536\n{server_toml}\n\
         [database]\nurl = \"{}\"\n{extra_toml}",
        site_root.path().display(),
        test_db.url,
    );
    let settings = Settings::from_figment(Figment::new().merge(Toml::string(&toml))).unwrap();
    let app = Application::build_on(&settings, listener).await.unwrap();
    let db = app.db.clone();
    tokio::spawn(app.run_until_stopped());

    let client = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    TestApp { address: format!("http://{addr}"), addr, db, client, site_root, test_db: Some(test_db), _data: data }
}

/// Defines one HTTP test per database backend: `<name>::on_sqlite` and `<name>::on_postgres`.
/// The body is an async fn taking the [`Backend`]. `scripts/test.sh` counts the `on_postgres`
/// tests that ran (and skips them only when no PostgreSQL is reachable and CI does not
/// require one).
#[macro_export]
macro_rules! on_both_databases {
    // `multi_thread`: the server, the provider and the test's clients run on two worker
    // threads, for tests about concurrency.
    ($name:ident, multi_thread) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                super::$name($crate::common::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgres() {
                super::$name($crate::common::Backend::Postgres).await
            }
        }
    };
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn on_sqlite() {
                super::$name($crate::common::Backend::Sqlite).await
            }
            #[tokio::test]
            async fn on_postgres() {
                super::$name($crate::common::Backend::Postgres).await
            }
        }
    };
}
