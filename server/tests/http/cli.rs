//! The `askonce` binary as an operator uses it: bad configuration, migrate, serve, SIGTERM.

use std::{
    io::Read,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

fn askonce() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_askonce"));
    // The developer's own environment must not leak into these tests.
    for (key, _) in std::env::vars() {
        if key.starts_with("ASKONCE_") || key == "RUST_LOG" {
            cmd.env_remove(key);
        }
    }
    // The key-encryption key of a test run, never one made in the working directory.
    cmd.env(
        "ASKONCE_OPENID_PROVIDER__KEY_ENCRYPTION_KEY_FILE",
        std::env::temp_dir().join(format!("askonce-cli-test-{}.kek", std::process::id())),
    );
    cmd
}

#[test]
fn a_bad_config_file_names_the_key_and_exits_2_without_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("askonce.toml");
    std::fs::write(&file, "[server]\nbind = \"nowhere\"\n").unwrap();
    let out = askonce().arg("--config").arg(&file).arg("check-config").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("server.bind"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_missing_config_file_is_reported() {
    let out = askonce().args(["--config", "/nonexistent/askonce.toml", "migrate"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
}

#[test]
fn check_config_prints_settings_without_secrets() {
    let out = askonce()
        .arg("check-config")
        .env("ASKONCE_DATABASE__URL", "postgres://askonce:hunter2@db/askonce")
        .current_dir(tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("configuration OK"));
    assert!(!stdout.contains("hunter2"), "{stdout}");
}

#[test]
fn migrate_creates_the_sqlite_database_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/nested/askonce.db?mode=rwc", dir.path().display());
    let first = askonce().arg("migrate").env("ASKONCE_DATABASE__URL", &url).output().unwrap();
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    assert!(dir.path().join("nested/askonce.db").exists());
    let second = askonce().arg("migrate").env("ASKONCE_DATABASE__URL", &url).output().unwrap();
    assert!(String::from_utf8_lossy(&second.stdout).starts_with("0 migration(s) applied"));
}

#[test]
fn serve_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut child = askonce()
        .arg("serve")
        .env("ASKONCE_SERVER__BIND", format!("127.0.0.1:{port}"))
        .env("ASKONCE_DATABASE__URL", format!("sqlite://{}/a.db?mode=rwc", dir.path().display()))
        .env("ASKONCE_LOG__FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let started = Instant::now();
    let healthy = loop {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::Write;
            let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            let mut buf = String::new();
            let _ = s.read_to_string(&mut buf);
            if buf.starts_with("HTTP/1.1 200") {
                break true;
            }
        }
        if started.elapsed() > Duration::from_secs(30) {
            break false;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(healthy, "server did not become healthy");

    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "server did not stop within 10 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status:?}");
    let mut logs = String::new();
    child.stderr.take().unwrap().read_to_string(&mut logs).unwrap();
    assert!(logs.contains("shutdown requested"), "{logs}");
    // JSON logs are one object per line.
    for line in logs.lines().filter(|l| !l.trim().is_empty()) {
        serde_json::from_str::<serde_json::Value>(line).unwrap_or_else(|_| panic!("not JSON: {line}"));
    }
}

#[test]
fn profiling_configuration_exports_and_imports_and_bad_files_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/p.db?mode=rwc", dir.path().display());
    let run = |args: &[&str]| askonce().args(args).env("ASKONCE_DATABASE__URL", &url).output().unwrap();
    // A fresh database starts empty (the server seeds defaults at start; so does `serve`).
    let export = run(&["profiling", "export", "--format", "toml"]);
    assert!(export.status.success(), "{}", String::from_utf8_lossy(&export.stderr));

    let good = dir.path().join("good.json");
    std::fs::write(
        &good,
        r#"{"fields": [{"key": "team", "label": "Team", "kind": "text", "target": "user_metadata.team"}],
        "stages": [{"key": "team", "title": "Your team", "trigger": {"on": "login", "min_logins": 3}, "fields": ["team"]}]}"#,
    )
    .unwrap();
    let import = run(&["profiling", "import", good.to_str().unwrap()]);
    assert!(import.status.success(), "{}", String::from_utf8_lossy(&import.stderr));

    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"fields": [], "stages": [{"key": "x", "title": "X", "trigger": {"on": "signup"}, "fields": ["ghost"]}]}"#)
        .unwrap();
    let refused = run(&["profiling", "import", bad.to_str().unwrap()]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("stages.x.fields") && stderr.contains("ghost"), "{stderr}");

    let after = run(&["profiling", "export"]);
    let config: serde_json::Value = serde_json::from_slice(&after.stdout).unwrap();
    assert_eq!(config["stages"][0]["key"], "team", "the refused import changed nothing");
}

/// Runs `askonce ARGS` against the SQLite database in `dir`; (success, stdout, stderr).
fn run_in(dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let url = format!("sqlite://{}/askonce.db?mode=rwc", dir.display());
    let out = askonce().args(args).env("ASKONCE_DATABASE__URL", &url).current_dir(dir).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn users_import_then_export_round_trips_auth0_bulk_files_and_admins_are_granted_only_on_proof() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("users.json");
    std::fs::write(
        &file,
        r#"[{"email": "Owner@Example.com", "email_verified": true, "given_name": "Olive",
             "user_metadata": {"company": "Acme"}, "app_metadata": {"plan": "pro"},
             "identities": [{"connection": "google", "provider": "google-oauth2", "user_id": "g-1", "isSocial": true}]},
            {"email": "b@example.com", "identities": [{"connection": "github", "user_id": "7", "isSocial": true}]}]"#,
    )
    .unwrap();
    let (ok, stdout, stderr) = run_in(dir.path(), &["users", "import", file.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("imported 2 user(s), skipped 0"), "{stdout}");
    let (ok, exported, stderr) = run_in(dir.path(), &["users", "export"]);
    assert!(ok, "{stderr}");
    let users: serde_json::Value = serde_json::from_str(&exported).unwrap();
    let owner = users.as_array().unwrap().iter().find(|u| u["email"] == "Owner@Example.com").unwrap();
    assert_eq!(owner["user_metadata"]["company"], "Acme");
    assert_eq!(owner["app_metadata"]["plan"], "pro");
    assert_eq!(owner["identities"][0]["user_id"], "g-1");
    assert!(owner.get("custom_password_hash").is_none(), "hashes only on request");
    // The export imports again as "already here", changing nothing.
    let again = dir.path().join("again.json");
    std::fs::write(&again, &exported).unwrap();
    let (_, stdout, _) = run_in(dir.path(), &["users", "import", again.to_str().unwrap()]);
    assert!(stdout.contains("imported 0 user(s), skipped 2"), "{stdout}");
    // A bad file imports nothing and says why.
    std::fs::write(&file, r#"[{"email": "not an email"}]"#).unwrap();
    let (ok, _, stderr) = run_in(dir.path(), &["users", "import", file.to_str().unwrap()]);
    assert!(!ok && stderr.contains("nothing imported"), "{stderr}");

    let (ok, stdout, stderr) = run_in(dir.path(), &["admin", "grant", "owner@example.com"]);
    assert!(ok && stdout.contains("is now an admin"), "{stdout}{stderr}");
    let (ok, stdout, _) = run_in(dir.path(), &["admin", "revoke", "owner@example.com"]);
    assert!(ok && stdout.contains("no longer an admin"), "{stdout}");
    let (ok, _, stderr) = run_in(dir.path(), &["admin", "grant", "nobody@example.com"]);
    assert!(!ok && stderr.contains("sign in once"), "{stderr}");
    // An unverified address proves nothing: refused, with the account listed to grant by id.
    let (ok, _, stderr) = run_in(dir.path(), &["admin", "grant", "b@example.com"]);
    assert!(!ok && stderr.contains("not verified") && stderr.contains("github"), "{stderr}");
    let id = stderr.lines().find(|l| l.contains("github")).and_then(|l| l.split_whitespace().next()).unwrap().to_string();
    let (ok, stdout, stderr) = run_in(dir.path(), &["admin", "grant", "--user", &id]);
    assert!(ok && stdout.contains(&id), "{stdout}{stderr}");
}

#[test]
fn tokens_are_created_once_listed_without_secrets_and_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, secret, stderr) = run_in(dir.path(), &["token", "create", "--name", "crm", "--scope", "read:users", "--scope", "read:stages"]);
    assert!(ok, "{stderr}");
    let secret = secret.trim();
    assert!(secret.starts_with("askonce_"), "{secret}");
    let (_, list, _) = run_in(dir.path(), &["token", "list"]);
    assert!(list.contains("crm") && list.contains("read:users,read:stages") && !list.contains(secret), "{list}");
    let id = list.split('\t').next().unwrap();
    let (ok, stdout, _) = run_in(dir.path(), &["token", "revoke", id]);
    assert!(ok && stdout.contains("revoked"), "{stdout}");
    let (ok, _, stderr) = run_in(dir.path(), &["token", "create", "--name", "x", "--scope", "admin:all"]);
    assert!(!ok && stderr.contains("not a scope"), "{stderr}");
}
