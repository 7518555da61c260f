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
/// meanwhile, a wave costs a bounded amount per connection, and the memory levels off — a leak
/// adds about a whole wave's cost with every wave, an allocator that keeps freed memory adds
/// less and less. (How much comes back, per allocator, is measured in the memory benchmark.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_and_idle_connections_are_closed_and_memory_levels_off() {
    let dir = tempfile::tempdir().unwrap();
    let running = Running::start(dir.path().join("server.sqlite3"), "slow-test-token", "warn");
    let count = wave_size(3000);
    health_latency(&running).await;
    let baseline = running.rss_kib();
    let timeout = profile_server::HEADER_READ_TIMEOUT;

    // An idle kept-alive connection.
    let mut idle = TcpStream::connect(running.addr).unwrap();
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: example\r\n\r\n")
        .unwrap();
    let mut answer = [0u8; 512];
    assert!(idle.read(&mut answer).unwrap() > 0);

    let mut waves = Vec::new();
    for number in 0..4 {
        let addr = running.addr;
        let pid = running.pid();
        let wave = tokio::task::spawn_blocking(move || {
            wave(addr, pid, count, timeout + Duration::from_secs(5))
        });
        // The server answers while the wave's connections are open.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let latency = health_latency(&running).await;
        let wave = wave.await.unwrap();
        eprintln!(
            "wave {number}: {count} half-sent requests; /health answered in {latency:?}; RSS \
             {} KiB open, {} KiB closed (idle {baseline} KiB); closed after {:?} (header \
             timeout {timeout:?})",
            wave.peak, wave.after, wave.closed_after
        );
        waves.push(wave);
    }
    let closed_idle = all_closed(std::slice::from_mut(&mut idle), Duration::from_secs(1));
    eprintln!("the idle connection was closed too ({closed_idle:?} after the waves)");
    let peaks: Vec<u64> = waves.iter().map(|wave| wave.peak).collect();
    let first_cost = peaks[0].saturating_sub(baseline);
    assert!(
        first_cost <= (count as u64) * 64,
        "more than 64 KiB per half-sent request: {first_cost} KiB over {count}"
    );
    // Levelling off: the later waves' highest peak stays within one wave's cost of the earlier
    // waves' highest. A leak of a wave's cost per wave would add two of them by then; an
    // allocator keeping freed memory adds less each wave.
    let earlier = peaks[..2].iter().copied().max().unwrap_or(0);
    let later = peaks[2..].iter().copied().max().unwrap_or(0);
    assert!(
        later <= earlier + first_cost,
        "memory grows with every wave (a leak): peaks {peaks:?} KiB, idle {baseline} KiB"
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
