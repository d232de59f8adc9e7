//! A second relying-party library, in another language: Authlib (Python,
//! `end2end/python/authlib_rp.py`), driven over its stdin and stdout.

use std::process::Stdio;

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines},
    process::{Child, ChildStdin, ChildStdout, Command},
};

/// A running Authlib relying party, between the authorization URL and the callback.
pub struct AuthlibRp {
    /// The authorization request it built.
    pub authorize_url: String,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
    _child: Child,
}

impl AuthlibRp {
    /// Starts it for `client_id` of the AskOnce at `issuer`, returning to `redirect_uri`.
    pub async fn start(issuer: &str, client_id: &str, secret: &str, redirect_uri: &str) -> AuthlibRp {
        let tools = std::env::var("ASKONCE_TOOLS_DIR")
            .unwrap_or_else(|_| format!("{}/.cache/askonce/tools", std::env::var("HOME").unwrap_or_default()));
        let python = format!("{tools}/authlib/bin/python");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../end2end/python/authlib_rp.py");
        let mut child = Command::new(&python)
            .args([script, issuer, client_id, secret, redirect_uri])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("{python} (made by scripts/ensure-tools.sh) is needed for the Authlib test: {e}"));
        let stdin = child.stdin.take().expect("Authlib's stdin");
        let mut lines = BufReader::new(child.stdout.take().expect("Authlib's stdout")).lines();
        let authorize_url = tokio::time::timeout(std::time::Duration::from_secs(30), lines.next_line())
            .await
            .expect("Authlib printed its authorization URL within 30 s")
            .expect("Authlib's output")
            .expect("an authorization URL");
        AuthlibRp { authorize_url, stdin, lines, _child: child }
    }

    /// Hands it the callback URL; what it says then (the claims, or an error) as JSON.
    pub async fn finish(mut self, callback: &str) -> serde_json::Value {
        self.stdin.write_all(format!("{callback}\n").as_bytes()).await.expect("writing to Authlib");
        self.stdin.flush().await.expect("writing to Authlib");
        let line = tokio::time::timeout(std::time::Duration::from_secs(30), self.lines.next_line())
            .await
            .expect("Authlib answered within 30 s")
            .expect("Authlib's output")
            .expect("a line of JSON");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON from Authlib ({e}): {line}"))
    }
}
