//! The server through real HTTP: every status code of the API.

use crate::support::{TOKEN, spawn_server};
use profile_client::domain::Fields;
use reqwest::StatusCode;
use reqwest::header::{ETAG, IF_MATCH, IF_NONE_MATCH};
use serde_json::{Value, json};

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap()
}

/// The ETag header of a response.
fn etag_of(response: &reqwest::Response) -> String {
    response.headers()[ETAG].to_str().unwrap().to_owned()
}

/// `"<version>-<16 hex digits>"`, and the version.
fn version_in(etag: &str) -> i64 {
    let inner = etag.strip_prefix('"').unwrap().strip_suffix('"').unwrap();
    let (version, random) = inner.split_once('-').unwrap();
    assert_eq!(random.len(), 16, "{etag}");
    assert!(random.bytes().all(|b| b.is_ascii_hexdigit()), "{etag}");
    version.parse().unwrap()
}

async fn error_of(response: reqwest::Response) -> String {
    let body: Value = response.json().await.unwrap();
    body["error"]
        .as_str()
        .expect("a JSON error with a reason")
        .to_owned()
}

#[tokio::test]
async fn health_needs_no_token() {
    let server = spawn_server().await;
    let response = http()
        .get(format!("{}/health", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn v1_without_or_with_a_wrong_token_is_401() {
    let server = spawn_server().await;
    let url = format!("{}/v1/profile", server.url());
    let response = http().get(&url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(error_of(response).await.contains("Bearer"));
    let response = http().get(&url).bearer_auth("wrong").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = http()
        .put(&url)
        .bearer_auth("wrong")
        .json(&json!({"name": "X"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(server.store().get().await.unwrap().is_none());
}

#[tokio::test]
async fn get_is_404_before_any_profile_then_200_with_an_etag_then_304() {
    let server = spawn_server().await;
    let url = format!("{}/v1/profile", server.url());
    let response = http().get(&url).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    server.store().seed(&Fields::new("Ada", "")).await.unwrap();
    let response = http().get(&url).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let etag = etag_of(&response);
    assert_eq!(version_in(&etag), 1);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["name"], "Ada");
    assert_eq!(body["photo_url"], "");
    assert_eq!(body["version"], 1);
    assert_eq!(format!("\"{}\"", body["etag"].as_str().unwrap()), etag);
    assert_eq!(body["store"], server.store().id());
    assert!(body["updated_at"].as_str().unwrap().ends_with('Z'));

    let response = http()
        .get(&url)
        .bearer_auth(TOKEN)
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
    let response = http()
        .get(&url)
        .bearer_auth(TOKEN)
        .header(IF_NONE_MATCH, "\"1-0000000000000000\", \"7-1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn put_creates_updates_and_refuses_stale_or_missing_preconditions() {
    let server = spawn_server().await;
    let url = format!("{}/v1/profile", server.url());
    let put = |body: Value| http().put(&url).bearer_auth(TOKEN).json(&body);

    let response = put(json!({"name": "Ada", "photo_url": ""}))
        .header(IF_NONE_MATCH, "*")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let first = etag_of(&response);
    assert_eq!(version_in(&first), 1);

    // Without a precondition on an existing profile: 428.
    let response = put(json!({"name": "Bob", "photo_url": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PRECONDITION_REQUIRED);
    assert!(error_of(response).await.contains("If-Match"));

    let response = put(json!({"name": "Ada King", "photo_url": ""}))
        .header(IF_MATCH, &first)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let second = etag_of(&response);
    assert_eq!(version_in(&second), 2);

    // Stale: 412 with the current copy and its ETag.
    let response = put(json!({"name": "Someone else", "photo_url": ""}))
        .header(IF_MATCH, &first)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(etag_of(&response), second);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["name"], "Ada King");
    assert_eq!(body["version"], 2);

    // The same version number with another state's tag is stale too: tags, not numbers, match.
    let other = format!("\"2-{}\"", "0".repeat(16));
    let response = put(json!({"name": "Someone else", "photo_url": ""}))
        .header(IF_MATCH, &other)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PRECONDITION_FAILED);

    // A stale retry whose body equals the current state succeeds without a bump.
    let response = put(json!({"name": "Ada King", "photo_url": ""}))
        .header(IF_MATCH, &first)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(etag_of(&response), second);

    // Creating again when one exists: 412.
    let response = put(json!({"name": "New", "photo_url": ""}))
        .header(IF_NONE_MATCH, "*")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(server.store().get().await.unwrap().unwrap().version, 2);
}

#[tokio::test]
async fn if_match_without_a_profile_is_412() {
    let server = spawn_server().await;
    let response = http()
        .put(format!("{}/v1/profile", server.url()))
        .bearer_auth(TOKEN)
        .header(IF_MATCH, "\"1-0123456789abcdef\"")
        .json(&json!({"name": "Ada"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PRECONDITION_FAILED);
    assert!(error_of(response).await.contains("no profile"));
}

#[tokio::test]
async fn bad_bodies_get_400_413_or_422_with_a_reason_and_change_nothing() {
    let server = crate::support::seeded_server("Ada").await;
    let url = format!("{}/v1/profile", server.url());
    let cases: Vec<(reqwest::RequestBuilder, StatusCode, &str)> = vec![
        (
            http()
                .put(&url)
                .body("{not json")
                .header("content-type", "application/json"),
            StatusCode::BAD_REQUEST,
            "not a valid profile",
        ),
        (
            http().put(&url).json(&json!({"name": 5})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid type",
        ),
        (
            http().put(&url).json(&json!({"photo_url": ""})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing field `name`",
        ),
        (
            http().put(&url).json(&json!({"name": "A", "admin": true})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown field `admin`",
        ),
        (
            http().put(&url).json(&json!({"name": "   "})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "must not be empty",
        ),
        (
            http().put(&url).json(&json!({"name": "x".repeat(101)})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "at most 100",
        ),
        (
            http()
                .put(&url)
                .json(&json!({"name": "A", "photo_url": "http://example.com/a.png"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "https://",
        ),
        (
            http().put(&url).json(&json!({"name": "x".repeat(20_000)})),
            StatusCode::PAYLOAD_TOO_LARGE,
            "larger than 16384 bytes",
        ),
        (
            http().put(&url).body("name=A"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "must be JSON",
        ),
    ];
    let current = crate::support::quoted_etag(&server).await;
    for (request, status, reason) in cases {
        let response = request
            .bearer_auth(TOKEN)
            .header(IF_MATCH, &current)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status);
        let error = error_of(response).await;
        assert!(error.contains(reason), "expected {reason:?} in {error:?}");
    }
    let malformed = http()
        .put(&url)
        .bearer_auth(TOKEN)
        .header(IF_MATCH, "1")
        .json(&json!({"name": "B"}))
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(malformed).await.contains("If-Match"));

    let stored = server.store().get().await.unwrap().unwrap();
    assert_eq!((stored.name.as_str(), stored.version), ("Ada", 1));
    let health = http()
        .get(format!("{}/health", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK, "the server keeps serving");
}
