//! Bad input, security, damaged files and several instances: nothing bad gets in, nothing
//! saved is lost, and every refusal says why.

use crate::support::Start;
use crate::support::{Client, TOKEN, spawn_server, spawn_server_full, spawn_server_with};
use profile_client::domain::{Fields, validate};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::process::Command;
use std::time::Duration;

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

struct Case {
    what: &'static str,
    token: Option<&'static str>,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    status: u16,
    reason: &'static str,
}

fn case(what: &'static str, body: impl Into<Vec<u8>>, status: u16, reason: &'static str) -> Case {
    Case {
        what,
        token: Some(TOKEN),
        headers: vec![
            ("content-type", "application/json".into()),
            ("if-match", "\"1\"".into()),
        ],
        body: body.into(),
        status,
        reason,
    }
}

fn json_case(what: &'static str, body: Value, status: u16, reason: &'static str) -> Case {
    case(what, body.to_string(), status, reason)
}

fn bad_inputs() -> Vec<Case> {
    let mut cases = vec![
        case("malformed JSON", "{\"name\": ", 400, "not a valid profile"),
        case("not JSON at all", "hello", 400, "not a valid profile"),
        case("empty body", "", 400, "not a valid profile"),
        case("JSON array", "[1,2]", 422, "invalid type"),
        case(
            "invalid UTF-8",
            b"{\"name\": \"\xff\xfe\"}".to_vec(),
            400,
            "not a valid profile",
        ),
        case(
            "trailing garbage",
            "{\"name\": \"A\"} x",
            400,
            "trailing characters",
        ),
        json_case("name is a number", json!({"name": 5}), 422, "invalid type"),
        json_case("name is null", json!({"name": null}), 422, "invalid type"),
        json_case(
            "name is an object",
            json!({"name": {"a": 1}}),
            422,
            "invalid type",
        ),
        json_case(
            "photo_url is a bool",
            json!({"name": "A", "photo_url": true}),
            422,
            "invalid type",
        ),
        json_case(
            "missing name",
            json!({"photo_url": ""}),
            422,
            "missing field `name`",
        ),
        json_case(
            "extra field",
            json!({"name": "A", "role": "admin"}),
            422,
            "unknown field `role`",
        ),
        json_case(
            "version in body",
            json!({"name": "A", "version": 99}),
            422,
            "unknown field `version`",
        ),
        json_case(
            "empty name",
            json!({"name": ""}),
            422,
            "the name must not be empty",
        ),
        json_case(
            "blank name",
            json!({"name": " \t "}),
            422,
            "the name must not be empty",
        ),
        json_case(
            "101-character name",
            json!({"name": "é".repeat(101)}),
            422,
            "at most 100",
        ),
        json_case(
            "control character",
            json!({"name": "Ada\u{0007}"}),
            422,
            "U+0007",
        ),
        json_case(
            "newline in name",
            json!({"name": "Ada\nLovelace"}),
            422,
            "U+000A",
        ),
        json_case("NUL in name", json!({"name": "Ada\u{0000}"}), 422, "U+0000"),
        json_case(
            "right-to-left override",
            json!({"name": "Ada\u{202E}gpj.exe"}),
            422,
            "U+202E",
        ),
        json_case(
            "bidi isolate",
            json!({"name": "\u{2067}Ada"}),
            422,
            "U+2067",
        ),
        json_case(
            "javascript: URL",
            json!({"name": "A", "photo_url": "javascript:alert(1)"}),
            422,
            "scheme \"javascript:\"",
        ),
        json_case(
            "file: URL",
            json!({"name": "A", "photo_url": "file:///etc/passwd"}),
            422,
            "scheme \"file:\"",
        ),
        json_case(
            "data: URL",
            json!({"name": "A", "photo_url": "data:image/png;base64,AAAA"}),
            422,
            "scheme \"data:\"",
        ),
        json_case(
            "plain http to the network",
            json!({"name": "A", "photo_url": "http://example.com/a.png"}),
            422,
            "use https://",
        ),
        json_case(
            "relative URL",
            json!({"name": "A", "photo_url": "/a.png"}),
            422,
            "not an absolute URL",
        ),
        json_case(
            "URL with a space",
            json!({"name": "A", "photo_url": "https://example.com/a b.png"}),
            422,
            "U+0020",
        ),
        json_case(
            "URL over 2048 bytes",
            json!({"name": "A", "photo_url": format!("https://example.com/{}", "a".repeat(2100))}),
            422,
            "at most 2048",
        ),
        json_case(
            "body over 16 KiB",
            json!({"name": "x".repeat(17 * 1024)}),
            413,
            "larger than 16384 bytes",
        ),
    ];
    let mut no_type = json_case("no content type", json!({"name": "A"}), 415, "must be JSON");
    no_type.headers.retain(|(name, _)| *name != "content-type");
    cases.push(no_type);
    let mut form = json_case(
        "form content type",
        json!({"name": "A"}),
        415,
        "must be JSON",
    );
    form.headers[0].1 = "application/x-www-form-urlencoded".into();
    cases.push(form);
    let mut no_token = json_case("missing token", json!({"name": "A"}), 401, "Bearer");
    no_token.token = None;
    cases.push(no_token);
    let mut wrong_token = json_case("wrong token", json!({"name": "A"}), 401, "token is wrong");
    wrong_token.token = Some("not-the-token");
    cases.push(wrong_token);
    for (what, value) in [
        ("unquoted If-Match", "1-a"),
        ("weak If-Match", "W/\"1-a\""),
        ("If-Match with a space", "\"1 a\""),
        ("If-Match with a slash", "\"1/a\""),
        ("empty If-Match", "\"\""),
    ] {
        let mut c = json_case(what, json!({"name": "A"}), 400, "If-Match must be");
        c.headers[1].1 = value.into();
        cases.push(c);
    }
    let mut both = json_case(
        "If-Match and If-None-Match",
        json!({"name": "A"}),
        400,
        "not both",
    );
    both.headers.push(("if-none-match", "*".into()));
    cases.push(both);
    let mut missing = json_case("no precondition", json!({"name": "A"}), 428, "If-Match");
    missing.headers.retain(|(name, _)| *name != "if-match");
    cases.push(missing);
    let mut huge = json_case(
        "huge header",
        json!({"name": "A"}),
        431,
        "headers are larger",
    );
    huge.headers.push(("x-padding", "p".repeat(20 * 1024)));
    cases.push(huge);
    cases
}

#[tokio::test]
async fn every_bad_input_gets_the_right_4xx_with_a_json_reason_and_changes_nothing() {
    let server = crate::support::seeded_server("Ada").await;
    let cases = bad_inputs();
    assert!(cases.len() >= 30, "{} cases", cases.len());
    for case in &cases {
        let mut request = http()
            .put(format!("{}/v1/profile", server.url()))
            .body(case.body.clone());
        for (name, value) in &case.headers {
            request = request.header(*name, value);
        }
        if let Some(token) = case.token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), case.status, "{}", case.what);
        let body: Value = response
            .json()
            .await
            .unwrap_or_else(|e| panic!("{}: the reason is not JSON: {e}", case.what));
        let reason = body["error"].as_str().unwrap_or_default();
        assert!(
            reason.contains(case.reason),
            "{}: expected {:?} in {reason:?}",
            case.what,
            case.reason
        );
        let stored = server.store().get().await.unwrap().unwrap();
        assert_eq!(
            (stored.name.as_str(), stored.version),
            ("Ada", 1),
            "{} changed the profile",
            case.what
        );
    }
    // Still serving.
    let response = http()
        .get(format!("{}/v1/profile", server.url()))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    eprintln!("{} bad inputs refused", cases.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_form_the_cli_and_the_server_refuse_invalid_values_with_the_same_reason() {
    use offline_profile::ui::user_profile::{Message, UserProfileViewModel};
    let server = crate::support::seeded_server("Ada").await;
    let client = Client::new();
    let repository = client.repository(&server.url()).await;
    let (mut view_model, _read) = UserProfileViewModel::new(repository);
    let inputs = [
        ("", ""),
        ("é".repeat(101).leak() as &str, ""),
        ("Ada\u{0007}", ""),
        ("Ada\u{202E}x", ""),
        ("Ada", "javascript:alert(1)"),
        ("Ada", "file:///etc/passwd"),
        ("Ada", "http://example.com/a.png"),
        ("Ada", "a.png"),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (name, photo_url) in inputs {
        let expected = validate(name, photo_url).unwrap_err();
        // The form.
        let _ = view_model.update(Message::NameChanged(name.into()));
        let _ = view_model.update(Message::PhotoUrlChanged(photo_url.into()));
        let shown = match expected.field {
            profile_client::domain::Field::Name => view_model.name_error(),
            profile_client::domain::Field::PhotoUrl => view_model.photo_url_error(),
            profile_client::domain::Field::Photo => unreachable!("validate checks text only"),
        };
        assert_eq!(
            shown,
            Some(expected.reason.as_str()),
            "form: {name:?} {photo_url:?}"
        );
        assert!(!view_model.can_save());
        // The CLI.
        let output = Command::new(env!("CARGO_BIN_EXE_offline-profile"))
            .arg("--data-dir")
            .arg(dir.path())
            .args([
                "--api",
                &server.url(),
                "--offline",
                "set",
                "--name",
                name,
                "--photo-url",
                photo_url,
            ])
            .output_retrying()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        assert!(
            String::from_utf8_lossy(&output.stderr).contains(&expected.reason),
            "cli: {output:?}"
        );
        // The server.
        let response = http()
            .put(format!("{}/v1/profile", server.url()))
            .bearer_auth(TOKEN)
            .header("if-match", "\"1\"")
            .json(&json!({"name": name, "photo_url": photo_url}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: Value = response.json().await.unwrap();
        assert!(
            body["error"].as_str().unwrap().contains(&expected.reason),
            "server: {body}"
        );
    }
}

#[tokio::test]
async fn every_v1_route_and_method_refuses_a_request_without_the_token() {
    let server = crate::support::seeded_server("Ada").await;
    let paths = [
        "/v1/profile",
        "/v1/profile/events",
        "/v1/",
        "/v1/unknown",
        "/v1/profile/x",
    ];
    let methods = ["GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS"];
    for path in paths {
        for method in methods {
            let response = http()
                .request(method.parse().unwrap(), format!("{}{path}", server.url()))
                .send()
                .await
                .unwrap();
            assert_eq!(
                response.status(),
                StatusCode::UNAUTHORIZED,
                "{method} {path}"
            );
        }
    }
}

#[tokio::test]
async fn api_calls_follow_no_redirects() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let count = Arc::new(AtomicUsize::new(0));
    let target = spawn_server_with(crate::support::counting(count.clone())).await;
    let location = format!("{}/v1/profile", target.url());
    let redirecting = spawn_server_with(move |_| {
        axum::Router::new().fallback(move || {
            let location = location.clone();
            async move {
                (
                    StatusCode::TEMPORARY_REDIRECT,
                    [(axum::http::header::LOCATION, location)],
                )
            }
        })
    })
    .await;
    let client = Client::new();
    let repository = client.repository(&redirecting.url()).await;
    repository.save("Ada", "").await.unwrap();
    let error = repository.sync().await.unwrap_err();
    assert!(error.to_string().contains("307"), "{error}");
    assert_eq!(
        count.load(Ordering::SeqCst),
        0,
        "the redirect was not followed"
    );
    assert_eq!(
        repository.status().state(),
        profile_client::domain::SyncState::Pending
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_canary_token_never_appears_in_logs_errors_or_the_database() {
    const CANARY: &str = "canary-5f1c0e7d-token-never-to-be-seen";
    let server = spawn_server_full(CANARY, |router| router).await;
    server.store().seed(&Fields::new("Ada", "")).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str], token: &str| {
        Command::new(env!("CARGO_BIN_EXE_offline-profile"))
            .arg("--data-dir")
            .arg(dir.path())
            .args(["--api", &server.url()])
            .args(args)
            .env("OFFLINE_PROFILE_TOKEN", token)
            .env("RUST_LOG", "trace")
            .output_retrying()
            .unwrap()
    };
    let mut outputs = vec![
        run(&["sync"], CANARY),
        run(&["set", "--name", "Canary test"], CANARY),
        run(&["status"], CANARY),
    ];
    assert!(outputs.iter().all(|o| o.status.success()), "{outputs:?}");
    // A wrong token whose value is the canary: the error must not echo it either.
    let server_with_other_token = spawn_server().await;
    let other = Command::new(env!("CARGO_BIN_EXE_offline-profile"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["--api", &server_with_other_token.url(), "sync"])
        .env("OFFLINE_PROFILE_TOKEN", CANARY)
        .env("RUST_LOG", "trace")
        .output_retrying()
        .unwrap();
    assert!(!other.status.success());
    assert!(
        String::from_utf8_lossy(&other.stderr).contains("signed out: the bearer token is wrong"),
        "{other:?}"
    );
    outputs.push(other);
    for output in &outputs {
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.len() > 1000, "trace logging is on");
        assert!(
            !stdout.contains(CANARY) && !stderr.contains(CANARY),
            "the token leaked: {stderr}"
        );
    }
    assert_eq!(
        server.store().get().await.unwrap().unwrap().name,
        "Canary test"
    );
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            let found = bytes.windows(CANARY.len()).any(|w| w == CANARY.as_bytes());
            assert!(!found, "the token is stored in {}", path.display());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_cache_is_kept_aside_and_the_profile_is_fetched_again() {
    let server = spawn_server().await;
    server
        .store()
        .seed(&Fields::new("From the server", ""))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("profile.sqlite3");
    std::fs::write(
        &cache,
        b"this is not a SQLite database, it is garbage ".repeat(100),
    )
    .unwrap();

    let settings = offline_profile::session::Settings::new(dir.path())
        .named(Some(server.url()), Some(TOKEN.into()));
    let session = offline_profile::session::Session::open(settings)
        .await
        .unwrap();
    let notice = session
        .repository
        .status()
        .notice
        .expect("the user is told");
    assert!(notice.contains("damaged"), "{notice}");
    session.repository.sync().await.unwrap();
    assert_eq!(
        session.repository.cached().await.unwrap().unwrap().name(),
        "From the server"
    );

    let aside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("profile.sqlite3.corrupt-"))
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    let kept = std::fs::read(dir.path().join(&aside[0])).unwrap();
    assert!(
        kept.starts_with(b"this is not a SQLite database"),
        "the bad file is kept as it was"
    );

    // The view model shows the notice.
    let (view_model, _read) =
        offline_profile::ui::user_profile::UserProfileViewModel::new(session.repository.clone());
    assert!(view_model.notice().is_some());
    let mut ui = iced_test::simulator(offline_profile::ui::user_profile::view::view(&view_model));
    assert!(ui.find(notice.as_str()).is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_data_dir_work_safely_together() {
    // A `watch` process (the synchronizer, as the window runs it) and a stream of `set`
    // processes share one data folder; every acknowledged save survives and both converge.
    let server = spawn_server().await;
    let dir = tempfile::tempdir().unwrap();
    let mut watch = Command::new(env!("CARGO_BIN_EXE_offline-profile"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["--api", &server.url(), "watch", "--json"])
        .env("OFFLINE_PROFILE_TOKEN", TOKEN)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn_retrying()
        .unwrap();
    let mut last = String::new();
    for i in 0..15 {
        let name = format!("Instance edit {i}");
        let output = Command::new(env!("CARGO_BIN_EXE_offline-profile"))
            .arg("--data-dir")
            .arg(dir.path())
            .args(["--api", &server.url(), "set", "--name", &name])
            .env("OFFLINE_PROFILE_TOKEN", TOKEN)
            .output_retrying()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        last = name;
    }
    crate::support::eventually("the server to hold the last save", || {
        let store = server.store().clone();
        let last = last.clone();
        async move { store.get().await.unwrap().is_some_and(|p| p.name == last) }
    })
    .await;
    watch.kill().unwrap();
    watch.wait().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_offline-profile"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["--api", &server.url(), "show", "--json"])
        .output_retrying()
        .unwrap();
    let shown: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(shown["name"], last.as_str());
    assert_eq!(shown["state"], "synced");
    assert_eq!(
        shown["revision"], 15,
        "each acknowledged save is one revision"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_processes_starting_at_once_on_a_new_data_dir_all_work() {
    // They race to create and migrate the same new database.
    for _ in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let children: Vec<_> = (0..6)
            .map(|i| {
                Command::new(env!("CARGO_BIN_EXE_offline-profile"))
                    .arg("--data-dir")
                    .arg(dir.path())
                    .args(["--api", "http://127.0.0.1:9", "--offline", "set", "--name"])
                    .arg(format!("Racer {i}"))
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn_retrying()
                    .unwrap()
            })
            .collect();
        for child in children {
            let output = child.wait_with_output().unwrap();
            assert!(output.status.success(), "{output:?}");
        }
    }
}
