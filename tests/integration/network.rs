//! Quiet while offline, instant when the network returns: the real server and the real app
//! (`watch`) inside a network namespace the test creates (`unshare -n`, as root), whose
//! loopback link the test takes down and brings up with `ip link`. Also: a save by another
//! process wakes a running `watch` at once, and an untrusted certificate is an error.

#[cfg(target_os = "linux")]
use crate::netns::{Namespace, free_port};
#[cfg(target_os = "linux")]
use crate::processes::start_watch;
use crate::processes::{Running, wait_for, watch_lines};
use crate::support::Start;
use crate::support::seeded_server;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[cfg(target_os = "linux")]
const TOKEN: &str = "namespace-test-token";

// Network namespaces are Linux's.
#[cfg(target_os = "linux")]
#[test]
fn in_a_namespace_retries_slow_down_while_the_link_is_down_and_a_link_up_syncs_at_once() {
    let Some(namespace) = Namespace::create() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let api = format!("http://127.0.0.1:{port}");
    let _server = namespace.profile_server(
        port,
        TOKEN,
        &dir.path().join("server.sqlite3"),
        Stdio::null(),
    );
    let app = |args: &[&str]| {
        let mut command = namespace.command(env!("CARGO_BIN_EXE_offline-profile"));
        command
            .arg("--data-dir")
            .arg(dir.path().join("app"))
            .args(["--api", &api, "--token", TOKEN])
            .args(args);
        command
    };
    // The server is up once a sync goes through.
    let started = Instant::now();
    while !app(&["set", "--name", "Ada"])
        .output_retrying()
        .unwrap()
        .stdout
        .starts_with(b"saved locally")
        || !app(&["sync"]).status().unwrap().success()
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the server started"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    let (_watch, lines) = start_watch(
        app(&["watch", "--json"]),
        "info,profile_client::sync=debug",
        &dir.path().join("watch.log"),
    );
    wait_for(&lines, Duration::from_secs(30), "synced line", |v| {
        v["state"] == "synced" && v["activity"] == "idle"
    });

    // The app's own first sync has finished (so no attempt is in flight when the link goes
    // down, which would wait out its timeout first).
    let started = Instant::now();
    while !std::fs::read_to_string(dir.path().join("watch.log"))
        .unwrap_or_default()
        .contains("sync finished")
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the first sync finished"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // The link goes down; an edit is made (by another process: it wakes `watch` at once).
    namespace.ip_link("down");
    let down = Instant::now();
    let down_at = chrono::Utc::now();
    assert!(
        app(&["--offline", "set", "--name", "Ada, while the link is down"])
            .status()
            .unwrap()
            .success()
    );
    // The first attempt may wait out the request timeout on a connection kept alive from before.
    wait_for(&lines, Duration::from_secs(40), "offline line", |v| {
        v["name"] == "Ada, while the link is down" && v["activity"] == "offline"
    });
    // Down for 45 s: fast retries for the first 30 s, then waits of 20 s or more.
    std::thread::sleep(Duration::from_secs(45).saturating_sub(down.elapsed()));
    namespace.ip_link("up");
    let up = Instant::now();
    let up_at = chrono::Utc::now();
    let synced = wait_for(&lines, Duration::from_secs(60), "synced line", |v| {
        v["state"] == "synced" && v["name"] == "Ada, while the link is down"
    });
    let took = synced.saturating_duration_since(up);

    // When each attempt failed while down, from the scheduler's debug lines.
    let text = std::fs::read_to_string(dir.path().join("watch.log")).unwrap();
    let retried_at: Vec<chrono::DateTime<chrono::Utc>> = text
        .lines()
        .filter(|line| line.contains("sync will be retried"))
        .filter_map(|line| line.split_whitespace().next())
        .filter_map(|stamp| chrono::DateTime::parse_from_rfc3339(stamp).ok())
        .map(|at| at.with_timezone(&chrono::Utc))
        .filter(|at| *at >= down_at && *at <= up_at)
        .collect();
    let fast_until = down_at + chrono::Duration::seconds(32);
    let late = retried_at.iter().filter(|at| **at > fast_until).count();
    let warnings = text.lines().filter(|line| line.contains("WARN")).count();
    let offsets: Vec<String> = retried_at
        .iter()
        .map(|at| format!("{:.1}", (*at - down_at).as_seconds_f64()))
        .collect();
    eprintln!(
        "link down 45 s: {} attempts ({late} after the first 32 s; ended at {} s), {warnings} \
         warning lines; link up → synced in {took:?}",
        retried_at.len(),
        offsets.join(", ")
    );
    assert!(!retried_at.is_empty(), "attempts were made while down");
    // After the fast half minute the waits are 15 s or more: at most one or two more.
    assert!(late <= 2, "{late} attempts between 32 and 45 s");
    assert!(
        warnings <= 2,
        "the repeated failure was logged once: {warnings} lines"
    );
    // At link-up the next scheduled retry was 20–45 s away: syncing within 10 s can only be
    // the network signal.
    assert!(
        took < Duration::from_secs(10),
        "synced {took:?} after the link came up"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_save_by_another_process_wakes_a_running_watch_at_once() {
    let server = seeded_server("Ada").await;
    let dir = tempfile::tempdir().unwrap();
    let app = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_offline-profile"));
        command
            .arg("--data-dir")
            .arg(dir.path())
            .args(["--api", &server.url(), "--token", crate::support::TOKEN])
            .args(args);
        command
    };
    assert!(app(&["sync"]).status_retrying().unwrap().success());
    let mut watch = Running(
        app(&["watch", "--json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn_retrying()
            .unwrap(),
    );
    let lines = watch_lines(&mut watch.0);
    tokio::task::spawn_blocking(move || {
        wait_for(&lines, Duration::from_secs(30), "synced line", |v| {
            v["state"] == "synced"
        });
        lines
    })
    .await
    .map(|lines| {
        // The other process saves without sending anything; the running `watch` shows the
        // change and pushes it — long before its 300 s periodic sync.
        let saved = Instant::now();
        assert!(
            app(&["--offline", "set", "--name", "From the CLI"])
                .status_retrying()
                .unwrap()
                .success()
        );
        let synced = wait_for(&lines, Duration::from_secs(30), "synced line", |v| {
            v["state"] == "synced" && v["name"] == "From the CLI"
        });
        eprintln!(
            "another process's save → synced by the running watch in {:?}",
            synced - saved
        );
    })
    .unwrap();
    let Some(profile) = server.store().get().await.unwrap() else {
        panic!("a profile");
    };
    assert_eq!(profile.name, "From the CLI");
}

// The certificate is made by this machine's openssl, a Linux binary.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_this_computer_does_not_trust_is_an_error_said_plainly_not_offline() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
        ])
        .arg("/CN=127.0.0.1")
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output_retrying()
        .expect("openssl is on the machine");
    assert!(made.status.success(), "{made:?}");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let _tls = Running(
        Command::new("openssl")
            .args(["s_server", "-quiet", "-www", "-accept"])
            .arg(port.to_string())
            .arg("-cert")
            .arg(&cert)
            .arg("-key")
            .arg(&key)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn_retrying()
            .unwrap(),
    );
    let client = crate::support::Client::new();
    let repository = client
        .repository(&format!("https://127.0.0.1:{port}"))
        .await;
    repository.save("Ada", "").await.unwrap();
    let started = Instant::now();
    let error = loop {
        match repository.sync().await {
            Err(error) if !error.is_offline() => break error,
            Err(_) if started.elapsed() < Duration::from_secs(20) => {
                // The TLS server is still starting.
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            other => panic!("expected a certificate error, got {other:?}"),
        }
    };
    assert!(
        matches!(
            error,
            profile_client::RepositoryError::Api(profile_client::api_client::ApiError::Untrusted(
                _
            ))
        ),
        "{error}"
    );
    let status = repository.status();
    assert!(
        matches!(status.activity, profile_client::Activity::Failed { .. }),
        "an error, not offline: {:?}",
        status.activity
    );
    let words = offline_profile::words::failure(&status.last_failure.unwrap());
    assert!(
        words.contains("presented a certificate this computer doesn't trust"),
        "{words}"
    );
    assert!(words.contains("Your change is saved here."), "{words}");
    // Not retried at the offline pace: it is not an offline error, so the scheduler backs off
    // as for a refusal (see `sync::scheduler`).
    assert!(!error.is_offline());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_is_said_in_plain_words_with_the_details_kept() {
    let client = crate::support::Client::new();
    let url = crate::support::dead_url().await;
    let repository = client.repository(&url).await;
    repository.save("Ada", "").await.unwrap();
    assert!(repository.sync().await.unwrap_err().is_offline());
    let status = repository.status();
    let host = url.trim_start_matches("http://");
    assert_eq!(
        status
            .last_failure
            .as_ref()
            .map(offline_profile::words::failure),
        Some(format!(
            "The server at {host} isn't answering (connection refused). Your change is saved \
             here and will be sent when it is back."
        ))
    );
    let technical = status.last_attempt.unwrap().message;
    // ECONNREFUSED; WSAECONNREFUSED on Windows.
    let refused = if cfg!(windows) {
        "os error 10061"
    } else {
        "os error 111"
    };
    assert!(technical.contains(refused), "{technical}");
}
