//! Stored text inside the elements Leptos writes raw (`<textarea>`, `<title>`): every page that
//! shows such a value is rendered with a hostile one and with a plain one, parsed by a real
//! HTML parser (html5ever), and must have exactly the same elements; the element's text is the
//! stored value byte for byte, and saving the form sends it back unchanged.

use app::admin::api_tokens::Scope;
use leptos::server_fn::ServerFn;
use reqwest::{Client, StatusCode};
use scraper::{Html, Selector};
use serde_json::json;

use crate::harness::{browser, spawn_app_on, Backend, TestApp};

/// Ends every raw-text element, opens live ones, and carries references and quotes that must
/// come back as they were. No Markdown syntax (a stage intro renders Markdown) and no newline.
const HOSTILE: &str =
    "</textarea><img src=https://evil.example/x.png> </title><form action=/admin/users/delete><button>Go</button></form> \
                       <script>alert(1)</script></script></style></noscript> &lt;b&gt; &amp;amp; \"double\" 'single' <!-- x -->";
const PLAIN: &str = "Plain words here";

/// The page's elements, in document order, by name. Scripts are left out: how many resource
/// chunks Leptos streams as `<script>`s after the page depends on timing. They are checked
/// apart ([`assert_same_shape`]).
fn elements(html: &Html) -> Vec<String> {
    html.tree.nodes().filter_map(|n| n.value().as_element().map(|e| e.name().to_string())).filter(|name| name != "script").collect()
}

fn text_of(html: &Html, selector: &str) -> String {
    let selector = Selector::parse(selector).unwrap();
    let element = html.select(&selector).next().unwrap_or_else(|| panic!("no {selector:?} on the page"));
    element.text().collect()
}

async fn page(client: &Client, app: &TestApp, path: &str) -> Html {
    let res = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    Html::parse_document(&res.text().await.unwrap())
}

/// The same page with a plain and a hostile value has the same elements.
fn assert_same_shape(plain: &Html, hostile: &Html, what: &str) {
    let (plain, hostile) = (elements(plain), elements(hostile));
    let first_difference =
        plain.iter().zip(&hostile).position(|(a, b)| a != b).or((plain.len() != hostile.len()).then(|| plain.len().min(hostile.len())));
    assert!(
        plain == hostile,
        "{what}: the hostile value changed the page's elements ({} vs {}), first at {first_difference:?}: {:?}",
        plain.len(),
        hostile.len(),
        first_difference
            .map(|i| (&plain[i.saturating_sub(3)..(i + 3).min(plain.len())], &hostile[i.saturating_sub(3)..(i + 3).min(hostile.len())])),
    );
    assert!(!hostile.iter().any(|e| e == "img"), "{what}: an injected <img>");
}

/// No `<script>` of the page is the stored one (whose body would be `alert(1)`); Leptos's own
/// carry the value inside JSON strings, with `<` escaped.
fn assert_no_injected_script(page: &Html, what: &str) {
    let scripts = Selector::parse("script").unwrap();
    for script in page.select(&scripts) {
        let body: String = script.text().collect();
        assert_ne!(body.trim(), "alert(1)", "{what}: an injected <script>");
        assert!(!body.contains("</"), "{what}: a script body holds an end tag: {body}");
    }
}

async fn the_consoles_metadata_editor_shows_and_saves_markup_as_text(backend: Backend) {
    let app = spawn_app_on(backend, "").await;
    let admin = browser();
    app.sign_up_admin(&admin, "owner@example.com").await;
    let token = app.api_token(&[Scope::ReadUsers, Scope::UpdateUsers, Scope::UpdateUsersAppMetadata]).await;
    let mut ids = Vec::new();
    for (email, value) in [("plain@example.com", PLAIN), ("hostile@example.com", HOSTILE)] {
        let client = browser();
        app.sign_up(&client, email).await;
        let id = app.me(&client).await["user_id"].as_str().unwrap().to_string();
        // user_metadata as the person could write it; app_metadata as a token (or a hook) could.
        let patch = json!({"user_metadata": {"company": value}, "app_metadata": {"note": value}});
        let (status, body) = app.api("PATCH", &format!("/api/v2/users/{id}"), Some(&token), Some(patch)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        ids.push(id);
    }
    let plain = page(&admin, &app, &format!("/admin/users/{}", ids[0])).await;
    let hostile = page(&admin, &app, &format!("/admin/users/{}", ids[1])).await;
    assert_same_shape(&plain, &hostile, "/admin/users/{id}");
    assert_no_injected_script(&hostile, "/admin/users/{id}");
    let user_metadata = text_of(&hostile, "textarea#user-metadata");
    let app_metadata = text_of(&hostile, "textarea#app-metadata");
    assert_eq!(user_metadata, serde_json::to_string_pretty(&json!({"company": HOSTILE})).unwrap());
    assert_eq!(app_metadata, serde_json::to_string_pretty(&json!({"note": HOSTILE})).unwrap());

    // Saved as the browser would send the form back (without JavaScript): nothing changes.
    let form = [("id", ids[1].as_str()), ("user_metadata", user_metadata.as_str()), ("app_metadata", app_metadata.as_str())];
    let res = app.post_form(&admin, app::admin::users_page::SaveUserMetadata::PATH, &form).await;
    assert!(res.status().is_success() || res.status().is_redirection(), "{}", res.status());
    let (_, user) = app.api("GET", &format!("/api/v2/users/{}", ids[1]), Some(&token), None).await;
    assert_eq!((&user["user_metadata"]["company"], &user["app_metadata"]["note"]), (&json!(HOSTILE), &json!(HOSTILE)));
}
crate::on_both_databases!(the_consoles_metadata_editor_shows_and_saves_markup_as_text);

async fn a_textarea_question_on_the_profile_shows_and_saves_markup_as_text(backend: Backend) {
    let app = spawn_app_on(backend, "").await;
    let token = app.api_token(&[Scope::UpdateStages, Scope::ReadStages]).await;
    let field = json!({"key": "bio", "label": "About you", "kind": "textarea", "target": "user_metadata.bio"});
    let (status, body) = app.api("POST", "/api/v2/fields", Some(&token), Some(field)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let mut pages = Vec::new();
    for (email, value) in [("plain@example.com", PLAIN), ("hostile@example.com", HOSTILE)] {
        let client = browser();
        app.sign_up(&client, email).await;
        let res = app.post_form(&client, app::account::details::UpdateMyDetails::PATH, &[("answers[bio]", value)]).await;
        assert!(res.status().is_success() || res.status().is_redirection(), "{}", res.status());
        assert_eq!(app.me(&client).await["user_metadata"]["bio"], json!(value));
        let profile = page(&client, &app, "/profile").await;
        pages.push((client, profile));
    }
    assert_same_shape(&pages[0].1, &pages[1].1, "/profile");
    assert_no_injected_script(&pages[1].1, "/profile");
    let shown = text_of(&pages[1].1, "textarea[name='answers[bio]']");
    assert_eq!(shown, HOSTILE);
    // Sent back as shown: stored unchanged.
    let (client, _) = &pages[1];
    app.post_form(client, app::account::details::UpdateMyDetails::PATH, &[("answers[bio]", shown.as_str())]).await;
    assert_eq!(app.me(client).await["user_metadata"]["bio"], json!(HOSTILE));
}
crate::on_both_databases!(a_textarea_question_on_the_profile_shows_and_saves_markup_as_text);

/// What only `update:stages` sets: a stage's introduction and a choice's label, in the
/// question editors' textareas.
async fn the_question_editors_show_intros_and_choices_as_text(backend: Backend) {
    let app = spawn_app_on(backend, "").await;
    let admin = browser();
    app.sign_up_admin(&admin, "owner@example.com").await;
    let token = app.api_token(&[Scope::ReadStages, Scope::UpdateStages]).await;
    let field = |label: &str| {
        json!({"key": "role", "label": "Role", "kind": "dropdown", "target": "user_metadata.role",
               "validation": {"options": [{"value": "dev", "label": label}, {"value": "ops", "label": "Operations"}]}})
    };
    let (status, body) = app.api("POST", "/api/v2/fields", Some(&token), Some(field(PLAIN))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, mut stage) = app.api("GET", "/api/v2/stages/work", Some(&token), None).await;
    stage["intro"] = json!(PLAIN);
    assert_eq!(app.api("PUT", "/api/v2/stages/work", Some(&token), Some(stage.clone())).await.0, StatusCode::OK);
    let plain_stage = page(&admin, &app, "/admin/questions/stages/work").await;
    let plain_field = page(&admin, &app, "/admin/questions/fields/role").await;

    stage["intro"] = json!(HOSTILE);
    let (status, body) = app.api("PUT", "/api/v2/stages/work", Some(&token), Some(stage)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app.api("PUT", "/api/v2/fields/role", Some(&token), Some(field(HOSTILE))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let hostile_stage = page(&admin, &app, "/admin/questions/stages/work").await;
    let hostile_field = page(&admin, &app, "/admin/questions/fields/role").await;

    assert_same_shape(&plain_stage, &hostile_stage, "stage editor");
    assert_no_injected_script(&hostile_stage, "stage editor");
    assert_same_shape(&plain_field, &hostile_field, "field editor");
    assert_no_injected_script(&hostile_field, "field editor");
    assert_eq!(text_of(&hostile_stage, "textarea#q-intro"), HOSTILE);
    assert!(text_of(&hostile_field, "textarea#q-options").contains(HOSTILE));
}
crate::on_both_databases!(the_question_editors_show_intros_and_choices_as_text);

/// `<title>`: an article's title (stored in the database) ends no element and reads back whole.
async fn a_page_title_cannot_be_closed_by_its_text(backend: Backend) {
    use sea_orm::{ActiveModelTrait, Set};
    let app = spawn_app_on(backend, "").await;
    for (slug, title) in [("plain", PLAIN), ("hostile", HOSTILE)] {
        services::entities::articles::ActiveModel {
            slug: Set(slug.into()),
            title: Set(title.into()),
            summary: Set("A summary.".into()),
            body: Set("Some words.".into()),
            tags: Set(json!(["rust"])),
            published_at: Set(chrono::Utc::now()),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    let client = browser();
    let plain = page(&client, &app, "/articles/plain").await;
    let hostile = page(&client, &app, "/articles/hostile").await;
    assert_same_shape(&plain, &hostile, "/articles/{slug}");
    assert_no_injected_script(&hostile, "/articles/{slug}");
    assert_eq!(text_of(&hostile, "head > title"), format!("{HOSTILE} · AskOnce"));
    let titles = Selector::parse("title").unwrap();
    assert_eq!(hostile.select(&titles).count(), 1, "one title");
}
crate::on_both_databases!(a_page_title_cannot_be_closed_by_its_text);
