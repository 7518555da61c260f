//! Benchmarks of the photo: picking a 12-megapixel camera JPEG (read, turned upright, cropped,
//! scaled, encoded, kept in the cache and decoded for the window), with the memory it takes on
//! top of what was in use before; then, online, the time from the photo being kept to the badge
//! saying Synced (upload and profile), and from the upload's end to another device holding it
//! (by push). Against the real server on 127.0.0.1.
//!
//! `cargo bench --bench photos` prints a markdown table (`benches/all` pastes it into
//! BENCHMARKS.md). `PHOTO_RUNS` (default 15) sets the picks, `PHOTO_ONLINE_RUNS` (40) the
//! online runs.

use profile_client::photo::{normalize_file, samples};
use profile_client::sync::{self, SyncConfig};
use profile_client::{PhotoEdit, SyncOutcome};
use profile_server as server;
use std::time::{Duration, Instant};

/// Counts the bytes Rust code holds, and the most it ever held (`max_allocated`, which never
/// goes back: the camera pictures are therefore made by a child process, so the most held is
/// the picks').
mod support;
use support::{Stats, TOKEN, env_number, human, repository, stats};

#[global_allocator]
static ALLOCATOR: cap::Cap<std::alloc::System> = cap::Cap::new(std::alloc::System, usize::MAX);

fn mib(bytes: usize) -> String {
    format!("{:.1} MiB", bytes as f64 / 1024.0 / 1024.0)
}

/// A 12-megapixel camera JPEG (4000 × 3000, with detail so it compresses as a photo does) with
/// an EXIF orientation and metadata.
fn camera_jpeg(seed: u32) -> Vec<u8> {
    let picture = image::RgbImage::from_fn(4000, 3000, |x, y| {
        let noise = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503) ^ seed) >> 24;
        image::Rgb([
            (x / 16) as u8 ^ noise as u8,
            (y / 12) as u8,
            ((x + y) / 28) as u8 ^ (noise as u8 >> 2),
        ])
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&picture)
        .unwrap();
    samples::with_exif(&jpeg, 6)
}

#[tokio::main]
async fn main() {
    // The child that makes the camera pictures (see `ALLOCATOR`).
    if let Some(dir) = std::env::var_os("PHOTO_BENCH_MAKE_IN") {
        for n in 0..2 {
            let path = std::path::Path::new(&dir).join(format!("IMG_{n}.jpg"));
            std::fs::write(path, camera_jpeg(n)).unwrap();
        }
        return;
    }
    let runs = env_number("PHOTO_RUNS", 15);
    let online_runs = env_number("PHOTO_ONLINE_RUNS", 40);
    let dir = tempfile::tempdir().unwrap();
    let server_db = dir.path().join("server.sqlite3");
    // Photos out of use go at once, so the online runs' many photos stay within the quota.
    let store = server::Store::open(&server_db)
        .await
        .unwrap()
        .with_photo_grace(Duration::ZERO);
    let server = server::start_with(store, TOKEN, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    server
        .state
        .store
        .seed(&server::demo_profile(None))
        .await
        .unwrap();
    let url = server.url();

    // --- Picking a 12-megapixel photo ------------------------------------------------------
    let made = std::process::Command::new(std::env::current_exe().unwrap())
        .env("PHOTO_BENCH_MAKE_IN", dir.path())
        .status()
        .unwrap();
    assert!(made.success());
    let files: Vec<_> = (0..2)
        .map(|n| dir.path().join(format!("IMG_{n}.jpg")))
        .collect();
    let file_bytes = std::fs::metadata(&files[0]).unwrap().len();
    let decoded = 4000 * 3000 * 3;
    let a_dir = dir.path().join("a");
    std::fs::create_dir_all(&a_dir).unwrap();
    let a = repository(&a_dir, &url).await;
    a.sync().await.unwrap();
    a.set_work_offline(true); // picking is local: nothing is sent while it is measured
    let mut picks = Vec::new();
    let held_before = ALLOCATOR.allocated();
    let most_before = ALLOCATOR.max_allocated();
    for run in 0..runs + 1 {
        let path = files[run % 2].clone();
        let started = Instant::now();
        let photo = tokio::task::spawn_blocking(move || normalize_file(&path).unwrap())
            .await
            .unwrap();
        a.change_photo(PhotoEdit::Set(&photo)).await.unwrap();
        // The window decodes the kept JPEG to show it.
        let shown = image::load_from_memory(&photo.jpeg).unwrap();
        let elapsed = started.elapsed();
        assert_eq!(shown.width(), 512);
        if run > 0 {
            // The first run warms the caches and the allocator.
            picks.push(elapsed);
        }
    }
    let pick = stats(picks);
    assert!(
        ALLOCATOR.max_allocated() > most_before,
        "the picks held more than the start did: the figure is theirs"
    );
    let peak = ALLOCATOR.max_allocated() - held_before;
    eprintln!(
        "pick: median {} p95 {}, peak {} ",
        human(pick.median),
        human(pick.p95),
        mib(peak)
    );
    a.set_work_offline(false);

    // --- Online: kept → Synced, and on another device ---------------------------------------
    let b_dir = dir.path().join("b");
    std::fs::create_dir_all(&b_dir).unwrap();
    let b = repository(&b_dir, &url).await;
    b.sync().await.unwrap();
    let _b_sync = tokio::spawn(sync::run(
        b.clone(),
        SyncConfig {
            interval: Duration::from_secs(3600),
            ..SyncConfig::default()
        },
    ));
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.state.event_listeners() < 1 {
        assert!(Instant::now() < deadline, "B's event stream connects");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(a.sync().await.unwrap(), SyncOutcome::Synced);
    let photos: Vec<_> = (0..online_runs)
        .map(|n| {
            let picture = image::RgbImage::from_fn(512, 512, |x, y| {
                image::Rgb([(x ^ y) as u8, (n * 7) as u8, (x * y / 512) as u8])
            });
            let mut png = Vec::new();
            picture
                .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
                .unwrap();
            profile_client::photo::normalize(&png).unwrap()
        })
        .collect();
    let (mut to_synced, mut to_other) = (Vec::new(), Vec::new());
    for photo in &photos {
        a.change_photo(PhotoEdit::Set(photo)).await.unwrap();
        let kept = Instant::now();
        assert_eq!(a.sync().await.unwrap(), SyncOutcome::Synced);
        let uploaded = Instant::now();
        to_synced.push(uploaded - kept);
        let deadline = uploaded + Duration::from_secs(10);
        while b.photo(&photo.sha256).await.unwrap().is_none() {
            assert!(Instant::now() < deadline, "B receives the photo");
            tokio::time::sleep(Duration::from_micros(500)).await;
        }
        to_other.push(uploaded.elapsed());
    }
    let (synced, other) = (stats(to_synced), stats(to_other));

    let row = |figure: &str, target: &str, s: &Stats, met: bool| {
        println!(
            "| {figure} | {target} | {} | {} | {} | {} |",
            human(s.median),
            human(s.p95),
            human(s.p99),
            if met { "yes" } else { "**no**" }
        );
    };
    println!();
    println!("| Figure | Target | Median | p95 | p99 | Met |");
    println!("|---|---|---|---|---|---|");
    row(
        &format!(
            "Pick a 12-megapixel camera JPEG ({:.1} MB, EXIF-rotated) → kept in the cache and decoded for the window ({runs} picks)",
            file_bytes as f64 / 1e6
        ),
        "≤ 300 ms median",
        &pick,
        pick.median <= Duration::from_millis(300),
    );
    println!(
        "| … the most memory a pick held beyond what was held before (Rust's allocations; SQLite's own are not counted) | ≤ 2 × the decoded picture ({}) | {} ({:.2} ×) | — | — | {} |",
        mib(decoded),
        mib(peak),
        peak as f64 / decoded as f64,
        if peak <= 2 * decoded { "yes" } else { "**no**" }
    );
    row(
        &format!("Online: photo kept → Synced (upload, then the profile; {online_runs} runs)"),
        "≤ 100 ms median",
        &synced,
        synced.median <= Duration::from_millis(100),
    );
    row(
        "… then another device holds it (by push: event, GET profile, GET photo, kept)",
        "≤ 1 s p95",
        &other,
        other.p95 <= Duration::from_secs(1),
    );
    server.stop().await;
}
