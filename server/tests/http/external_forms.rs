//! External forms over HTTP, with the test playing the form: it reads the session token from
//! where AskOnce sends the browser, checks it with the stage's secret, and sends the browser
//! back to `/continue` with an answer token it signs — the protocol docs/MANUAL.md documents.
//! Every bad answer token gets the `/welcome` problem page and changes nothing.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use leptos::server_fn::ServerFn;
use reqwest::{Client, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use app::{admin::api_tokens::Scope, prompt::AnswerPrompt, prompt::LoginPrompt};
use domain::{
    external_form::FormProblem, external_form::RoundTripOutcome, profiling::ExternalForm, profiling::ProfilingConfig,
    profiling::ValidConfig,
};
use services::{profiling::load_versioned, profiling::replace_config, profiling::BasedOn};

use crate::harness::{
    browser::{browser, location},
    spawn_app_on, Backend, TestApp,
};

const FORM_URL: &str = "https://forms.example.test/names?lang=en";

/// The shipped questions with the signup stage ("name") asked by an external form, required
/// or not; its new secret.
async fn names_by_external_form(app: &TestApp, required: bool) -> String {
    names_by_external_form_without_a_secret(app, required).await;
    let token = app.api_token(&[Scope::UpdateStages]).await;
    let (status, made) = app.api("POST", "/api/v2/stages/name/form-secret", Some(&token), None).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    made["secret"].as_str().expect("the secret, once").to_string()
}

/// Follows `/welcome` to the form, as a browser does; the session token's claims and the state.
async fn leave_for_the_form(app: &TestApp, client: &Client, secret: &str) -> (Value, String) {
    // As a browser asks for a page (a redirect during rendering is a 302 only for those).
    let welcome = client.get(app.url("/welcome?return_to=/profile")).header("accept", "text/html").send().await.unwrap();
    let status = welcome.status();
    assert!(status.is_redirection(), "/welcome sends the person on: {status} {}", welcome.text().await.unwrap_or_default());
    let start = location(&welcome);
    assert_eq!(start, "/forms/name/start?return_to=/profile");
    let out = client.get(app.url(&start)).send().await.unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let to = reqwest::Url::parse(&location(&out)).expect("an absolute address");
    assert!(to.as_str().starts_with("https://forms.example.test/names?lang=en&session_token="), "{to}");
    let query: std::collections::HashMap<String, String> = to.query_pairs().into_owned().collect();

    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&[FORM_URL]);
    let claims = jsonwebtoken::decode::<Value>(&query["session_token"], &DecodingKey::from_secret(secret.as_bytes()), &validation)
        .expect("a session token signed with the stage's secret, for the form")
        .claims;
    assert_eq!(claims["state"], query["state"].as_str());
    (claims, query["state"].clone())
}

fn answer_token(secret: &str, claims: Value) -> String {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

/// What a form signs by default: everything right; tests spoil one thing at a time.
fn good_answers(app: &TestApp, session: &Value, jti: &str) -> Value {
    json!({
        "aud": app.address,
        "sub": session["sub"],
        "exp": chrono::Utc::now().timestamp() + 120,
        "jti": jti,
        "state": session["state"],
        "stage": "name",
        "answers": {"given_name": "Ada", "family_name": "Lovelace"},
    })
}

async fn come_back(app: &TestApp, client: &Client, state: &str, token: &str) -> String {
    let url = reqwest::Url::parse_with_params(&app.url("/continue"), &[("state", state), ("token", token)]).unwrap();
    let back = client.get(url).send().await.unwrap();
    assert_eq!(back.status(), StatusCode::SEE_OTHER, "{}", back.text().await.unwrap_or_default());
    location(&back)
}

async fn an_external_form_round_trip_stores_the_answers_once(backend: Backend) {
    let app = spawn_app_on(backend, "").await;
    let secret = names_by_external_form(&app, true).await;
    let client = browser();
    app.sign_up(&client, "ada@example.com").await;
    // (`/api/me` is held too: the id comes from the database.)
    let ada = services::entities::users::Entity::find()
        .filter(services::entities::users::Column::Email.eq("ada@example.com"))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the new account");
    // Held at the required stage, yet the way to the form and back is open.
    let held = client.get(app.url("/profile")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(location(&held), "/welcome?return_to=/profile");

    // The stage takes its answers from the form only: posting them here is refused.
    let direct = [("stage", "name"), ("answers[given_name]", "Eve"), ("answers[family_name]", "Mallory")];
    assert_eq!(app.call(&client, AnswerPrompt::PATH, &direct).await.status(), StatusCode::CONFLICT);

    let (session, state) = leave_for_the_form(&app, &client, &secret).await;
    assert_eq!(session["iss"], app.address);
    assert_eq!(session["sub"], ada.id.as_str());
    assert_eq!(session["stage"], "name");
    assert_eq!(session["ask"], json!(["given_name", "family_name"]), "what the form should ask");
    assert_eq!(session["exp"].as_i64().unwrap() - session["iat"].as_i64().unwrap(), 300, "token_minutes = 5");

    let token = answer_token(&secret, good_answers(&app, &session, "answer-1"));
    assert_eq!(come_back(&app, &client, &state, &token).await, "/welcome?return_to=/profile");
    let me = app.me(&client).await;
    assert_eq!(me["name"], "Ada Lovelace");
    assert_eq!(me["provenance"]["given_name"]["source"], "form:name");
    let prompt: Value = app.call(&client, LoginPrompt::PATH, &[]).await.json().await.unwrap();
    assert!(prompt.is_null(), "answered: nothing more to ask, and nobody held: {prompt}");
    assert_eq!(client.get(app.url("/profile")).send().await.unwrap().status(), StatusCode::OK);

    // The same answer again: refused as used, and nothing changes.
    let again = come_back(&app, &client, &state, &answer_token(&secret, good_answers(&app, &session, "answer-1"))).await;
    assert_eq!(again, "/welcome?return_to=/&form_problem=replayed");
    let page = client.get(app.url(&again)).header("accept", "text/html").send().await.unwrap();
    assert!(page.status().is_redirection(), "nothing to ask: /welcome moves on");
    assert_eq!(location(&page), "/");
    assert_eq!(app.me(&client).await["provenance"], me["provenance"]);
}
crate::on_both_databases!(an_external_form_round_trip_stores_the_answers_once);

async fn a_bad_answer_token_gets_a_clear_page_and_changes_nothing(backend: Backend) {
    let app = spawn_app_on(backend, "").await;
    let secret = names_by_external_form(&app, false).await;
    let client = browser();
    app.sign_up(&client, "ada@example.com").await;
    let (session, state) = leave_for_the_form(&app, &client, &secret).await;
    let spoiled = |change: &dyn Fn(&mut Value)| {
        let mut claims = good_answers(&app, &session, &format!("j-{}", rand_suffix()));
        change(&mut claims);
        claims
    };
    let cases: Vec<(&str, String, &str)> = vec![
        ("another secret", answer_token("not the secret", spoiled(&|_| {})), "bad_token"),
        ("for another site", answer_token(&secret, spoiled(&|c| c["aud"] = json!("https://elsewhere.example"))), "bad_token"),
        ("expired", answer_token(&secret, spoiled(&|c| c["exp"] = json!(chrono::Utc::now().timestamp() - 300))), "expired"),
        ("living too long", answer_token(&secret, spoiled(&|c| c["exp"] = json!(chrono::Utc::now().timestamp() + 86_400))), "bad_token"),
        ("another round trip", answer_token(&secret, spoiled(&|c| c["state"] = json!("someone-elses-state"))), "state_mismatch"),
        ("another person", answer_token(&secret, spoiled(&|c| c["sub"] = json!("someone-else"))), "wrong_person"),
        ("a field the stage lacks", answer_token(&secret, spoiled(&|c| c["answers"]["role"] = json!("admin"))), "invalid_answers"),
        ("an invalid answer", answer_token(&secret, spoiled(&|c| c["answers"]["given_name"] = json!(""))), "invalid_answers"),
        ("not a token", "not.a.token".to_string(), "bad_token"),
    ];
    for (what, token, problem) in cases {
        let to = come_back(&app, &client, &state, &token).await;
        assert_eq!(to, format!("/welcome?return_to=/profile&form_problem={problem}"), "{what}");
        assert_eq!(app.me(&client).await["given_name"], Value::Null, "{what}: nothing saved");
    }
    // Each refusal is on the round trip's record, with the last reason.
    let trips = services::external_form::recent_round_trips(&app.db, "name", 10).await.unwrap();
    assert_eq!((trips[0].outcome, trips[0].reason, trips[0].returns), (RoundTripOutcome::Refused, Some(FormProblem::BadToken), 9));
    // The page says what went wrong, and offers the form again instead of leaving at once.
    let page = client.get(app.url("/welcome?return_to=/profile&form_problem=expired")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("came back too late. Nothing was saved"), "{html}");
    assert!(html.contains("Open the form again"));

    // A good token on another browser session (someone else signed in there) is refused.
    let other = browser();
    app.sign_up(&other, "grace@example.com").await;
    let good = answer_token(&secret, good_answers(&app, &session, "j-good"));
    assert_eq!(come_back(&app, &other, &state, &good).await, "/welcome?return_to=/&form_problem=not_started");
    // Signed out, the way back asks to sign in first.
    let anonymous = browser();
    let res = anonymous.get(app.url(&format!("/continue?state={state}&token={good}"))).send().await.unwrap();
    assert!(location(&res).starts_with("/login?return_to=/continue"), "{}", location(&res));

    // An invalid answer left the token unused: fixed, the same round trip goes through.
    assert_eq!(come_back(&app, &client, &state, &good).await, "/welcome?return_to=/profile");
    assert_eq!(app.me(&client).await["given_name"], "Ada");
}
crate::on_both_databases!(a_bad_answer_token_gets_a_clear_page_and_changes_nothing);

async fn form_secrets_are_made_for_external_stages_only(backend: Backend) {
    let app = spawn_app_on(backend, "").await;
    let first = names_by_external_form(&app, false).await;
    let token = app.api_token(&[Scope::UpdateStages]).await;
    let (status, again) = app.api("POST", "/api/v2/stages/name/form-secret", Some(&token), None).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_ne!(again["secret"].as_str(), Some(first.as_str()), "a new secret replaces the old");
    let (status, body) = app.api("POST", "/api/v2/stages/work/form-secret", Some(&token), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "work is asked here: {body}");
    let (status, _) = app.api("POST", "/api/v2/stages/nope/form-secret", Some(&token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let reader = app.api_token(&[Scope::ReadStages]).await;
    let (status, _) = app.api("POST", "/api/v2/stages/name/form-secret", Some(&reader), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The old secret stopped working at once.
    let client = browser();
    app.sign_up(&client, "ada@example.com").await;
    let new_secret = again["secret"].as_str().unwrap().to_string();
    let (session, state) = leave_for_the_form(&app, &client, &new_secret).await;
    let stale = answer_token(&first, good_answers(&app, &session, "j-stale"));
    assert_eq!(come_back(&app, &client, &state, &stale).await, "/welcome?return_to=/profile&form_problem=bad_token");
}
crate::on_both_databases!(form_secrets_are_made_for_external_stages_only);

fn rand_suffix() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// An external form's origin goes into every page's Content-Security-Policy: an address whose
/// host holds `;` or `,` (which the URL standard takes in a host) would add a directive that
/// switches scripts and forms off for everyone, or a second policy. Refused when saved.
async fn a_form_address_cannot_rewrite_the_content_security_policy(backend: Backend) {
    let app = spawn_app_on(backend, "").await;
    let token = app.api_token(&[Scope::ReadStages, Scope::UpdateStages]).await;
    let (_, mut stage) = app.api("GET", "/api/v2/stages/name", Some(&token), None).await;
    for url in ["https://forms.example;sandbox/x", "https://x,script-src/", "https://x'unsafe-inline'/"] {
        stage["external"] = json!({"url": url, "token_minutes": 5});
        let (status, body) = app.api("PUT", "/api/v2/stages/name", Some(&token), Some(stage.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{url}: {body}");
    }
    let page = app.client.get(app.url("/login")).send().await.unwrap();
    let csp = page.headers().get(reqwest::header::CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap().to_string();
    assert!(!csp.contains("sandbox") && !csp.contains(','), "{csp}");
}
crate::on_both_databases!(a_form_address_cannot_rewrite_the_content_security_policy);

/// What seed 002's flow signs (Arengu's "Sign JSON web token" action with npm jsonwebtoken):
/// `{other}` with the issuer, the verified subject, `iat` and an expiry 30 s later — no `aud`,
/// `jti`, `stage` or `state`.
fn seed_answers(iss: &str, sub: &Value, other: Value) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({ "other": other, "iss": iss, "sub": sub, "iat": now, "exp": now + 30 })
}

/// Comes back as seed 002's flow redirects: `/continue?state=…&session_token=…`.
async fn come_back_as_the_seed(app: &TestApp, client: &Client, state: &str, token: &str) -> String {
    let url = reqwest::Url::parse_with_params(&app.url("/continue"), &[("state", state), ("session_token", token)]).unwrap();
    let back = client.get(url).send().await.unwrap();
    assert_eq!(back.status(), StatusCode::SEE_OTHER, "{}", back.text().await.unwrap_or_default());
    location(&back)
}

async fn a_seed_002_form_round_trip_works_and_its_attacks_change_nothing(backend: Backend) {
    let app = spawn_app_on(backend, "").await;
    names_by_external_form(&app, false).await;
    // The site's own secret, as the seed's SESSION_TOKEN_SECRET: set, not generated.
    let token = app.api_token(&[Scope::UpdateStages]).await;
    let secret = "the-site-s-own-session-token-secret-0123456789";
    let (status, set) = app.api("POST", "/api/v2/stages/name/form-secret", Some(&token), Some(json!({ "secret": secret }))).await;
    assert_eq!(status, StatusCode::CREATED, "{set}");
    assert_eq!((set["secret"].as_str(), &set["issuer"]), (Some(secret), &Value::Null), "AskOnce's address is the default issuer");
    let (status, short) = app.api("POST", "/api/v2/stages/name/form-secret", Some(&token), Some(json!({ "secret": "too short" }))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{short}");
    assert!(short["message"].as_str().unwrap().contains("32 bytes"), "{short}");
    let weak = "password".repeat(5);
    let (status, weak) = app.api("POST", "/api/v2/stages/name/form-secret", Some(&token), Some(json!({ "secret": weak }))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{weak}");
    assert!(weak["message"].as_str().unwrap().contains("does not look random"), "{weak}");
    let (status, _) = app.api("POST", "/api/v2/stages/name/form-secret", Some(&token), Some(json!({ "secret": secret }))).await;
    assert_eq!(status, StatusCode::CREATED);

    let client = browser();
    app.sign_up(&client, "grace@example.com").await;
    let (session, state) = leave_for_the_form(&app, &client, secret).await;
    let sub = session["sub"].clone();
    let iss = app.address.clone();
    let names = json!({ "given_name": "Grace", "family_name": "Hopper" });

    // The attacks first: each refused, nothing saved.
    let ten_minutes = {
        let mut c = seed_answers(&iss, &sub, names.clone());
        c["exp"] = json!(chrono::Utc::now().timestamp() + 600);
        c
    };
    let unsigned = {
        use base64::Engine;
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), b64(&seed_answers(&iss, &sub, names.clone()).to_string()))
    };
    let mut another_stage = seed_answers(&iss, &sub, names.clone());
    another_stage["stage"] = json!("work");
    let cases: Vec<(&str, String, &str)> = vec![
        ("a 10-minute expiry", answer_token(secret, ten_minutes), "bad_token"),
        ("another issuer", answer_token(secret, seed_answers("https://elsewhere.example", &sub, names.clone())), "bad_token"),
        ("another person", answer_token(secret, seed_answers(&iss, &json!("someone-else"), names.clone())), "wrong_person"),
        ("alg none", unsigned, "bad_token"),
        (
            "another secret",
            answer_token("a-different-secret-of-enough-length-0123456789", seed_answers(&iss, &sub, names.clone())),
            "bad_token",
        ),
        ("a token naming another stage", answer_token(secret, another_stage), "bad_token"),
        (
            "a field of another stage",
            answer_token(secret, seed_answers(&iss, &sub, json!({ "given_name": "Grace", "family_name": "Hopper", "company": "Evil" }))),
            "invalid_answers",
        ),
        (
            "a root attribute",
            answer_token(secret, seed_answers(&iss, &sub, json!({ "given_name": "Grace", "email": "evil@example.com" }))),
            "invalid_answers",
        ),
    ];
    for (what, token, problem) in cases {
        let to = come_back_as_the_seed(&app, &client, &state, &token).await;
        assert_eq!(to, format!("/welcome?return_to=/profile&form_problem={problem}"), "{what}");
        let me = app.me(&client).await;
        assert_eq!((&me["given_name"], &me["email"]), (&Value::Null, &json!("grace@example.com")), "{what}: nothing saved");
    }

    // The seed's token as its flow signs it: taken, with provenance form:name.
    let good = answer_token(secret, seed_answers(&iss, &sub, names.clone()));
    assert_eq!(come_back_as_the_seed(&app, &client, &state, &good).await, "/welcome?return_to=/profile");
    let me = app.me(&client).await;
    assert_eq!(me["name"], "Grace Hopper");
    assert_eq!(me["provenance"]["given_name"]["source"], "form:name");
    // The same token again: refused as used (it has no jti: its hash is what was taken).
    assert_eq!(come_back_as_the_seed(&app, &client, &state, &good).await, "/welcome?return_to=/&form_problem=replayed");

    // The console's record of the round trip: sent, back nine times, stored in the end.
    let trips = services::external_form::recent_round_trips(&app.db, "name", 10).await.unwrap();
    assert_eq!(trips.len(), 1, "{trips:?}");
    let trip = &trips[0];
    assert_eq!((trip.outcome, trip.reason, trip.returns), (RoundTripOutcome::Stored, None, 9), "{trip:?}");
    assert_eq!(trip.user_id, sub.as_str().unwrap());
    assert!(trip.started_at.is_some() && trip.returned_at.is_some(), "{trip:?}");

    // The site owner's own issuer: the form's tokens must name it, AskOnce's address no more.
    let (status, set) = app
        .api("POST", "/api/v2/stages/name/form-secret", Some(&token), Some(json!({ "secret": secret, "issuer": "forms.example.com" })))
        .await;
    assert_eq!((status, &set["issuer"]), (StatusCode::CREATED, &json!("forms.example.com")));
    let (status, kept) = app.api("POST", "/api/v2/stages/name/form-secret", Some(&token), None).await;
    assert_eq!((status, &kept["issuer"]), (StatusCode::CREATED, &json!("forms.example.com")), "a new secret keeps the issuer");
    let (status, reset) =
        app.api("POST", "/api/v2/stages/name/form-secret", Some(&token), Some(json!({ "secret": secret, "issuer": "" }))).await;
    assert_eq!((status, &reset["issuer"]), (StatusCode::CREATED, &Value::Null), "an empty issuer is the default again");
}
crate::on_both_databases!(a_seed_002_form_round_trip_works_and_its_attacks_change_nothing);

async fn a_secret_set_in_the_configuration_file_is_used_and_kept(backend: Backend) {
    let secret = "set-in-askonce-toml-for-the-name-stage-0123456789";
    let toml = format!("[external_forms.name]\nsecret = \"{secret}\"\nissuer = \"forms.example.com\"\n");
    let app = spawn_app_on(backend, &toml).await;
    names_by_external_form_without_a_secret(&app, false).await;
    // The console and the API cannot replace it while the file sets it.
    let token = app.api_token(&[Scope::UpdateStages]).await;
    let (status, body) = app.api("POST", "/api/v2/stages/name/form-secret", Some(&token), None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["message"].as_str().unwrap().contains("askonce.toml"), "{body}");

    let client = browser();
    app.sign_up(&client, "grace@example.com").await;
    let (session, state) = leave_for_the_form(&app, &client, secret).await;
    // The file's issuer: AskOnce's own address is refused, the file's taken.
    let names = json!({ "given_name": "Grace", "family_name": "Hopper" });
    let ours = answer_token(secret, seed_answers(&app.address, &session["sub"], names.clone()));
    assert_eq!(come_back_as_the_seed(&app, &client, &state, &ours).await, "/welcome?return_to=/profile&form_problem=bad_token");
    let theirs = answer_token(secret, seed_answers("forms.example.com", &session["sub"], names));
    assert_eq!(come_back_as_the_seed(&app, &client, &state, &theirs).await, "/welcome?return_to=/profile");
    assert_eq!(app.me(&client).await["name"], "Grace Hopper");
}
crate::on_both_databases!(a_secret_set_in_the_configuration_file_is_used_and_kept);

async fn a_stored_secret_does_not_come_back_when_the_file_stops_setting_it(backend: Backend) {
    let app = spawn_app_on(backend, "").await;
    names_by_external_form(&app, false).await;
    // An instance whose file sets the stage's secret retires the stored one at start...
    let toml = "[external_forms.name]\nsecret = \"set-in-askonce-toml-for-the-name-stage-0123456789\"\n";
    app.another_instance(toml).await;
    // ...so where the file does not set it (the first instance), the form has no secret: it
    // is refused until one is set, never signed with the old one.
    let client = browser();
    app.sign_up(&client, "grace@example.com").await;
    let out = client.get(app.url("/forms/name/start?return_to=/profile")).send().await.unwrap();
    assert_eq!(location(&out), "/welcome?return_to=/profile&form_problem=not_set_up");
}
crate::on_both_databases!(a_stored_secret_does_not_come_back_when_the_file_stops_setting_it);

/// The signup stage ("name") asked by an external form, required or not; no secret made.
async fn names_by_external_form_without_a_secret(app: &TestApp, required: bool) {
    let mut config = ProfilingConfig::defaults();
    for stage in config.stages.iter_mut().filter(|s| s.key.as_str() == "name") {
        stage.external = Some(ExternalForm { url: FORM_URL.into(), token_minutes: 5 });
        stage.skippable = !required;
    }
    let config = ValidConfig::check(config).expect("a valid configuration");
    let current = load_versioned(&app.db).await.expect("the configuration");
    replace_config(&app.db, &config, BasedOn::Version(current.version), None).await.expect("saving the configuration");
}
