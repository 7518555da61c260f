//! The real binary, as a user or a script runs it.

use crate::support::Start;
use crate::support::{TOKEN, dead_url, offline_profile, spawn_server_with};
use serde_json::Value;
use std::process::Command;

pub fn show_json(data_dir: &std::path::Path, api: &str) -> Value {
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

/// Two CLI clients on one server end up in a conflict on the name; returns B's folder.
fn cli_conflict(server_url: &str) -> (tempfile::TempDir, tempfile::TempDir) {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    assert!(
        offline_profile(a.path(), server_url, &["sync"])
            .status
            .success()
    );
    assert!(
        offline_profile(b.path(), server_url, &["sync"])
            .status
            .success()
    );
    let output = offline_profile(a.path(), server_url, &["set", "--name", "Alice"]);
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("pushed to the server"),
        "{output:?}"
    );
    let output = offline_profile(b.path(), server_url, &["--offline", "set", "--name", "Bob"]);
    assert!(output.status.success());
    assert!(
        !String::from_utf8_lossy(&output.stdout).contains("pushed"),
        "--offline pushes nothing"
    );

    let output = offline_profile(b.path(), server_url, &["sync"]);
    assert!(!output.status.success(), "a conflict is not synchronized");
    assert!(String::from_utf8_lossy(&output.stderr).contains("conflict"));
    let shown = show_json(b.path(), server_url);
    assert_eq!(shown["state"], "conflict");
    assert_eq!(shown["name"], "Bob");
    assert_eq!(shown["conflict"]["theirs"]["name"], "Alice");
    (a, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resolve_keep_mine_pushes_the_local_value() {
    let server = spawn_server_with(|router| router).await;
    server
        .store()
        .seed(&profile_client::domain::Fields::new("Ada", ""))
        .await
        .unwrap();
    let (_a, b) = cli_conflict(&server.url());
    let output = offline_profile(b.path(), &server.url(), &["resolve", "--keep-mine"]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(show_json(b.path(), &server.url())["state"], "synced");
    assert_eq!(server.store().get().await.unwrap().unwrap().name, "Bob");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resolve_use_theirs_takes_the_server_value() {
    let server = spawn_server_with(|router| router).await;
    server
        .store()
        .seed(&profile_client::domain::Fields::new("Ada", ""))
        .await
        .unwrap();
    let (_a, b) = cli_conflict(&server.url());
    let output = offline_profile(b.path(), &server.url(), &["resolve", "--use-theirs"]);
    assert!(output.status.success(), "{output:?}");
    let shown = show_json(b.path(), &server.url());
    assert_eq!(shown["state"], "synced");
    assert_eq!(shown["name"], "Alice");
    assert_eq!(server.store().get().await.unwrap().unwrap().name, "Alice");
    let output = offline_profile(b.path(), &server.url(), &["resolve", "--keep-mine"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("no conflict"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_flag_sends_no_request() {
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let server = spawn_server_with(crate::support::counting(count.clone())).await;
    let dir = tempfile::tempdir().unwrap();
    let output = offline_profile(
        dir.path(),
        &server.url(),
        &["--offline", "set", "--name", "Quiet"],
    );
    assert!(output.status.success(), "{output:?}");
    let output = offline_profile(dir.path(), &server.url(), &["--offline", "sync"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("working offline"));
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 0);
    assert_eq!(show_json(dir.path(), &server.url())["state"], "pending");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_prints_a_json_line_for_each_change_including_pushed_ones() {
    use std::io::BufRead;
    let server = spawn_server_with(|router| router).await;
    server
        .store()
        .seed(&profile_client::domain::Fields::new("Ada", ""))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_offline-profile"))
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "--api",
            &server.url(),
            "--sync-interval",
            "3600",
            "watch",
            "--json",
        ])
        .env("OFFLINE_PROFILE_TOKEN", TOKEN)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn_retrying()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel::<Value>();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            let value: Value = serde_json::from_str(&line).expect("one JSON object per line");
            if lines_tx.send(value).is_err() {
                return;
            }
        }
    });
    let wait_for = |name: &str| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let line = lines_rx
                .recv_timeout(left)
                .expect("a line for the change in time");
            if line["name"] == name && line["state"] == "synced" {
                return line;
            }
        }
    };
    wait_for("Ada");
    // Another client changes the profile on the server; watch hears of it through push.
    server
        .client()
        .put_profile(
            &profile_client::domain::Fields::new("Ada, pushed", ""),
            crate::support::current_state(&server).await,
        )
        .await
        .unwrap();
    let line = wait_for("Ada, pushed");
    assert_eq!(line["synchronized"], true);
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Over SSH, say: no display server is named. The app says so in plain words and what to use
/// instead, exit 1, instead of the toolkit's panic.
#[cfg(all(unix, not(target_os = "macos")))]
#[test]
fn without_a_display_the_window_says_why_and_what_to_use_instead() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_offline-profile"))
        .arg("--data-dir")
        .arg(dir.path())
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("WAYLAND_SOCKET")
        .env("RUST_BACKTRACE", "1")
        .output_retrying()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("there is no display"), "{stderr}");
    assert!(stderr.contains("offline-profile show"), "{stderr}");
    assert!(stderr.contains("libxkbcommon-x11-0"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // Nothing was made of the data folder: no window, no session.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
