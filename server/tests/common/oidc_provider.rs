//! A real OpenID Provider process (panva/oidc-provider from npm, `end2end/oidc/provider.mjs`)
//! and a helper that signs in on its login page the way a person would.
#![allow(dead_code)]

use std::process::Stdio;

use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

pub struct RealProvider {
    pub issuer: String,
    _child: Child,
}

pub const CLIENT_ID: &str = "askonce";
pub const CLIENT_SECRET: &str = "askonce-test-secret";

impl RealProvider {
    /// Starts the provider with `redirect` registered for the AskOnce client.
    pub async fn start(redirect: &str) -> RealProvider {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../end2end/oidc/provider.mjs");
        let mut child = Command::new("node")
            .args([script, "--port", "0", "--redirect", redirect])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("node (and `npm ci` in end2end/) is needed for the real-provider tests");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let issuer = tokio::time::timeout(std::time::Duration::from_secs(20), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(issuer) = line.strip_prefix("READY ") {
                    return issuer.to_string();
                }
            }
            panic!("oidc-provider exited before it was ready");
        })
        .await
        .expect("oidc-provider did not start within 20 s");
        // Keep draining its output: a closed pipe would kill it at its next log line.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        RealProvider { issuer, _child: child }
    }

    pub fn connection(&self, name: &str) -> String {
        format!(
            "[connections.{name}]\nkind = \"oidc\"\ndisplay_name = \"Demo IdP\"\nissuer = \"{}\"\nclient_id = \"{CLIENT_ID}\"\nclient_secret = \"{CLIENT_SECRET}\"\n",
            self.issuer
        )
    }
}

/// Follows redirects from `url` through the provider's login form (as `login`) until a
/// redirect points back at `app_base`; returns that URL (our callback).
pub async fn sign_in_at_provider(client: &reqwest::Client, url: &str, login: &str, app_base: &str) -> String {
    let mut next = url.to_string();
    for _ in 0..20 {
        if next.starts_with(app_base) {
            return next;
        }
        let res = client.get(&next).send().await.unwrap();
        let base = res.url().clone();
        if res.status().is_redirection() {
            next = base.join(res.headers()["location"].to_str().unwrap()).unwrap().to_string();
            continue;
        }
        let html = res.text().await.unwrap();
        let action = html
            .split("action=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("no form on the provider page: {html}"));
        let post = client
            .post(base.join(action).unwrap())
            .form(&[("prompt", "login"), ("login", login), ("password", "any password")])
            .send()
            .await
            .unwrap();
        assert!(post.status().is_redirection(), "login form answered {}", post.status());
        next = base.join(post.headers()["location"].to_str().unwrap()).unwrap().to_string();
    }
    panic!("too many redirects at the provider");
}
