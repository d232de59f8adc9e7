//! Error responses are built in one place, `server/src/error.rs`: anywhere else in the server
//! an error status may only go into an `HttpError` (whose body the error module writes for the
//! route's family). This reads the server's non-test code for a 4xx/5xx `StatusCode` used any
//! other way — a `(StatusCode::FORBIDDEN, "…")` tuple, `.status_mut() = …`, a builder — and
//! for `StatusCode::from_u16`, which only the error module needs.

use crate::layers::{root, rust_files, without_tests};

/// `http::StatusCode`'s names of the 4xx and 5xx statuses.
const ERROR_STATUSES: &[&str] = &[
    "BAD_REQUEST",
    "UNAUTHORIZED",
    "PAYMENT_REQUIRED",
    "FORBIDDEN",
    "NOT_FOUND",
    "METHOD_NOT_ALLOWED",
    "NOT_ACCEPTABLE",
    "PROXY_AUTHENTICATION_REQUIRED",
    "REQUEST_TIMEOUT",
    "CONFLICT",
    "GONE",
    "LENGTH_REQUIRED",
    "PRECONDITION_FAILED",
    "PAYLOAD_TOO_LARGE",
    "URI_TOO_LONG",
    "UNSUPPORTED_MEDIA_TYPE",
    "RANGE_NOT_SATISFIABLE",
    "EXPECTATION_FAILED",
    "IM_A_TEAPOT",
    "MISDIRECTED_REQUEST",
    "UNPROCESSABLE_ENTITY",
    "LOCKED",
    "FAILED_DEPENDENCY",
    "TOO_EARLY",
    "UPGRADE_REQUIRED",
    "PRECONDITION_REQUIRED",
    "TOO_MANY_REQUESTS",
    "REQUEST_HEADER_FIELDS_TOO_LARGE",
    "UNAVAILABLE_FOR_LEGAL_REASONS",
    "INTERNAL_SERVER_ERROR",
    "NOT_IMPLEMENTED",
    "BAD_GATEWAY",
    "SERVICE_UNAVAILABLE",
    "GATEWAY_TIMEOUT",
    "HTTP_VERSION_NOT_SUPPORTED",
    "VARIANT_ALSO_NEGOTIATES",
    "INSUFFICIENT_STORAGE",
    "LOOP_DETECTED",
    "NOT_EXTENDED",
    "NETWORK_AUTHENTICATION_REQUIRED",
];

/// Uses that are not error responses of ours, each with why.
const ALLOWED: &[(&str, &str)] = &[
    // The timeout layer answers by itself; `write_error_bodies` gives that answer the family's shape.
    ("server/src/http.rs", "TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT"),
    // The health check's answer is a report monitors read, not an error of a request.
    ("server/src/routes/health.rs", "(StatusCode::SERVICE_UNAVAILABLE, Json(Health"),
];

/// Each use of an error status outside the error module that is not the status of an
/// `HttpError::new(…)`, as `file: code around it`.
fn stray_error_responses() -> Vec<String> {
    let src = root().join("server/src");
    let mut found = Vec::new();
    for file in rust_files(&src) {
        if file == src.join("error.rs") {
            continue;
        }
        let shown = file.strip_prefix(root()).unwrap_or(&file).display().to_string();
        let source = std::fs::read_to_string(&file).expect("a source file");
        // One line: a call broken over several lines reads as it would on one.
        let code = without_tests(&source).split_whitespace().collect::<Vec<_>>().join(" ").replace("( ", "(");
        let mut uses: Vec<usize> = ERROR_STATUSES
            .iter()
            .flat_map(|name| {
                let pattern = format!("StatusCode::{name}");
                let code = &code;
                code.match_indices(&pattern)
                    .filter(move |(at, m)| !code[at + m.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_'))
                    .map(|(at, _)| at)
                    .collect::<Vec<_>>()
            })
            .collect();
        uses.extend(code.match_indices("StatusCode::from_u16").map(|(at, _)| at));
        uses.sort_unstable();
        for at in uses {
            if code[..at].ends_with("HttpError::new(") {
                continue;
            }
            let around = &code[code[..at].char_indices().rev().nth(40).map_or(0, |(i, _)| i)..];
            let around: String = around.chars().take(100).collect();
            if ALLOWED.iter().any(|(f, snippet)| shown.ends_with(f) && around.contains(snippet)) {
                continue;
            }
            found.push(format!("{shown}: …{around}…"));
        }
    }
    found
}

#[test]
fn error_responses_are_built_by_the_error_module_only() {
    let stray = stray_error_responses();
    assert!(stray.is_empty(), "error statuses outside server/src/error.rs (return an HttpError instead):\n{}", stray.join("\n"));
}
