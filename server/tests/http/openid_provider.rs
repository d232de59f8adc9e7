//! AskOnce as the OpenID Provider of a site's own apps: a certified relying-party library
//! (openid-client, in examples/relying-app) signs in through it, with the sign-up's question
//! asked inside the sign-in; and the protocol's parts checked one by one with `openidconnect`
//! as the verifier (discovery, JWKS, ID token signature, `at_hash`, `nonce`, `sid`, `amr`,
//! access tokens as RFC 9068 JWTs, `/userinfo`, `prompt=none`, single sign-on).
//! The refusals and attacks are in `attacks_openid_provider`.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use openidconnect::{
    core::{CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKeySet, CoreJwsSigningAlgorithm},
    AccessToken, AccessTokenHash, ClientId, ClientSecret, IssuerUrl, JsonWebKey, Nonce,
};
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256, Sha512};

use crate::harness::{
    browser,
    browser::location,
    openid::{app_with_relying_app, client_toml, SECRET},
    spawn_app_on, Backend, TestApp,
};

/// The callback of the applications these tests play themselves (nothing listens there: the
/// test reads the redirect).
pub const CALLBACK: &str = "http://127.0.0.1:9/cb";
/// Where `web` may send people after signing them out.
pub const LOGGED_OUT: &str = "http://127.0.0.1:9/bye";

async fn the_example_app_signs_in_with_the_answers_in_its_claims(backend: Backend) {
    let (app, rp) = app_with_relying_app(backend, "").await;
    let person = browser();
    let to_askonce = person.get(format!("{}/login", rp.url)).send().await.unwrap();
    let authorize = location(&to_askonce);
    assert!(authorize.starts_with(&format!("{}/authorize?", app.address)), "{authorize}");
    let callback = app.authorize_signing_up(&person, &authorize, "ada@example.com", "Ada", "Lovelace").await;
    assert!(callback.starts_with(&format!("{}/callback?", rp.url)), "{callback}");
    // openid-client checks state, iss, the code exchange, the ID token and its nonce.
    let back = person.get(&callback).send().await.unwrap();
    assert_eq!(back.status(), StatusCode::FOUND, "the example app accepted the sign-in: {}", back.text().await.unwrap_or_default());
    let seen: Value = person.get(format!("{}/claims.json", rp.url)).send().await.unwrap().json().await.unwrap();
    let me = app.me(&person).await;
    for source in ["claims", "userinfo"] {
        let claims = &seen[source];
        assert_eq!(claims["sub"], me["user_id"], "{source}: the subject is the AskOnce account: {seen}");
        assert_eq!(claims["given_name"], "Ada", "{source}: the answer given inside the sign-in: {seen}");
        assert_eq!(claims["family_name"], "Lovelace", "{source}: {seen}");
        assert_eq!(claims["email"], "ada@example.com", "{source}: {seen}");
        assert_eq!(claims["email_verified"], false, "{source}: a password sign-up's address is unverified: {seen}");
    }
    assert_eq!(seen["claims"]["iss"], app.address, "iss is public_url without a trailing slash");
    assert_eq!(seen["claims"]["aud"], serde_json::json!(["shop"]));
    assert_eq!(seen["claims"]["amr"], serde_json::json!(["pwd"]));
    assert!(seen["claims"]["sid"].is_string() && seen["claims"]["auth_time"].is_number(), "{seen}");
    // The page shows what the app was told.
    let page = person.get(&rp.url).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Signed in as ada@example.com") && page.contains("Lovelace"), "{page}");
}
crate::on_both_databases!(the_example_app_signs_in_with_the_answers_in_its_claims);

async fn released_fields_reach_only_their_application(backend: Backend) {
    let (app, rp) = app_with_relying_app(backend, "").await;
    let person = browser();
    let authorize = location(&person.get(format!("{}/login", rp.url)).send().await.unwrap());
    let callback = app.authorize_signing_up(&person, &authorize, "grace@example.com", "Grace", "Hopper").await;
    // Facts the site knows of Grace: one released to `shop`, one not.
    let me = app.me(&person).await;
    let user_id = me["user_id"].as_str().unwrap().to_string();
    set_metadata(&app, &user_id, serde_json::json!({ "job_title": "Rear Admiral", "salary": 1 })).await;
    assert_eq!(person.get(&callback).send().await.unwrap().status(), StatusCode::FOUND);
    let seen: Value = person.get(format!("{}/claims.json", rp.url)).send().await.unwrap().json().await.unwrap();
    let namespaced = format!("https://{}/user_metadata", app.address.trim_start_matches("http://"));
    for source in ["claims", "userinfo"] {
        assert_eq!(seen[source][&namespaced], serde_json::json!({ "job_title": "Rear Admiral" }), "{source}: {seen}");
        assert!(!seen[source].to_string().contains("salary"), "an unreleased field never leaves AskOnce: {seen}");
    }
}
crate::on_both_databases!(released_fields_reach_only_their_application);

/// openid-client's refresh (with rotation), userinfo by POST, introspection, revocation and
/// RP-initiated logout, against AskOnce.
async fn the_example_app_refreshes_introspects_revokes_and_signs_out(backend: Backend) {
    let (app, rp) = app_with_relying_app(backend, "").await;
    let person = browser();
    let authorize = location(&person.get(format!("{}/login", rp.url)).send().await.unwrap());
    let callback = app.authorize_signing_up(&person, &authorize, "turing@example.com", "Alan", "Turing").await;
    assert_eq!(person.get(&callback).send().await.unwrap().status(), StatusCode::FOUND);
    let get = |path: &str| person.get(format!("{}{path}", rp.url)).send();
    let refreshed: Value = get("/refresh").await.unwrap().json().await.unwrap();
    assert_eq!(refreshed["rotated"], true, "{refreshed}");
    let again: Value = get("/refresh").await.unwrap().json().await.unwrap();
    assert_eq!(again["rotated"], true, "the rotated token works once more: {again}");
    let by_post = get("/userinfo-post").await.unwrap();
    assert_eq!(by_post.status(), StatusCode::OK);
    assert_eq!(by_post.json::<Value>().await.unwrap()["given_name"], "Alan");
    let seen: Value = get("/introspect").await.unwrap().json().await.unwrap();
    assert_eq!(seen["active"], true, "{seen}");
    assert_eq!(seen["client_id"], "shop");
    let revoked: Value = get("/revoke").await.unwrap().json().await.unwrap();
    assert_eq!(revoked["revoked"], true, "{revoked}");
    let seen: Value = get("/introspect?token=refresh").await.unwrap().json().await.unwrap();
    assert_eq!(seen["active"], false, "{seen}");
    // Signing out of the app signs out of AskOnce, and comes back.
    let to_askonce = location(&get("/logout").await.unwrap());
    assert!(to_askonce.starts_with(&app.url("/oidc/logout?")), "{to_askonce}");
    let back = location(&person.get(&to_askonce).send().await.unwrap());
    assert_eq!(back, format!("{}/", rp.url));
    assert_eq!(person.get(app.url("/api/me")).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
}
crate::on_both_databases!(the_example_app_refreshes_introspects_revokes_and_signs_out);

/// Back-Channel Logout 1.0: signing out on AskOnce's own page ends the example app's session
/// too; the app checks the logout token with `jose` (signature by the published keys, `iss`,
/// `aud`, `typ` `logout+jwt`, the event, no nonce) and ends the session with its `sid`.
async fn signing_out_of_askonce_signs_out_of_the_app_by_back_channel(backend: Backend) {
    let (app, rp) = app_with_relying_app(backend, "[hooks]\nallow_private = [\"127.0.0.0/8\"]\n").await;
    let person = browser();
    let authorize = location(&person.get(format!("{}/login", rp.url)).send().await.unwrap());
    let callback = app.authorize_signing_up(&person, &authorize, "lamport@example.com", "Leslie", "Lamport").await;
    assert_eq!(person.get(&callback).send().await.unwrap().status(), StatusCode::FOUND);
    let claims = || async { person.get(format!("{}/claims.json", rp.url)).send().await.unwrap().json::<Value>().await.unwrap() };
    let signed_in = claims().await;
    let sid = signed_in["claims"]["sid"].as_str().expect("the ID token's sid").to_string();
    let tokens: Value = person.get(format!("{}/introspect", rp.url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(tokens["active"], true);

    // The person signs out on AskOnce itself, never visiting the app.
    let res = app.call(&person, app::auth::Logout::PATH, &[]).await;
    assert!(res.status().is_success() || res.status().is_redirection(), "{}", res.status());
    let mut received = Value::Null;
    for _ in 0..100 {
        received = reqwest::get(format!("{}/backchannel.json", rp.url)).await.unwrap().json().await.unwrap();
        if received.as_array().is_some_and(|r| !r.is_empty()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let logout_token = received[0]["token"].as_str().expect("the logout token as received").to_string();
    received[0].as_object_mut().unwrap().remove("token");
    assert_eq!(received, serde_json::json!([{ "sid": sid, "sub": signed_in["claims"]["sub"], "ended": 1 }]), "{received}");
    assert_eq!(claims().await, Value::Null, "the app's session ended");
    // A logout token is signed by the same keys as an ID token, and is no id_token_hint.
    let header = jsonwebtoken::decode_header(&logout_token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("logout+jwt"));
    let again = browser();
    app.sign_up(&again, "lamport2@example.com").await;
    let res = again.get(logout_url(&app, &[("id_token_hint", logout_token.as_str())])).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "a logout token presented as a hint is refused");
}
crate::on_both_databases!(signing_out_of_askonce_signs_out_of_the_app_by_back_channel);

async fn set_metadata(app: &TestApp, user_id: &str, metadata: Value) {
    use sea_orm::{ActiveModelTrait, Set};
    services::entities::users::ActiveModel { id: Set(user_id.to_string()), user_metadata: Set(metadata), ..Default::default() }
        .update(&app.db)
        .await
        .unwrap();
}

/// A PKCE verifier and its S256 challenge.
pub fn pkce() -> (String, String) {
    let verifier = URL_SAFE_NO_PAD.encode(rand_bytes());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

fn rand_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    for (i, b) in uuid::Uuid::new_v4().as_bytes().iter().chain(uuid::Uuid::new_v4().as_bytes()).enumerate() {
        bytes[i] = *b;
    }
    bytes
}

/// An `/authorize` address for `client_id` returning to [`CALLBACK`], with `params` added.
pub fn authorize_url(app: &TestApp, client_id: &str, params: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&app.url("/authorize")).unwrap();
    url.query_pairs_mut().append_pair("client_id", client_id).append_pair("redirect_uri", CALLBACK);
    for (k, v) in params {
        url.query_pairs_mut().append_pair(k, v);
    }
    url.to_string()
}

/// The query of a redirect back to the client.
pub fn params_of(location: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(location).unwrap_or_else(|_| panic!("not an absolute address: {location:?}")).query_pairs().into_owned().collect()
}

/// The askonce.toml of the confidential client `web` and the public client `spa`, both
/// returning to [`CALLBACK`], with refresh tokens; `web` may sign out to [`LOGGED_OUT`].
pub fn clients_toml() -> String {
    let scopes = "scopes = [\"openid\", \"profile\", \"email\", \"offline_access\"]";
    let web = format!("{scopes}\nallowed_logout_urls = [\"{LOGGED_OUT}\"]");
    format!("{}{}", client_toml("web", "regular_web", CALLBACK, &web), client_toml("spa", "spa", CALLBACK, scopes))
}

/// AskOnce with [`clients_toml`].
pub async fn app_with_clients(backend: Backend) -> TestApp {
    spawn_app_on(backend, &clients_toml()).await
}

/// A code for `client_id`, for `person` signed in already, with `params`.
pub async fn code_for(app: &TestApp, person: &reqwest::Client, client_id: &str, params: &[(&str, &str)]) -> String {
    let mut all: Vec<(&str, &str)> = [("response_type", "code"), ("scope", "openid profile email"), ("state", "st"), ("nonce", "nc")]
        .into_iter()
        .filter(|(k, _)| !params.iter().any(|(p, _)| p == k))
        .collect();
    all.extend_from_slice(params);
    let start = person.get(authorize_url(app, client_id, &all)).send().await.unwrap();
    let back = location(&start);
    assert!(
        back.starts_with(CALLBACK),
        "signed in with nothing due, an authorization returns to the application at once, not {back:?} ({})",
        start.status()
    );
    let params = params_of(&back);
    assert_eq!(params.get("state").map(String::as_str), Some("st"));
    assert_eq!(params.get("iss"), Some(&app.address), "RFC 9207: the response names its issuer");
    params.get("code").unwrap_or_else(|| panic!("no code in {back}")).clone()
}

/// Exchanges `code` at the token endpoint as the confidential client `web` (Basic).
pub async fn exchange(app: &TestApp, client_id: &str, secret: Option<&str>, form: &[(&str, &str)]) -> reqwest::Response {
    let mut request = reqwest::Client::new().post(app.url("/oauth/token")).form(form);
    match secret {
        Some(secret) => request = request.basic_auth(client_id, Some(secret)),
        None => {
            let mut with_id = form.to_vec();
            with_id.push(("client_id", client_id));
            request = reqwest::Client::new().post(app.url("/oauth/token")).form(&with_id);
        }
    }
    request.send().await.unwrap()
}

/// A person signed up and past the sign-up's question.
pub async fn signed_in_person(app: &TestApp, email: &str) -> reqwest::Client {
    let person = browser();
    app.sign_up(&person, email).await;
    let answer = [("stage", "name"), ("answers[given_name]", "Test"), ("answers[family_name]", "Person")];
    assert!(app.call(&person, app::prompt::AnswerPrompt::PATH, &answer).await.status().is_success());
    person
}

use leptos::server_fn::ServerFn;

/// Single sign-on answers at once only when nothing is due: a person signed in with the
/// sign-up's question unanswered goes through `/welcome` first, then back with the code.
async fn a_signed_in_person_with_a_question_due_is_asked_first(backend: Backend) {
    let app = app_with_clients(backend).await;
    let person = browser();
    app.sign_up(&person, "due@example.com").await;
    let params = [("response_type", "code"), ("scope", "openid profile"), ("state", "st")];
    let to = location(&person.get(authorize_url(&app, "web", &params)).send().await.unwrap());
    assert!(to.starts_with("/welcome?return_to="), "the question first, not {to:?}");
    let continue_to = crate::harness::openid::return_to_of(&to);
    let answer = [("stage", "name"), ("answers[given_name]", "Due"), ("answers[family_name]", "Person")];
    assert!(app.call(&person, app::prompt::AnswerPrompt::PATH, &answer).await.status().is_success());
    let back = app.continue_authorization(&person, &continue_to).await;
    assert!(back.starts_with(CALLBACK) && params_of(&back).contains_key("code"), "{back}");
    // Answered: the next authorization returns at once.
    let again = location(&person.get(authorize_url(&app, "web", &params)).send().await.unwrap());
    assert!(again.starts_with(CALLBACK) && params_of(&again).contains_key("code"), "{again}");
}
crate::on_both_databases!(a_signed_in_person_with_a_question_due_is_asked_first);

async fn discovery_describes_what_the_endpoints_do(backend: Backend) {
    let app = app_with_clients(backend).await;
    let doc: Value = reqwest::get(app.url("/.well-known/openid-configuration")).await.unwrap().json().await.unwrap();
    assert_eq!(doc["issuer"], app.address);
    assert_eq!(doc["authorization_endpoint"], app.url("/authorize"));
    assert_eq!(doc["token_endpoint"], app.url("/oauth/token"));
    assert_eq!(doc["userinfo_endpoint"], app.url("/userinfo"));
    assert_eq!(doc["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(doc["code_challenge_methods_supported"], serde_json::json!(["S256"]));
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    assert_eq!(doc["request_parameter_supported"], false);
    assert_eq!(doc["id_token_signing_alg_values_supported"], serde_json::json!(["RS256", "EdDSA"]));
    let jwks: Value = reqwest::get(doc["jwks_uri"].as_str().unwrap()).await.unwrap().json().await.unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1, "one signing key: {jwks}");
    assert_eq!(keys[0]["kty"], "RSA");
    assert!(keys[0]["kid"].is_string());
    for private in ["d", "p", "q", "dp", "dq", "qi"] {
        assert!(keys[0].get(private).is_none(), "the JWKS publishes no private part ({private})");
    }
}
crate::on_both_databases!(discovery_describes_what_the_endpoints_do);

async fn tokens_verify_with_the_published_keys(backend: Backend) {
    let app = app_with_clients(backend).await;
    let person = signed_in_person(&app, "lin@example.com").await;
    let (verifier, challenge) = pkce();
    let code = code_for(&app, &person, "web", &[("code_challenge", &challenge), ("code_challenge_method", "S256")]).await;
    let form = [("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", CALLBACK), ("code_verifier", &verifier)];
    let res = exchange(&app, "web", Some(SECRET), &form).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let tokens: Value = res.json().await.unwrap();
    assert_eq!(tokens["token_type"].as_str().map(str::to_ascii_lowercase).as_deref(), Some("bearer"));

    // The ID token, checked as a relying party does: signature with the JWKS, iss, aud,
    // exp, nonce, and at_hash against the access token.
    let jwks: CoreJsonWebKeySet = reqwest::get(app.url("/.well-known/jwks.json")).await.unwrap().json().await.unwrap();
    let verifier_ = CoreIdTokenVerifier::new_confidential_client(
        ClientId::new("web".into()),
        ClientSecret::new(SECRET.into()),
        IssuerUrl::new(app.address.clone()).unwrap(),
        jwks.clone(),
    );
    let id_token: CoreIdToken = serde_json::from_value(tokens["id_token"].clone()).unwrap();
    let claims = id_token.claims(&verifier_, &Nonce::new("nc".into())).expect("the ID token verifies");
    let access = AccessToken::new(tokens["access_token"].as_str().unwrap().to_string());
    let key = jwks.keys().first().unwrap();
    let expected = AccessTokenHash::from_token(&access, &CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256, key).unwrap();
    assert_eq!(claims.access_token_hash(), Some(&expected), "at_hash binds the access token");
    assert!(claims.auth_time().is_some());
    assert_eq!(claims.auth_method_refs().map(|a| a.iter().map(|r| r.to_string()).collect::<Vec<_>>()), Some(vec!["pwd".to_string()]));
    let payload: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(tokens["id_token"].as_str().unwrap().split('.').nth(1).unwrap()).unwrap()).unwrap();
    assert!(payload["sid"].as_str().is_some_and(|s| s.len() == 32), "{payload}");

    // The access token is an RFC 9068 JWT.
    let header = jsonwebtoken::decode_header(access.secret()).unwrap();
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(header.kid.as_deref(), Some(key.key_id().unwrap().as_str()));
    let at: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(access.secret().split('.').nth(1).unwrap()).unwrap()).unwrap();
    assert_eq!(at["client_id"], "web");
    assert_eq!(at["iss"], app.address);
    assert!(at["exp"].as_i64().unwrap() - at["iat"].as_i64().unwrap() <= 600, "access tokens live at most 10 minutes: {at}");

    // /userinfo by GET (header) and POST (form).
    let by_get: Value =
        reqwest::Client::new().get(app.url("/userinfo")).bearer_auth(access.secret()).send().await.unwrap().json().await.unwrap();
    assert_eq!(by_get["email"], "lin@example.com");
    assert_eq!(by_get["sub"], claims.subject().as_str());
    let by_post = reqwest::Client::new().post(app.url("/userinfo")).form(&[("access_token", access.secret())]).send().await.unwrap();
    assert_eq!(by_post.status(), StatusCode::OK);
    assert_eq!(by_post.json::<Value>().await.unwrap(), by_get);
}
crate::on_both_databases!(tokens_verify_with_the_published_keys);

/// An application registered with `id_token_signed_response_alg = "EdDSA"` gets its ID tokens
/// signed with an Ed25519 key, made when first needed and published beside the RSA one; a
/// relying party verifies them with the JWKS (allowing EdDSA), `at_hash` included. Its access
/// token is still RS256, and the EdDSA ID token is a valid `id_token_hint`.
async fn an_app_asking_for_eddsa_gets_eddsa_id_tokens(backend: Backend) {
    let ed = client_toml(
        "ed",
        "regular_web",
        CALLBACK,
        &format!("id_token_signed_response_alg = \"EdDSA\"\nallowed_logout_urls = [\"{LOGGED_OUT}\"]"),
    );
    let app = spawn_app_on(backend, &format!("{}{ed}", clients_toml())).await;
    let person = signed_in_person(&app, "ed@example.com").await;
    let before: Value = reqwest::get(app.url("/.well-known/jwks.json")).await.unwrap().json().await.unwrap();
    assert!(before["keys"].as_array().unwrap().iter().all(|k| k["kty"] == "RSA"), "no Ed25519 key before an app needs one: {before}");

    let code = code_for(&app, &person, "ed", &[]).await;
    let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", CALLBACK)];
    let res = exchange(&app, "ed", Some(SECRET), &form).await;
    assert_eq!(res.status(), StatusCode::OK);
    let tokens: Value = res.json().await.unwrap();
    let raw_id_token = tokens["id_token"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(raw_id_token).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::EdDSA);
    let ed_kid = header.kid.clone().expect("the ID token names its key");

    // The key is published as an OKP key, beside the RSA one.
    let raw_jwks: Value = reqwest::get(app.url("/.well-known/jwks.json")).await.unwrap().json().await.unwrap();
    let published = raw_jwks["keys"].as_array().unwrap();
    let ed_key = published.iter().find(|k| k["kid"] == ed_kid.as_str()).unwrap_or_else(|| panic!("{ed_kid} is not published: {raw_jwks}"));
    assert_eq!((ed_key["kty"].as_str(), ed_key["crv"].as_str()), (Some("OKP"), Some("Ed25519")), "{ed_key}");
    assert!(ed_key.get("d").is_none(), "the JWKS publishes no private part: {ed_key}");
    assert!(published.iter().any(|k| k["kty"] == "RSA"), "{raw_jwks}");

    // Checked as a relying party does, allowing EdDSA: signature, iss, aud, exp, nonce, at_hash.
    let jwks: CoreJsonWebKeySet = serde_json::from_value(raw_jwks.clone()).unwrap();
    let id_token: CoreIdToken = serde_json::from_value(tokens["id_token"].clone()).unwrap();
    let verifier = |algs: Vec<CoreJwsSigningAlgorithm>| {
        CoreIdTokenVerifier::new_confidential_client(
            ClientId::new("ed".into()),
            ClientSecret::new(SECRET.into()),
            IssuerUrl::new(app.address.clone()).unwrap(),
            jwks.clone(),
        )
        .set_allowed_algs(algs)
    };
    assert!(
        id_token.claims(&verifier(vec![CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256]), &Nonce::new("nc".into())).is_err(),
        "a verifier expecting RS256 refuses it"
    );
    let eddsa = verifier(vec![CoreJwsSigningAlgorithm::EdDsa]);
    let claims = id_token.claims(&eddsa, &Nonce::new("nc".into())).expect("the EdDSA ID token verifies with the JWKS");
    let access = AccessToken::new(tokens["access_token"].as_str().unwrap().to_string());
    let key = id_token.signing_key(&eddsa).expect("its key is in the JWKS");
    let expected = AccessTokenHash::from_token(&access, &CoreJwsSigningAlgorithm::EdDsa, key).unwrap();
    assert_eq!(claims.access_token_hash(), Some(&expected), "at_hash binds the access token");
    // For Ed25519, at_hash is the left half of SHA-512 (what openidconnect computes).
    let by_hand = AccessTokenHash::new(URL_SAFE_NO_PAD.encode(&Sha512::digest(access.secret().as_bytes())[..32]));
    assert_eq!(claims.access_token_hash(), Some(&by_hand));

    // The access token is RS256 by the RSA key, as for every app, and works at /userinfo;
    // the EdDSA ID token is no bearer token.
    let at_header = jsonwebtoken::decode_header(access.secret()).unwrap();
    assert_eq!(at_header.alg, jsonwebtoken::Algorithm::RS256);
    assert_ne!(at_header.kid.as_deref(), Some(ed_kid.as_str()));
    let userinfo = |token: &str| reqwest::Client::new().get(app.url("/userinfo")).bearer_auth(token).send();
    assert_eq!(userinfo(access.secret()).await.unwrap().status(), StatusCode::OK);
    assert_eq!(userinfo(raw_id_token).await.unwrap().status(), StatusCode::UNAUTHORIZED, "an ID token is not an access token");

    // The EdDSA ID token is a hint RP-initiated logout accepts.
    let res = person
        .get(logout_url(&app, &[("id_token_hint", raw_id_token), ("post_logout_redirect_uri", LOGGED_OUT), ("state", "s1")]))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), format!("{LOGGED_OUT}?state=s1"));
    assert_eq!(person.get(app.url("/api/me")).send().await.unwrap().status(), StatusCode::UNAUTHORIZED, "the AskOnce session is over");
}
crate::on_both_databases!(an_app_asking_for_eddsa_gets_eddsa_id_tokens);

/// Scope decides what `/userinfo` says (a difference from seed 003's unfiltered endpoint).
async fn userinfo_says_only_what_the_scopes_release(backend: Backend) {
    let app = app_with_clients(backend).await;
    let person = signed_in_person(&app, "nan@example.com").await;
    let code = code_for(&app, &person, "web", &[("scope", "openid email")]).await;
    let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", CALLBACK)];
    let tokens: Value = exchange(&app, "web", Some(SECRET), &form).await.json().await.unwrap();
    let info: Value = reqwest::Client::new()
        .get(app.url("/userinfo"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["email"], "nan@example.com");
    assert!(info.get("given_name").is_none() && info.get("name").is_none(), "no profile scope, no names: {info}");
}
crate::on_both_databases!(userinfo_says_only_what_the_scopes_release);

async fn prompt_none_never_skips_a_question(backend: Backend) {
    let app = app_with_clients(backend).await;
    let none = [("response_type", "code"), ("scope", "openid"), ("state", "st"), ("prompt", "none")];
    // Signed out: login_required.
    let stranger = browser();
    let answer = params_of(&location(&stranger.get(authorize_url(&app, "web", &none)).send().await.unwrap()));
    assert_eq!(answer["error"], "login_required");
    assert_eq!(answer["state"], "st");
    assert_eq!(answer["iss"], app.address);
    // Signed up, the sign-up's question not yet answered: interaction_required.
    let person = browser();
    app.sign_up(&person, "kim@example.com").await;
    let answer = params_of(&location(&person.get(authorize_url(&app, "web", &none)).send().await.unwrap()));
    assert_eq!(answer["error"], "interaction_required", "{answer:?}");
    // Answered: a code at once, no page.
    let reply = [("stage", "name"), ("answers[given_name]", "Kim"), ("answers[family_name]", "Lee")];
    assert!(app.call(&person, app::prompt::AnswerPrompt::PATH, &reply).await.status().is_success());
    let answer = params_of(&location(&person.get(authorize_url(&app, "web", &none)).send().await.unwrap()));
    assert!(answer.contains_key("code"), "{answer:?}");
}
crate::on_both_databases!(prompt_none_never_skips_a_question);

/// One AskOnce session serves several apps: the second signs in without a password.
async fn a_second_app_signs_in_from_the_same_session(backend: Backend) {
    let app = app_with_clients(backend).await;
    let person = signed_in_person(&app, "sso@example.com").await;
    let (verifier, challenge) = pkce();
    let first = code_for(&app, &person, "web", &[]).await;
    let second = code_for(&app, &person, "spa", &[("code_challenge", &challenge), ("code_challenge_method", "S256")]).await;
    assert_ne!(first, second);
    let form = [("grant_type", "authorization_code"), ("code", second.as_str()), ("redirect_uri", CALLBACK), ("code_verifier", &verifier)];
    let res = exchange(&app, "spa", None, &form).await;
    assert_eq!(res.status(), StatusCode::OK, "a public client redeems with PKCE alone");
}
crate::on_both_databases!(a_second_app_signs_in_from_the_same_session);

/// `prompt=login` asks for a fresh sign-in even with a session.
async fn prompt_login_signs_in_again(backend: Backend) {
    let app = app_with_clients(backend).await;
    let person = signed_in_person(&app, "again@example.com").await;
    let to = location(
        &person
            .get(authorize_url(&app, "web", &[("response_type", "code"), ("scope", "openid"), ("prompt", "login")]))
            .send()
            .await
            .unwrap(),
    );
    assert!(to.starts_with("/login?return_to="), "{to}");
}
crate::on_both_databases!(prompt_login_signs_in_again);

/// Tokens of `person` for `web` with `scope`.
pub async fn tokens_for(app: &TestApp, person: &reqwest::Client, scope: &str) -> Value {
    let code = code_for(app, person, "web", &[("scope", scope)]).await;
    let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", CALLBACK)];
    let res = exchange(app, "web", Some(SECRET), &form).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

pub async fn refresh(app: &TestApp, client_id: &str, secret: Option<&str>, token: &str) -> reqwest::Response {
    exchange(app, client_id, secret, &[("grant_type", "refresh_token"), ("refresh_token", token)]).await
}

pub async fn introspect(app: &TestApp, client_id: &str, token: &str) -> Value {
    introspect_as(app, client_id, SECRET, token).await
}

/// RFC 7662's answer about `token` to `client_id` authenticating with `secret`.
pub async fn introspect_as(app: &TestApp, client_id: &str, secret: &str, token: &str) -> Value {
    let res = reqwest::Client::new()
        .post(app.url("/oauth/introspect"))
        .basic_auth(client_id, Some(secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

async fn refresh_tokens_rotate(backend: Backend) {
    let app = app_with_clients(backend).await;
    let person = signed_in_person(&app, "rot@example.com").await;
    let without = tokens_for(&app, &person, "openid email").await;
    assert!(without.get("refresh_token").is_none(), "no offline_access, no refresh token: {without}");
    let first = tokens_for(&app, &person, "openid email offline_access").await;
    let r1 = first["refresh_token"].as_str().expect("a refresh token with offline_access").to_string();
    let res = refresh(&app, "web", Some(SECRET), &r1).await;
    assert_eq!(res.status(), StatusCode::OK);
    let second: Value = res.json().await.unwrap();
    let r2 = second["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(r1, r2, "each use answers a new refresh token");
    assert!(second["id_token"].is_string() && second["access_token"].is_string());
    let info = reqwest::Client::new().get(app.url("/userinfo")).bearer_auth(second["access_token"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(info.status(), StatusCode::OK);
    // A narrower scope is allowed, a wider one is not.
    let res =
        exchange(&app, "web", Some(SECRET), &[("grant_type", "refresh_token"), ("refresh_token", &r2), ("scope", "openid profile")]).await;
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_scope");
}
crate::on_both_databases!(refresh_tokens_rotate);

async fn revocation_and_introspection(backend: Backend) {
    let app = app_with_clients(backend).await;
    let person = signed_in_person(&app, "intro@example.com").await;
    let tokens = tokens_for(&app, &person, "openid offline_access").await;
    let access = tokens["access_token"].as_str().unwrap();
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let seen = introspect(&app, "web", access).await;
    assert_eq!(seen["active"], true, "{seen}");
    assert_eq!(seen["client_id"], "web");
    assert_eq!(seen["scope"], "offline_access openid");
    assert_eq!(introspect(&app, "web", refresh_token).await["active"], true);
    assert_eq!(introspect(&app, "web", "not a token").await, serde_json::json!({ "active": false }));
    // Revoking the refresh token ends its family: the access token issued with it too.
    let res = reqwest::Client::new()
        .post(app.url("/oauth/revoke"))
        .basic_auth("web", Some(SECRET))
        .form(&[("token", refresh_token)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(introspect(&app, "web", refresh_token).await["active"], false);
    assert_eq!(introspect(&app, "web", access).await["active"], false);
    let info = reqwest::Client::new().get(app.url("/userinfo")).bearer_auth(access).send().await.unwrap();
    assert_eq!(info.status(), StatusCode::UNAUTHORIZED);
    // An unknown token is "revoked" all the same (RFC 7009 §2.2).
    let res = reqwest::Client::new()
        .post(app.url("/oauth/revoke"))
        .basic_auth("web", Some(SECRET))
        .form(&[("token", "nothing")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}
crate::on_both_databases!(revocation_and_introspection);

/// The logout address for `params`.
pub fn logout_url(app: &TestApp, params: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&app.url("/oidc/logout")).unwrap();
    for (k, v) in params {
        url.query_pairs_mut().append_pair(k, v);
    }
    url.to_string()
}

async fn rp_initiated_logout_ends_the_session(backend: Backend) {
    let app = app_with_clients(backend).await;
    let person = signed_in_person(&app, "bye@example.com").await;
    let tokens = tokens_for(&app, &person, "openid").await;
    let hint = tokens["id_token"].as_str().unwrap();
    let res = person
        .get(logout_url(&app, &[("id_token_hint", hint), ("post_logout_redirect_uri", LOGGED_OUT), ("state", "s1")]))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), format!("{LOGGED_OUT}?state=s1"));
    let me = person.get(app.url("/api/me")).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED, "the AskOnce session is over");
    // By POST, too: re-sent as a GET (which carries the session cookie), then straight back.
    let res = person
        .post(app.url("/oidc/logout"))
        .form(&[("id_token_hint", hint), ("post_logout_redirect_uri", LOGGED_OUT)])
        .send()
        .await
        .unwrap();
    let as_get = location(&res);
    assert!(as_get.starts_with("/oidc/logout?"), "{as_get}");
    assert_eq!(location(&person.get(app.url(&as_get)).send().await.unwrap()), LOGGED_OUT);
}
crate::on_both_databases!(rp_initiated_logout_ends_the_session);

/// Without a hint, the person is asked; their answer (a same-origin form) signs them out.
async fn logout_without_a_hint_asks_first(backend: Backend) {
    let app = app_with_clients(backend).await;
    let person = signed_in_person(&app, "ask@example.com").await;
    let res = person.get(logout_url(&app, &[("client_id", "web"), ("post_logout_redirect_uri", LOGGED_OUT)])).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.unwrap();
    assert!(page.contains("Sign out of AskOnce?") && page.contains("action=\"/oidc/logout/confirm\""), "{page}");
    assert_eq!(person.get(app.url("/api/me")).send().await.unwrap().status(), StatusCode::OK, "not signed out by a link");
    let confirmed = app.post_form(&person, "/oidc/logout/confirm", &[("client_id", "web"), ("post_logout_redirect_uri", LOGGED_OUT)]).await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    assert!(confirmed.text().await.unwrap().contains(LOGGED_OUT), "a link back to the app");
    assert_eq!(person.get(app.url("/api/me")).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
}
crate::on_both_databases!(logout_without_a_hint_asks_first);

/// After a rotation the new key signs, and a token the old key signed still verifies: the
/// old key stays published until every token it signed has expired.
async fn key_rotation_keeps_earlier_tokens_valid(backend: Backend) {
    let app = app_with_clients(backend).await;
    let person = signed_in_person(&app, "rotate@example.com").await;
    let before = tokens_for(&app, &person, "openid").await;
    let old_kid = jsonwebtoken::decode_header(before["access_token"].as_str().unwrap()).unwrap().kid.unwrap();
    let kek = services::openid_provider::keys::KeyEncryptionKey::load_or_create(&app.site_root.path().join("askonce.kek")).unwrap();
    let keys = services::openid_provider::keys::Keys::new(app.db.clone(), kek);
    let new_kid = keys.rotate().await.unwrap();
    assert_ne!(new_kid, old_kid);
    let listed = keys.list().await.unwrap();
    assert!(listed.iter().any(|k| k.kid == new_kid && k.retired_at.is_none()), "the new key signs");
    assert!(
        listed.iter().any(|k| k.kid == old_kid && k.retired_at.is_some() && k.expires_at.is_some()),
        "the old one is retired, published"
    );
    // An instance that reads the keys now (every instance does within a minute).
    let other = app.another_instance(&clients_toml()).await;
    let jwks: Value = reqwest::get(format!("{other}/.well-known/jwks.json")).await.unwrap().json().await.unwrap();
    let kids: Vec<&str> = jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect();
    assert!(kids.contains(&old_kid.as_str()) && kids.contains(&new_kid.as_str()), "{kids:?}");
    // Keys read afresh (as every instance has within a minute) still verify the old key's
    // token. (The other instance above has a public URL of its own, so it is not the issuer
    // of this token; instances of one site share one.)
    let fresh = services::openid_provider::Provider::new(&app.address, keys.clone());
    fresh.keys.reload().await;
    let grant =
        services::openid_provider::tokens::verify_access(&app.db, &fresh, before["access_token"].as_str().unwrap(), chrono::Utc::now())
            .await
            .expect("a token of the old key still verifies");
    assert_eq!(grant.client_id, "web");

    // A leaked key is revoked: unpublished at once, its tokens no longer verify.
    assert_eq!(fresh.keys.revoke(&old_kid).await.unwrap(), None, "a retired key needs no replacement");
    let published = serde_json::to_string(&fresh.keys.current().await.unwrap().published).unwrap();
    assert!(!published.contains(&old_kid), "{published}");
    let refused =
        services::openid_provider::tokens::verify_access(&app.db, &fresh, before["access_token"].as_str().unwrap(), chrono::Utc::now())
            .await;
    assert!(refused.is_err(), "a revoked key's token is refused");
    // Revoking the key that signs makes a new one first.
    let replacement = fresh.keys.revoke(&new_kid).await.unwrap().expect("a new signing key");
    assert_ne!(replacement, new_kid);
    assert!(fresh.keys.revoke("no-such-kid").await.is_err());
}
crate::on_both_databases!(key_rotation_keeps_earlier_tokens_valid);

/// A second relying-party library, in Python: Authlib completes the code flow with PKCE and
/// verifies the ID token (signature with the JWKS, iss, aud, nonce, at_hash).
async fn authlib_completes_the_code_flow(backend: Backend) {
    let app = app_with_clients(backend).await;
    let person = signed_in_person(&app, "authlib@example.com").await;
    let rp = crate::harness::authlib::AuthlibRp::start(&app.address, "web", SECRET, CALLBACK).await;
    let start = person.get(&rp.authorize_url).send().await.unwrap();
    let callback = location(&start);
    assert!(callback.starts_with(CALLBACK), "signed in with nothing due: the code at once, not {callback:?}");
    let seen = rp.finish(&callback).await;
    assert!(seen.get("error").is_none(), "Authlib refused: {seen}");
    assert_eq!(seen["claims"]["iss"], app.address);
    assert_eq!(seen["userinfo"]["email"], "authlib@example.com");
    assert_eq!(seen["claims"]["sub"], seen["userinfo"]["sub"]);
}
crate::on_both_databases!(authlib_completes_the_code_flow);

/// A partner's app (not first party) asks for consent the first time, is remembered, asks
/// again for more; a denial answers `access_denied`; `prompt=none` without a grant answers
/// `consent_required`; `/profile` lists the apps and removes one, revoking its tokens.
async fn a_partner_app_asks_for_consent(backend: Backend) {
    use app::{
        account::apps::{MyApps, RemoveApp},
        consent::{AnswerConsent, ConsentRequest},
    };
    let partner = client_toml(
        "partner",
        "regular_web",
        CALLBACK,
        "first_party = false\nscopes = [\"openid\", \"profile\", \"email\", \"offline_access\"]\nreleased_fields = [\"job_title\"]",
    );
    let app = spawn_app_on(backend, &format!("{}{partner}", clients_toml())).await;
    let person = signed_in_person(&app, "consent@example.com").await;
    // Until the person has answered, the code waits on the consent screen: the authorization
    // is kept and goes through /welcome (`ask` gives its /authorize/continue address).
    let start = |scope: &'static str| {
        let person = person.clone();
        let url = authorize_url(&app, "partner", &[("response_type", "code"), ("scope", scope), ("state", "st")]);
        async move { location(&person.get(url).send().await.unwrap()) }
    };
    let ask = |scope: &'static str| {
        let start = start(scope);
        async move {
            let to = start.await;
            assert!(to.starts_with("/welcome?return_to="), "consent to ask: through /welcome, not {to:?}");
            crate::harness::openid::return_to_of(&to)
        }
    };
    let continue_to = ask("openid email").await;
    let at_consent = location(&person.get(app.url(&continue_to)).send().await.unwrap());
    assert!(at_consent.starts_with("/consent?id="), "{at_consent}");
    let id = at_consent.trim_start_matches("/consent?id=").to_string();
    let shown: Option<app::consent::ConsentView> =
        crate::harness::expect::json(app.call(&person, ConsentRequest::PATH, &[("id", &id)]).await, "the consent request").await;
    let shown = shown.expect("the request is shown");
    assert_eq!(shown.app_name, "partner");
    assert_eq!(shown.fields, vec!["job title".to_string()]);
    assert!(shown.asks.iter().any(|a| a.contains("email address")), "{:?}", shown.asks);
    // prompt=none meanwhile: consent_required.
    let none = authorize_url(&app, "partner", &[("response_type", "code"), ("scope", "openid email"), ("prompt", "none")]);
    assert_eq!(params_of(&location(&person.get(none).send().await.unwrap()))["error"], "consent_required");
    // Allowed: the code.
    assert!(app.call(&person, AnswerConsent::PATH, &[("id", &id), ("allow", "yes")]).await.status().is_success());
    let back = app.continue_authorization(&person, &continue_to).await;
    assert!(params_of(&back).contains_key("code"), "{back}");
    // Remembered: the same scopes go straight back with a code.
    let again = start("openid email").await;
    assert!(again.starts_with(CALLBACK) && params_of(&again).contains_key("code"), "{again}");
    // More than was granted: asked again; denied this time.
    let more = ask("openid email profile").await;
    let at_consent = location(&person.get(app.url(&more)).send().await.unwrap());
    assert!(at_consent.starts_with("/consent?id="), "{at_consent}");
    let id = at_consent.trim_start_matches("/consent?id=").to_string();
    assert!(app.call(&person, AnswerConsent::PATH, &[("id", &id), ("allow", "no")]).await.status().is_success());
    let denied = app.continue_authorization(&person, &more).await;
    assert_eq!(params_of(&denied)["error"], "access_denied");
    // The site's own app never asks.
    let own = code_for(&app, &person, "web", &[]).await;
    assert!(!own.is_empty());
    // /profile: both apps; removing the partner revokes what it holds and forgets the grant.
    let apps: Vec<app::account::apps::MyApp> = crate::harness::expect::json(app.call(&person, MyApps::PATH, &[]).await, "my apps").await;
    let names: Vec<&str> = apps.iter().map(|a| a.name.as_str()).collect();
    assert!(names.contains(&"partner") && names.contains(&"web"), "{names:?}");
    let code = {
        let url = authorize_url(&app, "partner", &[("response_type", "code"), ("scope", "openid email offline_access"), ("state", "st")]);
        let to = location(&person.get(url).send().await.unwrap());
        let continue_to = crate::harness::openid::return_to_of(&to);
        let at_consent = location(&person.get(app.url(&continue_to)).send().await.unwrap());
        let id = at_consent.trim_start_matches("/consent?id=").to_string();
        assert!(app.call(&person, AnswerConsent::PATH, &[("id", &id), ("allow", "yes")]).await.status().is_success());
        params_of(&app.continue_authorization(&person, &continue_to).await)["code"].clone()
    };
    let tokens: Value =
        exchange(&app, "partner", Some(SECRET), &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", CALLBACK)])
            .await
            .json()
            .await
            .unwrap();
    assert!(app.call(&person, RemoveApp::PATH, &[("client_id", "partner")]).await.status().is_success());
    assert_eq!(introspect(&app, "partner", tokens["refresh_token"].as_str().unwrap()).await["active"], false);
    let after = ask("openid email").await;
    assert!(location(&person.get(app.url(&after)).send().await.unwrap()).starts_with("/consent?id="), "asked again after removal");
}
crate::on_both_databases!(a_partner_app_asks_for_consent);
