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
    std::fs::write(&good, r#"{"fields": [{"key": "team", "label": "Team", "kind": "text", "target": "user_metadata.team"}],
        "stages": [{"key": "team", "title": "Your team", "trigger": {"on": "login", "min_logins": 3}, "fields": ["team"]}]}"#).unwrap();
    let import = run(&["profiling", "import", good.to_str().unwrap()]);
    assert!(import.status.success(), "{}", String::from_utf8_lossy(&import.stderr));

    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"fields": [], "stages": [{"key": "x", "title": "X", "trigger": {"on": "signup"}, "fields": ["ghost"]}]}"#).unwrap();
    let refused = run(&["profiling", "import", bad.to_str().unwrap()]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("stages.x.fields") && stderr.contains("ghost"), "{stderr}");

    let after = run(&["profiling", "export"]);
    let config: serde_json::Value = serde_json::from_slice(&after.stdout).unwrap();
    assert_eq!(config["stages"][0]["key"], "team", "the refused import changed nothing");
}
