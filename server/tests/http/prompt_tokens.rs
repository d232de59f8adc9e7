//! Prompt tokens (RFC 8693 token exchange at `/oauth/token`): an application allowed the
//! `prompt` scope exchanges the access token it holds for one person for a short-lived token
//! whose only audience is AskOnce's prompt API. Every other way to one is refused, and
//! whatever revokes the person's access token revokes it too.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use reqwest::StatusCode;
use serde_json::Value;

use crate::{
    harness::{openid::client_toml, spawn_app_on, Backend, TestApp},
    openid_provider::{clients_toml, code_for, exchange, introspect, signed_in_person, CALLBACK},
};

const EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN: &str = "urn:ietf:params:oauth:token-type:access_token";
const SECRET: &str = crate::harness::openid::SECRET;

/// `web` and `spa` of the provider tests; `shop` (confidential) and `reader` (a SPA) may ask
/// on their pages.
async fn app_with_prompt_clients(backend: Backend) -> TestApp {
    let prompt = "scopes = [\"openid\", \"profile\", \"email\", \"offline_access\", \"prompt\"]";
    let config = format!(
        "{}{}{}",
        clients_toml(),
        client_toml("shop", "regular_web", CALLBACK, prompt),
        client_toml("reader", "spa", CALLBACK, prompt)
    );
    spawn_app_on(backend, &config).await
}

/// The tokens a code flow gives `client_id` for `person`.
async fn tokens_for(app: &TestApp, person: &reqwest::Client, client_id: &str, secret: Option<&str>, scope: &str) -> Value {
    let (verifier, challenge) = crate::openid_provider::pkce();
    let params = [("scope", scope), ("code_challenge", challenge.as_str()), ("code_challenge_method", "S256")];
    let code = code_for(app, person, client_id, &params).await;
    let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", CALLBACK), ("code_verifier", &verifier)];
    let res = exchange(app, client_id, secret, &form).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

/// Token exchange as `client_id` (Basic with `secret`, or `client_id` alone for a SPA).
async fn exchange_for_prompt(app: &TestApp, client_id: &str, secret: Option<&str>, extra: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut form: Vec<(&str, &str)> = vec![("grant_type", EXCHANGE)];
    form.extend_from_slice(extra);
    let res = exchange(app, client_id, secret, &form).await;
    let status = res.status();
    (status, res.json().await.unwrap())
}

fn subject(token: &str) -> [(&str, &str); 2] {
    [("subject_token", token), ("subject_token_type", ACCESS_TOKEN)]
}

/// The subject's parameters and `extra`.
fn with_subject<'a>(access: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = subject(access).to_vec();
    form.extend_from_slice(extra);
    form
}

fn claims_of(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("a JWS");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

async fn a_person_s_access_token_is_exchanged_for_a_prompt_token(backend: Backend) {
    let app = app_with_prompt_clients(backend).await;
    let discovery: Value = reqwest::get(app.url("/.well-known/openid-configuration")).await.unwrap().json().await.unwrap();
    assert!(discovery["grant_types_supported"].as_array().unwrap().iter().any(|g| g == EXCHANGE), "{discovery}");
    let person = signed_in_person(&app, "prompt@example.com").await;
    let tokens = tokens_for(&app, &person, "shop", Some(SECRET), "openid email").await;
    let access = tokens["access_token"].as_str().unwrap();

    let audience = app.url("/api/prompt");
    let mut asked = subject(access).to_vec();
    asked.extend([("scope", "prompt"), ("audience", audience.as_str())]);
    let (status, issued) = exchange_for_prompt(&app, "shop", Some(SECRET), &asked).await;
    assert_eq!(status, StatusCode::OK, "{issued}");
    assert_eq!(issued["issued_token_type"], ACCESS_TOKEN);
    assert_eq!(issued["token_type"], "Bearer");
    assert_eq!(issued["scope"], "prompt");
    assert!(issued.get("refresh_token").is_none(), "no refresh: {issued}");
    let expires_in = issued["expires_in"].as_i64().unwrap();
    assert!((1..=600).contains(&expires_in), "at most the app's access token lifetime and 15 minutes: {expires_in}");
    let prompt = issued["access_token"].as_str().unwrap();
    let claims = claims_of(prompt);
    let own = claims_of(access);
    assert_eq!(claims["aud"], audience);
    assert_eq!(claims["azp"], "shop");
    assert_eq!(claims["client_id"], "shop");
    assert_eq!(claims["scope"], "prompt");
    assert_eq!(claims["sub"], own["sub"], "the same person");
    assert_eq!(claims["iss"], app.address);
    assert!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap() <= 15 * 60);

    // It is the prompt API's, and nobody else's: not /userinfo, not the management API.
    let userinfo = reqwest::Client::new().get(app.url("/userinfo")).bearer_auth(prompt).send().await.unwrap();
    assert_eq!(userinfo.status(), StatusCode::UNAUTHORIZED);
    let api = reqwest::Client::new().get(app.url("/api/v2/users")).bearer_auth(prompt).send().await.unwrap();
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
    // The service's own check takes it, and only it.
    let kek = services::openid_provider::keys::KeyEncryptionKey::load_or_create(&app.site_root.path().join("askonce.kek")).unwrap();
    let fresh = services::openid_provider::Provider::new(&app.address, services::openid_provider::keys::Keys::new(app.db.clone(), kek));
    let grant =
        services::openid_provider::tokens::verify_prompt(&app.db, &fresh, prompt, chrono::Utc::now()).await.expect("a prompt token");
    assert_eq!(grant.client_id, "shop");
    assert_eq!(grant.user_id.as_str(), own["sub"].as_str().unwrap());
    assert!(
        services::openid_provider::tokens::verify_prompt(&app.db, &fresh, access, chrono::Utc::now()).await.is_err(),
        "the app's own token"
    );
    let id_token = tokens["id_token"].as_str().unwrap();
    assert!(services::openid_provider::tokens::verify_prompt(&app.db, &fresh, id_token, chrono::Utc::now()).await.is_err(), "an ID token");
    // The app may introspect and revoke it like its other tokens.
    assert_eq!(introspect(&app, "shop", prompt).await["active"], true);
    let revoked = reqwest::Client::new()
        .post(app.url("/oauth/revoke"))
        .basic_auth("shop", Some(SECRET))
        .form(&[("token", prompt)])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    assert_eq!(introspect(&app, "shop", prompt).await["active"], false);
    assert!(services::openid_provider::tokens::verify_prompt(&app.db, &fresh, prompt, chrono::Utc::now()).await.is_err(), "revoked");

    // A single-page app, a public client, exchanges its own token with its client_id.
    let spa_tokens = tokens_for(&app, &person, "reader", None, "openid").await;
    let (status, issued) = exchange_for_prompt(&app, "reader", None, &subject(spa_tokens["access_token"].as_str().unwrap())).await;
    assert_eq!(status, StatusCode::OK, "{issued}");
    assert_eq!(claims_of(issued["access_token"].as_str().unwrap())["azp"], "reader");
}
crate::on_both_databases!(a_person_s_access_token_is_exchanged_for_a_prompt_token);

/// Every other way to a prompt token is refused, with RFC 8693's error codes.
async fn only_the_holder_s_live_access_token_is_exchanged(backend: Backend) {
    let app = app_with_prompt_clients(backend).await;
    let person = signed_in_person(&app, "refused@example.com").await;
    let shop = tokens_for(&app, &person, "shop", Some(SECRET), "openid email offline_access").await;
    let access = shop["access_token"].as_str().unwrap();
    let error = |(status, body): (StatusCode, Value)| {
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        body["error"].as_str().unwrap().to_string()
    };

    // An application not allowed `prompt`.
    let web = tokens_for(&app, &person, "web", Some(SECRET), "openid").await;
    let (status, body) = exchange_for_prompt(&app, "web", Some(SECRET), &subject(web["access_token"].as_str().unwrap())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "unauthorized_client");
    // Another application's token (`web`'s, presented by `shop`).
    assert_eq!(
        error(exchange_for_prompt(&app, "shop", Some(SECRET), &subject(web["access_token"].as_str().unwrap())).await),
        "invalid_request"
    );
    // Not an access token: the ID token, the refresh token, a prompt token, garbage.
    for not_access in [shop["id_token"].as_str().unwrap(), shop["refresh_token"].as_str().unwrap(), "a.b.c", ""] {
        assert_eq!(error(exchange_for_prompt(&app, "shop", Some(SECRET), &subject(not_access)).await), "invalid_request", "{not_access}");
    }
    let (_, issued) = exchange_for_prompt(&app, "shop", Some(SECRET), &subject(access)).await;
    let prompt = issued["access_token"].as_str().unwrap().to_string();
    assert_eq!(error(exchange_for_prompt(&app, "shop", Some(SECRET), &subject(&prompt)).await), "invalid_request", "a prompt token");
    // The parameters RFC 8693 names, each wrong.
    assert_eq!(error(exchange_for_prompt(&app, "shop", Some(SECRET), &[("subject_token", access)]).await), "invalid_request");
    let refresh_type = [("subject_token", access), ("subject_token_type", "urn:ietf:params:oauth:token-type:refresh_token")];
    assert_eq!(error(exchange_for_prompt(&app, "shop", Some(SECRET), &refresh_type).await), "invalid_request");
    assert_eq!(
        error(exchange_for_prompt(&app, "shop", Some(SECRET), &with_subject(access, &[("audience", "https://evil.example/api")])).await),
        "invalid_target"
    );
    assert_eq!(
        error(exchange_for_prompt(&app, "shop", Some(SECRET), &with_subject(access, &[("resource", "http://127.0.0.1:9/")])).await),
        "invalid_target"
    );
    assert_eq!(
        error(exchange_for_prompt(&app, "shop", Some(SECRET), &with_subject(access, &[("scope", "prompt read:users")])).await),
        "invalid_scope"
    );
    assert_eq!(
        error(exchange_for_prompt(&app, "shop", Some(SECRET), &with_subject(access, &[("scope", "openid")])).await),
        "invalid_scope"
    );
    assert_eq!(
        error(exchange_for_prompt(&app, "shop", Some(SECRET), &with_subject(access, &[("actor_token", access)])).await),
        "invalid_request"
    );
    let jwt_type = [("requested_token_type", "urn:ietf:params:oauth:token-type:id_token")];
    assert_eq!(error(exchange_for_prompt(&app, "shop", Some(SECRET), &with_subject(access, &jwt_type)).await), "invalid_request");
    // No client authentication, or a wrong secret.
    assert_eq!(exchange_for_prompt(&app, "shop", None, &subject(access)).await.1["error"], "invalid_client");
    assert_eq!(
        exchange_for_prompt(&app, "shop", Some("wrong-secret-0123456789abcdefghijklmn"), &subject(access)).await.1["error"],
        "invalid_client"
    );
    // `/authorize` never gives the scope.
    let url =
        crate::openid_provider::authorize_url(&app, "shop", &[("response_type", "code"), ("scope", "openid prompt"), ("state", "st")]);
    let back = crate::harness::browser::location(&person.get(url).send().await.unwrap());
    assert_eq!(crate::openid_provider::params_of(&back)["error"], "invalid_scope", "{back}");

    // Revoking the person's tokens reaches the prompt token: the refresh family revoked (the
    // app removed on /profile, a sign-out) takes it with it.
    assert_eq!(introspect(&app, "shop", &prompt).await["active"], true);
    let revoke = reqwest::Client::new()
        .post(app.url("/oauth/revoke"))
        .basic_auth("shop", Some(SECRET))
        .form(&[("token", shop["refresh_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), StatusCode::OK);
    assert_eq!(introspect(&app, "shop", &prompt).await["active"], false, "revoked with its family");
    assert_eq!(error(exchange_for_prompt(&app, "shop", Some(SECRET), &subject(access)).await), "invalid_request", "a revoked subject");
}
crate::on_both_databases!(only_the_holder_s_live_access_token_is_exchanged);

/// A blocked person's tokens are all revoked, prompt tokens with them, and none is issued.
async fn a_blocked_person_gets_no_prompt_token(backend: Backend) {
    let app = app_with_prompt_clients(backend).await;
    let person = signed_in_person(&app, "blocked@example.com").await;
    let shop = tokens_for(&app, &person, "shop", Some(SECRET), "openid").await;
    let access = shop["access_token"].as_str().unwrap();
    let (_, issued) = exchange_for_prompt(&app, "shop", Some(SECRET), &subject(access)).await;
    let prompt = issued["access_token"].as_str().unwrap().to_string();
    let path = format!("/api/v2/users/{}", claims_of(access)["sub"].as_str().unwrap());
    let editor = app.api_token(&[app::admin::api_tokens::Scope::UpdateUsers]).await;
    let (status, _) = app.api("PATCH", &path, Some(&editor), Some(serde_json::json!({ "blocked": true }))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(introspect(&app, "shop", &prompt).await["active"], false);
    let (status, body) = exchange_for_prompt(&app, "shop", Some(SECRET), &subject(access)).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_request")));
}
crate::on_both_databases!(a_blocked_person_gets_no_prompt_token);

/// Revoking a prompt token ends it alone (the person's refresh family goes on); revoking the
/// access token it came from ends it too.
async fn a_prompt_token_lives_and_ends_with_its_subject(backend: Backend) {
    let app = app_with_prompt_clients(backend).await;
    let person = signed_in_person(&app, "subject@example.com").await;
    let shop = tokens_for(&app, &person, "shop", Some(SECRET), "openid offline_access").await;
    let access = shop["access_token"].as_str().unwrap();
    let revoke = |token: String| {
        let app = &app;
        async move {
            let res = reqwest::Client::new()
                .post(app.url("/oauth/revoke"))
                .basic_auth("shop", Some(SECRET))
                .form(&[("token", token)])
                .send()
                .await;
            assert_eq!(res.unwrap().status(), StatusCode::OK);
        }
    };
    let (_, issued) = exchange_for_prompt(&app, "shop", Some(SECRET), &subject(access)).await;
    revoke(issued["access_token"].as_str().unwrap().to_string()).await;
    let refreshed = exchange(
        &app,
        "shop",
        Some(SECRET),
        &[("grant_type", "refresh_token"), ("refresh_token", shop["refresh_token"].as_str().unwrap())],
    )
    .await;
    assert_eq!(refreshed.status(), StatusCode::OK, "the family goes on");
    let refreshed: Value = refreshed.json().await.unwrap();
    let fresh = refreshed["access_token"].as_str().unwrap();
    let (_, issued) = exchange_for_prompt(&app, "shop", Some(SECRET), &subject(fresh)).await;
    let prompt = issued["access_token"].as_str().unwrap().to_string();
    assert_eq!(introspect(&app, "shop", &prompt).await["active"], true);
    revoke(fresh.to_string()).await;
    assert_eq!(introspect(&app, "shop", &prompt).await["active"], false, "its subject revoked alone");
}
crate::on_both_databases!(a_prompt_token_lives_and_ends_with_its_subject);

/// A partner's app (not first party) cannot be allowed `prompt`: nobody consents to it.
async fn only_first_party_apps_may_have_prompt_tokens(backend: Backend) {
    let app = app_with_prompt_clients(backend).await;
    let owner = app.api_token(&app::admin::api_tokens::Scope::ALL).await;
    let partner = serde_json::json!({
        "name": "Partner", "app_type": "regular_web", "callbacks": [CALLBACK], "is_first_party": false,
        "scopes": ["openid", "prompt"],
    });
    let (status, body) = app.api("POST", "/api/v2/clients", Some(&owner), Some(partner)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.to_string().contains("first-party"), "{body}");
}
crate::on_both_databases!(only_first_party_apps_may_have_prompt_tokens);
