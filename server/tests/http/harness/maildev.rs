//! A real SMTP server for the tests: maildev (npm, installed in `end2end/`), whose REST API
//! says what arrived. Started per test, on free ports, like the OpenID provider.

use std::{process::Stdio, time::Duration};

use serde_json::Value;
use tokio::{
    net::TcpListener,
    process::{Child, Command},
};

pub struct MailDev {
    pub smtp_port: u16,
    web_port: u16,
    child: Child,
}

/// Two different free ports (both held at once while they are chosen, so never the same one).
async fn free_ports() -> (u16, u16) {
    let (a, b) = (TcpListener::bind("127.0.0.1:0").await.unwrap(), TcpListener::bind("127.0.0.1:0").await.unwrap());
    (a.local_addr().unwrap().port(), b.local_addr().unwrap().port())
}

impl MailDev {
    /// Starts maildev on free ports. The ports are free when chosen but released before
    /// maildev binds them, so a test running beside it may take one first: maildev then
    /// exits, and it is started again on other ports rather than waited for in vain.
    pub async fn start() -> MailDev {
        for _attempt in 0..5 {
            if let Some(maildev) = MailDev::try_start().await {
                return maildev;
            }
        }
        panic!("maildev did not start (5 attempts on fresh ports)");
    }

    async fn try_start() -> Option<MailDev> {
        let (smtp_port, web_port) = free_ports().await;
        let bin = concat!(env!("CARGO_MANIFEST_DIR"), "/../end2end/node_modules/maildev/dist/bin/maildev.js");
        let child = Command::new("node")
            .args([bin, "--ip", "127.0.0.1", "--web-ip", "127.0.0.1", "--silent"])
            .args(["--smtp", &smtp_port.to_string(), "--web", &web_port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("node (and `npm ci` in end2end/) is needed for the email tests");
        let mut maildev = MailDev { smtp_port, web_port, child };
        let ready = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                if reqwest::get(maildev.url("/api/email")).await.is_ok_and(|r| r.status().is_success()) {
                    return true;
                }
                // Exited: a port was taken meanwhile.
                if maildev.child.try_wait().ok().flatten().is_some() {
                    return false;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        match ready.await {
            Ok(true) => Some(maildev),
            Ok(false) => None,
            Err(_) => panic!("maildev did not answer within 30 s"),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.web_port)
    }

    /// The `[email]` table that points AskOnce at this server.
    pub fn email_config(&self) -> String {
        format!(
            "[email]\nsmtp_url = \"smtp://127.0.0.1:{}\"\nfrom = \"AskOnce <no-reply@askonce.test>\"\npoll_interval_secs = 1\n",
            self.smtp_port
        )
    }

    /// Every message that arrived, as maildev describes it (`to`, `subject`, `text`, `html`…).
    pub async fn messages(&self) -> Vec<Value> {
        reqwest::get(self.url("/api/email")).await.unwrap().json().await.unwrap()
    }

    /// The first message to `address` whose subject contains `subject`, waiting up to 20 s.
    pub async fn wait_for_subject(&self, address: &str, subject: &str) -> Value {
        let found = tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                let wanted = |m: &Value| {
                    m["to"].as_array().into_iter().flatten().any(|t| t["address"] == address)
                        && m["subject"].as_str().is_some_and(|s| s.contains(subject))
                };
                if let Some(message) = self.messages().await.into_iter().find(wanted) {
                    return message;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
        found.await.unwrap_or_else(|_| panic!("no email to {address} about {subject:?} arrived within 20 s"))
    }

    /// The first message to `address`, waiting up to 20 s for it to arrive.
    pub async fn wait_for(&self, address: &str) -> Value {
        let found = tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                let to_address = |m: &Value| m["to"].as_array().into_iter().flatten().any(|t| t["address"] == address);
                if let Some(message) = self.messages().await.into_iter().find(to_address) {
                    return message;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
        found.await.unwrap_or_else(|_| panic!("no email to {address} arrived within 20 s"))
    }
}

/// The absolute link to `path` (`/email/verify`, …) in a message's plain text, with its token.
pub fn link_in(message: &Value, path: &str) -> String {
    let text = message["text"].as_str().unwrap_or_else(|| panic!("a message without text: {message}"));
    let at = text.find(&format!("{path}?token=")).unwrap_or_else(|| panic!("no {path} link in: {text}"));
    let start = text[..at].rfind("http").unwrap_or_else(|| panic!("the {path} link is not absolute: {text}"));
    let end = text[at..].find(char::is_whitespace).map_or(text.len(), |e| at + e);
    text[start..end].to_string()
}
