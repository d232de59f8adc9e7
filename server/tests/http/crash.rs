//! Crash durability: AskOnce as a real process (the built `askonce` binary), driven by clients
//! signing people up, answering their first question stage and editing their details, is
//! killed with SIGKILL at random moments and started again, round after round, on SQLite and
//! on PostgreSQL. After every kill: each write a client saw acknowledged is stored, and
//! nothing is half-written (a stage's answers all or none, with the event that records them;
//! every value with its provenance). Every restart must come up healthy on what the kill left.
//!
//! The test command runs a short form (3 kills per database); `scripts/crash-test.sh` runs
//! `CRASH_KILLS` (25 by default) and prints the report. A process kill loses the
//! process, not the operating system's page cache: surviving a power cut on SQLite is
//! `synchronous = FULL` (checked in `services::db`), on PostgreSQL the server's own `fsync`.

use std::{
    collections::BTreeMap,
    path::Path,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use app::{account::details::UpdateMyDetails, prompt::AnswerPrompt, sign_in::PasswordSignUp};
use leptos::server_fn::ServerFn;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use services::{entities::password_credentials, entities::prompt_events, entities::users, testing::TestDb};

use crate::harness::{browser, Backend, PASSWORD};

/// Kills per database in the short form the test command runs.
const SHORT_FORM_KILLS: usize = 3;
const CLIENTS: usize = 4;
/// Edits of their details each person makes after answering.
const EDITS: u32 = 3;

/// What clients saw acknowledged (2xx or a redirect), per person (email).
#[derive(Default)]
struct Acknowledged {
    accounts: Vec<String>,
    /// The answers to the `name` stage: (given name, family name).
    names: BTreeMap<String, (String, String)>,
    /// The highest edit number of `company` acknowledged.
    company: BTreeMap<String, u32>,
}

impl Acknowledged {
    fn writes(&self) -> usize {
        self.accounts.len() + self.names.len() + self.company.values().map(|n| *n as usize).sum::<usize>()
    }
}

/// Deterministic "random" moments (xorshift), seeded per run so a failure can be replayed
/// with `CRASH_SEED`.
struct Moments(u64);

impl Moments {
    fn next_millis(&mut self, from: u64, to: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        from + self.0 % (to - from)
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// Starts `askonce serve` on `database_url`; its address once `/healthz` answers 200.
async fn start(config_dir: &Path, database_url: &str, log: &Path) -> (Child, String) {
    let port = free_port();
    let address = format!("127.0.0.1:{port}");
    let config = config_dir.join("askonce.toml");
    let site_root = config_dir.join("site");
    std::fs::create_dir_all(site_root.join("pkg")).expect("the site root");
    std::fs::write(
        &config,
        format!(
            "[server]\nbind = \"{address}\"\npublic_url = \"http://{address}\"\nsite_root = \"{}\"\n\
             [database]\nurl = \"{database_url}\"\n\
             [rate_limit]\nauth_per_minute = 100000\nauth_burst = 100000\n\
             [log]\nlevel = \"warn\"\n",
            site_root.display()
        ),
    )
    .expect("writing the configuration");
    let log_file = std::fs::OpenOptions::new().create(true).append(true).open(log).expect("the server log");
    let mut command = Command::new(env!("CARGO_BIN_EXE_askonce"));
    // Only this configuration: the app refuses ASKONCE_* variables it does not know, and one
    // from the caller's shell would change what is tested.
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("ASKONCE_")) {
        command.env_remove(name);
    }
    // The key-encryption key of a test run, never one made in the working directory.
    command.env(
        "ASKONCE_OPENID_PROVIDER__KEY_ENCRYPTION_KEY_FILE",
        std::env::temp_dir().join(format!("askonce-crash-test-{}.kek", std::process::id())),
    );
    let mut child =
        command.arg("serve").env("ASKONCE_CONFIG", &config).stdout(Stdio::null()).stderr(log_file).spawn().expect("starting askonce");
    let base = format!("http://{address}");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(res) = reqwest::get(format!("{base}/healthz")).await {
            if res.status().is_success() {
                return (child, base);
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("askonce exited ({status}) while starting; log:\n{}", std::fs::read_to_string(log).unwrap_or_default());
        }
        assert!(Instant::now() < deadline, "askonce did not become healthy; log:\n{}", std::fs::read_to_string(log).unwrap_or_default());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn acknowledged(res: &Result<reqwest::Response, reqwest::Error>) -> bool {
    matches!(res, Ok(r) if r.status().is_success() || r.status().is_redirection())
}

/// One client: people one after another, each signing up, answering the `name` stage and
/// editing their company `EDITS` times. Stops at the first request that fails (the server
/// was killed); a 5xx or a refusal while the server is up is a failure of the test.
/// Returns the write that was in flight when the server died.
async fn client(base: String, round: usize, c: usize, acked: Arc<Mutex<Acknowledged>>) -> &'static str {
    for n in 0usize.. {
        let email = format!("crash-{round}-{c}-{n}@example.com");
        let person = browser();
        let res =
            person.post(format!("{base}{}", PasswordSignUp::PATH)).form(&[("email", email.as_str()), ("password", PASSWORD)]).send().await;
        if !acknowledged(&res) {
            return check_not_refused(res, "sign-up");
        }
        acked.lock().unwrap().accounts.push(email.clone());

        let (given, family) = (format!("Given{n}"), format!("Family{c}x{round}"));
        let res = person
            .post(format!("{base}{}", AnswerPrompt::PATH))
            .header("accept", "application/json")
            .form(&[("stage", "name"), ("answers[given_name]", given.as_str()), ("answers[family_name]", family.as_str())])
            .send()
            .await;
        if !acknowledged(&res) {
            return check_not_refused(res, "answer");
        }
        acked.lock().unwrap().names.insert(email.clone(), (given, family));

        for edit in 1..=EDITS {
            let company = format!("Company {edit}");
            let res = person
                .post(format!("{base}{}", UpdateMyDetails::PATH))
                .header("accept", "application/json")
                .form(&[("answers[company]", company.as_str())])
                .send()
                .await;
            if !acknowledged(&res) {
                return check_not_refused(res, "edit");
            }
            acked.lock().unwrap().company.insert(email.clone(), edit);
        }
    }
    unreachable!("a person a turn, until a request fails")
}

/// A request that failed because the server died is expected (`what` was in flight); an
/// answer from a live server that refused the write is not.
fn check_not_refused(res: Result<reqwest::Response, reqwest::Error>, what: &'static str) -> &'static str {
    if let Ok(res) = res {
        panic!("{what}: the live server answered {}", res.status());
    }
    what
}

fn text(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("")
}

/// Every acknowledged write is stored, and nothing is half-written; panics with what is not.
async fn verify(db: &DatabaseConnection, acked: &Acknowledged) {
    let mut lost = Vec::new();
    for email in &acked.accounts {
        let user = users::Entity::find().filter(users::Column::EmailNormalized.eq(email.as_str())).one(db).await.unwrap();
        let Some(user) = user else {
            lost.push(format!("the account {email}"));
            continue;
        };
        if password_credentials::Entity::find_by_id(user.id.clone()).one(db).await.unwrap().is_none() {
            lost.push(format!("the password of {email}"));
        }
        if let Some((given, family)) = acked.names.get(email) {
            if text(&user.given_name) != given || text(&user.family_name) != family {
                lost.push(format!("the answers of {email}: {:?} {:?}", user.given_name, user.family_name));
            }
        }
        if let Some(edit) = acked.company.get(email) {
            // A later edit may have been stored and killed before its answer: at least this one.
            let stored =
                user.user_metadata["company"].as_str().and_then(|c| c.strip_prefix("Company ")).and_then(|n| n.parse::<u32>().ok());
            if stored.is_none_or(|n| n < *edit) {
                lost.push(format!("edit {edit} of {email}'s company: {}", user.user_metadata));
            }
        }
    }
    assert!(lost.is_empty(), "{} acknowledged writes lost: {lost:?}", lost.len());

    // Nothing half-written, acknowledged or not: answers with their event and each other,
    // values with their provenance.
    let events = prompt_events::Entity::find().filter(prompt_events::Column::Kind.eq("answered")).all(db).await.unwrap();
    let mut half = Vec::new();
    for user in users::Entity::find().all(db).await.unwrap() {
        let answered = events.iter().any(|e| e.user_id == user.id && e.stage_key == "name");
        let has_names = (user.given_name.is_some(), user.family_name.is_some());
        if has_names != (answered, answered) {
            half.push(format!("{:?}: names {has_names:?}, answered event {answered}", user.email));
        }
        let provenance = |key: &str| user.provenance.get(key).is_some_and(|p| p["source"] == "user");
        let with_provenance = [
            ("given_name", user.given_name.is_some()),
            ("family_name", user.family_name.is_some()),
            ("user_metadata.company", user.user_metadata.get("company").is_some()),
        ];
        for (key, has_value) in with_provenance {
            if has_value != provenance(key) {
                half.push(format!("{:?}: {key} value {has_value}, provenance {}", user.email, provenance(key)));
            }
        }
    }
    assert!(half.is_empty(), "half-written: {half:?}");
}

async fn survives_kills(backend: Backend) {
    let kills: usize = std::env::var("CRASH_KILLS").ok().and_then(|k| k.parse().ok()).unwrap_or(SHORT_FORM_KILLS);
    let seed: u64 = std::env::var("CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64 | 1).unwrap_or(1)
    });
    let mut moments = Moments(seed);
    let dir = tempfile::tempdir().unwrap();
    let test_db = match backend {
        Backend::Sqlite => TestDb::sqlite_file(dir.path()).await,
        Backend::Postgres => TestDb::postgres().await,
    };
    let log = dir.path().join("server.log");
    let acked = Arc::new(Mutex::new(Acknowledged::default()));
    let mut in_flight: BTreeMap<&'static str, usize> = BTreeMap::new();

    for round in 0..kills {
        let (mut server, base) = start(dir.path(), &test_db.url, &log).await;
        let clients: Vec<_> = (0..CLIENTS).map(|c| tokio::spawn(client(base.clone(), round, c, acked.clone()))).collect();
        // Long enough for sign-ups (argon2) to land, short enough to catch them in flight.
        tokio::time::sleep(Duration::from_millis(moments.next_millis(500, 2500))).await;
        server.kill().expect("SIGKILL"); // std's kill is SIGKILL on Unix
        server.wait().expect("reaping the killed server");
        for c in clients {
            let cut = c.await.unwrap_or_else(|e| panic!("a client failed in round {round} (seed {seed}): {e}"));
            *in_flight.entry(cut).or_default() += 1;
        }
        let snapshot = std::mem::take(&mut *acked.lock().unwrap());
        verify(&test_db.db, &snapshot).await;
        *acked.lock().unwrap() = snapshot;
    }
    // The last kill's leftovers start cleanly too, and an acknowledged account signs in.
    let (mut server, base) = start(dir.path(), &test_db.url, &log).await;
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    if let Some(email) = acked.accounts.first() {
        let res = browser()
            .post(format!("{base}{}", app::sign_in::PasswordSignIn::PATH))
            .form(&[("email", email.as_str()), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert!(res.status().is_redirection() || res.status().is_success(), "signing in after the kills: {}", res.status());
    }
    server.kill().ok();
    server.wait().ok();
    assert!(acked.writes() >= kills, "too few writes to say anything: {}", acked.writes());
    println!(
        "crash durability ({backend:?}, seed {seed}): {kills} kills, {} acknowledged writes ({} sign-ups, {} answered stages, {} detail edits), 0 lost, 0 half-written; writes in flight when killed: {in_flight:?}",
        acked.writes(),
        acked.accounts.len(),
        acked.names.len(),
        acked.company.values().sum::<u32>()
    );
    test_db.cleanup().await;
}

crate::on_both_databases!(survives_kills, multi_thread);
