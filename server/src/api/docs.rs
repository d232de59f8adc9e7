//! The OpenAPI 3.1 document (generated from the handlers' annotations) and a readable page
//! made from it, server-rendered with no script.

use axum::{
    http::header,
    response::{Html, IntoResponse},
    Json,
};
use utoipa::{
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    Modify, OpenApi,
};

use super::{clients, hooks, prompts, questions, users};
use crate::error;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "AskOnce management API",
        description = "Users, fields, stages, the profiling configuration, post-login hooks and applications. Authenticate with `Authorization: Bearer <token>`: an API token (the console's API tokens page, or `askonce token create`), or a machine application's access token (`grant_type=client_credentials` at `/oauth/token`). Errors are `{statusCode, error, message}`.",
    ),
    paths(
        users::list, users::create, users::get, users::patch, users::delete, users::identities, users::link, users::unlink,
        users::consents, users::logs, prompts::due, prompts::shown, prompts::answers, prompts::skip,
        questions::list_fields, questions::get_field, questions::create_field, questions::put_field, questions::delete_field,
        questions::list_stages, questions::get_stage, questions::create_stage, questions::put_stage, questions::delete_stage,
        questions::make_form_secret, questions::change_report, questions::export_config, questions::import_config,
        hooks::list, hooks::get, hooks::create, hooks::put, hooks::delete,
        clients::list, clients::get, clients::create, clients::patch, clients::delete, clients::rotate_secret,
    ),
    components(schemas(error::ErrorBody, error::ProblemBody)),
    modifiers(&BearerAuth, &ErrorResponses),
    tags((name = "users", description = "The user directory"), (name = "questions", description = "Fields and stages of progressive profiling"), (name = "hooks", description = "Post-login hooks: signed calls to your endpoints at sign-up and sign-in"), (name = "clients", description = "Applications that sign people in through AskOnce, and machines calling this API")),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("An AskOnce API token")).build()),
        );
    }
}

/// The error answers every operation shares, declared here once: 401 without a valid token,
/// 403 without the operation's scopes (named from its security requirement; an operation that
/// says more about its 403 keeps its own words), 500. Each operation declares only its own
/// (400, 404, 409, 412).
struct ErrorResponses;

impl Modify for ErrorResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let error = |description: String| {
            ResponseBuilder::new()
                .description(description)
                .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build())
                .build()
        };
        for item in openapi.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for operation in operations.into_iter().flatten() {
                // The requirement's scopes, read through its serialized form ({"bearer": [...]}).
                let scopes: Vec<String> = operation
                    .security
                    .iter()
                    .flatten()
                    .filter_map(|r| serde_json::to_value(r).ok())
                    .filter_map(|v| v.get("bearer").cloned())
                    .filter_map(|v| serde_json::from_value::<Vec<String>>(v).ok())
                    .flatten()
                    .collect();
                let responses = &mut operation.responses.responses;
                responses.entry("401".into()).or_insert_with(|| error("No valid token".into()).into());
                if !scopes.is_empty() {
                    responses.entry("403".into()).or_insert_with(|| error(format!("Missing scope {}", scopes.join(" and "))).into());
                }
                responses.entry("500".into()).or_insert_with(|| error("Something went wrong on our side".into()).into());
            }
        }
    }
}

pub(crate) async fn openapi_json() -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "no-cache")], Json(ApiDoc::openapi()))
}

fn escape(s: &str) -> String {
    html_escape::encode_double_quoted_attribute(s).into_owned()
}

/// `/api/docs`: every operation with its scopes, parameters and answers.
pub(crate) async fn docs_page() -> Html<String> {
    let doc = ApiDoc::openapi();
    let mut body = String::new();
    for (path, item) in doc.paths.paths.iter() {
        let operations = [("GET", &item.get), ("POST", &item.post), ("PUT", &item.put), ("PATCH", &item.patch), ("DELETE", &item.delete)];
        for (method, op) in operations {
            let Some(op) = op else { continue };
            let summary = op.summary.clone().or(op.description.clone()).unwrap_or_default();
            let description = op.description.clone().filter(|d| Some(d) != op.summary.as_ref()).unwrap_or_default();
            let scopes: Vec<String> = op
                .security
                .iter()
                .flatten()
                .filter_map(|s| serde_json::to_value(s).ok())
                .filter_map(|v| v.get("bearer").cloned())
                .flat_map(|v| v.as_array().cloned().unwrap_or_default())
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect();
            let responses: Vec<String> = op
                .responses
                .responses
                .iter()
                .map(|(code, r)| {
                    let text = match r {
                        utoipa::openapi::RefOr::T(r) => r.description.clone(),
                        utoipa::openapi::RefOr::Ref(_) => String::new(),
                    };
                    format!("<li><code>{}</code> {}</li>", escape(code), escape(&text))
                })
                .collect();
            body.push_str(&format!(
                "<section class=\"card\"><h2><code>{method} {}</code></h2><p>{}</p><p>{}</p><p>Scopes: <code>{}</code></p><h3>Responses</h3><ul>{}</ul></section>\n",
                escape(path),
                escape(&summary),
                escape(&description),
                escape(&scopes.join(", ")),
                responses.join("")
            ));
        }
    }
    Html(format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Management API · AskOnce</title><link rel=\"stylesheet\" href=\"/pkg/askonce.css\"></head>\
         <body><main id=\"main\" class=\"api-docs\"><h1>AskOnce management API</h1>\
         <p>{}</p><p>The machine-readable document: <a href=\"/api/openapi.json\">/api/openapi.json</a> (OpenAPI {}).</p>{body}</main></body></html>",
        escape(doc.info.description.as_deref().unwrap_or_default()),
        "3.1"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_1_with_every_route_and_bearer_auth() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        for path in [
            "/api/v2/users",
            "/api/v2/users/{id}",
            "/api/v2/users/{id}/identities",
            "/api/v2/fields/{key}",
            "/api/v2/stages/{key}",
            "/api/v2/profiling-config",
        ] {
            assert!(doc["paths"].get(path).is_some(), "{path} missing");
        }
        assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
        assert!(doc["components"]["schemas"].get("UserProfile").is_some());
    }
}
