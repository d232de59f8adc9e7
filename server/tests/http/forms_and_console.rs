//! Forms, passwords and the directory (issue 16) over HTTP on both databases: multiselect
//! answers as lists end to end, "at login N only" stages, passwords imported from Auth0 in
//! every algorithm its bulk import takes (signing in, then rehashed to argon2id), and the
//! user search's field filters.

use app::{account::details::UpdateMyDetails, admin::api_tokens::Scope, admin::bulk, prompt::AnswerPrompt, prompt::LoginPrompt};
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;
use sea_orm::EntityTrait;
use serde_json::{json, Value};
use services::entities::password_credentials;

use crate::harness::{browser::browser, spawn_app_on, Backend, TestApp};

/// Adds a required multiselect field `topics` (1–2 choices, editable on /profile) asked by a context
/// stage `interests` (context `reading`), through the management API.
async fn add_topics_question(app: &TestApp) {
    let token = app.api_token(&[Scope::ReadStages, Scope::UpdateStages]).await;
    let field = json!({"key": "topics", "label": "Topics you follow", "kind": "multiselect", "target": "user_metadata.topics",
        "validation": {"options": [{"value": "rust", "label": "Rust"}, {"value": "wasm", "label": "WebAssembly"}, {"value": "sql", "label": "SQL"}],
                       "required": true, "min_choices": 1, "max_choices": 2}});
    let (status, body) = app.api("POST", "/api/v2/fields", Some(&token), Some(field)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let stage = json!({"key": "interests", "title": "What do you read about?", "trigger": {"on": "context", "name": "reading"},
        "fields": ["topics"], "skippable": true});
    let (status, body) = app.api("POST", "/api/v2/stages", Some(&token), Some(stage)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

async fn multiselect_answers_are_lists_end_to_end(backend: Backend) {
    let app = spawn_app_on(backend, "").await;
    add_topics_question(&app).await;
    let client = browser();
    app.sign_up(&client, "ada@example.com").await;
    let answer = |values: &'static [&'static str]| {
        let mut form = vec![("stage", "interests"), ("context", "reading")];
        form.extend(values.iter().map(|v| ("answers[topics][]", *v)));
        form
    };
    // The form posts a blank first (nothing ticked is an answer too), then each ticked box.
    let too_many = app.call(&client, AnswerPrompt::PATH, &answer(&["", "rust", "wasm", "sql"])).await;
    assert_eq!(too_many.status(), StatusCode::BAD_REQUEST);
    assert!(too_many.text().await.unwrap().contains("Choose at most 2"), "the bound, in words");
    let none = app.call(&client, AnswerPrompt::PATH, &answer(&[""])).await;
    assert_eq!(none.status(), StatusCode::BAD_REQUEST, "at least one");
    let crafted = app.call(&client, AnswerPrompt::PATH, &answer(&["rust", "cobol"])).await;
    assert_eq!(crafted.status(), StatusCode::BAD_REQUEST, "only the options");
    let ok = app.call(&client, AnswerPrompt::PATH, &answer(&["", "wasm", "rust"])).await;
    assert_eq!(ok.status(), StatusCode::OK, "{}", ok.text().await.unwrap());
    let me = app.me(&client).await;
    assert_eq!(me["user_metadata"]["topics"], json!(["rust", "wasm"]), "a list, in the options' order");
    // Edited on /profile: a new list replaces the old one; a blank alone keeps the bound.
    let edit = app.call(&client, UpdateMyDetails::PATH, &[("answers[topics][]", ""), ("answers[topics][]", "sql")]).await;
    assert!(edit.status().is_success() || edit.status().is_redirection(), "{}", edit.status());
    assert_eq!(app.me(&client).await["user_metadata"]["topics"], json!(["sql"]));
    // The person's export and the API carry the list.
    let export: Value = client.get(app.url("/api/me/export")).send().await.unwrap().json().await.unwrap();
    assert_eq!(export["profile"]["user_metadata"]["topics"], json!(["sql"]), "{export}");
}
crate::on_both_databases!(multiselect_answers_are_lists_end_to_end);

async fn an_exact_login_stage_is_asked_at_that_login_only(backend: Backend) {
    let app = spawn_app_on(backend, "").await;
    let token = app.api_token(&[Scope::ReadStages, Scope::UpdateStages]).await;
    // The demo's "work" stage, moved to the third login only.
    let (_, mut work) = app.api("GET", "/api/v2/stages/work", Some(&token), None).await;
    work["trigger"] = json!({"on": "login", "min_logins": 3, "max_logins": 3});
    let (status, body) = app.api("PUT", "/api/v2/stages/work", Some(&token), Some(work)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let bad = json!({"key": "late", "title": "Late", "trigger": {"on": "login", "min_logins": 4, "max_logins": 2}, "fields": ["company"]});
    let (status, body) = app.api("POST", "/api/v2/stages", Some(&token), Some(bad)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an end before the start: {body}");

    let client = browser();
    app.sign_up(&client, "ada@example.com").await;
    let stage_now = |client: reqwest::Client| {
        let app = &app;
        async move {
            let prompt: Value = app.call(&client, LoginPrompt::PATH, &[]).await.json().await.unwrap();
            prompt["stage"].as_str().map(str::to_string)
        }
    };
    // Sign-up (login 1) asks the name, answered; logins 2, 3, 4 follow.
    let mut seen = vec![stage_now(client.clone()).await];
    let name = [("stage", "name"), ("answers[given_name]", "Ada"), ("answers[family_name]", "Lovelace")];
    assert_eq!(app.call(&client, AnswerPrompt::PATH, &name).await.status(), StatusCode::OK);
    for _ in 2..=4 {
        app.sign_out(&client).await;
        app.sign_in(&client, "ada@example.com").await;
        seen.push(stage_now(client.clone()).await);
    }
    assert_eq!(seen, [Some("name".to_string()), None, Some("work".to_string()), None], "work at login 3 only");
}
crate::on_both_databases!(an_exact_login_stage_is_asked_at_that_login_only);

/// Known hashes of "password" in each algorithm Auth0's bulk import takes (made with Python's
/// `bcrypt` and `hashlib`, slappasswd's formats and RFC 6070's PBKDF2 vector).
fn auth0_users() -> Value {
    let user = |email: &str, hash: Value| {
        json!({"email": email, "email_verified": true,
               "identities": [{"connection": "Username-Password-Authentication", "provider": "auth0", "user_id": email.replace('@', "-"), "isSocial": false}],
               "custom_password_hash": hash})
    };
    json!([
        {"email": "bcrypt@example.com", "email_verified": true, "password_hash": "$2b$04$09wRebmgsGLcB2gn3nIAFOOTIAHLtZkdU2NmqGJ5BUaIhWY1./fMW"},
        user("pbkdf2@example.com", json!({"algorithm": "pbkdf2", "hash": {"value": "$pbkdf2$i=1,l=20$c2FsdA$DGDID5YfDnHzqbUkr2ASBi/gN6Y"}})),
        user("md5@example.com", json!({"algorithm": "md5", "hash": {"value": "5f4dcc3b5aa765d61d8327deb882cf99"}})),
        user("sha1@example.com", json!({"algorithm": "sha1", "hash": {"value": "W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "encoding": "base64"}})),
        user("sha256@example.com", json!({"algorithm": "sha256", "hash": {"value": "4b65d30b048d9eab292a2ea50fd60423d3d5d581a6ed85169b8a0c4f7dd10c00"},
            "salt": {"value": "pepper", "position": "prefix"}})),
        user("sha512@example.com", json!({"algorithm": "sha512", "hash": {"value": "7542291488234e03d5c2cc832aaf77449b65fd92d6021ded11bdfaa51b565f47acf7dd28a6138ad7d6ed4a2ed57ffc4719db0423cc43a9311f7c08ef2ee95e54"},
            "salt": {"value": "pepper", "position": "suffix"}})),
        user("ldap@example.com", json!({"algorithm": "ldap", "hash": {"value": "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g="}})),
        user("bcrypt2@example.com", json!({"algorithm": "bcrypt", "hash": {"value": "$2a$04$Y.sm5XBjbWbBoZv.TiRfzuJgjgIVBQ7LrxZeVhg6dZ3fjLJHMrkGq"}})),
    ])
}

async fn imported_passwords_sign_in_and_are_rehashed_to_argon2id(backend: Backend) {
    let app = spawn_app_on(backend, "").await;
    let users = bulk::format::parse(&auth0_users().to_string()).expect("the file parses");
    let report = bulk::import(&app.db, &users).await.expect("the file imports");
    assert_eq!(report.imported, users.len(), "{report:?}");
    for user in &users {
        let email = user.email.as_deref().unwrap();
        let client = browser();
        let wrong = app.try_sign_in(&client, email, "not the password").await;
        assert_eq!(wrong.status(), StatusCode::BAD_REQUEST, "{email}: a wrong password is refused");
        app.try_sign_in(&client, email, "password").await.error_for_status().unwrap_or_else(|e| panic!("{email}: {e}"));
        assert_eq!(app.me(&client).await["email"], email, "{email} signed in with the imported password");
    }
    // Every imported hash was replaced at its owner's sign-in; the password still works.
    for credential in password_credentials::Entity::find().all(&app.db).await.unwrap() {
        assert!(credential.password_hash.starts_with("$argon2id$"), "{}: {}", credential.email_normalized, credential.password_hash);
    }
    let client = browser();
    app.try_sign_in(&client, "md5@example.com", "password").await.error_for_status().expect("the rehashed password signs in");
}
crate::on_both_databases!(imported_passwords_sign_in_and_are_rehashed_to_argon2id);

async fn the_user_search_takes_field_filters(backend: Backend) {
    let app = spawn_app_on(backend, "").await;
    let token = app.api_token(&[Scope::ReadUsers, Scope::UpdateUsers]).await;
    for (email, company) in
        [("ada@analytical.example", "Analytical Engines"), ("grace@navy.example", "US Navy"), ("alan@bletchley.example", "GC&CS")]
    {
        let client = browser();
        app.sign_up(&client, email).await;
        let id = app.me(&client).await["user_id"].as_str().unwrap().to_string();
        let patch = json!({"user_metadata": {"company": company}});
        let (status, body) = app.api("PATCH", &format!("/api/v2/users/{id}"), Some(&token), Some(patch)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let search = |q: &str| {
        let url = format!("/api/v2/users?q={}", urlencoding(q));
        let (app, token) = (&app, &token);
        async move {
            let (status, body) = app.api("GET", &url, Some(token), None).await;
            (status, body)
        }
    };
    let emails = |body: &Value| {
        let mut e: Vec<String> =
            body["users"].as_array().unwrap_or_else(|| panic!("{body}")).iter().map(|u| u["email"].as_str().unwrap().to_string()).collect();
        e.sort();
        e
    };
    let (_, body) = search("email:navy").await;
    assert_eq!(emails(&body), ["grace@navy.example"]);
    let (_, body) = search(r#"user_metadata.company:"analytical eng""#).await;
    assert_eq!(emails(&body), ["ada@analytical.example"], "quoted, any case");
    let (_, body) = search("connection:Username-Password-Authentication user_metadata.company:gc&cs").await;
    assert_eq!(emails(&body), ["alan@bletchley.example"], "filters combine");
    let (_, body) = search("connection:google").await;
    assert_eq!(emails(&body), Vec::<String>::new(), "nobody signed in with Google");
    let (_, body) = search("example email:ada").await;
    assert_eq!(emails(&body), ["ada@analytical.example"], "free text and a filter");
    let (status, body) = search("user_metadata.Bad:x").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = search("name:").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.to_string().contains("needs a value"), "{body}");
}
crate::on_both_databases!(the_user_search_takes_field_filters);

fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The link in the last message of `kind` sent to `to` (from the outbox the mail worker sends).
async fn link_in_outbox(app: &TestApp, kind: &str, to: &str) -> String {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
    let message = services::entities::email_outbox::Entity::find()
        .filter(services::entities::email_outbox::Column::Kind.eq(kind))
        .filter(services::entities::email_outbox::Column::Recipient.eq(to))
        .order_by_desc(services::entities::email_outbox::Column::Id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no {kind} message to {to}"));
    let start = message.body_text.find("http").expect("a link in the message");
    message.body_text[start..].split_whitespace().next().unwrap().to_string()
}

async fn site_owners_create_users_with_a_password_or_an_invitation(backend: Backend) {
    let app = spawn_app_on(backend, "").await;
    let token = app.api_token(&[Scope::CreateUsers, Scope::ReadUsers]).await;
    let (status, ada) = app
        .api(
            "POST",
            "/api/v2/users",
            Some(&token),
            Some(json!({
            "email": "ada@example.com", "password": "a long passphrase", "connection": "Username-Password-Authentication",
            "given_name": "Ada", "family_name": "Lovelace", "user_metadata": {"company": "Analytical Engines"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ada}");
    assert_eq!(ada["name"], "Ada Lovelace");
    assert_eq!(ada["provenance"]["given_name"]["source"], "api");
    assert_eq!(ada["email_verified"], false, "nobody vouched: a verification link is sent");
    let client = browser();
    app.try_sign_in(&client, "ada@example.com", "a long passphrase").await.error_for_status().expect("signs in with the password given");

    let (status, body) =
        app.api("POST", "/api/v2/users", Some(&token), Some(json!({"email": "ADA@example.com", "password": "another long one"}))).await;
    assert_eq!(status, StatusCode::CONFLICT, "the address is taken: {body}");
    let (status, body) =
        app.api("POST", "/api/v2/users", Some(&token), Some(json!({"email": "bob@example.com", "password": "short"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the password policy: {body}");
    let (status, body) =
        app.api("POST", "/api/v2/users", Some(&token), Some(json!({"email": "bob@example.com", "connection": "google"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "provider people sign in there: {body}");
    let weak = app.api_token(&[Scope::ReadUsers]).await;
    let (status, _) = app.api("POST", "/api/v2/users", Some(&weak), Some(json!({"email": "eve@example.com"}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "create:users is needed");

    // Without a password: an invitation, whose link sets the first password.
    let (status, grace) =
        app.api("POST", "/api/v2/users", Some(&token), Some(json!({"email": "grace@example.com", "name": "Grace Hopper"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{grace}");
    let nobody = app.try_sign_in(&browser(), "grace@example.com", "").await;
    assert_eq!(nobody.status(), StatusCode::BAD_REQUEST, "no password works before the invitation is used");
    let link = link_in_outbox(&app, "invite", "grace@example.com").await;
    let token_param = link.split("token=").nth(1).expect("a token in the link").to_string();
    let res = app
        .call(
            &browser(),
            app::sign_in::recovery_page::ResetPassword::PATH,
            &[("token", token_param.as_str()), ("password", "grace's own passphrase")],
        )
        .await;
    assert!(res.status().is_success(), "{}: {}", res.status(), res.text().await.unwrap());
    let client = browser();
    app.try_sign_in(&client, "grace@example.com", "grace's own passphrase").await.error_for_status().expect("the chosen password works");
    assert_eq!(app.me(&client).await["email_verified"], true, "the invitation proved the address");
}
crate::on_both_databases!(site_owners_create_users_with_a_password_or_an_invitation);

async fn root_attributes_are_edited_unless_a_provider_resends_them(backend: Backend) {
    let idp = crate::harness::idp::FakeIdp::start(
        json!({"sub": "g-1", "email": "grace@example.com", "email_verified": true, "given_name": "Grace"}),
    )
    .await;
    let app = spawn_app_on(backend, &idp.oidc_connection("test")).await;
    let token = app.api_token(&[Scope::ReadUsers, Scope::UpdateUsers]).await;
    let client = browser();
    app.sign_up(&client, "ada@example.com").await;
    let ada = app.me(&client).await["user_id"].as_str().unwrap().to_string();
    let patch = json!({"given_name": "Ada", "family_name": "Lovelace", "nickname": "ada", "picture": "https://example.com/ada.png",
                       "email": "countess@example.com", "email_verified": true});
    let (status, body) = app.api("PATCH", &format!("/api/v2/users/{ada}"), Some(&token), Some(patch)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["name"], "Ada Lovelace");
    assert_eq!(body["email"], "countess@example.com");
    assert_eq!(body["email_verified"], true);
    assert_eq!(body["provenance"]["picture"]["source"], "api");
    app.sign_out(&client).await;
    app.try_sign_in(&client, "countess@example.com", crate::harness::PASSWORD)
        .await
        .error_for_status()
        .expect("the sign-in email followed");
    let (status, body) =
        app.api("PATCH", &format!("/api/v2/users/{ada}"), Some(&token), Some(json!({"picture": "javascript:alert(1)"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // Grace's primary account re-sends her name at each sign-in (the default policy).
    app.sign_in_with_provider(&browser(), "test").await;
    let (_, page) = app.api("GET", "/api/v2/users?q=email:grace", Some(&token), None).await;
    let grace = page["users"][0]["user_id"].as_str().unwrap().to_string();
    let (status, body) = app.api("PATCH", &format!("/api/v2/users/{grace}"), Some(&token), Some(json!({"given_name": "Amazing"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.to_string().contains("come from test at each sign-in"), "the reason: {body}");
    // Metadata is still hers to be given.
    let (status, _) =
        app.api("PATCH", &format!("/api/v2/users/{grace}"), Some(&token), Some(json!({"user_metadata": {"rank": "admiral"}}))).await;
    assert_eq!(status, StatusCode::OK);
}
crate::on_both_databases!(root_attributes_are_edited_unless_a_provider_resends_them);

async fn accounts_are_linked_and_unlinked_through_the_api(backend: Backend) {
    let idp = crate::harness::idp::FakeIdp::start(json!({"sub": "a-1", "email": "ada@work.example", "email_verified": true})).await;
    let app = spawn_app_on(backend, &idp.oidc_connection("test")).await;
    let token = app.api_token(&[Scope::ReadUsers, Scope::UpdateUsers, Scope::DeleteUsers]).await;
    let client = browser();
    app.sign_up(&client, "ada@example.com").await;
    let ada = app.me(&client).await["user_id"].as_str().unwrap().to_string();
    // The same person signed in with a provider too: a second account.
    let work = browser();
    app.sign_in_with_provider(&work, "test").await;
    let other = app.me(&work).await["user_id"].as_str().unwrap().to_string();
    assert_ne!(ada, other);

    let (status, body) = app
        .api("POST", &format!("/api/v2/users/{ada}/identities"), Some(&token), Some(json!({"user_id": other, "provider": "github"})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "that account has no github identity: {body}");
    let (status, body) = app.api("POST", &format!("/api/v2/users/{ada}/identities"), Some(&token), Some(json!({"user_id": ada}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "not itself: {body}");
    let (status, identities) = app
        .api("POST", &format!("/api/v2/users/{ada}/identities"), Some(&token), Some(json!({"user_id": other, "provider": "test"})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{identities}");
    assert_eq!(identities.as_array().unwrap().len(), 2);
    let (status, _) = app.api("GET", &format!("/api/v2/users/{other}"), Some(&token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the linked-in account is gone");
    // The link and its audit entry were written together: the token, and the removed user by hash.
    let audit = services::entities::audit_log::Entity::find().all(&app.db).await.unwrap();
    let link = audit.iter().find(|a| a.action == "users.linked").expect("the link is audited");
    assert_eq!(
        (link.actor_kind.as_str(), link.subject_hash.clone()),
        ("api", Some(services::audit::subject_hash(&domain::user_id::UserId::from_stored(ada.clone()))))
    );
    assert_eq!(link.details["merged_user"], services::audit::subject_hash(&domain::user_id::UserId::from_stored(other.clone())).as_str());
    // Signing in with the provider now reaches Ada's account.
    let again = browser();
    app.sign_in_with_provider(&again, "test").await;
    assert_eq!(app.me(&again).await["user_id"], ada.as_str());

    let (status, left) = app.api("DELETE", &format!("/api/v2/users/{ada}/identities/test/a-1"), Some(&token), None).await;
    assert_eq!(status, StatusCode::OK, "{left}");
    assert_eq!(left.as_array().unwrap().len(), 1);
    let (status, body) = app.api("DELETE", &format!("/api/v2/users/{ada}/identities/auth0/{ada}"), Some(&token), None).await;
    assert_eq!(status, StatusCode::CONFLICT, "never the last: {body}");
    let (status, _) = app.api("DELETE", &format!("/api/v2/users/{ada}/identities/test/a-1"), Some(&token), None).await;
    assert_eq!(status, StatusCode::CONFLICT, "already unlinked");
}
crate::on_both_databases!(accounts_are_linked_and_unlinked_through_the_api);

async fn hidden_fields_are_taken_from_the_context_with_provenance(backend: Backend) {
    let app = spawn_app_on(backend, "").await;
    let token = app.api_token(&[Scope::ReadStages, Scope::UpdateStages]).await;
    for (key, from) in [("came_from", "query:ref"), ("read_tags", "tags"), ("signed_in_with", "connection")] {
        let field = json!({"key": key, "label": key, "kind": "hidden", "target": format!("user_metadata.{key}"), "from": from});
        let (status, body) = app.api("POST", "/api/v2/fields", Some(&token), Some(field)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let bad = json!({"key": "nowhere", "label": "x", "kind": "hidden", "target": "user_metadata.nowhere"});
    let (status, body) = app.api("POST", "/api/v2/fields", Some(&token), Some(bad)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a hidden field says where from: {body}");
    let (_, mut stage) = app.api("GET", "/api/v2/stages/subscription", Some(&token), None).await;
    stage["fields"] = json!(["subscribed", "came_from", "read_tags", "signed_in_with"]);
    let (status, body) = app.api("PUT", "/api/v2/stages/subscription", Some(&token), Some(stage)).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let client = browser();
    app.sign_up(&client, "ada@example.com").await;
    // The stage asks only the visible question.
    let prompt: Value =
        app.call(&client, app::prompt::ContextPrompt::PATH, &[("context", "article"), ("tags[0]", "rust")]).await.json().await.unwrap();
    let asked: Vec<&str> = prompt["fields"].as_array().unwrap().iter().map(|f| f["key"].as_str().unwrap()).collect();
    assert_eq!(asked, ["subscribed"], "hidden fields are never shown");
    let answer = [
        ("stage", "subscription"),
        ("context", "article"),
        ("tags", "rust,wasm"),
        ("answers[subscribed]", "yes"),
        ("page_query", "ref=newsletter&utm_medium=email"),
    ];
    let res = app.call(&client, AnswerPrompt::PATH, &answer).await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    let me = app.me(&client).await;
    assert_eq!(me["user_metadata"]["came_from"], "newsletter");
    assert_eq!(me["user_metadata"]["read_tags"], json!(["rust", "wasm"]));
    assert_eq!(me["user_metadata"]["signed_in_with"], "Username-Password-Authentication");
    assert_eq!(me["provenance"]["user_metadata.came_from"]["source"], "context:query:ref");
    assert_eq!(me["provenance"]["user_metadata.read_tags"]["source"], "context:tags");
}
crate::on_both_databases!(hidden_fields_are_taken_from_the_context_with_provenance);

async fn shown_prompt(app: &TestApp, client: &reqwest::Client) -> Value {
    app.call(client, LoginPrompt::PATH, &[]).await.json().await.unwrap()
}

async fn send_step(app: &TestApp, client: &reqwest::Client, form: &[(&str, &str)]) -> reqwest::Response {
    let mut all = vec![("stage", "work")];
    all.extend_from_slice(form);
    app.call(client, AnswerPrompt::PATH, &all).await
}

async fn a_multi_step_stage_checks_each_step_and_stores_at_the_last(backend: Backend) {
    let app = spawn_app_on(backend, "").await;
    let token = app.api_token(&[Scope::ReadStages, Scope::UpdateStages]).await;
    let (_, mut work) = app.api("GET", "/api/v2/stages/work", Some(&token), None).await;
    work["steps"] = json!([["job_title"], ["company"]]);
    let (status, body) = app.api("PUT", "/api/v2/stages/work", Some(&token), Some(work.clone())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    work["steps"] = json!([["company"], ["job_title"]]);
    let (status, body) = app.api("PUT", "/api/v2/stages/work", Some(&token), Some(work)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "steps follow the fields' order: {body}");

    let client = browser();
    app.sign_up(&client, "ada@example.com").await;
    let name = [("stage", "name"), ("answers[given_name]", "Ada"), ("answers[family_name]", "Lovelace")];
    assert_eq!(app.call(&client, AnswerPrompt::PATH, &name).await.status(), StatusCode::OK);
    app.sign_out(&client).await;
    app.sign_in(&client, "ada@example.com").await;
    let shown = shown_prompt(&app, &client).await;
    assert_eq!((shown["stage"].as_str(), shown["step"].as_u64()), (Some("work"), Some(0)));

    let empty = send_step(&app, &client, &[("step", "0"), ("answers[job_title]", " ")]).await;
    assert_eq!(empty.status(), StatusCode::BAD_REQUEST, "step 1 is checked when sent");
    let moved = send_step(&app, &client, &[("step", "0"), ("answers[job_title]", "Engineer")]).await;
    assert_eq!(moved.json::<Value>().await.unwrap(), json!("Moved"));
    assert!(app.me(&client).await["user_metadata"].get("job_title").is_none(), "nothing stored before the last step");
    let shown = shown_prompt(&app, &client).await;
    assert_eq!(shown["step"], 1);
    assert_eq!(shown["typed"]["job_title"], json!(["Engineer"]), "what was typed is kept");
    // Back, without JavaScript: the browser comes back to the page it posted from.
    let back = client
        .post(app.url(AnswerPrompt::PATH))
        .header("accept", "text/html")
        .header("referer", app.url("/welcome?return_to=/articles"))
        .form(&[("stage", "work"), ("step", "1"), ("go", "back"), ("answers[company]", "Ac")])
        .send()
        .await
        .unwrap();
    assert!(back.status().is_redirection(), "{}", back.status());
    let shown = shown_prompt(&app, &client).await;
    assert_eq!((shown["step"].as_u64(), shown["typed"]["company"].clone()), (Some(0), json!(["Ac"])));
    assert_eq!(send_step(&app, &client, &[("step", "0"), ("answers[job_title]", "Engineer")]).await.status(), StatusCode::OK);
    let saved = send_step(&app, &client, &[("step", "1"), ("go", "continue"), ("answers[company]", "Acme")]).await;
    assert_eq!(saved.json::<Value>().await.unwrap(), json!("Saved"));
    let me = app.me(&client).await;
    assert_eq!((me["user_metadata"]["job_title"].as_str(), me["user_metadata"]["company"].as_str()), (Some("Engineer"), Some("Acme")));
}
crate::on_both_databases!(a_multi_step_stage_checks_each_step_and_stores_at_the_last);

/// Attacks on the new user endpoints with a token that may edit or create users: none of them
/// reaches the console or a site owner's account.
async fn a_user_editing_token_cannot_make_or_take_over_a_site_owner(backend: Backend) {
    let app = spawn_app_on(backend, "admins = [\"owner@example.com\", \"chief@example.com\"]\n").await;
    let token = app.api_token(&[Scope::ReadUsers, Scope::CreateUsers, Scope::UpdateUsers]).await;
    // Vouching for the owner's address on one's own account does not make it the owner's.
    let mallory = browser();
    app.sign_up(&mallory, "mallory@example.com").await;
    let id = app.me(&mallory).await["user_id"].as_str().unwrap().to_string();
    let patch = json!({"email": "owner@example.com", "email_verified": true});
    let (status, body) = app.api("PATCH", &format!("/api/v2/users/{id}"), Some(&token), Some(patch)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(app.whoami(&mallory).await.map(|u| u.is_admin), Some(false), "an API's word is not a provider's");
    // Nor does creating an account with it.
    app.sign_out(&mallory).await;
    let created = json!({"email": "chief@example.com", "password": "another long passphrase", "email_verified": true});
    let (status, body) = app.api("POST", "/api/v2/users", Some(&token), Some(created)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let eve = browser();
    app.try_sign_in(&eve, "chief@example.com", "another long passphrase").await.error_for_status().expect("signs in");
    assert_eq!(app.whoami(&eve).await.map(|u| u.is_admin), Some(false), "created by a token: not the owner");
    // app_metadata needs its own scope, as with PATCH.
    let (status, _) =
        app.api("POST", "/api/v2/users", Some(&token), Some(json!({"email": "x@example.com", "app_metadata": {"roles": ["admin"]}}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A real owner (flagged by the CLI's way): their name, email and accounts are off limits.
    let owner = browser();
    app.sign_up_admin(&owner, "boss@example.com").await;
    let boss = app.me(&owner).await["user_id"].as_str().unwrap().to_string();
    let (status, _) =
        app.api("PATCH", &format!("/api/v2/users/{boss}"), Some(&token), Some(json!({"email": "mallory2@example.com"}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no email change for an owner");
    let full = app.api_token(&[Scope::ReadUsers, Scope::UpdateUsers, Scope::DeleteUsers]).await;
    let (status, _) = app.api("POST", &format!("/api/v2/users/{boss}/identities"), Some(&full), Some(json!({"user_id": id}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no account linked into an owner's");
    let (status, _) = app.api("POST", &format!("/api/v2/users/{id}/identities"), Some(&token), Some(json!({"user_id": boss}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "linking removes a user: delete:users is needed");
    let (status, _) = app.api("POST", &format!("/api/v2/users/{id}/identities"), Some(&full), Some(json!({"user_id": boss}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an owner is never linked away");
    let (status, _) = app.api("DELETE", &format!("/api/v2/users/{boss}/identities/auth0/{boss}"), Some(&full), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(app.whoami(&owner).await.map(|u| u.is_admin), Some(true), "the owner is untouched");
}
crate::on_both_databases!(a_user_editing_token_cannot_make_or_take_over_a_site_owner);
