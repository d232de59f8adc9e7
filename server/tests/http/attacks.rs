//! Account integrity, written as attacks: nobody gains what they did not prove. Each test
//! plays the attacker against the real app (HTTP, a test OpenID provider, SQLite and
//! PostgreSQL) and failed on the code before the fix it guards.

use app::{admin::api_tokens::ssr::create, admin::api_tokens::Scope};
use leptos::server_fn::ServerFn;
use reqwest::{header, Client, StatusCode};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Statement};
use serde_json::{json, Value};
use services::{auth::roles::ssr as roles, auth::roles::AccountRef, auth::roles::GrantError, entities::user_sessions, entities::users};

use crate::harness::{
    browser,
    browser::{location, session_id},
    idp::FakeIdp,
    spawn_app_on, Backend, TestApp, PASSWORD,
};

const OWNER: &str = "owner@example.com";

/// The seed's three-step takeover: a password sign-up under the owner's (configured admin)
/// address, then linking the attacker's *own* provider account, whose own, different address
/// the provider says is verified. The look-alike must stay unverified and not an admin; the
/// real owner, verified by their provider, still is.
async fn a_stranger_cannot_become_admin_by_linking_their_own_verified_account(backend: Backend) {
    let idp = FakeIdp::start(json!({"sub": "stranger-1", "email": "stranger@example.net", "email_verified": true})).await;
    let app = spawn_app_on(backend, &format!("admins = [\"{OWNER}\"]\n{}", idp.oidc_connection("test"))).await;
    let attacker = browser();
    app.sign_up(&attacker, OWNER).await;
    assert_eq!(app.link(&attacker, "test").await, "/profile");

    let profile = app.me(&attacker).await;
    assert_eq!(profile["email"], OWNER);
    assert_eq!(profile["email_verified"], false, "the provider vouched for another address: {profile}");
    assert!(profile["provenance"].get("email_verified").is_none(), "{profile}");
    assert_eq!(attacker.get(app.url("/admin")).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    let token = app.call(&attacker, app::admin::tokens_page::CreateToken::PATH, &[("name", "mine"), ("scopes[read:users]", "on")]).await;
    assert_eq!(token.status(), StatusCode::FORBIDDEN, "no all-scope token for the look-alike");

    // The control: the owner, whose provider verified exactly this address, is an admin.
    idp.with(|s| s.claims = json!({"sub": "owner-1", "email": OWNER, "email_verified": true}));
    let owner = browser();
    app.sign_in_with_provider(&owner, "test").await;
    assert_eq!(app.me(&owner).await["email_verified"], true);
    assert_eq!(owner.get(app.url("/admin")).send().await.unwrap().status(), StatusCode::OK);
}
crate::on_both_databases!(a_stranger_cannot_become_admin_by_linking_their_own_verified_account);

/// `askonce admin grant EMAIL` used to flag every account with the address, verified or not.
async fn a_grant_by_email_refuses_when_a_look_alike_shares_the_address(backend: Backend) {
    let idp = FakeIdp::start(json!({"sub": "owner-1", "email": OWNER, "email_verified": true})).await;
    let app = spawn_app_on(backend, &idp.oidc_connection("test")).await;
    app.sign_up(&browser(), OWNER).await;
    app.sign_in_with_provider(&browser(), "test").await;

    let err = roles::grant(&app.db, &AccountRef::Email(OWNER.into()), services::audit::Actor::Cli).await.unwrap_err();
    let GrantError::NotProven { candidates, .. } = &err else { panic!("{err}") };
    assert_eq!(candidates.len(), 2, "both accounts are listed");
    let message = err.to_string();
    assert!(message.contains("not verified") && message.contains("test"), "{message}");
    let flagged = users::Entity::find().filter(users::Column::IsAdmin.eq(true)).count(&app.db).await.unwrap();
    assert_eq!(flagged, 0, "nobody was granted anything");

    // Alone with its verified address, the provider account is granted by email.
    let look_alike = candidates.iter().find(|c| !c.email_verified).unwrap().user_id.clone();
    users::Entity::delete_by_id(look_alike.into_string()).exec(&app.db).await.unwrap();
    let granted = roles::grant(&app.db, &AccountRef::Email(OWNER.into()), services::audit::Actor::Cli).await.unwrap();
    assert!(users::Entity::find_by_id(granted.into_string()).one(&app.db).await.unwrap().unwrap().is_admin);
}
crate::on_both_databases!(a_grant_by_email_refuses_when_a_look_alike_shares_the_address);

/// A linked identity fills gaps only; signing in through it later must not overwrite the
/// primary's email (or any root attribute), whatever its connection's sync policy. Choosing it
/// as primary hands the root attributes over, with its own verification.
async fn a_linked_identity_never_overwrites_the_primarys_values(backend: Backend) {
    let home = FakeIdp::start(json!({"sub": "h-1", "email": "ada@example.com", "email_verified": true, "given_name": "Ada"})).await;
    let work = FakeIdp::start(json!({"sub": "w-1", "email": "ada@work.example", "email_verified": true, "given_name": "Augusta", "picture": "https://example.com/a.png"})).await;
    let app = spawn_app_on(backend, &format!("{}{}", home.oidc_connection("home"), work.oidc_connection("work"))).await;
    let ada = browser();
    app.sign_in_with_provider(&ada, "home").await;
    assert_eq!(app.link(&ada, "work").await, "/profile");
    app.sign_out(&ada).await;
    let landed = app.sign_in_with_provider(&ada, "work").await;
    assert!(landed.starts_with("/welcome"), "{landed}");

    let p = app.me(&ada).await;
    assert_eq!(p["email"], "ada@example.com", "{p}");
    assert_eq!(p["email_verified"], true);
    assert_eq!(p["provenance"]["email_verified"]["address"], "ada@example.com");
    assert_eq!(p["given_name"], "Ada");
    assert_eq!(p["picture"], "https://example.com/a.png", "gaps are filled");
    let primary: Vec<&Value> = p["identities"].as_array().unwrap().iter().filter(|i| i["primary"] == true).collect();
    assert_eq!(primary.len(), 1);
    assert_eq!(primary[0]["connection"], "home");

    let res = ada
        .post(app.url(app::account::page::MakePrimaryAccount::PATH))
        .form(&[("connection", "work"), ("subject", "w-1")])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success() || res.status().is_redirection(), "{}", res.status());
    app.sign_out(&ada).await;
    app.sign_in_with_provider(&ada, "work").await;
    let p = app.me(&ada).await;
    assert_eq!(p["email"], "ada@work.example", "{p}");
    assert_eq!(p["email_verified"], true);
    assert_eq!(p["provenance"]["email_verified"]["address"], "ada@work.example");
    assert_eq!(p["given_name"], "Augusta");
}
crate::on_both_databases!(a_linked_identity_never_overwrites_the_primarys_values);

/// A token carries no more authority than its creator still has.
async fn a_token_stops_working_when_its_creator_stops_being_admin(backend: Backend) {
    let app = spawn_app_on(backend, "").await;
    let admin = browser();
    app.sign_up(&admin, OWNER).await;
    let owner_id = domain::user_id::UserId::from_stored(app.me(&admin).await["user_id"].as_str().unwrap());
    roles::grant(&app.db, &AccountRef::UserId(owner_id.clone()), services::audit::Actor::Cli).await.unwrap();
    let (_, secret) = create(&app.db, "crm", &[Scope::ReadUsers], services::audit::Actor::Admin(&owner_id), None).await.unwrap();
    let (_, server_token) = create(&app.db, "ops", &[Scope::ReadUsers], services::audit::Actor::Cli, None).await.unwrap();
    let list = |t: String| Client::new().get(app.url("/api/v2/users")).bearer_auth(t).send();
    assert_eq!(list(secret.clone()).await.unwrap().status(), StatusCode::OK);

    roles::revoke(&app.db, &AccountRef::UserId(owner_id.clone()), services::audit::Actor::Cli).await.unwrap();
    assert_eq!(list(secret).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(list(server_token).await.unwrap().status(), StatusCode::OK, "server-made tokens have no creator to lose");

    // A blocked creator, then a deleted one, takes the token down too.
    roles::grant(&app.db, &AccountRef::UserId(owner_id.clone()), services::audit::Actor::Cli).await.unwrap();
    let (_, secret) = create(&app.db, "crm", &[Scope::ReadUsers], services::audit::Actor::Admin(&owner_id), None).await.unwrap();
    assert_eq!(list(secret.clone()).await.unwrap().status(), StatusCode::OK);
    let block = app::admin::users::UserPatch { blocked: Some(true), ..Default::default() };
    app::admin::users::ssr::update(&app.db, &owner_id, &block, app::admin::users::MetadataMode::Merge, services::audit::Actor::Cli)
        .await
        .unwrap();
    assert_eq!(list(secret.clone()).await.unwrap().status(), StatusCode::UNAUTHORIZED, "blocked creator");
    let unblock = app::admin::users::UserPatch { blocked: Some(false), ..Default::default() };
    app::admin::users::ssr::update(&app.db, &owner_id, &unblock, app::admin::users::MetadataMode::Merge, services::audit::Actor::Cli)
        .await
        .unwrap();
    assert_eq!(list(secret.clone()).await.unwrap().status(), StatusCode::OK);
    users::Entity::delete_by_id(owner_id.into_string()).exec(&app.db).await.unwrap();
    assert_eq!(list(secret).await.unwrap().status(), StatusCode::UNAUTHORIZED, "deleted creator");
}
crate::on_both_databases!(a_token_stops_working_when_its_creator_stops_being_admin);

/// A signed-out browser must leave "Where you are signed in" at once, not at idle expiry.
async fn signing_out_removes_the_device_from_the_list(backend: Backend) {
    let app = spawn_app_on(backend, "").await;
    let laptop = browser();
    app.sign_up(&laptop, "ada@example.com").await;
    let phone = browser();
    app.sign_in(&phone, "ada@example.com").await;
    assert_eq!(app.my_sessions(&phone).await.len(), 2);
    app.sign_out(&laptop).await;
    let left = app.my_sessions(&phone).await;
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].this_device);
}
crate::on_both_databases!(signing_out_removes_the_device_from_the_list);

async fn session_rows(app: &TestApp, user_id: &str) -> u64 {
    user_sessions::Entity::find().filter(user_sessions::Column::UserId.eq(user_id)).count(&app.db).await.unwrap()
}

/// Blocking a user or erasing an account removes their session records at once; a blocked
/// person's browser is signed out at its next request.
async fn blocking_and_erasing_delete_the_session_records(backend: Backend) {
    let app = spawn_app_on(backend, "").await;
    let (a, b) = (browser(), browser());
    app.sign_up(&a, "blocked@example.com").await;
    app.sign_up(&b, "leaving@example.com").await;
    let blocked = app.me(&a).await["user_id"].as_str().unwrap().to_string();
    let leaving = app.me(&b).await["user_id"].as_str().unwrap().to_string();
    assert_eq!(session_rows(&app, &blocked).await, 1);

    let patch = app::admin::users::UserPatch { blocked: Some(true), ..Default::default() };
    app::admin::users::ssr::update(
        &app.db,
        &domain::user_id::UserId::from_stored(blocked.clone()),
        &patch,
        app::admin::users::MetadataMode::Merge,
        services::audit::Actor::Admin(&domain::user_id::UserId::from_stored("u0")),
    )
    .await
    .unwrap();
    assert_eq!(session_rows(&app, &blocked).await, 0);
    assert_eq!(a.get(app.url("/api/me")).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);

    let res = b
        .post(app.url(app::account::page::DeleteMyAccount::PATH))
        .form(&[("confirm", "yes"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success() || res.status().is_redirection(), "{}", res.status());
    assert_eq!(session_rows(&app, &leaving).await, 0);
}
crate::on_both_databases!(blocking_and_erasing_delete_the_session_records);

/// A blocked account's session gets nothing: the block may come from anywhere (an import, a
/// second instance, SQL) before its session records go. `/api/me/export` once read the
/// session its own way and handed a blocked person their data.
async fn a_blocked_account_cannot_read_or_download_its_profile(backend: Backend) {
    use sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, QueryFilter};
    use services::entities::users;
    let app = spawn_app_on(backend, "").await;
    let a = browser();
    app.sign_up(&a, "blocked@example.com").await;
    let id = app.me(&a).await["user_id"].as_str().unwrap().to_string();
    assert_eq!(a.get(app.url("/api/me/export")).send().await.unwrap().status(), StatusCode::OK);
    users::Entity::update_many()
        .col_expr(users::Column::Blocked, Expr::value(true))
        .filter(users::Column::Id.eq(&id))
        .exec(&app.db)
        .await
        .unwrap();
    for path in ["/api/me/export", "/api/me"] {
        assert_eq!(a.get(app.url(path)).send().await.unwrap().status(), StatusCode::UNAUTHORIZED, "{path}");
    }
}
crate::on_both_databases!(a_blocked_account_cannot_read_or_download_its_profile);

/// Whether the session store still holds a record with `id`.
async fn stored_session(app: &TestApp, id: &str) -> bool {
    let backend = app.db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => "SELECT count(*) AS n FROM tower_sessions.session WHERE id = $1",
        _ => "SELECT count(*) AS n FROM tower_sessions WHERE id = $1",
    };
    let row = app.db.query_one(Statement::from_sql_and_values(backend, sql, [id.into()])).await.unwrap().unwrap();
    row.try_get::<i64>("", "n").unwrap() > 0
}

/// Session fixation with an id the server itself issued (a planted random id proves little:
/// the store would never have loaded it). Before sign-in the browser holds a real session (a
/// sign-in attempt stored its state there); after sign-in that id must be dead — no record,
/// and replaying it is signed out — for password and provider sign-ins alike.
async fn a_session_id_issued_before_sign_in_is_worthless_after_it(backend: Backend) {
    let idp = FakeIdp::start(json!({"sub": "ada-1", "email": "ada@example.com", "email_verified": true})).await;
    let app = spawn_app_on(backend, &idp.oidc_connection("test")).await;
    app.sign_up(&browser(), "bob@example.com").await;

    for via_provider in [false, true] {
        let victim = browser();
        let start = victim.get(app.url("/auth/test/start")).send().await.unwrap();
        let before = session_id(&start).expect("the server issued a session");
        assert!(stored_session(&app, &before).await);
        if via_provider {
            browser::through_provider(&victim, start).await;
        } else {
            app.sign_in(&victim, "bob@example.com").await;
        }
        assert_eq!(victim.get(app.url("/api/me")).send().await.unwrap().status(), StatusCode::OK);
        assert!(!stored_session(&app, &before).await, "the pre-sign-in record is gone (provider: {via_provider})");
        let replay =
            Client::new().get(app.url("/api/me")).header(header::COOKIE, format!("askonce_session={before}")).send().await.unwrap();
        assert_eq!(replay.status(), StatusCode::UNAUTHORIZED, "the old id is not signed in (provider: {via_provider})");
    }
}
crate::on_both_databases!(a_session_id_issued_before_sign_in_is_worthless_after_it);

/// Login CSRF through a pending link: A starts linking a provider account, then B signs in on
/// the same browser before the provider answers. The callback must not attach the provider
/// account to A's profile (nor to B's).
async fn a_link_started_by_one_person_does_not_finish_for_another(backend: Backend) {
    let idp = FakeIdp::start(json!({"sub": "p-1", "email": "b@example.com", "email_verified": true})).await;
    let app = spawn_app_on(backend, &idp.oidc_connection("test")).await;
    app.sign_up(&browser(), "b@example.com").await;
    let shared = browser();
    app.sign_up(&shared, "a@example.com").await;
    let a_id = app.me(&shared).await["user_id"].as_str().unwrap().to_string();
    let start = shared
        .post(app.url("/auth/test/start"))
        .header("sec-fetch-site", "same-origin")
        .form(&[("link", "1"), ("return_to", "/profile")])
        .send()
        .await
        .unwrap();
    // B signs in over A on this browser while the provider step is pending.
    app.sign_in(&shared, "b@example.com").await;
    let at_provider = shared.get(location(&start)).send().await.unwrap();
    let done = shared.get(location(&at_provider)).send().await.unwrap();
    assert!(location(&done).contains("error=expired"), "{}", location(&done));
    let linked = services::entities::identities::Entity::find()
        .filter(services::entities::identities::Column::Connection.eq("test"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(linked, 0, "the provider account was linked to nobody (A is {a_id})");
}
crate::on_both_databases!(a_link_started_by_one_person_does_not_finish_for_another);

/// "Make primary" names an identity by (connection, subject): someone else's is refused and
/// changes nothing.
async fn nobody_can_make_another_persons_identity_their_primary(backend: Backend) {
    let idp = FakeIdp::start(json!({"sub": "v-1", "email": "victim@example.com", "email_verified": true})).await;
    let app = spawn_app_on(backend, &idp.oidc_connection("test")).await;
    app.sign_in_with_provider(&browser(), "test").await;
    let mallory = browser();
    app.sign_up(&mallory, "mallory@example.com").await;
    let res = mallory
        .post(app.url(app::account::page::MakePrimaryAccount::PATH))
        .form(&[("connection", "test"), ("subject", "v-1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let p = app.me(&mallory).await;
    assert_eq!(p["email"], "mallory@example.com");
    assert_eq!(p["identities"].as_array().unwrap().len(), 1);
    let flagged = users::Entity::find().filter(users::Column::PrimaryIdentityId.is_not_null()).count(&app.db).await.unwrap();
    assert_eq!(flagged, 0);
}
crate::on_both_databases!(nobody_can_make_another_persons_identity_their_primary);
