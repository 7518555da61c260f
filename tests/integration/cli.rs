//! The real binary, as a user or a script runs it.

use crate::support::{TOKEN, dead_url, spawn_server_with};
use serde_json::Value;
use std::process::{Command, Output};

fn offline_profile(data_dir: &std::path::Path, api: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_offline-profile"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--api", api])
        .args(args)
        .env("OFFLINE_PROFILE_TOKEN", TOKEN)
        .env_remove("RUST_LOG")
        .output()
        .expect("the binary runs")
}

fn show_json(data_dir: &std::path::Path, api: &str) -> Value {
    let output = offline_profile(data_dir, api, &["show", "--json"]);
    assert!(output.status.success(), "{output:?}");
    serde_json::from_slice(&output.stdout).expect("show --json prints JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_offline_is_pending_and_sync_later_makes_it_synced() {
    let dir = tempfile::tempdir().unwrap();
    let down = dead_url().await;

    let output = offline_profile(dir.path(), &down, &["set", "--name", "Katherine Johnson"]);
    assert!(
        output.status.success(),
        "set exits 0 once saved locally: {output:?}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("saved locally"), "{stdout}");
    assert!(
        stdout.contains("not pushed yet"),
        "it says the push did not go through: {stdout}"
    );

    let shown = show_json(dir.path(), &down);
    assert_eq!(shown["state"], "pending");
    assert_eq!(shown["synchronized"], false);
    assert_eq!(shown["name"], "Katherine Johnson");

    let output = offline_profile(dir.path(), &down, &["sync"]);
    assert!(
        !output.status.success(),
        "sync fails while the server is down"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot be reached"));

    let server = spawn_server_with(|router| router).await;
    let output = offline_profile(dir.path(), &server.url(), &["sync"]);
    assert!(output.status.success(), "{output:?}");

    let shown = show_json(dir.path(), &server.url());
    assert_eq!(shown["state"], "synced");
    assert_eq!(shown["synchronized"], true);
    assert!(shown["synced_at"].is_string());
    assert_eq!(
        server.store().get().await.unwrap().unwrap().name,
        "Katherine Johnson"
    );

    let output = offline_profile(dir.path(), &server.url(), &["status", "--json"]);
    let status: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(status["last_sync"]["ok"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_input_exits_non_zero_with_the_reason_and_saves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let down = dead_url().await;
    let output = offline_profile(dir.path(), &down, &["set", "--name", "   "]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("the name must not be empty"));
    let output = offline_profile(
        dir.path(),
        &down,
        &["set", "--name", "Ada", "--photo-url", "file:///etc/passwd"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("scheme \"file:\""));
    assert_eq!(show_json(dir.path(), &down)["state"], "empty");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_http_server_that_is_not_loopback_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let output = offline_profile(dir.path(), "http://example.com", &["sync"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("use https://"), "{stderr}");
}
