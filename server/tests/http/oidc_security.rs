//! The relying-party promises of docs/SECURITY.md, one test per row, against a provider that
//! misbehaves on request (`harness::idp`).

use leptos::server_fn::ServerFn;
use serde_json::{json, Value};

use crate::harness::{
    browser::location,
    idp::{FakeIdp, Misbehaviour, CLIENT_ID},
    spawn_app_on, Backend, TestApp,
};

fn ada() -> Value {
    json!({"sub": "ada-1", "email": "ada@example.com", "email_verified": true, "given_name": "Ada", "family_name": "Lovelace", "job_title": "Analyst"})
}

async fn setup(backend: Backend) -> (TestApp, FakeIdp) {
    let idp = FakeIdp::start(ada()).await;
    let app = spawn_app_on(backend, &idp.oidc_connection("test")).await;
    (app, idp)
}

/// Runs start -> provider -> callback and returns where AskOnce sent the browser at the end.
async fn sign_in(app: &TestApp, connection: &str) -> String {
    app.provider_flow(&app.client, &format!("/auth/{connection}/start?return_to=/status")).await
}

async fn expect_rejected(backend: Backend, m: Misbehaviour) -> (TestApp, FakeIdp) {
    let (app, idp) = setup(backend).await;
    idp.misbehave(m);
    let end = sign_in(&app, "test").await;
    assert!(end.starts_with("/login?error=invalid_response"), "ended at {end}");
    assert!(app.whoami(&app.client).await.is_none(), "must not be signed in");
    (app, idp)
}

async fn the_normal_code_flow_with_userinfo_signs_in_with_pkce_and_basic_auth(backend: Backend) {
    let (app, idp) = setup(backend).await;
    let end = sign_in(&app, "test").await;
    assert_eq!(end, app::auth::ReturnTo::or_home(Some("/status")).via_welcome());
    let me = app.whoami(&app.client).await.expect("signed in");
    assert_eq!(me.display_name, "Ada Lovelace");
    idp.with(|s| {
        assert_eq!(s.userinfo_calls, 1);
        assert_eq!(s.code_challenge_methods, vec!["S256".to_string()]);
        assert!(s.token_auth_headers[0].starts_with("Basic "), "client_secret_basic by default");
    });
}
crate::on_both_databases!(the_normal_code_flow_with_userinfo_signs_in_with_pkce_and_basic_auth);

async fn an_id_token_from_another_issuer_is_rejected(backend: Backend) {
    expect_rejected(backend, Misbehaviour { id_token_issuer: Some("https://evil.example".into()), ..Default::default() }).await;
}
crate::on_both_databases!(an_id_token_from_another_issuer_is_rejected);

async fn an_id_token_without_sub_is_rejected(backend: Backend) {
    expect_rejected(backend, Misbehaviour { omit_sub: true, ..Default::default() }).await;
}
crate::on_both_databases!(an_id_token_without_sub_is_rejected);

async fn an_id_token_without_iat_is_rejected(backend: Backend) {
    expect_rejected(backend, Misbehaviour { omit_iat: true, ..Default::default() }).await;
}
crate::on_both_databases!(an_id_token_without_iat_is_rejected);

async fn an_id_token_for_another_audience_is_rejected(backend: Backend) {
    expect_rejected(backend, Misbehaviour { audience: Some(json!("someone-else")), ..Default::default() }).await;
}
crate::on_both_databases!(an_id_token_for_another_audience_is_rejected);

async fn an_extra_audience_without_a_matching_azp_is_rejected(backend: Backend) {
    expect_rejected(
        backend,
        Misbehaviour { audience: Some(json!([CLIENT_ID, "another-client"])), azp: Some("another-client".into()), ..Default::default() },
    )
    .await;
}
crate::on_both_databases!(an_extra_audience_without_a_matching_azp_is_rejected);

async fn an_azp_naming_another_client_is_rejected_even_with_a_single_audience(backend: Backend) {
    // openidconnect only compares `aud`; an `azp` says the token was issued to another
    // client, whatever `aud` claims.
    expect_rejected(backend, Misbehaviour { audience: Some(json!([CLIENT_ID])), azp: Some("someone-else".into()), ..Default::default() })
        .await;
}
crate::on_both_databases!(an_azp_naming_another_client_is_rejected_even_with_a_single_audience);

async fn an_azp_equal_to_our_client_id_is_accepted(backend: Backend) {
    // Google, among others, always sends azp: the check must not refuse it.
    let (app, idp) = setup(backend).await;
    idp.misbehave(Misbehaviour { azp: Some(CLIENT_ID.into()), ..Default::default() });
    assert_eq!(sign_in(&app, "test").await, app::auth::ReturnTo::or_home(Some("/status")).via_welcome());
}
crate::on_both_databases!(an_azp_equal_to_our_client_id_is_accepted);

async fn a_bad_rs256_signature_is_rejected(backend: Backend) {
    expect_rejected(backend, Misbehaviour { forge_signature: true, ..Default::default() }).await;
}
crate::on_both_databases!(a_bad_rs256_signature_is_rejected);

async fn an_unsigned_alg_none_id_token_is_rejected(backend: Backend) {
    expect_rejected(backend, Misbehaviour { alg_none: true, ..Default::default() }).await;
}
crate::on_both_databases!(an_unsigned_alg_none_id_token_is_rejected);

async fn a_missing_nonce_is_rejected_and_userinfo_is_not_called(backend: Backend) {
    let (_app, idp) = expect_rejected(backend, Misbehaviour { omit_nonce: true, ..Default::default() }).await;
    assert_eq!(idp.with(|s| s.userinfo_calls), 0);
}
crate::on_both_databases!(a_missing_nonce_is_rejected_and_userinfo_is_not_called);

async fn a_different_nonce_is_rejected_and_userinfo_is_not_called(backend: Backend) {
    let (_app, idp) = expect_rejected(backend, Misbehaviour { nonce: Some("not-the-nonce".into()), ..Default::default() }).await;
    assert_eq!(idp.with(|s| s.userinfo_calls), 0);
}
crate::on_both_databases!(a_different_nonce_is_rejected_and_userinfo_is_not_called);

async fn an_expired_id_token_is_rejected(backend: Backend) {
    expect_rejected(backend, Misbehaviour { exp_offset: Some(-120), ..Default::default() }).await;
}
crate::on_both_databases!(an_expired_id_token_is_rejected);

async fn an_id_token_expired_within_the_documented_leeway_is_accepted(backend: Backend) {
    let (app, idp) = setup(backend).await;
    idp.misbehave(Misbehaviour { exp_offset: Some(-20), ..Default::default() });
    assert_eq!(sign_in(&app, "test").await, app::auth::ReturnTo::or_home(Some("/status")).via_welcome());
    assert!(app.whoami(&app.client).await.is_some());
}
crate::on_both_databases!(an_id_token_expired_within_the_documented_leeway_is_accepted);

async fn an_id_token_issued_an_hour_in_the_future_is_rejected(backend: Backend) {
    // Only iat is off: exp still lies after it, so nothing but the iat check can refuse it.
    expect_rejected(backend, Misbehaviour { iat_offset: Some(3600), exp_offset: Some(3900), ..Default::default() }).await;
}
crate::on_both_databases!(an_id_token_issued_an_hour_in_the_future_is_rejected);

async fn an_id_token_issued_in_the_future_within_the_documented_leeway_is_accepted(backend: Backend) {
    // The provider's clock runs 30 s ahead of ours: within the 60 s leeway.
    let (app, idp) = setup(backend).await;
    idp.misbehave(Misbehaviour { iat_offset: Some(30), ..Default::default() });
    assert_eq!(sign_in(&app, "test").await, app::auth::ReturnTo::or_home(Some("/status")).via_welcome());
    assert!(app.whoami(&app.client).await.is_some());
}
crate::on_both_databases!(an_id_token_issued_in_the_future_within_the_documented_leeway_is_accepted);

async fn a_userinfo_sub_different_from_the_id_token_is_rejected(backend: Backend) {
    expect_rejected(backend, Misbehaviour { userinfo_sub: Some("mallory".into()), ..Default::default() }).await;
}
crate::on_both_databases!(a_userinfo_sub_different_from_the_id_token_is_rejected);

async fn a_wrong_at_hash_is_rejected(backend: Backend) {
    expect_rejected(backend, Misbehaviour { at_hash: Some("AAAAAAAAAAAAAAAAAAAAAA".into()), ..Default::default() }).await;
}
crate::on_both_databases!(a_wrong_at_hash_is_rejected);

async fn a_correct_at_hash_is_accepted(backend: Backend) {
    let (app, idp) = setup(backend).await;
    idp.misbehave(Misbehaviour { include_at_hash: true, ..Default::default() });
    assert_eq!(sign_in(&app, "test").await, app::auth::ReturnTo::or_home(Some("/status")).via_welcome());
}
crate::on_both_databases!(a_correct_at_hash_is_accepted);

async fn no_kid_with_a_single_key_in_the_jwks_is_accepted(backend: Backend) {
    let (app, idp) = setup(backend).await;
    idp.misbehave(Misbehaviour { omit_kid: true, ..Default::default() });
    assert_eq!(sign_in(&app, "test").await, app::auth::ReturnTo::or_home(Some("/status")).via_welcome());
}
crate::on_both_databases!(no_kid_with_a_single_key_in_the_jwks_is_accepted);

async fn no_kid_with_several_keys_in_the_jwks_is_rejected(backend: Backend) {
    // Both keys published before the app starts: it fetches the JWKS in the background at
    // start-up, and a copy taken before a later change would hold one key only (the test
    // then raced that fetch and sometimes saw a sign-in accepted).
    let idp = FakeIdp::start(ada()).await;
    idp.with(|s| s.published = vec![0, 1]);
    let app = spawn_app_on(backend, &idp.oidc_connection("test")).await;
    idp.misbehave(Misbehaviour { omit_kid: true, ..Default::default() });
    let end = sign_in(&app, "test").await;
    assert!(end.starts_with("/login?error=invalid_response"), "{end}");
}
crate::on_both_databases!(no_kid_with_several_keys_in_the_jwks_is_rejected);

async fn a_rotated_signing_key_is_fetched_once_and_accepted(backend: Backend) {
    let (app, idp) = setup(backend).await;
    assert_eq!(sign_in(&app, "test").await, app::auth::ReturnTo::or_home(Some("/status")).via_welcome());
    let fetches = idp.with(|s| s.jwks_fetches);
    // The provider rotates: key B is published and used.
    idp.with(|s| s.published = vec![0, 1]);
    idp.misbehave(Misbehaviour { sign_with_b: true, ..Default::default() });
    app.sign_out(&app.client).await;
    assert_eq!(sign_in(&app, "test").await, app::auth::ReturnTo::or_home(Some("/status")).via_welcome());
    assert_eq!(idp.with(|s| s.jwks_fetches), fetches + 1, "exactly one refetch");
}
crate::on_both_databases!(a_rotated_signing_key_is_fetched_once_and_accepted);

async fn a_key_removed_from_the_jwks_is_no_longer_trusted_once_the_jwks_max_age_has_passed(backend: Backend) {
    let idp = FakeIdp::start(ada()).await;
    // The provider lets its JWKS be cached for 1 s. AskOnce never keeps a JWKS for less than
    // `jwks_min_lifetime_secs` (60 s by default, so that a provider's `no-cache` cannot make us
    // refetch at every sign-in); the test lowers that floor to 1 s so it waits one second, not
    // one minute.
    idp.with(|s| s.jwks_cache_control = Some("public, max-age=1".into()));
    let config = format!("{}jwks_min_lifetime_secs = 1\n", idp.oidc_connection("test"));
    let app = spawn_app_on(backend, &config).await;
    assert_eq!(sign_in(&app, "test").await, app::auth::ReturnTo::or_home(Some("/status")).via_welcome());
    app.sign_out(&app.client).await;
    // The provider retires key A (leaked, say): only B is published. The ID token is still
    // signed with A, as an attacker holding A would sign it, and its kid is one we have seen.
    idp.with(|s| s.published = vec![1]);
    let fetches = idp.with(|s| s.jwks_fetches);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let end = sign_in(&app, "test").await;
    assert!(end.starts_with("/login?error=invalid_response"), "ended at {end}");
    assert!(app.whoami(&app.client).await.is_none(), "must not be signed in");
    assert!(idp.with(|s| s.jwks_fetches) > fetches, "the expired JWKS was fetched again");
}
crate::on_both_databases!(a_key_removed_from_the_jwks_is_no_longer_trusted_once_the_jwks_max_age_has_passed);

async fn a_discovery_document_naming_another_issuer_is_refused_before_any_redirect(backend: Backend) {
    let idp = FakeIdp::start(ada()).await;
    idp.misbehave(Misbehaviour { discovery_issuer: Some("https://evil.example".into()), ..Default::default() });
    let app = spawn_app_on(backend, &idp.oidc_connection("test")).await;
    let end = sign_in(&app, "test").await;
    assert!(end.starts_with("/login?error=provider_unavailable"), "{end}");
    assert_eq!(idp.with(|s| s.authorize_calls), 0);
}
crate::on_both_databases!(a_discovery_document_naming_another_issuer_is_refused_before_any_redirect);

async fn a_callback_without_state_or_with_another_state_is_rejected(backend: Backend) {
    let (app, _idp) = setup(backend).await;
    let start = app.client.get(app.url("/auth/test/start")).send().await.unwrap();
    let provider = app.client.get(location(&start)).send().await.unwrap();
    let callback = location(&provider);
    let without_state = callback.split("&state=").next().unwrap().to_string();
    let res = app.client.get(&without_state).send().await.unwrap();
    assert!(location(&res).starts_with("/login?error=expired"), "{}", location(&res));
    let other_state = format!("{without_state}&state=forged");
    let res = app.client.get(&other_state).send().await.unwrap();
    assert!(location(&res).starts_with("/login?error=expired"));
    assert!(app.whoami(&app.client).await.is_none());
}
crate::on_both_databases!(a_callback_without_state_or_with_another_state_is_rejected);

async fn a_replayed_callback_is_rejected_the_second_time(backend: Backend) {
    let (app, _idp) = setup(backend).await;
    let start = app.client.get(app.url("/auth/test/start")).send().await.unwrap();
    let provider = app.client.get(location(&start)).send().await.unwrap();
    let callback = location(&provider);
    let first = app.client.get(&callback).send().await.unwrap();
    assert_eq!(location(&first), app::auth::ReturnTo::or_home(Some("/")).via_welcome());
    let replay = app.client.get(&callback).send().await.unwrap();
    assert!(location(&replay).starts_with("/login?error=expired"), "{}", location(&replay));
}
crate::on_both_databases!(a_replayed_callback_is_rejected_the_second_time);

async fn a_callback_at_another_connection_or_naming_another_issuer_is_rejected(backend: Backend) {
    let idp_a = FakeIdp::start(ada()).await;
    let idp_b = FakeIdp::start(ada()).await;
    let config = format!("{}{}", idp_a.oidc_connection("alpha"), idp_b.oidc_connection("beta"));
    let app = spawn_app_on(backend, &config).await;
    // Mix-up: the transaction was started for alpha, the response is delivered to beta.
    let start = app.client.get(app.url("/auth/alpha/start")).send().await.unwrap();
    let provider = app.client.get(location(&start)).send().await.unwrap();
    let mixed = location(&provider).replace("/auth/alpha/callback", "/auth/beta/callback");
    let res = app.client.get(&mixed).send().await.unwrap();
    assert!(location(&res).starts_with("/login?error=invalid_response"), "{}", location(&res));
    // RFC 9207: an iss parameter naming another issuer.
    let start = app.client.get(app.url("/auth/alpha/start")).send().await.unwrap();
    let provider = app.client.get(location(&start)).send().await.unwrap();
    let with_iss = format!("{}&iss={}", location(&provider), idp_b.issuer);
    let res = app.client.get(&with_iss).send().await.unwrap();
    assert!(location(&res).starts_with("/login?error=invalid_response"), "{}", location(&res));
    assert!(app.whoami(&app.client).await.is_none());
}
crate::on_both_databases!(a_callback_at_another_connection_or_naming_another_issuer_is_rejected);

async fn a_callback_without_iss_is_refused_when_discovery_says_the_provider_sends_it(backend: Backend) {
    let idp = FakeIdp::start(ada()).await;
    idp.with(|s| s.iss_parameter_supported = true);
    let app = spawn_app_on(backend, &idp.oidc_connection("test")).await;
    // With iss, as advertised: the sign-in works.
    assert_eq!(sign_in(&app, "test").await, app::auth::ReturnTo::or_home(Some("/status")).via_welcome());
    app.sign_out(&app.client).await;
    // RFC 9207 2.4: a provider that promises iss and a response without it means the response
    // may come from elsewhere (mix-up); the code is not even redeemed.
    idp.misbehave(Misbehaviour { omit_iss_parameter: true, ..Default::default() });
    let token_calls = idp.with(|s| s.token_auth_headers.len());
    let end = sign_in(&app, "test").await;
    assert!(end.starts_with("/login?error=invalid_response"), "ended at {end}");
    assert!(app.whoami(&app.client).await.is_none(), "must not be signed in");
    assert_eq!(idp.with(|s| s.token_auth_headers.len()), token_calls, "the code was not sent to the token endpoint");
}
crate::on_both_databases!(a_callback_without_iss_is_refused_when_discovery_says_the_provider_sends_it);

async fn a_callback_without_iss_is_accepted_when_the_provider_does_not_advertise_it(backend: Backend) {
    // Most providers do not send iss yet; for them its absence proves nothing.
    let (app, idp) = setup(backend).await;
    assert!(!idp.with(|s| s.iss_parameter_supported));
    let start = app.client.get(app.url("/auth/test/start")).send().await.unwrap();
    let provider = app.client.get(location(&start)).send().await.unwrap();
    let callback = location(&provider);
    assert!(!callback.contains("iss="), "{callback}");
    let done = app.client.get(&callback).send().await.unwrap();
    assert_eq!(location(&done), app::auth::ReturnTo::or_home(Some("/")).via_welcome());
    assert!(app.whoami(&app.client).await.is_some());
}
crate::on_both_databases!(a_callback_without_iss_is_accepted_when_the_provider_does_not_advertise_it);

async fn identities_are_keyed_by_connection_and_sub_never_by_email(backend: Backend) {
    let idp_a = FakeIdp::start(ada()).await;
    let idp_b = FakeIdp::start(ada()).await;
    let config = format!("{}{}", idp_a.oidc_connection("alpha"), idp_b.oidc_connection("beta"));
    let app = spawn_app_on(backend, &config).await;
    sign_in(&app, "alpha").await;
    let first = app.whoami(&app.client).await.unwrap();
    app.sign_out(&app.client).await;
    sign_in(&app, "beta").await;
    let second = app.whoami(&app.client).await.unwrap();
    assert_ne!(first.user_id, second.user_id, "same sub and email at another connection is another person");
    app.sign_out(&app.client).await;
    sign_in(&app, "alpha").await;
    let again = app.whoami(&app.client).await.unwrap();
    assert_eq!(again.user_id, first.user_id);
    assert_eq!(again.logins_count, 2);
}
crate::on_both_databases!(identities_are_keyed_by_connection_and_sub_never_by_email);

async fn a_provider_that_is_down_does_not_stop_the_others(backend: Backend) {
    let idp = FakeIdp::start(ada()).await;
    let down = "[connections.down]\nkind = \"oidc\"\nissuer = \"http://127.0.0.1:9\"\nclient_id = \"x\"\n";
    let app = spawn_app_on(backend, &format!("{down}{}", idp.oidc_connection("test"))).await;
    let end = sign_in(&app, "down").await;
    assert!(end.starts_with("/login?error=provider_unavailable"), "{end}");
    let page = app.client.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Continue with Test IdP"), "{page}");
    assert!(page.contains("is not reachable or misconfigured"), "{page}");
    assert_eq!(sign_in(&app, "test").await, app::auth::ReturnTo::or_home(Some("/status")).via_welcome());
}
crate::on_both_databases!(a_provider_that_is_down_does_not_stop_the_others);

async fn github_signs_in_through_oauth2_and_the_rest_api(backend: Backend) {
    let idp = FakeIdp::start(json!({"login": "octocat", "id": 583231, "name": "The Octocat", "avatar_url": "https://avatars.githubusercontent.com/u/583231?v=4", "email": null})).await;
    let app = spawn_app_on(backend, &idp.github_connection("github")).await;
    assert_eq!(sign_in(&app, "github").await, app::auth::ReturnTo::or_home(Some("/status")).via_welcome());
    let me = app.whoami(&app.client).await.expect("signed in");
    assert_eq!(me.display_name, "The Octocat");
    assert_eq!(me.email.as_deref(), Some("octocat@github.com"));
    assert_eq!(idp.with(|s| s.code_challenge_methods.clone()), vec!["S256".to_string()]);
}
crate::on_both_databases!(github_signs_in_through_oauth2_and_the_rest_api);

async fn facebook_signs_in_through_oauth2_and_the_graph_api(backend: Backend) {
    let claims: serde_json::Value = serde_json::from_str(include_str!("../../../domain/src/identity/fixtures/facebook.json")).unwrap();
    let idp = FakeIdp::start(claims).await;
    let app = spawn_app_on(backend, &idp.facebook_connection("facebook")).await;
    let login_page = app.client.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    assert!(login_page.contains("Continue with Facebook"), "the preset's name");
    assert_eq!(sign_in(&app, "facebook").await, app::auth::ReturnTo::or_home(Some("/status")).via_welcome());
    let me = app.me(&app.client).await;
    assert_eq!(me["name"], "Ada Lovelace");
    assert_eq!(me["given_name"], "Ada");
    assert_eq!(me["email"], "ada.lovelace@example.com");
    assert_eq!(me["email_verified"], false, "Facebook does not say the address is verified");
    assert!(me["picture"].as_str().unwrap().starts_with("https://platform-lookaside.fbsbx.com/"));
    assert_eq!(me["provenance"]["given_name"]["source"], "claim:facebook:first_name");
    assert_eq!(me["identities"][0]["provider"], "facebook");
    assert_eq!(me["identities"][0]["user_id"], "10224242424242424");
    assert_eq!(idp.with(|s| s.code_challenge_methods.clone()), vec!["S256".to_string()]);

    // Someone who declined the email permission: signed in all the same, with no address.
    idp.with(|s| {
        s.claims = json!({"id": "10000000000000001", "name": "Grace Hopper", "first_name": "Grace", "last_name": "Hopper",
                          "picture": {"data": {"is_silhouette": true, "url": "https://platform-lookaside.fbsbx.com/x"}}});
    });
    let grace = crate::harness::browser::browser();
    let end = app.provider_flow(&grace, "/auth/facebook/start?return_to=/status").await;
    assert_eq!(end, app::auth::ReturnTo::or_home(Some("/status")).via_welcome());
    let me = app.me(&grace).await;
    assert_eq!(me["name"], "Grace Hopper");
    assert!(me["email"].is_null() && me["picture"].is_null(), "{me}");
}
crate::on_both_databases!(facebook_signs_in_through_oauth2_and_the_graph_api);

/// The query of a `Location` header (after `?`), decoded.
fn query_of(location: &str) -> std::collections::HashMap<String, String> {
    let query = location.split_once('?').map(|(_, q)| q).unwrap_or_default();
    url::form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

async fn apple_answers_by_form_post_with_a_signed_client_secret_and_keeps_the_first_name(backend: Backend) {
    let mut claims: serde_json::Value = serde_json::from_str(include_str!("../../../domain/src/identity/fixtures/apple.json")).unwrap();
    // Apple's token never carries the name: only the first form post does.
    claims.as_object_mut().unwrap().retain(|k, _| !k.ends_with("_name"));
    let idp = FakeIdp::start(claims).await;
    idp.act_as_apple();
    let app = spawn_app_on(backend, &idp.apple_connection("apple")).await;
    let browser = crate::harness::browser::browser();
    // Apple's page posts its answer from appleid.apple.com: no cookies go with it.
    let apple_page = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    let sign_in_at_apple = |user: Option<&'static str>| {
        let (app, browser, apple_page) = (&app, browser.clone(), apple_page.clone());
        async move {
            let start = browser.get(app.url("/auth/apple/start?return_to=/status")).send().await.unwrap();
            let to_apple = location(&start);
            assert!(to_apple.contains("response_mode=form_post"), "{to_apple}");
            assert!(to_apple.contains("scope=openid+name+email") || to_apple.contains("scope=openid%20name%20email"), "{to_apple}");
            let answer = query_of(&location(&browser.get(&to_apple).send().await.unwrap()));
            let mut form = vec![("code", answer["code"].clone()), ("state", answer["state"].clone())];
            if let Some(user) = user {
                form.push(("user", user.to_string()));
            }
            let posted = apple_page
                .post(app.url("/auth/apple/callback"))
                .header("sec-fetch-site", "cross-site")
                .header("origin", "https://appleid.apple.com")
                .form(&form)
                .send()
                .await
                .unwrap();
            assert_eq!(posted.status(), reqwest::StatusCode::SEE_OTHER, "the post is handed to the GET callback");
            let callback = location(&posted);
            assert!(callback.starts_with("/auth/apple/callback?"), "{callback}");
            let done = browser.get(app.url(&callback)).send().await.unwrap();
            location(&done)
        }
    };

    let first =
        sign_in_at_apple(Some(r#"{"name":{"firstName":"Ada","lastName":"Lovelace"},"email":"x7kq2m9p4w@privaterelay.appleid.com"}"#)).await;
    assert!(first.starts_with("/welcome"), "{first}");
    let me = app.me(&browser).await;
    assert_eq!(me["given_name"], "Ada");
    assert_eq!(me["name"], "Ada Lovelace");
    assert_eq!(me["email"], "x7kq2m9p4w@privaterelay.appleid.com", "a private relay address is an address");
    assert_eq!(me["email_verified"], true, "Apple's \"true\"");
    assert_eq!(me["provenance"]["given_name"]["source"], "claim:apple:given_name");
    assert_eq!(idp.with(|s| s.response_modes.clone()), vec!["form_post".to_string()]);

    // The next sign-in has no name: the one kept stays.
    app.sign_out(&browser).await;
    let again = sign_in_at_apple(None).await;
    assert!(again.starts_with("/welcome"), "{again}");
    assert_eq!(app.me(&browser).await["name"], "Ada Lovelace");

    // Only the callback takes a cross-site post; everything else still refuses one.
    let elsewhere = apple_page
        .post(app.url("/auth/apple/start"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("return_to", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), reqwest::StatusCode::FORBIDDEN);
    // A forged post with a state this browser never started signs nobody in.
    let forged = apple_page.post(app.url("/auth/apple/callback")).form(&[("code", "x"), ("state", "forged")]).send().await.unwrap();
    let end = location(&browser.get(app.url(&location(&forged))).send().await.unwrap());
    assert!(end.starts_with("/login?error="), "{end}");
}
crate::on_both_databases!(apple_answers_by_form_post_with_a_signed_client_secret_and_keeps_the_first_name);

async fn too_many_sign_in_attempts_get_a_clear_429(backend: Backend) {
    let idp = FakeIdp::start(ada()).await;
    let config = format!("{}[rate_limit]\nauth_per_minute = 1\nauth_burst = 2\n", idp.oidc_connection("test"));
    let app = spawn_app_on(backend, &config).await;
    let mut last = None;
    for _ in 0..3 {
        last = Some(app.client.get(app.url("/auth/test/start")).send().await.unwrap());
    }
    let res = last.unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
    assert!(res.text().await.unwrap().contains("Too many sign-in attempts"));
}
crate::on_both_databases!(too_many_sign_in_attempts_get_a_clear_429);

async fn a_rate_limited_server_function_answers_with_the_app_error_the_form_can_show(backend: Backend) {
    let app = spawn_app_on(backend, "[rate_limit]\nauth_per_minute = 1\nauth_burst = 1\n").await;
    let attempt = || {
        app.client
            .post(app.url(app::sign_in::PasswordSignIn::PATH))
            .form(&[("email", "nobody@example.com"), ("password", "whatever it is")])
            .send()
    };
    attempt().await.unwrap();
    let res = attempt().await.unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
    match res.json().await.unwrap() {
        app::error::AppError::TooManyAttempts { message, retry_after_secs } => {
            assert!(message.contains("Too many sign-in attempts"), "{message}");
            assert!(retry_after_secs >= 1);
        }
        other => panic!("not the rate limit's error: {other:?}"),
    }
}
crate::on_both_databases!(a_rate_limited_server_function_answers_with_the_app_error_the_form_can_show);
