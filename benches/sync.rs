//! Benchmarks of what the product exists for: local saves and reads against the bare SQLite
//! floor, an online save on loopback, a returning server, and a push between two clients.
//!
//! `cargo bench --bench sync` runs the criterion benchmarks, then prints a markdown table of
//! medians, p95 and p99 measured side by side in the same run, next to criterion's medians and
//! ratios, with each figure's target and whether it was met (`benches/all` pastes it into
//! BENCHMARKS.md). Everything talks to 127.0.0.1 only.
//!
//! `SYNC_CALLS` (default 2000) sets the interleaved calls per figure, `SYNC_ONLINE_RUNS` (200),
//! `SYNC_BACK_RUNS` (20) and `SYNC_PUSH_RUNS` (100) the runs of figures 3, 4 and 5.

use criterion::Criterion;
use profile_client::domain::SyncState;
use profile_client::sync::{self, SyncConfig};
use profile_server as server;

use sqlx::sqlite::SqlitePoolOptions;
use std::time::{Duration, Instant};

mod support;
use support::{Stats, TOKEN, env_number, human, repository, stats};

/// A bare pool with exactly the app's pragmas, and a one-row table: the physical floor.
async fn bare_pool(dir: &std::path::Path) -> sqlx::SqlitePool {
    let options = profile_sqlite::options(&dir.join("bare.sqlite3"));
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .unwrap();
    sqlx::query("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, rev INTEGER NOT NULL)")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("INSERT OR IGNORE INTO t VALUES (1, 'x', 0)")
        .execute(&pool)
        .await
        .unwrap();
    pool
}

async fn bare_write(pool: &sqlx::SqlitePool, name: &str) {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.unwrap();
    sqlx::query("UPDATE t SET name = ?1, rev = rev + 1 WHERE id = 1")
        .bind(name)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

async fn bare_read(pool: &sqlx::SqlitePool) -> String {
    sqlx::query_scalar("SELECT name FROM t WHERE id = 1")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Where criterion writes its results, found as criterion finds it.
fn criterion_home() -> std::path::PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return home.into();
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
                .parent()
                .unwrap()
                .to_path_buf()
        });
    target.join("criterion")
}

/// Criterion's median for `group/function` from this run (`None` if it did not run this time).
fn criterion_median(group: &str, function: &str, since: std::time::SystemTime) -> Option<Duration> {
    let path = criterion_home()
        .join(group)
        .join(function)
        .join("new/estimates.json");
    let modified = std::fs::metadata(&path).ok()?.modified().ok()?;
    if modified < since {
        return None;
    }
    let estimates: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).ok()?).ok()?;
    let nanos = estimates["median"]["point_estimate"].as_f64()?;
    Some(Duration::from_secs_f64(nanos / 1e9))
}

async fn time<F: std::future::Future<Output = ()>>(
    n: usize,
    mut f: impl FnMut(usize) -> F,
) -> Vec<Duration> {
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let start = Instant::now();
        f(i).await;
        samples.push(start.elapsed());
    }
    samples
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (server, repo, pool) = runtime.block_on(async {
        let server = server::start(
            &dir.path().join("server.sqlite3"),
            TOKEN,
            "127.0.0.1:0".parse().unwrap(),
        )
        .await
        .unwrap();
        let repo = repository(dir.path(), &server.url()).await;
        repo.save("Bench", "").await.unwrap();
        repo.sync().await.unwrap();
        let pool = bare_pool(dir.path()).await;
        (server, repo, pool)
    });

    let criterion_started = std::time::SystemTime::now();
    let mut criterion = Criterion::default()
        .sample_size(60)
        .measurement_time(Duration::from_secs(4))
        .configure_from_args();
    {
        let mut group = criterion.benchmark_group("local_save");
        let mut i = 0u64;
        group.bench_function("repository", |b| {
            b.to_async(&runtime).iter(|| {
                i += 1;
                let repo = repo.clone();
                async move {
                    repo.save(&format!("Name {i}"), "").await.unwrap();
                }
            })
        });
        group.bench_function("bare_sqlx", |b| {
            b.to_async(&runtime).iter(|| {
                i += 1;
                let pool = pool.clone();
                async move { bare_write(&pool, &format!("Name {i}")).await }
            })
        });
        group.finish();
    }
    {
        let mut group = criterion.benchmark_group("cached_read");
        group.bench_function("repository", |b| {
            b.to_async(&runtime)
                .iter(|| async { repo.cached().await.unwrap().unwrap() })
        });
        group.bench_function("bare_sqlx", |b| {
            b.to_async(&runtime)
                .iter(|| async { bare_read(&pool).await })
        });
        group.finish();
    }
    {
        let mut group = criterion.benchmark_group("online");
        let mut i = 0u64;
        group.bench_function("save_then_synced", |b| {
            b.to_async(&runtime).iter(|| {
                i += 1;
                let repo = repo.clone();
                async move {
                    repo.save(&format!("Online {i}"), "").await.unwrap();
                    repo.sync().await.unwrap();
                }
            })
        });
        group.finish();
    }
    criterion.final_summary();

    // Percentiles and ratios, side by side in one run.
    runtime.block_on(async {
        // Each pair is measured interleaved (one of each, in turn), so both sides see the same
        // machine noise.
        let n = env_number("SYNC_CALLS", 2000);
        let (mut save, mut bare) = (Vec::with_capacity(n), Vec::with_capacity(n));
        let (mut read, mut bare_r) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for i in 0..n {
            let name = format!("P {i}");
            let start = Instant::now();
            repo.save(&name, "").await.unwrap();
            save.push(start.elapsed());
            let start = Instant::now();
            bare_write(&pool, &name).await;
            bare.push(start.elapsed());
            let start = Instant::now();
            repo.cached().await.unwrap();
            read.push(start.elapsed());
            let start = Instant::now();
            bare_read(&pool).await;
            bare_r.push(start.elapsed());
        }
        let (save, bare, read, bare_r) = (stats(save), stats(bare), stats(read), stats(bare_r));
        repo.sync().await.unwrap();
        let online = stats(
            time(env_number("SYNC_ONLINE_RUNS", 200), |i| {
                let r = repo.clone();
                async move {
                    r.save(&format!("O {i}"), "").await.unwrap();
                    r.sync().await.unwrap();
                }
            })
            .await,
        );

        let back = stats(server_back(dir.path()).await);
        let push = stats(push_latency(&server).await);

        let criterion = |group: &str, function: &str| {
            criterion_median(group, function, criterion_started)
        };
        let c_save = criterion("local_save", "repository");
        let c_bare = criterion("local_save", "bare_sqlx");
        let c_read = criterion("cached_read", "repository");
        let c_bare_r = criterion("cached_read", "bare_sqlx");
        let c_online = criterion("online", "save_then_synced");
        let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
        let c_ratio = |a: Option<Duration>, b: Option<Duration>| match (a, b) {
            (Some(a), Some(b)) => format!("{:.2} × bare", ratio(a, b)),
            _ => "—".into(),
        };
        let c_human = |d: Option<Duration>| d.map_or("—".into(), human);
        let met = |yes: bool| if yes { "yes" } else { "**no**" }.to_string();
        let save_ratio = ratio(save.median, bare.median);
        let read_ratio = ratio(read.median, bare_r.median);

        println!(
            "\n| # | Figure | Target | Median | p95 | p99 | Ratio (interleaved medians) | Criterion median | Criterion ratio | Met |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|");
        let row = |number: u32, name: &str, target: &str, s: &Stats, cells: [String; 4]| {
            let [ratio, criterion, criterion_ratio, met] = cells;
            println!(
                "| {number} | {name} | {target} | {} | {} | {} | {ratio} | {criterion} | {criterion_ratio} | {met} |",
                human(s.median),
                human(s.p95),
                human(s.p99)
            );
        };
        row(
            1,
            "Local save through the repository",
            "criterion ratio ≤ 1.2, p99 < 1 ms",
            &save,
            [
                format!("{save_ratio:.2} × bare"),
                c_human(c_save),
                c_ratio(c_save, c_bare),
                met(c_save
                    .zip(c_bare)
                    .is_some_and(|(save, bare)| ratio(save, bare) <= 1.2)
                    && save.p99 < Duration::from_millis(1)),
            ],
        );
        row(
            1,
            "… bare sqlx committed write, same pragmas (WAL, `synchronous=FULL`, `BEGIN IMMEDIATE`)",
            "floor",
            &bare,
            ["1.00".into(), c_human(c_bare), "1.00".into(), "—".into()],
        );
        row(
            2,
            "Cached read through the repository",
            "ratio ≤ 1.5",
            &read,
            [
                format!("{read_ratio:.2} × bare"),
                c_human(c_read),
                c_ratio(c_read, c_bare_r),
                met(read_ratio <= 1.5),
            ],
        );
        row(
            2,
            "… bare sqlx select",
            "floor",
            &bare_r,
            ["1.00".into(), c_human(c_bare_r), "1.00".into(), "—".into()],
        );
        row(
            3,
            "Online save → synced (save, PUT, mark synced)",
            "≤ 50 ms median",
            &online,
            [
                "—".into(),
                c_human(c_online),
                "—".into(),
                met(online.median <= Duration::from_millis(50)),
            ],
        );
        row(
            4,
            "Server back → synced (default retry settings)",
            "≤ 2 s p95",
            &back,
            [
                format!(
                    "{:.4} × the guide's 300 s timer",
                    back.median.as_secs_f64() / 300.0
                ),
                "—".into(),
                "—".into(),
                met(back.p95 <= Duration::from_secs(2)),
            ],
        );
        row(
            5,
            "Push: save on A → visible on B",
            "≤ 200 ms p95",
            &push,
            [
                "—".into(),
                "—".into(),
                "—".into(),
                met(push.p95 <= Duration::from_millis(200)),
            ],
        );
    });
    drop(server);
}

/// Server down, a save, the server started: the time from the start until the client is synced,
/// with the default retry settings.
async fn server_back(dir: &std::path::Path) -> Vec<Duration> {
    let db = dir.join("back-server.sqlite3");
    let first = server::start(&db, TOKEN, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = first.addr;
    let client = tempfile::tempdir().unwrap();
    let repo = repository(client.path(), &first.url()).await;
    repo.save("Back", "").await.unwrap();
    repo.sync().await.unwrap();
    let synchronizer = tokio::spawn(sync::run(repo.clone(), SyncConfig::default()));
    let mut running = Some(first);
    let mut samples = Vec::new();
    for i in 0..env_number("SYNC_BACK_RUNS", 20) {
        running.take().unwrap().stop().await;
        repo.save(&format!("While down {i}"), "").await.unwrap();
        // Let the client notice and back off for a while, as a real outage would.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let started = Instant::now();
        let server = server::start(&db, TOKEN, addr).await.unwrap();
        while repo.status().state() != SyncState::Synced {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        samples.push(started.elapsed());
        running = Some(server);
    }
    synchronizer.abort();
    samples
}

/// A save on client A until it is visible on client B, which only listens (no polling).
async fn push_latency(server: &server::RunningServer) -> Vec<Duration> {
    let (a_dir, b_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = repository(a_dir.path(), &server.url()).await;
    let b = repository(b_dir.path(), &server.url()).await;
    a.sync().await.unwrap();
    let config = SyncConfig {
        interval: Duration::from_secs(3600),
        ..SyncConfig::default()
    };
    let synchronizer = tokio::spawn(sync::run(b.clone(), config));
    while b.status().state() != SyncState::Synced {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut samples = Vec::new();
    for i in 0..env_number("SYNC_PUSH_RUNS", 100) {
        let name = format!("Pushed {i}");
        let started = Instant::now();
        a.save(&name, "").await.unwrap();
        a.sync().await.unwrap();
        while b.status().profile.as_ref().map(|p| p.name()) != Some(name.as_str()) {
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        samples.push(started.elapsed());
    }
    synchronizer.abort();
    samples
}
