//! The `profile-server` binary as an admin runs it: slow and idle clients are closed and its
//! memory stays bounded; secrets never reach its logs, even at `RUST_LOG=trace`.

mod support;

use support::process::Running;

use support::http;
use support::slow_clients::{all_closed, wave, wave_size};

use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

async fn health_latency(running: &Running) -> Duration {
    let started = Instant::now();
    let response = http().get(running.url("/health")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    started.elapsed()
}

/// Waves of half-sent requests. What must hold on every machine, whatever its allocator keeps:
/// each wave's connections are closed after the header timeout, the server keeps answering
/// meanwhile, a wave costs a bounded amount per connection, and once a wave is gone the heap
/// is back to its idle size — a leak adds to it with every wave. The heap is the
/// server's own count of the bytes it holds (`profile_server_heap_bytes`), not its resident
/// size, which depends on how much freed memory the allocator keeps; how much of that comes
/// back, per allocator, is measured in the memory benchmark.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_and_idle_connections_are_closed_and_the_heap_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let running =
        Running::start_with_metrics(dir.path().join("server.sqlite3"), "slow-test-token", "warn");
    let count = wave_size(3000);
    health_latency(&running).await;
    let baseline = running.rss_kib();
    let idle_heap = settled_heap(&running).await;
    let timeout = profile_server::HEADER_READ_TIMEOUT;

    // An idle kept-alive connection.
    let mut idle = TcpStream::connect(running.addr).unwrap();
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: example\r\n\r\n")
        .unwrap();
    let mut answer = [0u8; 512];
    assert!(idle.read(&mut answer).unwrap() > 0);

    let mut waves = Vec::new();
    let mut heaps = Vec::new();
    for number in 0..4 {
        let addr = running.addr;
        let pid = running.pid();
        let wave = tokio::task::spawn_blocking(move || {
            wave(addr, pid, count, timeout + Duration::from_secs(5))
        });
        // The server answers while the wave's connections are open.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let latency = health_latency(&running).await;
        let during = running.metric("profile_server_heap_bytes").await;
        let wave = wave.await.unwrap();
        let heap = settled_heap(&running).await;
        eprintln!(
            "wave {number}: {count} half-sent requests; /health answered in {latency:?}; RSS \
             {} KiB open, {} KiB closed (idle {baseline} KiB); heap {} KiB open, {} KiB closed \
             (idle {} KiB); closed after {:?} (header timeout {timeout:?})",
            wave.peak,
            wave.after,
            during / 1024,
            heap / 1024,
            idle_heap / 1024,
            wave.closed_after
        );
        waves.push(wave);
        heaps.push(heap);
    }
    let closed_idle = all_closed(std::slice::from_mut(&mut idle), Duration::from_secs(1));
    eprintln!("the idle connection was closed too ({closed_idle:?} after the waves)");
    let first_cost = waves[0].peak.saturating_sub(baseline);
    assert!(
        first_cost <= (count as u64) * 64,
        "more than 64 KiB per half-sent request: {first_cost} KiB over {count}"
    );
    // Once a wave is gone, the heap is back to its idle size, give or take 64 bytes per request
    // of a wave (and at least 256 KiB, for what a first use of a path allocates once, where the
    // open-file limit makes waves small) — a leak, or connections kept until something else
    // happens, leaves more after every wave.
    let slack = (count as u64 * 64).max(256 * 1024);
    assert!(
        heaps.iter().all(|&heap| heap <= idle_heap + slack),
        "the heap keeps what the waves took: {heaps:?} bytes after them, {idle_heap} idle"
    );
    running.stop();
}

/// The server's heap once it has let go of what it is done with: the lowest of a few readings
/// a tenth of a second apart (a connection's last buffers are freed just after it closes).
async fn settled_heap(running: &Running) -> u64 {
    let mut lowest = u64::MAX;
    for _ in 0..5 {
        lowest = lowest.min(running.metric("profile_server_heap_bytes").await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    lowest
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
    // Lines below info were written (plain text: no colour codes into a pipe).
    assert!(
        logs.contains("DEBUG") && logs.len() > 5_000,
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
