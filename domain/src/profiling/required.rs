//! Required stages: a login-time stage that cannot be skipped holds the signed-in person at
//! `/welcome` until it is answered. Which requests still pass while they are held, and what
//! the others get, is decided here (pure); the check itself runs in front of every route
//! (`server::required_stage`), the stage due comes from the engine
//! (`profiling::ssr::required_stage_due`).
//!
//! "Required" is `skippable = false` on a stage with a login trigger: the engine already
//! refuses to skip it; this makes walking away from it impossible too.

use super::stage::{Stage, Trigger};

/// The page where a held person answers.
pub const WELCOME: &str = "/welcome";

/// Where an external form sends people back with its answers (`app::external_form`).
pub const CONTINUE_PATH: &str = "/continue";

/// The OpenID Provider's authorization endpoint and sign-out: an application's request is
/// judged there (`prompt=none` must answer `interaction_required`, not show the stage; any
/// other request goes on to `/welcome` itself), and signing out of an application must work.
const PROVIDER_PATHS: [&str; 3] = ["/authorize", "/oidc/logout", "/oidc/logout/confirm"];

/// Server functions a held person needs: the stage's own (read, answer, external form) and
/// signing out. Everything else under `/api` is refused.
const SERVER_FNS_WHILE_HELD: [&str; 3] = ["/api/profiling/prompt", "/api/profiling/answer", "/api/auth/logout"];

/// Whether `stage` holds people until answered.
pub fn holds(stage: &Stage) -> bool {
    !stage.skippable && matches!(stage.trigger, Trigger::Signup | Trigger::Login { .. })
}

/// Whether a request for `path` goes through while its sender is held at a required stage:
/// the stage itself, sign-out, the static assets and the health check.
pub fn passes_while_held(path: &str) -> bool {
    path == WELCOME
        || path == CONTINUE_PATH
        || is_form_start(path)
        || path == "/healthz"
        || path == "/favicon.svg"
        || path.starts_with("/pkg/")
        || SERVER_FNS_WHILE_HELD.contains(&path)
        || PROVIDER_PATHS.contains(&path)
        // Bearer-only, and the embeddable prompt's files: no session is read there.
        || super::headless::is_prompt_api(path)
        || path.starts_with("/embed/")
}

/// `/forms/{stage}/start`: the way out to an external form stage (which checks that the
/// stage is the one open now).
fn is_form_start(path: &str) -> bool {
    path.strip_prefix("/forms/").and_then(|rest| rest.strip_suffix("/start")).is_some_and(|stage| !stage.is_empty() && !stage.contains('/'))
}

/// What a held request gets instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeldAnswer {
    /// A browser navigating (page view, plain form post): to `/welcome`, then back here.
    Welcome { location: String },
    /// A script or API client: 403 with the reason.
    Forbidden,
}

/// The message a script or API client reads.
pub const HELD_MESSAGE: &str = "Answer the questions at /welcome first.";

/// `navigating`: the request asks for HTML (a browser's page view or plain form post).
/// A page view comes back to itself after the stage; a form post to its page is not
/// replayed, so it goes back to the home page.
pub fn held_answer(method_is_get: bool, path_and_query: &str, navigating: bool) -> HeldAnswer {
    if !navigating {
        return HeldAnswer::Forbidden;
    }
    let back =
        if method_is_get { crate::return_to::ReturnTo::or_home(Some(path_and_query)) } else { crate::return_to::ReturnTo::default() };
    HeldAnswer::Welcome { location: back.via_welcome() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiling::stage::{Cooldown, Stage};

    fn stage(trigger: Trigger, skippable: bool) -> Stage {
        Stage {
            key: crate::profiling::FieldKey::parse("terms").unwrap(),
            title: "Terms".into(),
            intro: None,
            trigger,
            when: None,
            fields: vec![crate::profiling::FieldKey::parse("accept").unwrap()],
            steps: vec![],
            skippable,
            cooldown: Cooldown::default(),
            enabled: true,
            external: None,
        }
    }

    #[test]
    fn only_unskippable_login_time_stages_hold() {
        assert!(holds(&stage(Trigger::Signup, false)));
        assert!(holds(&stage(Trigger::from_login(3), false)));
        assert!(!holds(&stage(Trigger::Signup, true)));
        let in_context = Trigger::Context { name: "article".into(), tags: vec![] };
        assert!(!holds(&stage(in_context, false)), "an inline stage has no Skip button, and holds nobody");
    }

    #[test]
    fn the_stage_sign_out_and_assets_pass_nothing_else() {
        for path in [
            "/welcome",
            "/continue",
            "/forms/work/start",
            "/pkg/askonce.js",
            "/favicon.svg",
            "/healthz",
            "/api/profiling/answer",
            "/api/auth/logout",
        ] {
            assert!(passes_while_held(path), "{path}");
        }
        for path in [
            "/",
            "/profile",
            "/admin",
            "/api/me",
            "/api/profiling/skip",
            "/welcome/",
            "/pkg",
            "/api/v2/users",
            "/auth/google/start",
            "/forms//start",
            "/forms/a/b/start",
            "/forms/work",
        ] {
            assert!(!passes_while_held(path), "{path}");
        }
    }

    #[test]
    fn page_views_come_back_after_the_stage_scripts_are_refused() {
        assert_eq!(
            held_answer(true, "/articles/rust?x=1", true),
            HeldAnswer::Welcome { location: "/welcome?return_to=/articles/rust%3Fx%3D1".into() }
        );
        assert_eq!(held_answer(false, "/api/profile/details", true), HeldAnswer::Welcome { location: "/welcome?return_to=/".into() });
        assert_eq!(held_answer(true, "/api/me", false), HeldAnswer::Forbidden);
        assert_eq!(held_answer(true, "//evil.example", true), HeldAnswer::Welcome { location: "/welcome?return_to=/".into() });
    }
}
