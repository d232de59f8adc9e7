//! Input that one database takes and the other cannot: what schemathesis found against
//! PostgreSQL. Each is refused with a 4xx on both databases, and what was stored before still
//! reads back.

use app::admin::api_tokens::Scope;
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{spawn_app_on, Backend};

async fn nul_characters_and_numbers_that_would_not_read_back_are_refused(backend: Backend) {
    let app = spawn_app_on(backend, "").await;
    app.sign_up(&app.client, "ada@example.com").await;
    let id = app.me(&app.client).await["user_id"].as_str().unwrap().to_string();
    let token = app.api_token(&[Scope::ReadUsers, Scope::UpdateUsers, Scope::ReadStages, Scope::UpdateStages]).await;

    // PostgreSQL stores no NUL in text: refused before any handler, in bodies and in the URI.
    let field = json!({"key": "nickname2", "label": "A\u{0}B", "kind": "text", "target": "user_metadata.nick"});
    let (status, body) = app.api("POST", "/api/v2/fields", Some(&token), Some(field)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["message"].as_str().unwrap().contains("NUL"), "{body}");
    let (status, _) = app.api("PATCH", &format!("/api/v2/users/{id}"), Some(&token), Some(json!({"user_metadata": {"k\u{0}": 1}}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = app.api("GET", "/api/v2/users?q=a%00b", Some(&token), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = app.api("GET", "/api/v2/users/a%00b", Some(&token), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // A number PostgreSQL would keep as a 309-digit decimal that no JSON reader takes back.
    let (status, body) = app
        .api("PATCH", &format!("/api/v2/users/{id}"), Some(&token), Some(json!({"user_metadata": {"n": -1.7976931348623157e308}})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let field = json!({"key": "age", "label": "Age", "kind": "number", "target": "user_metadata.age", "validation": {"max": -1.7976931348623157e308}});
    let (status, body) = app.api("POST", "/api/v2/fields", Some(&token), Some(field)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // Nothing was stored; everything reads back.
    let (status, user) = app.api("GET", &format!("/api/v2/users/{id}"), Some(&token), None).await;
    assert_eq!((status, user["user_metadata"].clone()), (StatusCode::OK, json!({})));
    let (status, _) = app.api("GET", "/api/v2/fields", Some(&token), None).await;
    assert_eq!(status, StatusCode::OK);
}
crate::on_both_databases!(nul_characters_and_numbers_that_would_not_read_back_are_refused);

/// The same through the pages' server functions (the console's forms, sign-up, /profile):
/// a NUL in any form field is refused with 400 on both databases and nothing is stored.
async fn nul_characters_in_forms_are_refused(backend: Backend) {
    let app = spawn_app_on(backend, "").await;
    let admin = crate::harness::browser();
    app.sign_up_admin(&admin, "owner@example.com").await;
    let seen: serde_json::Value = app.call(&admin, app::admin::questions_page::QuestionsConfig::PATH, &[]).await.json().await.unwrap();
    let version = seen["version"].to_string();
    let form = [
        ("form[key]", "nickname2"),
        ("form[label]", "A\u{0}B"),
        ("form[kind]", "text"),
        ("form[target]", "user_metadata.nick"),
        ("version", version.as_str()),
    ];
    let res = app.call(&admin, app::admin::questions_page::SaveField::PATH, &form).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("NUL"));
    let res = app.call(&admin, app::account::details::UpdateMyDetails::PATH, &[("answers[company]", "Acme\u{0}")]).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let stranger = crate::harness::browser();
    let res = app
        .call(&stranger, app::sign_in::PasswordSignUp::PATH, &[("email", "x\u{0}@example.com"), ("password", crate::harness::PASSWORD)])
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = app.call(&admin, "/api/profile/details?x=%00", &[]).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // Without JavaScript the browser goes back to the form, which shows why.
    let res = admin
        .post(app.url(app::account::details::UpdateMyDetails::PATH))
        .header("accept", "text/html")
        .header("referer", app.url("/profile"))
        .form(&[("answers[company]", "Acme\u{0}")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let back = res.headers()["location"].to_str().unwrap().to_string();
    assert!(back.starts_with("/profile?__path=%2Fapi%2Fprofile%2Fdetails&__err="), "{back}");
    let page = admin.get(app.url(&back)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Text must not contain the NUL character."), "the page shows the refusal");
    // Nothing was stored, and the configuration still reads back.
    let now: serde_json::Value = app.call(&admin, app::admin::questions_page::QuestionsConfig::PATH, &[]).await.json().await.unwrap();
    assert_eq!(now["version"], seen["version"]);
    assert!(app.me(&admin).await["user_metadata"].get("company").is_none());
}
crate::on_both_databases!(nul_characters_in_forms_are_refused);

/// Request-level hostile input, at the socket: what a client that is not a browser can send.
/// Each is refused with a 4xx (or the connection closed) and never answers 5xx; slow clients
/// are cut off within the configured timeouts; the app stays healthy throughout.
mod at_the_socket {
    use std::time::{Duration, Instant};

    use leptos::server_fn::ServerFn;

    use reqwest::StatusCode;
    use tokio::{
        io::{AsyncReadExt, AsyncWriteExt},
        net::TcpStream,
    };

    use crate::harness::{Backend, TestApp};

    /// The status line's code of what the server answered to `request` sent at once, or `None`
    /// if it closed the connection without answering.
    async fn send_raw(app: &TestApp, request: &[u8]) -> Option<u16> {
        let mut stream = TcpStream::connect(app.address.trim_start_matches("http://")).await.unwrap();
        // A server may close before reading everything: a failed write is an answer too.
        let _ = stream.write_all(request).await;
        read_status(&mut stream, Duration::from_secs(20)).await
    }

    async fn read_status(stream: &mut TcpStream, within: Duration) -> Option<u16> {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        let deadline = Instant::now() + within;
        while !buf.windows(2).any(|w| w == b"\r\n") {
            let left = deadline.checked_duration_since(Instant::now()).expect("the server neither answered nor closed");
            match tokio::time::timeout(left, stream.read(&mut chunk)).await.expect("the server neither answered nor closed") {
                Ok(0) | Err(_) => return None,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let line = String::from_utf8_lossy(&buf);
        line.split(' ').nth(1).and_then(|code| code.parse().ok())
    }

    async fn healthy(app: &TestApp) {
        let res = reqwest::get(app.url("/healthz")).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "the app is still healthy");
    }

    fn refused(answer: Option<u16>, what: &str) {
        assert!(answer.is_none_or(|code| (400..500).contains(&code)), "{what}: answered {answer:?}, not a 4xx or a closed connection");
    }

    #[tokio::test]
    async fn invalid_utf8_is_refused_everywhere_it_can_arrive() {
        let app = TestApp::on(Backend::Sqlite).start().await;
        let token = app.api_token(&[app::admin::api_tokens::Scope::ReadUsers, app::admin::api_tokens::Scope::UpdateStages]).await;
        let host = app.address.trim_start_matches("http://").to_string();

        // A JSON body that is not UTF-8.
        let body: &[u8] = b"{\"key\": \"caf\xe9\", \"label\": \"x\", \"kind\": \"text\", \"target\": \"user_metadata.x\"}";
        let res = reqwest::Client::new()
            .post(app.url("/api/v2/fields"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        // A form body whose percent-escapes decode to invalid UTF-8, to a server function.
        let res = app
            .client
            .post(app.url(app::sign_in::PasswordSignIn::PATH))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body("email=%FF%FE%40example.com&password=%C3%28")
            .send()
            .await
            .unwrap();
        assert!(res.status().is_client_error(), "{}", res.status());
        // Raw bytes in a form body.
        let res = app
            .client
            .post(app.url(app::sign_in::PasswordSignIn::PATH))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(b"email=\xff\xfe&password=x".to_vec())
            .send()
            .await
            .unwrap();
        assert!(res.status().is_client_error() || res.status().is_redirection(), "{}", res.status());
        // Percent-escapes in the query and the path: decoded lossily (a search for U+FFFD finds
        // nobody) or refused, never a server error.
        for path in ["/api/v2/users?q=%FF%FE", "/api/v2/users/%FF%FE", "/api/v2/users?page=%C3%28"] {
            let res = reqwest::Client::new().get(app.url(path)).bearer_auth(&token).send().await.unwrap();
            assert!(res.status() == StatusCode::OK || res.status().is_client_error(), "{path}: {}", res.status());
        }
        for path in ["/%FF%FE", "/admin/users/%FF", "/welcome?return_to=%FF"] {
            let res = app.client.get(app.url(path)).send().await.unwrap();
            assert!(!res.status().is_server_error(), "{path}: {}", res.status());
        }
        // Raw bytes in the request line and in header values (cookie, authorization).
        refused(send_raw(&app, b"GET /\0\r\n").await, "a NUL in the request line");
        let mut raw = b"GET /caf\xe9 HTTP/1.1\r\nHost: ".to_vec();
        raw.extend_from_slice(host.as_bytes());
        raw.extend_from_slice(b"\r\nConnection: close\r\n\r\n");
        let answer = send_raw(&app, &raw).await;
        assert!(answer.is_none_or(|c| c < 500), "raw bytes in the path: {answer:?}");
        for header in [&b"Cookie: id=\xff\xfe"[..], b"Authorization: Bearer \xff\xfe", b"Accept-Language: \xff"] {
            let mut raw = b"GET /api/v2/users HTTP/1.1\r\nHost: ".to_vec();
            raw.extend_from_slice(host.as_bytes());
            raw.extend_from_slice(b"\r\nConnection: close\r\n");
            raw.extend_from_slice(header);
            raw.extend_from_slice(b"\r\n\r\n");
            let answer = send_raw(&app, &raw).await;
            assert!(answer.is_none_or(|c| c < 500), "{}: {answer:?}", String::from_utf8_lossy(header));
        }
        healthy(&app).await;
    }

    #[tokio::test]
    async fn huge_headers_and_bodies_are_refused() {
        let app = TestApp::on(Backend::Sqlite).start().await;
        let host = app.address.trim_start_matches("http://").to_string();
        // One header of a megabyte.
        let big = format!("GET / HTTP/1.1\r\nHost: {host}\r\nX-Big: {}\r\nConnection: close\r\n\r\n", "a".repeat(1 << 20));
        refused(send_raw(&app, big.as_bytes()).await, "a 1 MiB header");
        // Five hundred small headers.
        let many: String = (0..500).map(|i| format!("X-H{i}: {i}\r\n")).collect();
        let request = format!("GET / HTTP/1.1\r\nHost: {host}\r\n{many}Connection: close\r\n\r\n");
        refused(send_raw(&app, request.as_bytes()).await, "500 headers");
        // A body over the limit (the test configuration allows 64 KiB), declared and chunked.
        let res = app
            .client
            .post(app.url(app::sign_in::PasswordSignIn::PATH))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("email={}", "a".repeat(200_000)))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let mut chunked = format!(
            "POST {} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
            app::sign_in::PasswordSignIn::PATH
        );
        for _ in 0..50 {
            chunked.push_str(&format!("1000\r\n{}\r\n", "a".repeat(4096)));
        }
        chunked.push_str("0\r\n\r\n");
        let answer = send_raw(&app, chunked.as_bytes()).await;
        assert!(answer.is_none_or(|c| c == 413), "a chunked body over the limit: {answer:?}");
        healthy(&app).await;
    }

    /// Slowloris: clients that send their request a byte at a time hold a connection and a
    /// task each. The header section must arrive within `header_read_timeout_secs` and the
    /// whole request within `request_timeout_secs`, whatever the pace.
    #[tokio::test]
    async fn slow_clients_are_cut_off_within_the_timeouts() {
        let app = TestApp::on(Backend::Sqlite).server_config("request_timeout_secs = 2\nheader_read_timeout_secs = 2\n").start().await;
        let host = app.address.trim_start_matches("http://").to_string();

        // Headers a byte every 200 ms, never finished.
        let started = Instant::now();
        let mut stream = TcpStream::connect(&host).await.unwrap();
        stream.write_all(format!("GET / HTTP/1.1\r\nHost: {host}\r\n").as_bytes()).await.unwrap();
        let mut cut_off = false;
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if stream.write_all(b"X").await.is_err() {
                cut_off = true;
                break;
            }
            let mut probe = [0u8; 256];
            if let Ok(Ok(n)) = tokio::time::timeout(Duration::from_millis(1), stream.read(&mut probe)).await {
                // Closed (0) or answered (408): either way the server ended it.
                let _ = n;
                cut_off = true;
                break;
            }
        }
        let waited = started.elapsed();
        assert!(cut_off && waited < Duration::from_secs(8), "a client trickling its headers kept the connection for {waited:?}");

        // A body a byte every 200 ms: answered 408 once the request timeout passes.
        let started = Instant::now();
        let stream = TcpStream::connect(&host).await.unwrap();
        let (mut read, mut write) = stream.into_split();
        let head = format!(
            "POST {} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nemail=",
            app::sign_in::PasswordSignIn::PATH
        );
        write.write_all(head.as_bytes()).await.unwrap();
        let trickle = tokio::spawn(async move {
            for _ in 0..100 {
                tokio::time::sleep(Duration::from_millis(200)).await;
                if write.write_all(b"a").await.is_err() {
                    break;
                }
            }
        });
        let mut buf = Vec::new();
        let mut chunk = [0u8; 1024];
        while !buf.windows(2).any(|w| w == b"\r\n") {
            match tokio::time::timeout(Duration::from_secs(8), read.read(&mut chunk)).await {
                Ok(Ok(0)) | Ok(Err(_)) => break,
                Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
                Err(_) => panic!("a client trickling its body kept the connection for {:?}", started.elapsed()),
            }
        }
        trickle.abort();
        let line = String::from_utf8_lossy(&buf).to_string();
        assert!(line.is_empty() || line.starts_with("HTTP/1.1 408"), "{line}");
        assert!(started.elapsed() < Duration::from_secs(8));
        healthy(&app).await;
    }
}
