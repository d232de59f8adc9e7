//! Several AskOnce instances on one PostgreSQL, as behind a load balancer: a browser's
//! requests land on either, and each sees what the other did — sessions, sign-outs, ended
//! sessions, configuration edits. (Browsers keep cookies per host, not per port, so one
//! client's cookie reaches both instances here as it would through one public address.)

use app::{account::sessions::EndSessions, admin::api_tokens::Scope, auth::CurrentUser, auth::Logout, auth::SessionUser};
use leptos::server_fn::ServerFn;
use reqwest::Client;
use serde_json::json;

use crate::harness::{browser, expect, spawn_app_on, Backend};

async fn whoami_at(client: &Client, base: &str) -> Option<SessionUser> {
    let res = expect::send(client.post(format!("{base}{}", CurrentUser::PATH)), "CurrentUser").await;
    expect::json(res, "CurrentUser").await
}

mod sessions_and_configuration_are_shared_between_instances {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_postgres() {
        let a = spawn_app_on(Backend::Postgres, "").await;
        let b = a.another_instance("").await;

        // Signed in on A, signed in on B.
        a.sign_up(&a.client, "ada@example.com").await;
        assert_eq!(whoami_at(&a.client, &b).await.and_then(|u| u.email), Some("ada@example.com".into()));

        // A session ended from /profile on A is refused on B.
        let phone = browser();
        a.sign_in(&phone, "ada@example.com").await;
        assert!(whoami_at(&phone, &b).await.is_some());
        expect::accepted(a.call(&a.client, EndSessions::PATH, &[]).await, "EndSessions").await;
        assert!(whoami_at(&phone, &b).await.is_none(), "ended on A, refused on B");
        assert!(whoami_at(&a.client, &b).await.is_some(), "the session that ended the others goes on");

        // Signed out on B, signed out on A.
        expect::accepted(expect::send(a.client.post(format!("{b}{}", Logout::PATH)), "sign out on B").await, "sign out").await;
        assert!(a.whoami(&a.client).await.is_none());

        // A configuration edit through A is what B uses next.
        let token = a.api_token(&[Scope::ReadStages, Scope::UpdateStages]).await;
        let (status, mut field) = a.api("GET", "/api/v2/fields/given_name", Some(&token), None).await;
        assert_eq!(status, reqwest::StatusCode::OK, "{field}");
        field["label"] = json!("Your first name, please");
        let (status, body) = a.api("PUT", "/api/v2/fields/given_name", Some(&token), Some(field)).await;
        assert_eq!(status, reqwest::StatusCode::OK, "{body}");
        let newcomer = browser();
        let res = expect::send(
            newcomer
                .post(format!("{b}{}", app::sign_in::PasswordSignUp::PATH))
                .form(&[("email", "grace@example.com"), ("password", crate::harness::PASSWORD)]),
            "sign up on B",
        )
        .await;
        expect::accepted(res, "sign up on B").await;
        let welcome = expect::send(newcomer.get(format!("{b}/welcome")), "/welcome on B").await.text().await.unwrap();
        assert!(welcome.contains("Your first name, please"), "B asks with A's edit: {welcome}");
    }
}

mod a_rolling_restart_under_steady_load_loses_nothing {
    use std::{
        sync::{Arc, Mutex},
        time::Duration,
    };

    use super::*;

    /// Where a load balancer sends requests: the instances in rotation.
    type Rotation = Arc<Mutex<Vec<String>>>;

    fn pick(rotation: &Rotation, n: usize) -> String {
        let live = rotation.lock().unwrap();
        live[n % live.len()].clone()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_postgres() {
        // One client address for all the load: the per-client sign-in limit is not the subject.
        let unlimited = "[rate_limit]\nauth_per_minute = 100000\nauth_burst = 100000\n";
        let first = spawn_app_on(Backend::Postgres, unlimited).await;
        let (old, stop_old, old_done) = first.stoppable_instance(unlimited).await;
        let steady = first.another_instance(unlimited).await;
        let rotation: Rotation = Arc::new(Mutex::new(vec![old.clone(), steady.clone()]));

        // Four clients sign people up without pause; each sign-up the app acknowledged is
        // recorded. A refused connection (an instance that left between choosing it and
        // connecting) is retried elsewhere, as a load balancer does; a 5xx is a failure.
        let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
        let server_errors = Arc::new(Mutex::new(Vec::<String>::new()));
        let running = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let mut clients = Vec::new();
        for c in 0..4 {
            let (rotation, acknowledged, server_errors, running) =
                (rotation.clone(), acknowledged.clone(), server_errors.clone(), running.clone());
            clients.push(tokio::spawn(async move {
                let mut n = 0;
                while running.load(std::sync::atomic::Ordering::Relaxed) {
                    n += 1;
                    let email = format!("load-{c}-{n}@example.com");
                    let form = [("email", email.as_str()), ("password", crate::harness::PASSWORD)];
                    for attempt in 0.. {
                        let base = pick(&rotation, c + n + attempt);
                        match browser().post(format!("{base}{}", app::sign_in::PasswordSignUp::PATH)).form(&form).send().await {
                            Ok(res) if res.status().is_server_error() => {
                                server_errors.lock().unwrap().push(format!("{email} at {base}: {}", res.status()));
                                break;
                            }
                            Ok(res) if res.status().is_redirection() || res.status().is_success() => {
                                acknowledged.lock().unwrap().push(email.clone());
                                break;
                            }
                            Ok(res) => panic!("{email}: unexpected {}", res.status()),
                            Err(e) if e.is_connect() && attempt < 5 => continue,
                            Err(e) => panic!("{email}: {e}"),
                        }
                    }
                }
            }));
        }

        tokio::time::sleep(Duration::from_millis(800)).await;
        // The restart: out of rotation, then — once the load balancer's deregistration delay
        // has passed — stopped gracefully, then a new instance in. Without the delay a client
        // that chose the old instance just before it left connects in the instant the listener
        // closes: the kernel accepted the connection, the server never reads it, and the
        // request is lost unanswered (with any server; docs/OPERATIONS.md says to wait).
        rotation.lock().unwrap().retain(|a| a != &old);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let _ = stop_old.send(());
        tokio::time::timeout(Duration::from_secs(20), old_done).await.expect("the old instance finishes its requests").unwrap();
        let replacement = first.another_instance(unlimited).await;
        rotation.lock().unwrap().push(replacement);
        tokio::time::sleep(Duration::from_millis(800)).await;
        running.store(false, std::sync::atomic::Ordering::Relaxed);
        for client in clients {
            client.await.unwrap();
        }

        let errors = server_errors.lock().unwrap().clone();
        assert!(errors.is_empty(), "5xx during the restart: {errors:?}");
        let acknowledged = acknowledged.lock().unwrap().clone();
        assert!(acknowledged.len() >= 8, "the load ran: {} sign-ups", acknowledged.len());
        for email in &acknowledged {
            let found = services::auth::roles::ssr::accounts_with_email(&first.db, email).await.unwrap();
            assert_eq!(found.len(), 1, "{email} was acknowledged but is not stored");
        }
        // The figure BENCHMARKS.md quotes ("Reliability").
        eprintln!("rolling restart: {} sign-ups acknowledged, all stored; 0 server errors", acknowledged.len());
    }
}
