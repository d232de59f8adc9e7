//! Attacks on the OpenID Provider, each written to fail before its defence existed: open
//! redirects through `redirect_uri` and every error path, stolen or replayed codes, PKCE
//! downgrades, tokens of one kind presented as another, a leaked continue link, and the
//! cross-site checks the endpoints must (and must not) make.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use reqwest::StatusCode;
use serde_json::Value;

use crate::{
    harness::{browser, browser::location, openid::SECRET, Backend},
    openid_provider::{app_with_clients, authorize_url, code_for, exchange, params_of, pkce, signed_in_person, CALLBACK},
};

const GOOD: [(&str, &str); 3] = [("response_type", "code"), ("scope", "openid"), ("state", "st")];

/// No variant of a registered address is one: each gets AskOnce's own page, never a redirect.
#[tokio::test]
async fn redirect_uri_variants_are_refused_on_askonces_page() {
    let app = app_with_clients(Backend::Sqlite).await;
    let person = browser();
    for variant in [
        "http://127.0.0.1:9/cb/",
        "http://127.0.0.1:9/cbx",
        "http://127.0.0.1:9/c",
        "http://127.0.0.1:9/cb?x=1",
        "http://127.0.0.1:9/cb#frag",
        "http://127.0.0.1:99/cb",
        "http://127.0.0.1:9/x/../cb",
        "http://127.0.0.1:9/%63b",
        "HTTP://127.0.0.1:9/cb",
        "http://evil@127.0.0.1:9/cb",
        "http://127.0.0.1:9@evil.example/cb",
        "https://127.0.0.1:9/cb",
        "http://*/cb",
        "//evil.example/cb",
    ] {
        let mut url = url::Url::parse(&app.url("/authorize")).unwrap();
        url.query_pairs_mut().append_pair("client_id", "web").append_pair("redirect_uri", variant);
        for (k, v) in GOOD {
            url.query_pairs_mut().append_pair(k, v);
        }
        let res = person.get(url.as_str()).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{variant}");
        assert!(location(&res).is_empty(), "{variant} must not be redirected to");
    }
}

/// An unknown client, a missing or repeated address: AskOnce's page, whatever else is asked.
#[tokio::test]
async fn no_error_path_redirects_to_an_unchecked_address() {
    let app = app_with_clients(Backend::Sqlite).await;
    let person = browser();
    let evil = "https://evil.example/cb";
    for query in [
        format!("client_id=nobody&redirect_uri={evil}&response_type=code&scope=openid"),
        "client_id=web&response_type=code&scope=openid".to_string(),
        format!("client_id=web&redirect_uri={CALLBACK}&redirect_uri={evil}&response_type=token"),
        format!("client_id=web&client_id=spa&redirect_uri={CALLBACK}&response_type=code&scope=openid"),
        format!("redirect_uri={evil}&response_type=code"),
    ] {
        let res = person.get(app.url(&format!("/authorize?{query}"))).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{query}");
        assert!(location(&res).is_empty(), "{query} redirected to {}", location(&res));
        let page = res.text().await.unwrap();
        assert!(!page.contains("evil.example"), "the page does not echo the address as a link: {query}");
    }
}

/// Refusals after the address check go back with `state` and `iss` (RFC 9207: a client
/// talking to two providers can tell who answered).
#[tokio::test]
async fn refusals_to_the_client_name_the_issuer() {
    let app = app_with_clients(Backend::Sqlite).await;
    for (params, error) in [
        (vec![("response_type", "token"), ("scope", "openid"), ("state", "st")], "unsupported_response_type"),
        (vec![("response_type", "code"), ("scope", "openid admin"), ("state", "st")], "invalid_scope"),
        (
            vec![("response_type", "code"), ("scope", "openid"), ("state", "st"), ("request", "eyJhbGciOiJub25lIn0.e30.")],
            "request_not_supported",
        ),
    ] {
        let to = location(&browser().get(authorize_url(&app, "web", &params)).send().await.unwrap());
        assert!(to.starts_with(CALLBACK), "{to}");
        let answer = params_of(&to);
        assert_eq!(answer["error"], error);
        assert_eq!(answer["state"], "st");
        assert_eq!(answer["iss"], app.address);
    }
}

async fn a_code_works_once_and_its_replay_revokes_what_it_issued(backend: Backend) {
    let app = app_with_clients(backend).await;
    let person = signed_in_person(&app, "once@example.com").await;
    let code = code_for(&app, &person, "web", &[]).await;
    let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", CALLBACK)];
    let first: Value = exchange(&app, "web", Some(SECRET), &form).await.json().await.unwrap();
    let access = first["access_token"].as_str().unwrap().to_string();
    let userinfo = || reqwest::Client::new().get(app.url("/userinfo")).bearer_auth(&access).send();
    assert_eq!(userinfo().await.unwrap().status(), StatusCode::OK);
    let replay = exchange(&app, "web", Some(SECRET), &form).await;
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);
    assert_eq!(replay.json::<Value>().await.unwrap()["error"], "invalid_grant");
    let after = userinfo().await.unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED, "the first exchange's access token is revoked");
    assert!(after.headers()["www-authenticate"].to_str().unwrap().contains("invalid_token"));
}
crate::on_both_databases!(a_code_works_once_and_its_replay_revokes_what_it_issued);

async fn a_code_is_only_good_for_its_client_address_and_minute(backend: Backend) {
    let app = app_with_clients(backend).await;
    let person = signed_in_person(&app, "mine@example.com").await;
    let refused = |res: reqwest::Response| async move {
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        res.json::<Value>().await.unwrap()["error"].as_str().unwrap().to_string()
    };
    // Client A's code at client B.
    let (verifier, challenge) = pkce();
    let code = code_for(&app, &person, "web", &[("code_challenge", &challenge), ("code_challenge_method", "S256")]).await;
    let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", CALLBACK), ("code_verifier", &verifier)];
    assert_eq!(refused(exchange(&app, "spa", None, &form).await).await, "invalid_grant");
    // Another redirect_uri than the request's.
    let code = code_for(&app, &person, "web", &[]).await;
    let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", "http://127.0.0.1:9/other")];
    assert_eq!(refused(exchange(&app, "web", Some(SECRET), &form).await).await, "invalid_grant");
    // An expired code.
    let code = code_for(&app, &person, "web", &[]).await;
    expire_codes(&app).await;
    let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", CALLBACK)];
    assert_eq!(refused(exchange(&app, "web", Some(SECRET), &form).await).await, "invalid_grant");
}
crate::on_both_databases!(a_code_is_only_good_for_its_client_address_and_minute);

async fn expire_codes(app: &crate::harness::TestApp) {
    use sea_orm::{sea_query::Expr, EntityTrait};
    services::entities::oauth_codes::Entity::update_many()
        .col_expr(services::entities::oauth_codes::Column::ExpiresAt, Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)))
        .exec(&app.db)
        .await
        .unwrap();
}

async fn pkce_is_s256_required_of_public_clients_and_never_downgraded(backend: Backend) {
    let app = app_with_clients(backend).await;
    let person = signed_in_person(&app, "pkce@example.com").await;
    let error_of = |to: String| params_of(&to).get("error").cloned().unwrap_or_default();
    // A public client without PKCE, or with `plain`.
    let to = location(&person.get(authorize_url(&app, "spa", &GOOD)).send().await.unwrap());
    assert_eq!(error_of(to), "invalid_request");
    let (verifier, challenge) = pkce();
    let mut plain = GOOD.to_vec();
    plain.extend([("code_challenge", verifier.as_str()), ("code_challenge_method", "plain")]);
    assert_eq!(error_of(location(&person.get(authorize_url(&app, "spa", &plain)).send().await.unwrap())), "invalid_request");
    // A wrong verifier.
    let code = code_for(&app, &person, "spa", &[("code_challenge", &challenge), ("code_challenge_method", "S256")]).await;
    let (other, _) = pkce();
    let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", CALLBACK), ("code_verifier", &other)];
    let res = exchange(&app, "spa", None, &form).await;
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_grant");
    // A verifier for a code issued without a challenge (a downgrade).
    let code = code_for(&app, &person, "web", &[]).await;
    let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", CALLBACK), ("code_verifier", &verifier)];
    assert_eq!(exchange(&app, "web", Some(SECRET), &form).await.json::<Value>().await.unwrap()["error"], "invalid_grant");
}
crate::on_both_databases!(pkce_is_s256_required_of_public_clients_and_never_downgraded);

/// Client authentication: a wrong secret, a confidential client posing as public, a public
/// client with a secret, two methods at once.
#[tokio::test]
async fn clients_must_prove_who_they_are() {
    let app = app_with_clients(Backend::Sqlite).await;
    let form = [("grant_type", "authorization_code"), ("code", "x"), ("redirect_uri", CALLBACK)];
    let res = exchange(&app, "web", Some("wrong-secret"), &form).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.headers()["www-authenticate"].to_str().unwrap().starts_with("Basic"));
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_client");
    assert_eq!(exchange(&app, "web", None, &form).await.status(), StatusCode::UNAUTHORIZED, "no secret, no confidential client");
    assert_eq!(exchange(&app, "spa", Some(SECRET), &form).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(exchange(&app, "nobody", Some(SECRET), &form).await.status(), StatusCode::UNAUTHORIZED);
    let both = reqwest::Client::new()
        .post(app.url("/oauth/token"))
        .basic_auth("web", Some(SECRET))
        .form(&[("grant_type", "authorization_code"), ("code", "x"), ("client_secret", SECRET)])
        .send()
        .await
        .unwrap();
    assert_eq!(both.json::<Value>().await.unwrap()["error"], "invalid_request");
}

/// Only an access token opens `/userinfo`: not an ID token, not a token signed with the
/// public key as an HMAC secret, not one with `alg: none`, not a cookie.
#[tokio::test]
async fn userinfo_takes_only_real_access_tokens() {
    let app = app_with_clients(Backend::Sqlite).await;
    let person = signed_in_person(&app, "bearer@example.com").await;
    let code = code_for(&app, &person, "web", &[]).await;
    let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", CALLBACK)];
    let tokens: Value = exchange(&app, "web", Some(SECRET), &form).await.json().await.unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    let (_, payload, _) = split3(access);
    let jwks: Value = reqwest::get(app.url("/.well-known/jwks.json")).await.unwrap().json().await.unwrap();
    let kid = jwks["keys"][0]["kid"].as_str().unwrap();
    // HS256 with the public key's modulus as the secret (the classic key confusion).
    let hs_header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"HS256","typ":"at+jwt","kid":"{kid}"}}"#));
    let signing_input = format!("{hs_header}.{payload}");
    let secret = jwks["keys"][0]["n"].as_str().unwrap();
    let mac = {
        use hmac::{Hmac, Mac};
        let mut m = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        m.update(signing_input.as_bytes());
        URL_SAFE_NO_PAD.encode(m.finalize().into_bytes())
    };
    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"at+jwt"}"#);
    for forged in [tokens["id_token"].as_str().unwrap().to_string(), format!("{signing_input}.{mac}"), format!("{none_header}.{payload}.")]
    {
        let res = reqwest::Client::new().get(app.url("/userinfo")).bearer_auth(&forged).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{forged}");
    }
    // The person's own session cookie opens nothing here.
    let res = person.get(app.url("/userinfo")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

fn split3(token: &str) -> (&str, &str, &str) {
    let mut parts = token.splitn(3, '.');
    (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap())
}

/// The link that continues an authorization works only in the browser that started it.
#[tokio::test]
async fn a_leaked_continue_link_is_worthless_elsewhere() {
    let app = app_with_clients(Backend::Sqlite).await;
    let victim = signed_in_person(&app, "victim@example.com").await;
    let to = location(&victim.get(authorize_url(&app, "web", &GOOD)).send().await.unwrap());
    let continue_to = crate::harness::openid::return_to_of(&to);
    let attacker = signed_in_person(&app, "attacker@example.com").await;
    let res = attacker.get(app.url(&continue_to)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(location(&res).is_empty());
    // The victim's own browser still completes it, once.
    assert!(app.continue_authorization(&victim, &continue_to).await.starts_with(CALLBACK));
    let again = victim.get(app.url(&continue_to)).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::BAD_REQUEST, "a completed authorization does not issue a second code");
}

/// The token endpoint authenticates clients, not cookies: a browser's cross-site request
/// reaches it (and is judged on its client authentication alone).
#[tokio::test]
async fn the_token_endpoint_is_judged_on_client_authentication_not_origin() {
    let app = app_with_clients(Backend::Sqlite).await;
    let res = reqwest::Client::new()
        .post(app.url("/oauth/token"))
        .header("sec-fetch-site", "cross-site")
        .header("origin", "https://spa.example")
        .form(&[("grant_type", "authorization_code"), ("code", "x"), ("client_id", "spa"), ("redirect_uri", CALLBACK)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_grant");
}
