//! What every test module shares: the app under test ([`TestApp`]), the requests that set a
//! case up, the browsers, the providers (a misbehaving one in-process, [`idp`]; a real one as a
//! Node process, [`oidc_provider`]), AskOnce as the provider of a real relying app ([`openid`]), and tests that need a process of their own
//! ([`own_process`]).
//!
//! Set-up helpers fail loudly: when the app refuses a request a test only meant to prepare
//! with, the helper panics with the status and the body, instead of letting the test fail
//! later for a reason it does not show.

mod accounts;
pub mod authlib;
pub mod browser;
pub mod expect;
pub mod hook_endpoint;
pub mod idp;
pub mod maildev;
pub mod oidc_provider;
pub mod openid;
pub mod own_process;
mod spawn;

pub use accounts::PASSWORD;
pub use browser::browser;
pub use spawn::{spawn_app, spawn_app_on, Backend, TestApp};

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
                super::$name($crate::harness::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgres() {
                super::$name($crate::harness::Backend::Postgres).await
            }
        }
    };
    // `own_process`: each test runs alone in a new process of this binary, for tests that
    // install process-wide state (see `harness::own_process`).
    ($name:ident, own_process) => {
        mod $name {
            #[test]
            fn on_sqlite() {
                $crate::harness::own_process::run(concat!(module_path!(), "::on_sqlite"), || super::$name($crate::harness::Backend::Sqlite))
            }
            #[test]
            fn on_postgres() {
                $crate::harness::own_process::run(concat!(module_path!(), "::on_postgres"), || {
                    super::$name($crate::harness::Backend::Postgres)
                })
            }
        }
    };
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn on_sqlite() {
                super::$name($crate::harness::Backend::Sqlite).await
            }
            #[tokio::test]
            async fn on_postgres() {
                super::$name($crate::harness::Backend::Postgres).await
            }
        }
    };
}
