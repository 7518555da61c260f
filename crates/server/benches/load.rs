//! The load harness: the real `profile-server` binary (release) on SQLite, or two instances on
//! a throwaway PostgreSQL behind HAProxy, seeded with many users; GET/PUT mixes and thousands
//! of event streams; medians, p95/p99, throughput, server memory per idle stream, missed
//! events, and the recovery from a killed instance.
//!
//! `cargo bench -p profile-server --bench load -- [sqlite] [postgres] [streams]` (all three
//! without arguments); `memory` (only when named; `benches/server-memory.sh` runs it with one
//! server build per allocator) measures the memory slow clients leave behind. `LOAD_SECONDS`
//! (default 5) sets each phase's length, `LOAD_USERS` (default 10000) the number of users,
//! `LOAD_STREAM_USERS` (default 2500) the stream phase's, `LOAD_CONNECTIONS` (default 16; a
//! list such as `32,16,12` runs the GET/PUT phases once per count) the connections, and
//! `LOAD_WAVES` (6) and `LOAD_SETTLE_SECONDS` (30) the memory scenario.
//!
//! Each run ends with a markdown table of what it measured, with each target and whether it
//! was met (`benches/all` pastes it into BENCHMARKS.md).

#[path = "../tests/support/postgres.rs"]
#[allow(dead_code)]
mod postgres;

#[path = "../tests/support/haproxy.rs"]
mod haproxy;

#[path = "../tests/support/sse.rs"]
mod sse;

#[path = "../tests/support/slow_clients.rs"]
#[allow(dead_code)]
mod slow_clients;

#[path = "../tests/support/process.rs"]
#[allow(dead_code)]
mod process;

use futures::StreamExt;
use haproxy::Haproxy;
use process::Running as Instance;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Seeds `users` users, each with `devices` device tokens and a profile, straight into the
/// database (signing each in would spend the whole run hashing passwords). Returns the tokens.
async fn seed(db: &str, users: usize, devices: usize) -> Vec<Vec<String>> {
    // Opening the store applies its schema.
    profile_server::Store::connect(db).await.unwrap();
    let mut tokens = Vec::with_capacity(users);
    let mut rows = Vec::new();
    for user in 0..users {
        let id = user as i64 + 2;
        let mut own = Vec::new();
        for device in 0..devices {
            let device_id = format!("{id:08x}{device:08x}");
            let secret = format!("{:064x}", rand::random::<u128>());
            let hash = profile_protocol::sha256_hex(secret.as_bytes());
            rows.push((device_id.clone(), id, hash));
            own.push(format!("{device_id}.{secret}"));
        }
        tokens.push(own);
    }
    macro_rules! insert_all {
        ($pool:expr) => {{
            let mut tx = $pool.begin().await.unwrap();
            let now = chrono::Utc::now();
            for user in 0..users as i64 {
                let id = user + 2;
                sqlx::query("INSERT INTO users (id, email, password_hash, created_at) VALUES ($1, $2, NULL, $3)")
                    .bind(id)
                    .bind(format!("user{id}@example.com"))
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                sqlx::query("INSERT INTO profiles (user_id, name, photo_url, version, updated_at, etag) VALUES ($1, $2, '', 1, $3, $4)")
                    .bind(id)
                    .bind(format!("User {id}"))
                    .bind(now)
                    .bind(format!("1-{:016x}", rand::random::<u64>()))
                    .execute(&mut *tx)
                    .await
                    .unwrap();
            }
            for (device, user, hash) in &rows {
                sqlx::query("INSERT INTO devices (id, user_id, name, token_hash, created_at) VALUES ($1, $2, 'load', $3, $4)")
                    .bind(device)
                    .bind(user)
                    .bind(hash)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
            }
            tx.commit().await.unwrap();
        }};
    }
    if db.starts_with("postgres://") {
        let pool = sqlx::PgPool::connect(db).await.unwrap();
        insert_all!(pool);
        sqlx::query("SELECT setval('users_id_seq', (SELECT max(id) FROM users))")
            .execute(&pool)
            .await
            .unwrap();
    } else {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{db}"))
            .await
            .unwrap();
        insert_all!(pool);
    }
    tokens
}

#[derive(Clone, Copy, PartialEq)]
enum Mix {
    Get,
    Put,
    /// 90 % GET, 10 % PUT.
    Mixed,
    /// `GET /v1/photos/{sha256}` of a photo the user uploaded.
    PhotoGet,
    /// `PUT /v1/photos/{sha256}` of a photo the server has not seen.
    PhotoPut,
}

/// The photos of the photo phases: one device's 512 × 512 JPEG, and the photos uploaded for the
/// first users (the GET phase reads them).
struct Photos {
    base: Vec<u8>,
    uploaded: Vec<String>,
    /// Makes each PUT's photo new.
    next: AtomicU64,
}

/// A photo as a device sends it: 512 × 512, JPEG quality 85, with the detail of a photo (so about
/// the size of one).
fn device_photo() -> Vec<u8> {
    let picture = image::RgbImage::from_fn(512, 512, |x, y| {
        let noise = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)) >> 26;
        image::Rgb([
            (x / 2) as u8 ^ noise as u8,
            (y / 2) as u8,
            ((x + y) / 4) as u8,
        ])
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 85)
        .encode_image(&picture)
        .unwrap();
    jpeg
}

/// `base` made unique by a comment segment holding `n` (comments are no metadata: the server
/// keeps them; the app never writes any).
fn unique_photo(base: &[u8], n: u64) -> (String, Vec<u8>) {
    let mut jpeg = base[..2].to_vec();
    jpeg.extend_from_slice(&[0xFF, 0xFE, 0, 10]);
    jpeg.extend_from_slice(&n.to_be_bytes());
    jpeg.extend_from_slice(&base[2..]);
    (profile_protocol::sha256_hex(&jpeg), jpeg)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// `n` with a comma between each group of three digits.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

fn met(yes: bool) -> &'static str {
    if yes { "yes" } else { "**no**" }
}

/// The rows of the table printed at the end of the run.
type Rows = Vec<String>;

/// One row: scenario, figure, target, measured, met.
fn row(cells: [&str; 5]) -> String {
    format!("| {} |", cells.join(" | "))
}

/// What one phase of requests measured.
struct Phase {
    rate: f64,
    median: Duration,
    p95: Duration,
    p99: Duration,
    errors: u64,
}

impl Phase {
    fn measured(&self) -> String {
        let errors = match self.errors {
            0 => String::new(),
            n => format!("; {} errors", thousands(n)),
        };
        format!(
            "{} req/s; median {}, p95 {}, p99 {}{errors}",
            thousands(self.rate.round() as u64),
            ms(self.median),
            ms(self.p95),
            ms(self.p99)
        )
    }

    /// At least `rate` requests a second, p99 under `p99_ms`, no errors.
    fn meets(&self, rate: f64, p99_ms: u64) -> bool {
        self.rate >= rate && self.p99 < Duration::from_millis(p99_ms) && self.errors == 0
    }
}

/// `connections` workers send requests of `mix` for `seconds`; prints the line.
async fn drive(
    label: &str,
    url: &str,
    tokens: &[Vec<String>],
    mix: Mix,
    connections: usize,
    seconds: u64,
    photos: Option<Arc<Photos>>,
) -> Phase {
    let tokens = Arc::new(tokens.to_vec());
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let errors = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::new();
    for worker in 0..connections {
        let (url, tokens, errors) = (url.to_owned(), tokens.clone(), errors.clone());
        let photos = photos.clone();
        workers.push(tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap();
            let mut latencies = Vec::new();
            let mut n = worker as u64;
            while Instant::now() < deadline {
                n = n
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let user = (n >> 33) as usize % tokens.len();
                let token = &tokens[user][0];
                let put = match mix {
                    Mix::Get | Mix::PhotoGet => false,
                    Mix::Put | Mix::PhotoPut => true,
                    Mix::Mixed => (n >> 20).is_multiple_of(10),
                };
                let request = if let (Some(photos), true) =
                    (&photos, matches!(mix, Mix::PhotoGet | Mix::PhotoPut))
                {
                    if put {
                        let next = photos.next.fetch_add(1, Ordering::Relaxed);
                        let (id, jpeg) = unique_photo(&photos.base, next);
                        http.put(format!("{url}/v1/photos/{id}"))
                            .bearer_auth(token)
                            .header("content-type", "image/jpeg")
                            .body(jpeg)
                    } else {
                        let owner = user % photos.uploaded.len();
                        http.get(format!("{url}/v1/photos/{}", photos.uploaded[owner]))
                            .bearer_auth(&tokens[owner][0])
                    }
                } else if put {
                    http.put(format!("{url}/v1/profile"))
                        .bearer_auth(token)
                        .header("if-match", "*")
                        .json(&serde_json::json!({"name": format!("Name {n}")}))
                } else {
                    http.get(format!("{url}/v1/profile")).bearer_auth(token)
                };
                let started = Instant::now();
                match request.send().await {
                    Ok(response) if response.status().is_success() => {
                        let _ = response.bytes().await;
                        latencies.push(started.elapsed());
                    }
                    other => {
                        if errors.fetch_add(1, Ordering::Relaxed) == 0 {
                            eprintln!("first error: {other:?}");
                        }
                    }
                }
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await.unwrap());
    }
    all.sort();
    println!(
        "{label}: {:.0} req/s, median {}, p95 {}, p99 {} ({} requests, {} errors, {connections} connections, {seconds} s)",
        all.len() as f64 / seconds as f64,
        ms(percentile(&all, 0.5)),
        ms(percentile(&all, 0.95)),
        ms(percentile(&all, 0.99)),
        all.len(),
        errors.load(Ordering::Relaxed),
    );
    Phase {
        rate: all.len() as f64 / seconds as f64,
        median: percentile(&all, 0.5),
        p95: percentile(&all, 0.95),
        p99: percentile(&all, 0.99),
        errors: errors.load(Ordering::Relaxed),
    }
}

/// The connection counts in `LOAD_CONNECTIONS` (default 16; a comma-separated list runs the
/// phases once per count, in that order).
fn connection_counts() -> Vec<usize> {
    let counts: Vec<usize> = std::env::var("LOAD_CONNECTIONS")
        .unwrap_or_default()
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    if counts.is_empty() { vec![16] } else { counts }
}

/// The targets of a scenario's GET and PUT phases: (requests a second, p99 in ms) each.
struct Targets {
    get: (f64, u64),
    put: (f64, u64),
}

/// GET only, PUT only, then 90/10, each for `seconds`, once per count of connections in
/// `LOAD_CONNECTIONS`; a table row for each.
async fn phases(
    label: &str,
    put_figure: &str,
    targets: Targets,
    url: &str,
    tokens: &[Vec<String>],
    seconds: u64,
    rows: &mut Rows,
) {
    for connections in connection_counts() {
        let scenario = format!("{label}, {connections} connections");
        let mut first = true;
        for (name, figure, mix, target) in [
            ("GET", "GET", Mix::Get, Some(targets.get)),
            ("PUT", put_figure, Mix::Put, Some(targets.put)),
            ("90/10 GET/PUT", "90 % GET / 10 % PUT", Mix::Mixed, None),
        ] {
            let phase = drive(
                &format!("{scenario}, {name}"),
                url,
                tokens,
                mix,
                connections,
                seconds,
                None,
            )
            .await;
            let (target, met) = match target {
                Some((rate, p99)) => (
                    format!("≥ {}k req/s, p99 < {p99} ms", rate / 1000.0),
                    met(phase.meets(rate, p99)),
                ),
                None => ("—".into(), "—"),
            };
            rows.push(row([
                if first { scenario.as_str() } else { "same" },
                figure,
                &target,
                &phase.measured(),
                met,
            ]));
            first = false;
        }
    }
}

/// The photo phases: GETs of uploaded photos, then PUTs of new ones (each checked, hashed,
/// decoded and kept by the server), at 16 connections; a table row for each.
async fn photo_phases(
    label: &str,
    targets: Targets,
    url: &str,
    tokens: &[Vec<String>],
    seconds: u64,
    rows: &mut Rows,
) {
    let base = device_photo();
    let http = reqwest::Client::new();
    let mut uploaded = Vec::new();
    for (user, token) in tokens.iter().take(500).enumerate() {
        let (id, jpeg) = unique_photo(&base, u64::MAX - user as u64);
        let response = http
            .put(format!("{url}/v1/photos/{id}"))
            .bearer_auth(&token[0])
            .header("content-type", "image/jpeg")
            .body(jpeg)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{response:?}");
        uploaded.push(id);
    }
    let photos = Arc::new(Photos {
        base,
        uploaded,
        next: AtomicU64::new(0),
    });
    let scenario = format!(
        "{label}, photos of {} bytes, 16 connections",
        thousands(photos.base.len() as u64 + 12)
    );
    let mut first = true;
    for (name, mix, (rate, p99)) in [
        ("photo GET", Mix::PhotoGet, targets.get),
        (
            "photo PUT (new photos: hash, decode, keep)",
            Mix::PhotoPut,
            targets.put,
        ),
    ] {
        let phase = drive(
            &format!("{scenario}, {name}"),
            url,
            tokens,
            mix,
            16,
            seconds,
            Some(photos.clone()),
        )
        .await;
        rows.push(row([
            if first { scenario.as_str() } else { "same" },
            name,
            &format!("≥ {} req/s, p99 < {p99} ms", thousands(rate as u64)),
            &phase.measured(),
            met(phase.meets(rate, p99)),
        ]));
        first = false;
    }
}

async fn scenario_sqlite(users: usize, seconds: u64, rows: &mut Rows) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3").display().to_string();
    let tokens = seed(&db, users, 1).await;
    let instance = Instance::start(&db, "", "error");
    phases(
        &format!("SQLite, 1 instance, {} users", thousands(users as u64)),
        "PUT (durable: `synchronous=FULL`, group commit)",
        Targets {
            get: (10_000.0, 5),
            put: (2_000.0, 20),
        },
        &instance.url(""),
        &tokens,
        seconds,
        rows,
    )
    .await;
    photo_phases(
        "SQLite, 1 instance",
        Targets {
            get: (PHOTO_GET_TARGET, 20),
            put: (PHOTO_PUT_TARGET, 100),
        },
        &instance.url(""),
        &tokens,
        seconds,
        rows,
    )
    .await;
}

/// The photo phases' targets (requests a second): a team's devices change photos rarely and
/// fetch each once, so these are far above any real need; they keep a regression visible.
const PHOTO_GET_TARGET: f64 = 1_000.0;
const PHOTO_PUT_TARGET: f64 = 100.0;

async fn scenario_postgres(users: usize, seconds: u64, rows: &mut Rows) {
    let postgres =
        postgres::Postgres::start_durable().expect("PostgreSQL (apt-get install postgresql)");
    let db = postgres.database().await;
    let tokens = seed(&db, users, 1).await;
    let instances = [
        Instance::start(&db, "", "error"),
        Instance::start(&db, "", "error"),
    ];
    let haproxy = Haproxy::start(&[instances[0].addr, instances[1].addr]).expect("haproxy");
    let label = format!(
        "PostgreSQL, 2 instances behind HAProxy, {} users",
        thousands(users as u64)
    );
    phases(
        &label,
        "PUT (one notifying commit each)",
        Targets {
            get: (8_000.0, 10),
            put: (1_000.0, 50),
        },
        &haproxy.url(),
        &tokens,
        seconds,
        rows,
    )
    .await;
    if connection_counts() == [16] {
        photo_phases(
            "PostgreSQL, 2 instances behind HAProxy",
            Targets {
                get: (PHOTO_GET_TARGET, 20),
                put: (PHOTO_PUT_TARGET, 100),
            },
            &haproxy.url(),
            &tokens,
            seconds,
            rows,
        )
        .await;
    }
}

/// What the stream clients saw: (user, device, name) → when it first arrived.
type Seen = Arc<std::sync::Mutex<std::collections::HashMap<(usize, usize, String), Instant>>>;

/// One device's event stream, reconnecting (after 200 ms) whenever it breaks, until `stop`.
async fn stream_client(
    url: String,
    token: String,
    (user, device): (usize, usize),
    seen: Seen,
    connected: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
) {
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    while !stop.load(Ordering::Relaxed) {
        let Ok(response) = http
            .get(format!("{url}/v1/profile/events"))
            .bearer_auth(&token)
            .send()
            .await
        else {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        connected.fetch_add(1, Ordering::Relaxed);
        let mut bytes = response.bytes_stream();
        let mut text = String::new();
        while let Some(Ok(chunk)) = bytes.next().await {
            text.push_str(&String::from_utf8_lossy(&chunk));
            for name in sse::drain_names(&mut text) {
                seen.lock()
                    .unwrap()
                    .entry((user, device, name))
                    .or_insert_with(Instant::now);
            }
            if stop.load(Ordering::Relaxed) {
                return;
            }
        }
        connected.fetch_sub(1, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn scenario_streams(users: usize, seconds: u64, rows: &mut Rows) {
    let postgres =
        postgres::Postgres::start_durable().expect("PostgreSQL (apt-get install postgresql)");
    let db = postgres.database().await;
    let tokens = seed(&db, users, 2).await;
    let mut instances = [
        Instance::start(&db, "", "error"),
        Instance::start(&db, "", "error"),
    ];
    let haproxy = Haproxy::start(&[instances[0].addr, instances[1].addr]).expect("haproxy");
    let seen: Seen = Arc::default();
    let connected = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let open = |from: usize, to: usize| {
        for (user, own) in tokens.iter().enumerate().take(to).skip(from) {
            for (device, token) in own.iter().enumerate() {
                tokio::spawn(stream_client(
                    haproxy.url(),
                    token.clone(),
                    (user, device),
                    seen.clone(),
                    connected.clone(),
                    stop.clone(),
                ));
            }
        }
    };
    let all_connected = |count: u64| {
        let connected = connected.clone();
        async move {
            let started = Instant::now();
            while connected.load(Ordering::Relaxed) < count
                && started.elapsed() < Duration::from_secs(60)
            {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            // Idle: let allocations settle.
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    };
    // A first tenth warms everything that does not grow with streams (database pools, caches);
    // the memory of the other nine tenths, divided by their number, is what a stream costs.
    let warm = users / 10;
    let started = Instant::now();
    open(0, warm);
    all_connected((warm * 2) as u64).await;
    let rss_warm: u64 = instances.iter().map(Instance::rss_kib).sum();
    open(warm, users);
    let streams = (users * 2) as u64;
    all_connected(streams).await;
    let rss_idle: u64 = instances.iter().map(Instance::rss_kib).sum();
    let connected_idle = connected.load(Ordering::Relaxed);
    let per_stream =
        (rss_idle.saturating_sub(rss_warm)) as f64 * 1.024 / (streams - warm as u64 * 2) as f64;
    println!(
        "{connected_idle} of {streams} event streams connected in {:.1} s; server memory {per_stream:.1} KB per idle stream ({} KiB with {} streams → {} KiB with {streams}, both instances)",
        started.elapsed().as_secs_f64() - 4.0,
        rss_warm,
        warm * 2,
        rss_idle
    );

    // 200 changes a second on random users, through the first device; the second device's
    // stream must see each.
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut sent: Vec<(usize, String, Instant)> = Vec::new();
    let changes = 200 * seconds as usize;
    let tick = Duration::from_millis(5);
    let begin = Instant::now();
    let mut put_tasks = Vec::new();
    for n in 0..changes {
        let due = begin + tick * n as u32;
        tokio::time::sleep_until(due.into()).await;
        let user = rand::random::<u64>() as usize % users;
        let name = format!("Change {n}");
        sent.push((user, name.clone(), Instant::now()));
        let request = put_name(&http, &haproxy.url(), &tokens[user][0], &name);
        put_tasks.push(tokio::spawn(async move {
            request.send().await.map(|r| r.status().is_success())
        }));
    }
    let mut put_failures = 0;
    for task in put_tasks {
        if !matches!(task.await, Ok(Ok(true))) {
            put_failures += 1;
        }
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (latencies, missed) = delivery(&seen, &sent);
    let scenario = format!(
        "{} event streams ({} users × 2 devices) across the 2 instances, 200 changes/s on random users",
        thousands(streams),
        thousands(users as u64)
    );
    let (p95, p99) = (percentile(&latencies, 0.95), percentile(&latencies, 0.99));
    rows.push(row([
        &scenario,
        "change → event on the user's other device",
        "p95 ≤ 100 ms, p99 ≤ 250 ms",
        &format!(
            "median {}, p95 {}, p99 {}",
            ms(percentile(&latencies, 0.5)),
            ms(p95),
            ms(p99)
        ),
        met(!latencies.is_empty()
            && p95 <= Duration::from_millis(100)
            && p99 <= Duration::from_millis(250)),
    ]));
    let failed = match put_failures {
        0 => String::new(),
        n => format!(" ({n} of the PUTs failed)"),
    };
    rows.push(row([
        "same",
        "missed events",
        "0",
        &format!("{missed} of {}{failed}", thousands(changes as u64)),
        met(missed == 0),
    ]));
    let all_connected = match connected_idle {
        n if n >= streams => String::new(),
        n => format!("; only {} of the streams connected", thousands(n)),
    };
    rows.push(row([
        "same",
        "server memory per idle stream",
        "≤ 20 KB",
        &format!("{per_stream:.1} KB (beyond a warmed first tenth){all_connected}"),
        met(per_stream <= 20.0 && connected_idle >= streams),
    ]));
    println!(
        "{changes} changes at 200/s on {users} users × 2 devices: change → event on the other device median {}, p95 {}, p99 {}; {missed} missed; {put_failures} PUTs failed",
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.95)),
        ms(percentile(&latencies, 0.99)),
    );

    // One instance killed under that load: every client back and up to date.
    let killed = Instant::now();
    instances[0].kill();
    let mut sent_after = Vec::new();
    for n in 0..users.min(500) {
        let user = n * users / users.min(500);
        let name = format!("After the kill {n}");
        let response = put_name(&http, &haproxy.url(), &tokens[user][0], &name)
            .send()
            .await;
        match response {
            Ok(response) if response.status().is_success() => {
                sent_after.push((user, name, Instant::now()));
            }
            other if sent_after.is_empty() && n < 3 => eprintln!("after the kill: {other:?}"),
            _ => {}
        }
    }
    let deadline = killed + Duration::from_secs(30);
    loop {
        let (_, missed) = delivery(&seen, &sent_after);
        if missed == 0 || Instant::now() > deadline {
            let recovered = killed.elapsed();
            let connected_now = connected.load(Ordering::Relaxed);
            println!(
                "one of two instances killed under load: {} changes made after the kill, every one seen by the other device {:.2} s after the kill ({missed} missed; {connected_now} streams connected now)",
                sent_after.len(),
                recovered.as_secs_f64(),
            );
            let seen = if missed == 0 {
                format!(
                    "every one of {} changes made after the kill seen by the user's other device",
                    thousands(sent_after.len() as u64)
                )
            } else {
                format!(
                    "{missed} of {} changes made after the kill not seen by the user's other device",
                    thousands(sent_after.len() as u64)
                )
            };
            rows.push(row([
                "same",
                "one of the two instances killed under that load",
                "every client back and up to date within 10 s",
                &format!(
                    "{:.2} s: {seen}; {} of {} streams connected then",
                    recovered.as_secs_f64(),
                    thousands(connected_now),
                    thousands(streams)
                ),
                met(missed == 0
                    && !sent_after.is_empty()
                    && recovered <= Duration::from_secs(10)
                    && connected_now >= streams),
            ]));
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.store(true, Ordering::Relaxed);
    drop(haproxy);
}

/// A PUT of `name` over whatever the profile holds.
fn put_name(http: &reqwest::Client, url: &str, token: &str, name: &str) -> reqwest::RequestBuilder {
    http.put(format!("{url}/v1/profile"))
        .bearer_auth(token)
        .header("if-match", "*")
        .json(&serde_json::json!({ "name": name }))
}

/// For each change sent (through the first device), how long until the user's other device's
/// stream saw it; and how many it never saw.
fn delivery(seen: &Seen, sent: &[(usize, String, Instant)]) -> (Vec<Duration>, usize) {
    let seen = seen.lock().unwrap();
    let mut latencies = Vec::new();
    let mut missed = 0;
    for (user, name, at) in sent {
        match seen.get(&(*user, 1, name.clone())) {
            Some(arrived) => latencies.push(arrived.saturating_duration_since(*at)),
            None => missed += 1,
        }
    }
    latencies.sort();
    (latencies, missed)
}

/// Waves of slow clients (3,000 half-sent requests each, closed by the server after its header
/// timeout) against each build of the server in `LOAD_MEMORY_SERVERS` (`label=binary,...`;
/// default: this build's), one after the other in this run: idle RSS, each wave's peak and what
/// is left once it is closed, and RSS 30 s after the last wave. `benches/server-memory.sh`
/// builds the server once per allocator and runs this with all of them.
fn scenario_memory(waves: usize, settle: u64) {
    let servers = std::env::var("LOAD_MEMORY_SERVERS")
        .unwrap_or_else(|_| format!("this build={}", env!("CARGO_BIN_EXE_profile-server")));
    let count = slow_clients::wave_size(3000);
    println!(
        "\n## Memory after slow clients: {waves} waves of {count} half-sent requests\n\n\
         | Server build | Idle | Peak of each wave | Worst peak vs the first | {settle} s after the last wave | Targets (worst ≤ first + 10 %, settled ≤ idle + 25 MB) |\n\
         |---|---|---|---|---|---|"
    );
    let mb = |kib: u64| kib as f64 / 1024.0;
    for (label, binary) in servers.split(',').filter_map(|pair| pair.split_once('=')) {
        let dir = tempfile::tempdir().unwrap();
        let running = Instance::start_binary(
            binary,
            dir.path().join("server.sqlite3"),
            "memory-token",
            "warn",
        );
        std::thread::sleep(Duration::from_secs(2));
        let idle = running.rss_kib();
        let mut peaks = Vec::new();
        for number in 0..waves {
            let wave = slow_clients::wave(
                running.addr,
                running.pid(),
                count,
                profile_server::HEADER_READ_TIMEOUT + Duration::from_secs(5),
            );
            eprintln!("{label}: wave {number}: {wave:?}");
            peaks.push(wave.peak);
        }
        std::thread::sleep(Duration::from_secs(settle));
        let settled = running.rss_kib();
        let worst = peaks.iter().copied().max().unwrap_or(0);
        let ratio = worst as f64 / peaks[0].max(1) as f64;
        let met = ratio <= 1.10 && settled <= idle + 25 * 1024;
        let peaks: Vec<String> = peaks.iter().map(|p| format!("{:.0}", mb(*p))).collect();
        let grown = mb(settled) - mb(idle);
        println!(
            "| {label} | {:.1} MB | {} MB | {:+.0} % | {:.1} MB (idle {} {:.1} MB) | {} |",
            mb(idle),
            peaks.join(", "),
            (ratio - 1.0) * 100.0,
            mb(settled),
            if grown < 0.0 { "-" } else { "+" },
            grown.abs(),
            if met { "met" } else { "missed" }
        );
    }
}

fn main() {
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let all = wanted.is_empty();
    let seconds = env_number("LOAD_SECONDS", 5);
    let users = env_number("LOAD_USERS", 10_000) as usize;
    let stream_users = env_number("LOAD_STREAM_USERS", 2_500) as usize;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    if wanted.iter().any(|w| w == "memory") {
        scenario_memory(
            env_number("LOAD_WAVES", 6) as usize,
            env_number("LOAD_SETTLE_SECONDS", 30),
        );
    }
    let mut rows = Rows::new();
    runtime.block_on(async {
        if all || wanted.iter().any(|w| w == "sqlite") {
            scenario_sqlite(users, seconds, &mut rows).await;
        }
        if all || wanted.iter().any(|w| w == "postgres") {
            scenario_postgres(users, seconds, &mut rows).await;
        }
        if all || wanted.iter().any(|w| w == "streams") {
            scenario_streams(stream_users, seconds, &mut rows).await;
        }
    });
    if !rows.is_empty() {
        println!("\n| Scenario | Figure | Target | Measured | Met |");
        println!("|---|---|---|---|---|");
        for row in rows {
            println!("{row}");
        }
    }
}
