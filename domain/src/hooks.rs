//! Post-login hooks (Auth0's Actions, self-hosted): after a sign-up or a sign-in AskOnce POSTs
//! a signed JSON event to the site owner's endpoint, whose reply may add to the profile
//! (`user_metadata`, `app_metadata`, with provenance `hook:<name>`, so the engine then knows
//! those fields and never asks them) or deny the sign-in with a message.
//!
//! Here: what a site owner configures and what the wire carries (pure, shared with the
//! console). The calls, the signature and the store are the services crate's `hooks`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// When a hook runs.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HookTrigger {
    /// Once, at the sign-in that created the account (before `post-login` hooks).
    PostSignup,
    /// At every sign-in, the first included.
    PostLogin,
}

impl HookTrigger {
    pub const ALL: [HookTrigger; 2] = [HookTrigger::PostSignup, HookTrigger::PostLogin];

    pub fn as_str(self) -> &'static str {
        match self {
            HookTrigger::PostSignup => "post-signup",
            HookTrigger::PostLogin => "post-login",
        }
    }

    pub fn parse(text: &str) -> Option<HookTrigger> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

/// What a failed call (timeout, error, unreadable reply) does to the sign-in.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnFailure {
    /// The sign-in goes on without the hook's additions.
    #[default]
    Continue,
    /// The sign-in is refused ("could not complete your sign-in just now").
    Deny,
}

impl OnFailure {
    pub fn as_str(self) -> &'static str {
        match self {
            OnFailure::Continue => "continue",
            OnFailure::Deny => "deny",
        }
    }

    pub fn parse(text: &str) -> Option<OnFailure> {
        [OnFailure::Continue, OnFailure::Deny].into_iter().find(|o| o.as_str() == text)
    }
}

pub const DEFAULT_TIMEOUT_MS: u32 = 3_000;
/// A sign-in waits for its hooks: none may hold it longer than this.
pub const MAX_TIMEOUT_MS: u32 = 10_000;
pub const MIN_TIMEOUT_MS: u32 = 100;
/// The longest deny message shown to the person.
pub const MAX_DENY_MESSAGE: usize = 300;

/// A hook as its site owner sets it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HookSettings {
    /// 1–64 of `a-z 0-9 _ -`, starting with a letter; unique. Provenance says `hook:<name>`.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[a-z][a-z0-9_-]{0,63}$"))]
    pub name: String,
    pub trigger: HookTrigger,
    /// `https://…` (or `http://…`) at a public address: loopback, private, link-local and
    /// metadata addresses are refused unless the server's `hooks.allow_private` lists them.
    pub url: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// 100–10000 milliseconds.
    #[serde(default = "default_timeout")]
    #[cfg_attr(feature = "openapi", schema(minimum = 100, maximum = 10000))]
    pub timeout_ms: u32,
    #[serde(default)]
    pub on_failure: OnFailure,
}

fn yes() -> bool {
    true
}

fn default_timeout() -> u32 {
    DEFAULT_TIMEOUT_MS
}

impl HookSettings {
    /// Problems by field name; none means valid.
    pub fn problems(&self) -> BTreeMap<String, String> {
        let mut problems = BTreeMap::new();
        if !valid_name(&self.name) {
            problems.insert("name".into(), "Use 1–64 lowercase letters, digits, `_` or `-`, starting with a letter.".into());
        }
        if let Err(reason) = crate::web_address::check(&self.url) {
            problems.insert("url".into(), reason.into());
        }
        if !(MIN_TIMEOUT_MS..=MAX_TIMEOUT_MS).contains(&self.timeout_ms) {
            problems.insert("timeout_ms".into(), format!("Between {MIN_TIMEOUT_MS} and {MAX_TIMEOUT_MS} milliseconds."));
        }
        problems
    }
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && name.len() <= 64
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// How a call ended.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallOutcome {
    /// Answered 2xx with a reply AskOnce applied.
    Ok,
    /// Answered, and denied the sign-in.
    Denied,
    /// No usable answer: an error status, a redirect (never followed), an unreadable reply,
    /// a refused connection.
    Failed,
    /// No answer within the hook's timeout.
    Timeout,
}

impl CallOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            CallOutcome::Ok => "ok",
            CallOutcome::Denied => "denied",
            CallOutcome::Failed => "failed",
            CallOutcome::Timeout => "timeout",
        }
    }

    pub fn parse(text: &str) -> Option<CallOutcome> {
        [CallOutcome::Ok, CallOutcome::Denied, CallOutcome::Failed, CallOutcome::Timeout].into_iter().find(|o| o.as_str() == text)
    }
}

/// One recent call, for the console and the API.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookCall {
    pub at: DateTime<Utc>,
    pub outcome: CallOutcome,
    pub http_status: Option<u16>,
    pub duration_ms: u32,
    /// Why it failed, or the deny message.
    pub detail: Option<String>,
}

/// A hook as the console and the API show it: never its secret.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hook {
    pub id: String,
    #[serde(flatten)]
    pub settings: HookSettings,
    pub created_at: DateTime<Utc>,
    /// The most recent calls, newest first.
    pub recent_calls: Vec<HookCall>,
}

/// A hook just made, with its signing secret: shown this once.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewHook {
    #[serde(flatten)]
    pub hook: Hook,
    pub secret: String,
}

/// What a hook may answer (JSON, all optional; an empty 2xx body changes nothing).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HookReply {
    /// Merged into `user_metadata` by Auth0's PATCH rules: top-level keys replace, `null`
    /// removes.
    #[serde(default)]
    pub user_metadata: Option<Map<String, Value>>,
    /// Merged into `app_metadata` the same way.
    #[serde(default)]
    pub app_metadata: Option<Map<String, Value>>,
    /// Refuses the sign-in; the person reads this message.
    #[serde(default)]
    pub deny: Option<String>,
}

impl HookReply {
    /// Reads a reply body; the reason when it is not one.
    pub fn parse(body: &[u8]) -> Result<HookReply, String> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(HookReply::default());
        }
        // The reason names the kind of mistake and where, never the reply's own words: the
        // recent calls are read by API tokens, and must not echo what some service answered.
        let reply: HookReply = serde_json::from_slice(body).map_err(|e| {
            let what = match e.classify() {
                serde_json::error::Category::Syntax | serde_json::error::Category::Io => "not JSON",
                serde_json::error::Category::Eof => "JSON cut short",
                serde_json::error::Category::Data => "JSON, but not a hook reply (only user_metadata, app_metadata and deny)",
            };
            format!("unreadable reply: {what} (line {}, column {})", e.line(), e.column())
        })?;
        if let Some(message) = &reply.deny {
            if message.trim().is_empty() || message.chars().count() > MAX_DENY_MESSAGE || message.contains('\0') {
                return Err(format!("a deny message is 1–{MAX_DENY_MESSAGE} characters"));
            }
        }
        Ok(reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn settings(name: &str, url: &str, timeout_ms: u32) -> HookSettings {
        HookSettings {
            name: name.into(),
            trigger: HookTrigger::PostLogin,
            url: url.into(),
            enabled: true,
            timeout_ms,
            on_failure: OnFailure::Continue,
        }
    }

    #[test]
    fn settings_are_checked() {
        assert!(settings("crm", "https://crm.example/hook", 3000).problems().is_empty());
        assert!(settings("crm-2_b", "http://10.0.0.5:8080/x?y=1", 100).problems().is_empty());
        let bad = settings("Crm", "ftp://x", 50).problems();
        assert_eq!(bad.keys().collect::<Vec<_>>(), ["name", "timeout_ms", "url"]);
        assert!(settings("a", "https://user:pw@crm.example/", 3000).problems().contains_key("url"));
        assert!(settings("a", "https:///path", 3000).problems().contains_key("url"));
        assert!(settings("a", "https://crm.example/a b", 3000).problems().contains_key("url"));
        assert!(settings("a", "https://crm.example/", 10_001).problems().contains_key("timeout_ms"));
    }

    #[test]
    fn defaults_fill_in_and_unknown_keys_are_refused() {
        let s: HookSettings =
            serde_json::from_value(json!({"name": "crm", "trigger": "post-signup", "url": "https://crm.example/"})).unwrap();
        assert_eq!((s.enabled, s.timeout_ms, s.on_failure), (true, DEFAULT_TIMEOUT_MS, OnFailure::Continue));
        assert!(serde_json::from_value::<HookSettings>(
            json!({"name": "crm", "trigger": "post-signup", "url": "https://x/", "secret": "s"})
        )
        .is_err());
    }

    #[test]
    fn replies_are_read_strictly() {
        assert_eq!(HookReply::parse(b"").unwrap(), HookReply::default());
        assert_eq!(HookReply::parse(b" \n").unwrap(), HookReply::default());
        let reply = HookReply::parse(br#"{"user_metadata": {"company": "Acme"}, "deny": null}"#).unwrap();
        assert_eq!(reply.user_metadata.unwrap()["company"], "Acme");
        assert!(HookReply::parse(br#"{"user_metadata": {"a": 1}, "redirect_to": "x"}"#).is_err(), "unknown keys are an error");
        assert!(HookReply::parse(br#"{"deny": ""}"#).is_err());
        assert!(HookReply::parse(b"{\"deny\": \"").is_err());
        assert!(HookReply::parse(format!(r#"{{"deny": "{}"}}"#, "x".repeat(301)).as_bytes()).is_err());
        assert!(HookReply::parse(b"<html>").is_err());
        assert!(HookReply::parse(br#"{"deny": "no\u0000"}"#).is_err());
        // The reason never repeats what the reply said.
        let reason = HookReply::parse(br#"{"secret_field_name": "secret value"}"#).unwrap_err();
        assert!(!reason.contains("secret"), "{reason}");
        assert!(reason.contains("not a hook reply"), "{reason}");
        let reason = HookReply::parse(br#"{"user_metadata": "secret value"}"#).unwrap_err();
        assert!(!reason.contains("secret"), "{reason}");
    }
}
