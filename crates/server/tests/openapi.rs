//! The OpenAPI document: the committed `openapi.json` is what the code generates (rewrite it
//! with `OFFLINE_PROFILE_UPDATE_GOLDEN=1 cargo test -p profile-server --test openapi`), the
//! server serves it without a token, it names every route the server answers, and its header
//! patterns accept exactly what the server's tag parser accepts.

use profile_server::openapi;
use serde_json::Value;

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi.json");

#[test]
fn the_committed_document_is_what_the_code_generates() {
    let generated = openapi::document_json();
    if std::env::var_os("OFFLINE_PROFILE_UPDATE_GOLDEN").is_some() {
        std::fs::write(COMMITTED, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi.json differs from the code's document; rewrite it with \
         OFFLINE_PROFILE_UPDATE_GOLDEN=1 cargo test -p profile-server --test openapi"
    );
    let document: Value = serde_json::from_str(&committed).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
}

/// Every route and method the router answers, and nothing else.
#[test]
fn the_document_names_every_route() {
    let document: Value = serde_json::to_value(openapi::document()).unwrap();
    let mut operations: Vec<String> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|key| ["get", "put", "post", "delete"].contains(&key.as_str()))
                .map(move |method| format!("{} {path}", method.to_uppercase()))
        })
        .collect();
    operations.sort();
    assert_eq!(
        operations,
        [
            "DELETE /v1/devices/{id}",
            "DELETE /v1/sessions/current",
            "GET /health",
            "GET /ready",
            "GET /v1/devices",
            "GET /v1/openapi.json",
            "GET /v1/photos/{sha256}",
            "GET /v1/profile",
            "GET /v1/profile/events",
            "POST /v1/sessions",
            "PUT /v1/photos/{sha256}",
            "PUT /v1/profile",
        ]
    );
    // Each has an operation id (the links name them) and its answers.
    for (_, item) in document["paths"].as_object().unwrap() {
        for (_, operation) in item.as_object().unwrap() {
            assert!(operation["operationId"].is_string(), "{operation}");
            assert!(operation["responses"].as_object().unwrap().len() >= 2);
        }
    }
}

/// The `If-Match` / `If-None-Match` patterns accept what `parse_etags` accepts, no more, no less.
#[test]
fn the_tag_pattern_is_the_tag_parser() {
    let document: Value = serde_json::to_value(openapi::document()).unwrap();
    let parameters = document["paths"]["/v1/profile"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let pattern = parameters
        .iter()
        .find(|p| p["name"] == "If-None-Match")
        .unwrap()["schema"]["pattern"]
        .as_str()
        .unwrap();
    let pattern = regex::Regex::new(pattern).unwrap();
    for text in [
        "*",
        " * ",
        "\"1-a\"",
        "\"7-9f2c41d0a1b2c3d4\"",
        " \"1-a\", \"22-b\" ",
        "\"1-a\",\"2-b\"",
        "\t\"x\"\t",
        "",
        " ",
        "W/\"1-a\"",
        "\"1-a",
        "1-a",
        "\"\"",
        "\"a b\"",
        "\"1-a\",",
        "*,\"1-a\"",
        "\"1_a\"",
        &format!("\"{}\"", "a".repeat(64)),
        &format!("\"{}\"", "a".repeat(65)),
    ] {
        assert_eq!(
            pattern.is_match(text),
            profile_protocol::parse_etags(text).is_ok(),
            "{text:?}"
        );
    }
}

/// Served at `/v1/openapi.json` without a token.
#[tokio::test]
async fn the_server_serves_its_document_without_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let store = profile_server::Store::open(&dir.path().join("db.sqlite3"))
        .await
        .unwrap();
    let running = profile_server::start_with(
        store,
        "a-token-for-this-test",
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await;
    let running = running.unwrap();
    let served: Value = reqwest::get(format!("http://{}/v1/openapi.json", running.addr))
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(served, serde_json::to_value(openapi::document()).unwrap());
}

/// The name's pattern accepts what the validation accepts, no more, no less; the photo URL's
/// pattern accepts everything the validation accepts (it is the shape: the rest is said 422).
#[test]
fn the_field_patterns_match_the_validation() {
    let document: Value = serde_json::to_value(openapi::document()).unwrap();
    let fields = &document["components"]["schemas"]["PutBody"]["properties"];
    let pattern =
        |field: &str| regex::Regex::new(fields[field]["pattern"].as_str().unwrap()).unwrap();
    let name = pattern("name");
    let long = "x".repeat(100);
    let too_long = "x".repeat(101);
    for text in [
        "Ada",
        "a",
        " Ada ",
        "\tAda\n",
        "Ada Lovelace",
        "  ",
        "",
        "Ad\u{0}a",
        "Ada\u{202E}",
        "\u{0085}Ada\u{0085}",
        "A\u{0085}da",
        "\u{a0}Ada",
        "A\u{a0}da",
        "\u{200b}",
        "\u{feff}Ada",
        "Ada\u{3000}",
        "اَدا",
        "Grace\u{2028}",
        long.as_str(),
        too_long.as_str(),
        &format!("  {long}  "),
        &format!("{long}\u{2003}"),
        "\u{7f}",
        "Ada\u{9f}",
        "😀",
    ] {
        assert_eq!(
            name.is_match(text),
            profile_protocol::validate_name(text).is_ok(),
            "name {text:?}"
        );
    }
    let url = pattern("photo_url");
    for text in [
        "",
        "  ",
        "https://example.com/a.png",
        " https://example.com ",
        "HTTPS://EXAMPLE.COM",
        "http://127.0.0.1:8080/a",
        "http://[::1]/a",
        "https:example.com",
        "https://ex ample.com",
        "https://example.com/\u{202E}",
    ] {
        if profile_protocol::validate_photo_url(text).is_ok() {
            assert!(url.is_match(text), "photo_url {text:?}");
        }
    }
    for refused in [
        "ftp://example.com",
        "example.com",
        "https://a b",
        "javascript:x",
    ] {
        assert!(!url.is_match(refused), "photo_url {refused:?}");
    }
}
