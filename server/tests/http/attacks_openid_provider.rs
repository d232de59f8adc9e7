//! Attacks on the OpenID Provider, each written to fail before its defence existed: open
//! redirects through `redirect_uri` and every error path, stolen or replayed codes, PKCE
//! downgrades, tokens of one kind presented as another, a leaked continue link, and the
//! cross-site checks the endpoints must (and must not) make.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;
use serde_json::Value;

use crate::{
    harness::{browser, browser::location, openid::SECRET, Backend},
    openid_provider::{
        app_with_clients, authorize_url, code_for, exchange, introspect, logout_url, params_of, pkce, refresh, signed_in_person,
        tokens_for, CALLBACK, LOGGED_OUT,
    },
};

const GOOD: [(&str, &str); 3] = [("response_type", "code"), ("scope", "openid"), ("state", "st")];

/// No variant of a registered address is one: each gets AskOnce's own page, never a redirect.
async fn redirect_uri_variants_are_refused_on_askonces_page(backend: Backend) {
    let app = app_with_clients(backend).await;
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
crate::on_both_databases!(redirect_uri_variants_are_refused_on_askonces_page);

/// An unknown client, a missing or repeated address: AskOnce's page, whatever else is asked.
async fn no_error_path_redirects_to_an_unchecked_address(backend: Backend) {
    let app = app_with_clients(backend).await;
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
crate::on_both_databases!(no_error_path_redirects_to_an_unchecked_address);

/// Refusals after the address check go back with `state` and `iss` (RFC 9207: a client
/// talking to two providers can tell who answered).
async fn refusals_to_the_client_name_the_issuer(backend: Backend) {
    let app = app_with_clients(backend).await;
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
crate::on_both_databases!(refusals_to_the_client_name_the_issuer);

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
async fn clients_must_prove_who_they_are(backend: Backend) {
    let app = app_with_clients(backend).await;
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
crate::on_both_databases!(clients_must_prove_who_they_are);

/// Only an access token opens `/userinfo`: not an ID token, not a token signed with the
/// public key as an HMAC secret, not one with `alg: none`, not a cookie.
async fn userinfo_takes_only_real_access_tokens(backend: Backend) {
    let app = app_with_clients(backend).await;
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
crate::on_both_databases!(userinfo_takes_only_real_access_tokens);

fn split3(token: &str) -> (&str, &str, &str) {
    let mut parts = token.splitn(3, '.');
    (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap())
}

/// The link that continues an authorization works only in the browser that started it.
async fn a_leaked_continue_link_is_worthless_elsewhere(backend: Backend) {
    let app = app_with_clients(backend).await;
    // Signed out: the authorization is kept while the victim signs in.
    let victim = browser();
    let to = location(&victim.get(authorize_url(&app, "web", &GOOD)).send().await.unwrap());
    let continue_to = crate::harness::openid::return_to_of(&to);
    let attacker = signed_in_person(&app, "attacker@example.com").await;
    let res = attacker.get(app.url(&continue_to)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(location(&res).is_empty());
    // The victim's own browser still completes it, once.
    assert!(app.sign_up_and_continue(&victim, &continue_to, "victim@example.com", "Vic", "Tim").await.starts_with(CALLBACK));
    let again = victim.get(app.url(&continue_to)).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::BAD_REQUEST, "a completed authorization does not issue a second code");
}
crate::on_both_databases!(a_leaked_continue_link_is_worthless_elsewhere);

/// The token endpoint authenticates clients, not cookies: a browser's cross-site request
/// reaches it (and is judged on its client authentication alone).
async fn the_token_endpoint_is_judged_on_client_authentication_not_origin(backend: Backend) {
    let app = app_with_clients(backend).await;
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
crate::on_both_databases!(the_token_endpoint_is_judged_on_client_authentication_not_origin);

async fn a_rotated_refresh_token_used_again_revokes_its_family(backend: Backend) {
    let app = app_with_clients(backend).await;
    let person = signed_in_person(&app, "stolen@example.com").await;
    let tokens = tokens_for(&app, &person, "openid offline_access").await;
    let stolen = tokens["refresh_token"].as_str().unwrap().to_string();
    // The legitimate app rotates…
    let rotated: Value = refresh(&app, "web", Some(SECRET), &stolen).await.json().await.unwrap();
    let current = rotated["refresh_token"].as_str().unwrap().to_string();
    let current_access = rotated["access_token"].as_str().unwrap().to_string();
    // …then the thief replays the old one: refused, and everything of the family is revoked.
    let replay = refresh(&app, "web", Some(SECRET), &stolen).await;
    assert_eq!(replay.json::<Value>().await.unwrap()["error"], "invalid_grant");
    assert_eq!(refresh(&app, "web", Some(SECRET), &current).await.json::<Value>().await.unwrap()["error"], "invalid_grant");
    assert_eq!(introspect(&app, "web", &current_access).await["active"], false);
    let first_access = tokens["access_token"].as_str().unwrap();
    assert_eq!(introspect(&app, "web", first_access).await["active"], false);
}
crate::on_both_databases!(a_rotated_refresh_token_used_again_revokes_its_family);

/// A token is its client's: another client can neither refresh, introspect nor revoke it.
async fn another_clients_tokens_are_not_yours(backend: Backend) {
    let app = app_with_clients(backend).await;
    let config_spa = "spa";
    let person = signed_in_person(&app, "theirs@example.com").await;
    let tokens = tokens_for(&app, &person, "openid offline_access").await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    let res = refresh(&app, config_spa, None, refresh_token).await;
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_grant");
    // Introspection by another client: nothing learnt.
    let res =
        reqwest::Client::new().post(app.url("/oauth/introspect")).form(&[("token", access), ("client_id", "spa")]).send().await.unwrap();
    assert_eq!(res.json::<Value>().await.unwrap(), serde_json::json!({ "active": false }));
    // Revocation by another client: quietly nothing.
    let res =
        reqwest::Client::new().post(app.url("/oauth/revoke")).form(&[("token", refresh_token), ("client_id", "spa")]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(introspect(&app, "web", refresh_token).await["active"], true, "still the owner's");
    // And nobody may introspect without authenticating.
    let res = reqwest::Client::new().post(app.url("/oauth/introspect")).form(&[("token", access)]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}
crate::on_both_databases!(another_clients_tokens_are_not_yours);

/// Blocking someone, or a change of their password, ends what every application holds for
/// them at once (introspection says inactive; refresh is refused).
async fn blocking_or_a_new_password_revokes_every_token(backend: Backend) {
    let app = app_with_clients(backend).await;
    let person = signed_in_person(&app, "blocked@example.com").await;
    let tokens = tokens_for(&app, &person, "openid offline_access").await;
    let me = app.me(&person).await;
    let path = format!("/api/v2/users/{}", me["user_id"].as_str().unwrap());
    let editor = app.api_token(&[app::admin::api_tokens::Scope::UpdateUsers]).await;
    let (status, _) = app.api("PATCH", &path, Some(&editor), Some(serde_json::json!({ "blocked": true }))).await;
    assert_eq!(status, StatusCode::OK);
    for token in [&tokens["access_token"], &tokens["refresh_token"]] {
        assert_eq!(introspect(&app, "web", token.as_str().unwrap()).await["active"], false);
    }
    assert_eq!(refresh(&app, "web", Some(SECRET), tokens["refresh_token"].as_str().unwrap()).await.status(), StatusCode::BAD_REQUEST);

    let other = signed_in_person(&app, "newpass@example.com").await;
    let tokens = tokens_for(&app, &other, "openid offline_access").await;
    let changed = app
        .call(
            &other,
            app::account::security::ChangeMyPassword::PATH,
            &[("current_password", crate::harness::PASSWORD), ("new_password", "another long passphrase")],
        )
        .await;
    assert!(changed.status().is_success(), "changing the password: {}", changed.status());
    assert_eq!(introspect(&app, "web", tokens["refresh_token"].as_str().unwrap()).await["active"], false);
}
crate::on_both_databases!(blocking_or_a_new_password_revokes_every_token);

/// Logout: no unregistered return address, no forged or foreign hint, and no cross-site
/// confirmation signs anyone out or redirects anywhere.
async fn logout_requests_cannot_redirect_or_sign_out_on_their_own(backend: Backend) {
    let app = app_with_clients(backend).await;
    let person = signed_in_person(&app, "stay@example.com").await;
    let mine = tokens_for(&app, &person, "openid").await["id_token"].as_str().unwrap().to_string();
    let other = signed_in_person(&app, "other@example.com").await;
    let theirs = tokens_for(&app, &other, "openid").await["id_token"].as_str().unwrap().to_string();
    let (_, payload, _) = split3(&mine);
    let jwks: Value = reqwest::get(app.url("/.well-known/jwks.json")).await.unwrap().json().await.unwrap();
    let none_alg = format!("{}.{payload}.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#));
    let hs256 = {
        use hmac::{Hmac, Mac};
        let head = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"HS256","kid":"{}"}}"#, jwks["keys"][0]["kid"].as_str().unwrap()));
        let mut m = Hmac::<sha2::Sha256>::new_from_slice(jwks["keys"][0]["n"].as_str().unwrap().as_bytes()).unwrap();
        m.update(format!("{head}.{payload}").as_bytes());
        format!("{head}.{payload}.{}", URL_SAFE_NO_PAD.encode(m.finalize().into_bytes()))
    };
    for params in [
        vec![("id_token_hint", mine.as_str()), ("post_logout_redirect_uri", "https://evil.example/")],
        vec![("id_token_hint", mine.as_str()), ("post_logout_redirect_uri", "http://127.0.0.1:9/bye/")],
        vec![("post_logout_redirect_uri", LOGGED_OUT)],
        vec![("id_token_hint", mine.as_str()), ("client_id", "spa"), ("post_logout_redirect_uri", LOGGED_OUT)],
        vec![("id_token_hint", none_alg.as_str()), ("post_logout_redirect_uri", LOGGED_OUT)],
        vec![("id_token_hint", hs256.as_str()), ("post_logout_redirect_uri", LOGGED_OUT)],
    ] {
        let res = person.get(logout_url(&app, &params)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{params:?}");
        assert!(location(&res).is_empty(), "{params:?} redirected");
    }
    // Someone else's hint: asked, not signed out.
    let res =
        person.get(logout_url(&app, &[("id_token_hint", theirs.as_str()), ("post_logout_redirect_uri", LOGGED_OUT)])).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(location(&res).is_empty());
    // A cross-site post of the confirmation is refused by the cross-site check.
    let forged = person
        .post(app.url("/oidc/logout/confirm"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("client_id", "web")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(person.get(app.url("/api/me")).send().await.unwrap().status(), StatusCode::OK, "still signed in after all of it");
}
crate::on_both_databases!(logout_requests_cannot_redirect_or_sign_out_on_their_own);

/// Browsers may read the token endpoint's and userinfo's answers only from a registered web
/// origin; no origin is ever allowed credentials.
async fn cors_answers_only_registered_web_origins(backend: Backend) {
    let config = crate::harness::openid::client_toml("spa", "spa", CALLBACK, "web_origins = [\"http://127.0.0.1:5173\"]");
    let app = crate::harness::spawn_app_on(backend, &config).await;
    for (origin, allowed) in
        [("http://127.0.0.1:5173", true), ("https://evil.example", false), ("http://127.0.0.1:5174", false), ("null", false)]
    {
        for path in ["/oauth/token", "/userinfo", "/.well-known/jwks.json"] {
            let preflight = reqwest::Client::new()
                .request(reqwest::Method::OPTIONS, app.url(path))
                .header("origin", origin)
                .header("access-control-request-method", "POST")
                .send()
                .await
                .unwrap();
            let header = preflight.headers().get("access-control-allow-origin").map(|v| v.to_str().unwrap().to_string());
            assert_eq!(header.as_deref(), allowed.then_some(origin), "{origin} at {path}");
            assert!(preflight.headers().get("access-control-allow-credentials").is_none());
        }
        let res = reqwest::Client::new()
            .post(app.url("/oauth/token"))
            .header("origin", origin)
            .form(&[("grant_type", "authorization_code"), ("code", "x"), ("client_id", "spa")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers().get("access-control-allow-origin").is_some(), allowed, "{origin}");
    }
    // The authorization endpoint is a page: no CORS at all.
    let res = reqwest::Client::new().get(app.url("/authorize")).header("origin", "http://127.0.0.1:5173").send().await.unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
}
crate::on_both_databases!(cors_answers_only_registered_web_origins);

/// Guessing a client's secret is limited like guessing a password: after the network's
/// allowance, even the right secret is refused until the window ends.
async fn guessing_a_client_secret_is_paused(backend: Backend) {
    let app = app_with_clients(backend).await;
    let form = [("grant_type", "authorization_code"), ("code", "x"), ("redirect_uri", CALLBACK)];
    for guess in 0..5 {
        let res = exchange(&app, "web", Some(&format!("guess-{guess}")), &form).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = exchange(&app, "web", Some(SECRET), &form).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "paused: the right secret is not even checked");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    assert!(body["error_description"].as_str().unwrap().contains("too many"), "{body}");
}
crate::on_both_databases!(guessing_a_client_secret_is_paused);

/// Each anonymous authorization request stores something: they are limited per network like
/// sign-in attempts, so nobody can fill the database (or starve SQLite's writer) with them.
async fn anonymous_authorization_requests_are_throttled(backend: Backend) {
    let config = format!("[rate_limit]\nauth_per_minute = 1\nauth_burst = 3\n{}", crate::openid_provider::clients_toml());
    let app = crate::harness::spawn_app_on(backend, &config).await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(browser().get(authorize_url(&app, "web", &GOOD)).send().await.unwrap().status());
    }
    assert_eq!(statuses.last(), Some(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    use sea_orm::{EntityTrait, PaginatorTrait};
    let stored = services::entities::oauth_authorizations::Entity::find().count(&app.db).await.unwrap();
    assert!(stored <= 3, "{stored} authorizations stored");
}
crate::on_both_databases!(anonymous_authorization_requests_are_throttled);

/// An application's page posting the authorization request (cross-site, so without AskOnce's
/// Lax cookie) must not start a session that replaces the person's: the POST only re-sends
/// the request as a GET, which carries the cookie.
async fn a_cross_site_authorize_post_leaves_the_session_alone(backend: Backend) {
    let app = app_with_clients(backend).await;
    let form: Vec<(&str, &str)> = [("client_id", "web"), ("redirect_uri", CALLBACK)].into_iter().chain(GOOD).collect();
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(app.url("/authorize"))
        .header("sec-fetch-site", "cross-site")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(location(&res).starts_with("/authorize?client_id=web&redirect_uri="), "{}", location(&res));
    assert!(res.headers().get("set-cookie").is_none(), "no session is started by the post");
    // The person's own browser, following it, goes on with their session.
    let person = signed_in_person(&app, "post@example.com").await;
    let next = person.get(app.url(&location(&res))).send().await.unwrap();
    assert!(location(&next).starts_with(CALLBACK), "signed in, nothing due: the code at once, not {}", location(&next));
}
crate::on_both_databases!(a_cross_site_authorize_post_leaves_the_session_alone);

/// A spent code replayed by another client is "unknown": it revokes nothing of its owner's.
async fn another_client_cannot_revoke_with_a_spent_code(backend: Backend) {
    let app = app_with_clients(backend).await;
    let person = signed_in_person(&app, "spent@example.com").await;
    let code = code_for(&app, &person, "web", &[]).await;
    let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", CALLBACK)];
    let tokens: Value = exchange(&app, "web", Some(SECRET), &form).await.json().await.unwrap();
    let (verifier, _) = pkce();
    let replay =
        [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", CALLBACK), ("code_verifier", verifier.as_str())];
    assert_eq!(exchange(&app, "spa", None, &replay).await.json::<Value>().await.unwrap()["error"], "invalid_grant");
    let info = reqwest::Client::new().get(app.url("/userinfo")).bearer_auth(tokens["access_token"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(info.status(), StatusCode::OK, "the owner's tokens still work");
}
crate::on_both_databases!(another_client_cannot_revoke_with_a_spent_code);

/// A `max_age` beyond any date is an answer, not a crashed request.
async fn an_absurd_max_age_is_answered(backend: Backend) {
    let app = app_with_clients(backend).await;
    for age in ["99999999999999", "18446744073709551615", "9223372036854775807"] {
        let mut params = GOOD.to_vec();
        params.push(("max_age", age));
        let res = browser().get(authorize_url(&app, "web", &params)).send().await.expect("an answer");
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "max_age={age}");
    }
}
crate::on_both_databases!(an_absurd_max_age_is_answered);

/// `prompt=none` never shows a page, not even the required stage's: the answer is
/// `interaction_required`.
async fn prompt_none_does_not_show_a_required_stage(backend: Backend) {
    let app = app_with_clients(backend).await;
    crate::required_stage::require_names(&app).await;
    let person = browser();
    app.sign_up(&person, "held-none@example.com").await;
    let mut params = GOOD.to_vec();
    params.push(("prompt", "none"));
    let to = location(&person.get(authorize_url(&app, "web", &params)).send().await.unwrap());
    assert!(to.starts_with(CALLBACK), "{to}");
    assert_eq!(params_of(&to)["error"], "interaction_required");
}
crate::on_both_databases!(prompt_none_does_not_show_a_required_stage);

/// Helper-found (part 2): a refresh racing its own reuse must not leave a live token — the
/// revocation could not reach rows made after it, so the rotation looks again.
async fn a_refresh_racing_its_own_reuse_leaves_nothing_alive(backend: Backend) {
    let app = app_with_clients(backend).await;
    let person = signed_in_person(&app, "race@example.com").await;
    for _ in 0..10 {
        let tokens = tokens_for(&app, &person, "openid offline_access").await;
        let t = tokens["refresh_token"].as_str().unwrap().to_string();
        let (a, b) = tokio::join!(refresh(&app, "web", Some(SECRET), &t), refresh(&app, "web", Some(SECRET), &t));
        let answers: Vec<Value> = vec![a.json().await.unwrap(), b.json().await.unwrap()];
        for answer in answers.iter().filter(|a| a.get("access_token").is_some()) {
            // A winner may exist, but nothing it got may still work.
            assert_eq!(introspect(&app, "web", answer["access_token"].as_str().unwrap()).await["active"], false, "{answers:?}");
            assert_eq!(
                refresh(&app, "web", Some(SECRET), answer["refresh_token"].as_str().unwrap()).await.status(),
                StatusCode::BAD_REQUEST
            );
        }
    }
}
crate::on_both_databases!(a_refresh_racing_its_own_reuse_leaves_nothing_alive, multi_thread);

/// Helper-found (part 2): a narrowed refresh stays in its family, and the refresh token keeps
/// the granted scope (RFC 6749 §6).
async fn a_narrowed_refresh_stays_in_its_family(backend: Backend) {
    let app = app_with_clients(backend).await;
    let person = signed_in_person(&app, "narrow@example.com").await;
    let tokens = tokens_for(&app, &person, "openid email offline_access").await;
    let t = tokens["refresh_token"].as_str().unwrap().to_string();
    let narrowed: Value =
        exchange(&app, "web", Some(SECRET), &[("grant_type", "refresh_token"), ("refresh_token", &t), ("scope", "openid")])
            .await
            .json()
            .await
            .unwrap();
    assert!(narrowed["refresh_token"].is_string(), "the refresh token survives a narrower access token: {narrowed}");
    let next = narrowed["refresh_token"].as_str().unwrap();
    assert_eq!(introspect(&app, "web", next).await["scope"], "email offline_access openid", "granted scope kept");
    // Reuse of the spent one: the narrowed access token goes with the family.
    assert_eq!(refresh(&app, "web", Some(SECRET), &t).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(introspect(&app, "web", narrowed["access_token"].as_str().unwrap()).await["active"], false);
}
crate::on_both_databases!(a_narrowed_refresh_stays_in_its_family);

/// Helper-found (part 2): ten networks guessing a client's secret do not lock the client out
/// of its own token endpoint.
async fn guesses_from_many_networks_do_not_lock_a_client_out(backend: Backend) {
    let app = app_with_clients(backend).await;
    let form = [("grant_type", "authorization_code"), ("code", "x"), ("redirect_uri", CALLBACK)];
    for n in 2..=11 {
        let from = crate::harness::browser::browser_from(&format!("127.0.0.{n}"));
        for _ in 0..5 {
            from.post(app.url("/oauth/token")).basic_auth("web", Some("guess")).form(&form).send().await.unwrap();
        }
    }
    let own = crate::harness::browser::browser_from("127.0.0.12");
    let res = own.post(app.url("/oauth/token")).basic_auth("web", Some(SECRET)).form(&form).send().await.unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant", "the right secret is checked (the made-up code is what fails): {body}");
}
crate::on_both_databases!(guesses_from_many_networks_do_not_lock_a_client_out);

/// Helper-found (part 2): an application's cross-site POST of its logout request reaches the
/// person's session (re-sent as a GET, which carries the cookie).
async fn a_cross_site_logout_post_is_re_sent_where_the_session_is(backend: Backend) {
    let app = app_with_clients(backend).await;
    let person = signed_in_person(&app, "xpost@example.com").await;
    let hint = tokens_for(&app, &person, "openid").await["id_token"].as_str().unwrap().to_string();
    let posted = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(app.url("/oidc/logout"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("id_token_hint", hint.as_str()), ("post_logout_redirect_uri", LOGGED_OUT)])
        .send()
        .await
        .unwrap();
    let as_get = location(&posted);
    assert!(as_get.starts_with("/oidc/logout?"), "not reported done before the session is reached: {as_get}");
    assert!(location(&person.get(app.url(&as_get)).send().await.unwrap()).starts_with(LOGGED_OUT));
    assert_eq!(person.get(app.url("/api/me")).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
}
crate::on_both_databases!(a_cross_site_logout_post_is_re_sent_where_the_session_is);

/// Helper-found (part 2): an ID token from another sign-in of the same person asks before
/// signing out this one.
async fn an_old_hint_asks_before_signing_out(backend: Backend) {
    let app = app_with_clients(backend).await;
    let person = signed_in_person(&app, "twice@example.com").await;
    let old = tokens_for(&app, &person, "openid").await["id_token"].as_str().unwrap().to_string();
    app.sign_in(&person, "twice@example.com").await;
    let res =
        person.get(logout_url(&app, &[("id_token_hint", old.as_str()), ("post_logout_redirect_uri", LOGGED_OUT)])).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "the question, not a redirect");
    assert_eq!(person.get(app.url("/api/me")).send().await.unwrap().status(), StatusCode::OK);
}
crate::on_both_databases!(an_old_hint_asks_before_signing_out);

/// Helper-found (part 2): a code issued just before a password change mints nothing after it.
async fn a_code_issued_before_a_new_password_is_spent_by_it(backend: Backend) {
    let app = app_with_clients(backend).await;
    let person = signed_in_person(&app, "code-pass@example.com").await;
    let code = code_for(&app, &person, "web", &[]).await;
    let changed = app
        .call(
            &person,
            app::account::security::ChangeMyPassword::PATH,
            &[("current_password", crate::harness::PASSWORD), ("new_password", "another long passphrase")],
        )
        .await;
    assert!(changed.status().is_success());
    let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", CALLBACK)];
    assert_eq!(exchange(&app, "web", Some(SECRET), &form).await.json::<Value>().await.unwrap()["error"], "invalid_grant");
}
crate::on_both_databases!(a_code_issued_before_a_new_password_is_spent_by_it);

/// A token allowed to register or change applications cannot make itself (or a machine it
/// holds) allowed more: a machine's API scopes must all be the caller's own, to register it,
/// change it or give it a new secret.
async fn a_clients_scope_cannot_mint_a_machine_allowed_more(backend: Backend) {
    use app::admin::api_tokens::Scope;
    use serde_json::json;
    let app = crate::harness::spawn_app_on(backend, "").await;
    let only_create = app.api_token(&[Scope::CreateClients]).await;
    let machine = json!({ "name": "Escalator", "app_type": "non_interactive", "scopes": ["read:users", "delete:users"] });
    let (status, body) = app.api("POST", "/api/v2/clients", Some(&only_create), Some(machine.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body["message"].as_str().unwrap().contains("read:users"), "{body}");

    // A site owner's token holding what it hands out may.
    let owner = app.api_token(&Scope::ALL).await;
    let (status, made) = app.api("POST", "/api/v2/clients", Some(&owner), Some(machine)).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let id = made["client_id"].as_str().unwrap().to_string();

    // Changing it, or taking a new secret of it, needs its scopes too.
    let only_update = app.api_token(&[Scope::UpdateClients]).await;
    let (status, _) = app.api("PATCH", &format!("/api/v2/clients/{id}"), Some(&only_update), Some(json!({ "name": "Renamed" }))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the machine's scopes are not the caller's to hold");
    let (status, body) = app.api("POST", &format!("/api/v2/clients/{id}/rotate-secret"), Some(&only_update), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a new secret would be its scopes in the caller's hands: {body}");
    assert!(body.get("client_secret").is_none());

    // A machine allowed to update clients cannot widen itself.
    let selfish = json!({ "name": "Selfish", "app_type": "non_interactive", "scopes": ["update:clients", "read:stages"] });
    let (_, made) = app.api("POST", "/api/v2/clients", Some(&owner), Some(selfish)).await;
    let (selfish_id, secret) = (made["client_id"].as_str().unwrap().to_string(), made["client_secret"].as_str().unwrap().to_string());
    let tokens: Value = exchange(&app, &selfish_id, Some(&secret), &[("grant_type", "client_credentials")]).await.json().await.unwrap();
    let token = tokens["access_token"].as_str().unwrap();
    let wider = json!({ "scopes": ["update:clients", "read:stages", "delete:users"] });
    let (status, _) = app.api("PATCH", &format!("/api/v2/clients/{selfish_id}"), Some(token), Some(wider)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // What it holds itself it may keep changing (its name).
    let (status, _) = app.api("PATCH", &format!("/api/v2/clients/{selfish_id}"), Some(token), Some(json!({ "name": "Quiet" }))).await;
    assert_eq!(status, StatusCode::OK);
}
crate::on_both_databases!(a_clients_scope_cannot_mint_a_machine_allowed_more);

/// A change saved while the secret is rotated (at a leak: the old one must stop now) never
/// writes the old secret back.
async fn a_change_racing_a_rotation_never_revives_the_old_secret(backend: Backend) {
    use app::admin::api_tokens::Scope;
    use serde_json::json;
    let app = crate::harness::spawn_app_on(backend, "").await;
    let owner = app.api_token(&Scope::ALL).await;
    let web = json!({ "name": "Racer", "app_type": "regular_web", "callbacks": [CALLBACK] });
    let (_, made) = app.api("POST", "/api/v2/clients", Some(&owner), Some(web)).await;
    let id = made["client_id"].as_str().unwrap().to_string();
    let mut old = made["client_secret"].as_str().unwrap().to_string();
    let works = |secret: String| {
        let (app, id) = (&app, id.clone());
        async move {
            let res = exchange(app, &id, Some(&secret), &[("grant_type", "refresh_token"), ("refresh_token", "none")]).await;
            res.json::<Value>().await.unwrap()["error"] != "invalid_client"
        }
    };
    for round in 0..10 {
        let (path, rotate_path) = (format!("/api/v2/clients/{id}"), format!("/api/v2/clients/{id}/rotate-secret"));
        let rename = app.api("PATCH", &path, Some(&owner), Some(json!({ "name": format!("Racer {round}") })));
        let rotate = app.api("POST", &rotate_path, Some(&owner), Some(json!({ "previous_secret_expires_in_secs": 0 })));
        let ((renamed, _), (rotated, fresh)) = tokio::join!(rename, rotate);
        assert_eq!((renamed, rotated), (StatusCode::OK, StatusCode::OK));
        let new = fresh["client_secret"].as_str().unwrap().to_string();
        assert!(!works(old.clone()).await, "round {round}: the rotated-out secret works again");
        assert!(works(new.clone()).await, "round {round}: the new secret was lost");
        old = new;
    }
}
crate::on_both_databases!(a_change_racing_a_rotation_never_revives_the_old_secret);

/// Addresses are bounded (the database's columns are), and one that must go can be removed
/// without deleting the application.
async fn application_addresses_are_bounded_and_removable(backend: Backend) {
    use app::admin::api_tokens::Scope;
    use serde_json::json;
    let app = crate::harness::spawn_app_on(backend, "").await;
    let owner = app.api_token(&Scope::ALL).await;
    let long = format!("https://shop.example/{}", "a".repeat(3000));
    for field in ["logo_uri", "backchannel_logout_uri"] {
        let mut body = json!({ "name": "Long", "app_type": "regular_web", "callbacks": [CALLBACK] });
        body[field] = json!(long);
        let (status, answer) = app.api("POST", "/api/v2/clients", Some(&owner), Some(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {answer}");
    }
    let with =
        json!({ "name": "Shop", "app_type": "regular_web", "callbacks": [CALLBACK], "backchannel_logout_uri": "https://shop.example/bc" });
    let (_, made) = app.api("POST", "/api/v2/clients", Some(&owner), Some(with)).await;
    let id = made["client_id"].as_str().unwrap();
    let (status, changed) =
        app.api("PATCH", &format!("/api/v2/clients/{id}"), Some(&owner), Some(json!({ "backchannel_logout_uri": "" }))).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert!(changed["backchannel_logout_uri"].is_null(), "{changed}");
}
crate::on_both_databases!(application_addresses_are_bounded_and_removable);

/// A code issued a moment before the person removed the app from "Apps you signed in to"
/// mints nothing after: removing the app spends its unused codes.
async fn a_code_from_before_the_app_was_removed_is_spent(backend: Backend) {
    let app = app_with_clients(backend).await;
    let person = signed_in_person(&app, "removed@example.com").await;
    let code = code_for(&app, &person, "web", &[]).await;
    let removed = app.call(&person, app::account::apps::RemoveApp::PATH, &[("client_id", "web")]).await;
    assert!(removed.status().is_success(), "{}", removed.status());
    let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", CALLBACK)];
    let res = exchange(&app, "web", Some(SECRET), &form).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_grant");
}
crate::on_both_databases!(a_code_from_before_the_app_was_removed_is_spent);

/// `prompt=create` asks for a new account: the login page (which signs up), even to someone
/// signed in — never a code for the account already signed in.
async fn prompt_create_shows_the_sign_up_even_when_signed_in(backend: Backend) {
    let app = app_with_clients(backend).await;
    let person = signed_in_person(&app, "create@example.com").await;
    let url = authorize_url(&app, "web", &[("response_type", "code"), ("scope", "openid"), ("state", "st"), ("prompt", "create")]);
    let to = location(&person.get(url).send().await.unwrap());
    assert!(to.starts_with("/login?return_to="), "{to}");
}
crate::on_both_databases!(prompt_create_shows_the_sign_up_even_when_signed_in);

/// `prompt=consent` asks even a first-party app's person: through `/welcome` to the consent
/// screen, not straight back with a code.
async fn prompt_consent_always_shows_the_consent_screen(backend: Backend) {
    let app = app_with_clients(backend).await;
    let person = signed_in_person(&app, "consent-always@example.com").await;
    let url = authorize_url(&app, "web", &[("response_type", "code"), ("scope", "openid"), ("state", "st"), ("prompt", "consent")]);
    let to = location(&person.get(url).send().await.unwrap());
    assert!(to.starts_with("/welcome?return_to="), "{to}");
    let continue_to = crate::harness::openid::return_to_of(&to);
    let at_consent = location(&person.get(app.url(&continue_to)).send().await.unwrap());
    assert!(at_consent.starts_with("/consent?id="), "{at_consent}");
}
crate::on_both_databases!(prompt_consent_always_shows_the_consent_screen);

/// Signed in but with the address not yet verified (`[email] require_verified`): no code at
/// once — the authorization waits while the person verifies.
async fn an_unverified_person_gets_no_code_at_once(backend: Backend) {
    let config = format!("[email]\nrequire_verified = true\n{}", crate::openid_provider::clients_toml());
    let app = crate::harness::spawn_app_on(backend, &config).await;
    let person = browser();
    app.sign_up(&person, "unverified@example.com").await;
    let url = authorize_url(&app, "web", &[("response_type", "code"), ("scope", "openid"), ("state", "st")]);
    let to = location(&person.get(url).send().await.unwrap());
    assert!(!to.starts_with(CALLBACK), "no code before the address is verified: {to}");
    let continue_to = crate::harness::openid::return_to_of(&to);
    let next = location(&person.get(app.url(&continue_to)).send().await.unwrap());
    assert!(next.starts_with("/verify-email"), "{next}");
}
crate::on_both_databases!(an_unverified_person_gets_no_code_at_once);

/// `max_age`: a sign-in older than it sends the person to sign in again; a recent one gives
/// the code at once, with `auth_time` in the ID token.
async fn max_age_is_honoured_on_single_sign_on(backend: Backend) {
    let app = app_with_clients(backend).await;
    let person = signed_in_person(&app, "max-age@example.com").await;
    let code = code_for(&app, &person, "web", &[("max_age", "3600")]).await;
    let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", CALLBACK)];
    let tokens: Value = exchange(&app, "web", Some(SECRET), &form).await.json().await.unwrap();
    let payload = tokens["id_token"].as_str().unwrap().split('.').nth(1).unwrap().to_string();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    assert!(claims["auth_time"].as_i64().is_some(), "{claims}");
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let url = authorize_url(&app, "web", &[("response_type", "code"), ("scope", "openid"), ("state", "st"), ("max_age", "1")]);
    let to = location(&person.get(url).send().await.unwrap());
    assert!(to.starts_with("/login?return_to="), "signed in over a second ago: sign in again, not {to}");
}
crate::on_both_databases!(max_age_is_honoured_on_single_sign_on);
