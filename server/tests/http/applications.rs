//! Applications registered over `/api/v2/clients` (secret shown once, rotated with overlap,
//! settings of `askonce.toml` changed only there), and machine applications calling the
//! management API with `client_credentials` access tokens.

use app::admin::api_tokens::Scope;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::{
    harness::{spawn_app_on, Backend, TestApp},
    openid_provider::{app_with_clients, exchange, signed_in_person, CALLBACK},
};

/// What the token endpoint answers `client_id` with `secret` for a refresh token that does
/// not exist: `invalid_grant` when the secret authenticates, `invalid_client` when not.
async fn secret_works(app: &TestApp, client_id: &str, secret: &str) -> bool {
    let res = exchange(app, client_id, Some(secret), &[("grant_type", "refresh_token"), ("refresh_token", "none")]).await;
    let error = res.json::<Value>().await.unwrap()["error"].as_str().unwrap_or_default().to_string();
    assert!(error == "invalid_grant" || error == "invalid_client", "{error}");
    error == "invalid_grant"
}

async fn applications_are_registered_changed_rotated_and_deleted(backend: Backend) {
    let app = app_with_clients(backend).await;
    let admin = app.api_token(&[Scope::ReadClients, Scope::CreateClients, Scope::UpdateClients, Scope::DeleteClients]).await;
    let reader = app.api_token(&[Scope::ReadClients]).await;
    let settings = json!({
        "name": "Forum",
        "app_type": "regular_web",
        "callbacks": [CALLBACK],
        "scopes": ["openid", "email", "offline_access"],
        "released_fields": ["job_title"],
        "is_first_party": false
    });
    let (status, made) = app.api("POST", "/api/v2/clients", Some(&admin), Some(settings.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let id = made["client_id"].as_str().unwrap().to_string();
    let secret = made["client_secret"].as_str().expect("a confidential application's secret, once").to_string();
    assert!(secret.len() >= 43, "256 random bits");
    assert_eq!(made["grant_types"], json!(["authorization_code", "refresh_token"]));
    assert_eq!(made["source"], "console");
    assert!(secret_works(&app, &id, &secret).await);

    // The secret is never shown again, nor its hash.
    let (status, read) = app.api("GET", &format!("/api/v2/clients/{id}"), Some(&reader), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(read.get("client_secret").is_none() && !read.to_string().contains(&secret), "{read}");
    assert_eq!(read["secrets"].as_array().unwrap().len(), 1);
    assert!(!read.to_string().contains("hash"), "{read}");
    let (_, list) = app.api("GET", "/api/v2/clients", Some(&reader), None).await;
    let ids: Vec<&str> = list.as_array().unwrap().iter().map(|c| c["client_id"].as_str().unwrap()).collect();
    assert!(ids.contains(&id.as_str()) && ids.contains(&"web") && ids.contains(&"spa"), "{ids:?}");
    assert!(!list.to_string().contains(crate::harness::openid::SECRET), "a configured secret never leaves either");

    // A change keeps the rest; a kind of application does not change; unknown fields and
    // bad addresses are refused with the reason.
    let (status, changed) = app.api("PATCH", &format!("/api/v2/clients/{id}"), Some(&admin), Some(json!({ "name": "The forum" }))).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["name"], "The forum");
    assert_eq!(changed["released_fields"], json!(["job_title"]));
    assert!(secret_works(&app, &id, &secret).await, "a change leaves the secret alone");
    for (body, why) in [
        (json!({ "app_type": "spa" }), "app_type cannot change"),
        (json!({ "colour": "red" }), "unknown field"),
        (json!({ "callbacks": ["https://*.forum.example/cb"] }), "wildcards"),
        (json!({ "released_fields": ["email"] }), "registered claim"),
    ] {
        let (status, body) = app.api("PATCH", &format!("/api/v2/clients/{id}"), Some(&admin), Some(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(body["message"].as_str().unwrap().contains(why), "{why}: {body}");
    }
    let (status, _) =
        app.api("POST", "/api/v2/clients", Some(&admin), Some(json!({ "name": "X", "app_type": "spa", "client_secret": "mine" }))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a caller never chooses a secret");

    // Rotation: the old secret works beside the new one for the overlap asked, then stops.
    let (status, rotated) = app.api("POST", &format!("/api/v2/clients/{id}/rotate-secret"), Some(&admin), None).await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let second = rotated["client_secret"].as_str().unwrap().to_string();
    assert_ne!(second, secret);
    assert!(secret_works(&app, &id, &secret).await && secret_works(&app, &id, &second).await, "both work during the overlap");
    assert_eq!(rotated["secrets"].as_array().unwrap().len(), 2);
    assert!(rotated["secrets"][0]["expires_at"].is_string(), "the old one says when it stops: {rotated}");
    let now = json!({ "previous_secret_expires_in_secs": 0 });
    let (status, third) = app.api("POST", &format!("/api/v2/clients/{id}/rotate-secret"), Some(&admin), Some(now)).await;
    assert_eq!(status, StatusCode::OK);
    let third = third["client_secret"].as_str().unwrap().to_string();
    assert!(!secret_works(&app, &id, &secret).await && !secret_works(&app, &id, &second).await, "ended at once");
    assert!(secret_works(&app, &id, &third).await);
    let long = json!({ "previous_secret_expires_in_secs": 31 * 86_400 });
    assert_eq!(app.api("POST", &format!("/api/v2/clients/{id}/rotate-secret"), Some(&admin), Some(long)).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(app.api("POST", "/api/v2/clients/spa/rotate-secret", Some(&admin), None).await.0, StatusCode::CONFLICT);

    // askonce.toml's applications are shown, and changed only there.
    for (method, path) in
        [("PATCH", "/api/v2/clients/web"), ("DELETE", "/api/v2/clients/web"), ("POST", "/api/v2/clients/web/rotate-secret")]
    {
        let body = (method == "PATCH").then(|| json!({ "name": "Renamed" }));
        let (status, body) = app.api(method, path, Some(&admin), body).await;
        assert_eq!(status, StatusCode::CONFLICT, "{method} {path}: {body}");
        assert!(body["message"].as_str().unwrap().contains("askonce.toml"), "{body}");
    }

    // A public client gets no secret.
    let spa = json!({ "name": "Widget", "app_type": "spa", "callbacks": [CALLBACK], "web_origins": ["http://127.0.0.1:9"] });
    let (status, made) = app.api("POST", "/api/v2/clients", Some(&admin), Some(spa)).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert!(made["client_secret"].is_null() && made["secrets"].as_array().unwrap().is_empty());

    // Deleting it ends what it holds (its tokens: see the machine's test below).
    let (status, _) = app.api("DELETE", &format!("/api/v2/clients/{id}"), Some(&admin), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(app.api("GET", &format!("/api/v2/clients/{id}"), Some(&reader), None).await.0, StatusCode::NOT_FOUND);
    assert!(!secret_works(&app, &id, &third).await);

    // Each change is in the audit log, naming the token that made it.
    let actions: Vec<String> = {
        use sea_orm::{EntityTrait, QueryOrder};
        services::entities::audit_log::Entity::find()
            .order_by_asc(services::entities::audit_log::Column::Id)
            .all(&app.db)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.action.starts_with("client."))
            .map(|e| e.action)
            .collect()
    };
    assert_eq!(
        actions,
        ["client.created", "client.changed", "client.secret_rotated", "client.secret_rotated", "client.created", "client.deleted"]
    );
}
crate::on_both_databases!(applications_are_registered_changed_rotated_and_deleted);

/// A machine application's access token for the management API.
async fn machine_token(app: &TestApp, client_id: &str, secret: &str, extra: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut form = vec![("grant_type", "client_credentials")];
    form.extend_from_slice(extra);
    let res = exchange(app, client_id, Some(secret), &form).await;
    let status = res.status();
    (status, res.json().await.unwrap())
}

async fn a_machine_calls_the_api_with_client_credentials(backend: Backend) {
    let app = app_with_clients(backend).await;
    // A machine's scopes are handed out by a caller holding them.
    let admin = app.api_token(&Scope::ALL).await;
    let machine = json!({ "name": "Nightly sync", "app_type": "non_interactive", "scopes": ["read:users", "read:stages"] });
    let (status, made) = app.api("POST", "/api/v2/clients", Some(&admin), Some(machine)).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["grant_types"], json!(["client_credentials"]));
    let id = made["client_id"].as_str().unwrap().to_string();
    let secret = made["client_secret"].as_str().unwrap().to_string();

    let (status, tokens) = machine_token(&app, &id, &secret, &[]).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], "read:stages read:users");
    assert!(tokens.get("refresh_token").is_none() && tokens.get("id_token").is_none(), "{tokens}");
    let token = tokens["access_token"].as_str().unwrap().to_string();
    assert_eq!(app.api("GET", "/api/v2/users", Some(&token), None).await.0, StatusCode::OK);
    assert_eq!(app.api("GET", "/api/v2/stages", Some(&token), None).await.0, StatusCode::OK);
    let (status, body) = app.api("POST", "/api/v2/clients", Some(&token), Some(json!({ "name": "x", "app_type": "spa" }))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only the scopes it was granted: {body}");

    // The token is an RFC 9068 JWT for the API, with the client as its subject.
    let seen = crate::openid_provider::introspect_as(&app, &id, &secret, &token).await;
    assert_eq!(seen["active"], true, "{seen}");
    assert_eq!(seen["sub"], id.as_str());
    assert_eq!(seen["client_id"], id.as_str());

    // Asking for less is allowed, for more or for another audience is not.
    let (status, narrow) = machine_token(&app, &id, &secret, &[("scope", "read:users")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.api("GET", "/api/v2/stages", narrow["access_token"].as_str(), None).await.0, StatusCode::FORBIDDEN);
    let (_, wide) = machine_token(&app, &id, &secret, &[("scope", "read:users delete:users")]).await;
    assert_eq!(wide["error"], "invalid_scope");
    let (_, other) = machine_token(&app, &id, &secret, &[("audience", "https://api.example/")]).await;
    assert_eq!(other["error"], "invalid_request");
    let audience = app.url("/api/v2/");
    assert_eq!(machine_token(&app, &id, &secret, &[("audience", &audience)]).await.0, StatusCode::OK, "Auth0's audience names the API");
    let (_, wrong) = machine_token(&app, &id, "not-the-secret", &[]).await;
    assert_eq!(wrong["error"], "invalid_client");

    // Applications people sign in to do not get machine tokens, and their people's access
    // tokens do not open the API.
    let (_, web) = machine_token(&app, "web", crate::harness::openid::SECRET, &[]).await;
    assert_eq!(web["error"], "unauthorized_client");
    let person = signed_in_person(&app, "api@example.com").await;
    let tokens = crate::openid_provider::tokens_for(&app, &person, "openid email").await;
    for presented in [tokens["access_token"].as_str().unwrap(), tokens["id_token"].as_str().unwrap()] {
        assert_eq!(app.api("GET", "/api/v2/users", Some(presented), None).await.0, StatusCode::UNAUTHORIZED);
    }
    // Nor does a machine's token open /userinfo.
    let info = reqwest::Client::new().get(app.url("/userinfo")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(info.status(), StatusCode::UNAUTHORIZED);

    // Narrowing the machine's scopes reaches the tokens it holds; deleting it ends them.
    let (status, _) = app.api("PATCH", &format!("/api/v2/clients/{id}"), Some(&admin), Some(json!({ "scopes": ["read:stages"] }))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.api("GET", "/api/v2/users", Some(&token), None).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.api("GET", "/api/v2/stages", Some(&token), None).await.0, StatusCode::OK);
    // What it changes is in the audit log under its client id.
    let (status, _) = app.api("DELETE", &format!("/api/v2/clients/{id}"), Some(&admin), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(app.api("GET", "/api/v2/stages", Some(&token), None).await.0, StatusCode::UNAUTHORIZED);
}
crate::on_both_databases!(a_machine_calls_the_api_with_client_credentials);

/// Changes a machine makes are recorded as the machine's.
async fn a_machines_changes_are_audited_as_its_own(backend: Backend) {
    let app = spawn_app_on(backend, "").await;
    let admin = app.api_token(&[Scope::CreateClients]).await;
    let machine = json!({ "name": "Provisioner", "app_type": "non_interactive", "scopes": ["create:clients"] });
    let (_, made) = app.api("POST", "/api/v2/clients", Some(&admin), Some(machine)).await;
    let id = made["client_id"].as_str().unwrap().to_string();
    let (_, tokens) = machine_token(&app, &id, made["client_secret"].as_str().unwrap(), &[]).await;
    let spa = json!({ "name": "Made by a machine", "app_type": "spa", "callbacks": [CALLBACK] });
    let (status, _) = app.api("POST", "/api/v2/clients", tokens["access_token"].as_str(), Some(spa)).await;
    assert_eq!(status, StatusCode::CREATED);
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let entries = services::entities::audit_log::Entity::find()
        .filter(services::entities::audit_log::Column::ActorKind.eq("client"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].actor_id.as_deref(), Some(id.as_str()));
    assert_eq!(entries[0].action, "client.created");
}
crate::on_both_databases!(a_machines_changes_are_audited_as_its_own);
