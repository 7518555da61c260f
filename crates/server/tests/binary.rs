//! The `profile-server` binary as an admin runs it: slow and idle clients are closed and its
//! memory stays bounded; secrets never reach its logs, even at `RUST_LOG=trace`.

mod support;

use support::process::Running;

use support::http;

use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The soft limit on open files, from /proc.
fn open_file_limit() -> usize {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|limits| {
            limits
                .lines()
                .find(|line| line.starts_with("Max open files"))
                .and_then(|line| line.split_whitespace().nth(3)?.parse().ok())
        })
        .unwrap_or(1024)
}

/// Opens `count` connections that send the start of a request and never finish its headers.
fn half_sent_requests(addr: SocketAddr, count: usize) -> Vec<TcpStream> {
    (0..count)
        .map(|_| {
            let mut stream = TcpStream::connect(addr).unwrap();
            stream
                .write_all(b"GET /health HTTP/1.1\r\nHost: example\r\nX-Slow: ")
                .unwrap();
            stream
        })
        .collect()
}

/// Waits until the server has closed every one of `streams`; returns how long that took.
fn all_closed(streams: &mut [TcpStream], limit: Duration) -> Duration {
    let started = Instant::now();
    for stream in streams.iter_mut() {
        let left = limit
            .saturating_sub(started.elapsed())
            .max(Duration::from_millis(10));
        stream.set_read_timeout(Some(left)).unwrap();
        let mut byte = [0u8; 1];
        match stream.read(&mut byte) {
            Ok(0) | Err(_) if started.elapsed() < limit => {}
            other => panic!("a half-sent request is still open after {limit:?}: {other:?}"),
        }
    }
    started.elapsed()
}

async fn health_latency(running: &Running) -> Duration {
    let started = Instant::now();
    let response = http().get(running.url("/health")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_and_idle_connections_are_closed_and_memory_stays_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let running = Running::start(dir.path().join("server.sqlite3"), "slow-test-token", "warn");
    let count = 3000.min(open_file_limit().saturating_sub(300) / 2);
    health_latency(&running).await;
    let baseline = running.rss_kib();
    let timeout = profile_server::HEADER_READ_TIMEOUT;

    // An idle kept-alive connection.
    let mut idle = TcpStream::connect(running.addr).unwrap();
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: example\r\n\r\n")
        .unwrap();
    let mut answer = [0u8; 512];
    assert!(idle.read(&mut answer).unwrap() > 0);

    let mut peaks = Vec::new();
    let mut closed_after = Vec::new();
    for wave in 0..2 {
        let mut streams = half_sent_requests(running.addr, count);
        let latency = health_latency(&running).await;
        peaks.push(running.rss_kib());
        eprintln!(
            "wave {wave}: {count} half-sent requests open; /health answered in {latency:?}; \
             server RSS {} KiB (baseline {baseline} KiB)",
            peaks[wave]
        );
        closed_after.push(all_closed(&mut streams, timeout + Duration::from_secs(5)));
        health_latency(&running).await;
    }
    let closed_idle = all_closed(std::slice::from_mut(&mut idle), Duration::from_secs(1));
    let after = running.rss_kib();
    eprintln!(
        "closed after {closed_after:?} (header timeout {timeout:?}); idle connection closed too \
         ({closed_idle:?} after the waves); RSS peaks {peaks:?} KiB, {after} KiB after"
    );
    // Each wave's connections are gone, and a second wave costs no more than the first.
    assert!(
        peaks[1] <= peaks[0] + 10 * 1024,
        "memory grows with every wave: {peaks:?}"
    );
    assert!(
        peaks[0] <= baseline + (count as u64) * 64,
        "more than 64 KiB per half-sent request: {} KiB over {count}",
        peaks[0] - baseline
    );
    running.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_and_tokens_never_appear_in_the_logs_even_at_trace() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3").display().to_string();
    secrets_stay_out_of_the_logs(&db, &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_the_database_password_never_appears_in_the_logs_either() {
    let Some(postgres) = support::postgres::Postgres::start() else {
        return;
    };
    let (name, _) = postgres.database_named().await;
    let password = "canary-database-password-7d3a";
    let url = postgres.url_with_password(&name, password);
    secrets_stay_out_of_the_logs(&url, &[("the database password", password)]).await;
}

/// Signs in, uses tokens and fails a sign-in on a server over `db` logging at trace; neither
/// the server's nor the admin command's output holds a secret, nor any of `more`.
async fn secrets_stay_out_of_the_logs(db: &str, more: &[(&str, &str)]) {
    let password = "canary-password-4f1c";
    let shortcut = "canary-shortcut-token-9b2e";
    let added = Command::new(env!("CARGO_BIN_EXE_profile-server"))
        .arg("--db")
        .arg(db)
        .args(["user", "add", "ada@example.com", "--password-stdin"])
        .env("RUST_LOG", "trace")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(format!("{password}\n").as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(added.status.success(), "{added:?}");
    let admin_logs = String::from_utf8_lossy(&added.stderr).into_owned()
        + &String::from_utf8_lossy(&added.stdout);

    let running = Running::start(db, shortcut, "trace");
    let signed_in: Value = http()
        .post(running.url("/v1/sessions"))
        .json(&json!({"email": "ada@example.com", "password": password, "device_name": "Laptop"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = signed_in["token"].as_str().unwrap().to_owned();
    let wrong = http()
        .post(running.url("/v1/sessions"))
        .json(&json!({"email": "ada@example.com", "password": format!("{password}-wrong"), "device_name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    for bearer in [&token, &shortcut.to_owned()] {
        let response = http()
            .put(running.url("/v1/profile"))
            .bearer_auth(bearer)
            .header("if-none-match", "*")
            .json(&json!({"name": "Ada"}))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success() || response.status() == 412);
        let response = http()
            .get(running.url("/v1/devices"))
            .bearer_auth(bearer)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    let logs = running.stop();
    assert!(
        logs.len() > 10_000,
        "trace logging is on ({} bytes)",
        logs.len()
    );
    let secret = token.split_once('.').unwrap().1;
    for (what, canary) in [
        ("the password", password),
        ("the device token", secret),
        ("the --token", shortcut),
    ]
    .into_iter()
    .chain(more.iter().copied())
    {
        assert!(!logs.contains(canary), "{what} is in the server's logs");
        assert!(
            !admin_logs.contains(canary),
            "{what} is in the admin command's logs"
        );
    }
}
