//! Kill the real binary at random moments, the way SQLite tests itself: every save that was
//! reported is still there, the database is never damaged, and a final sync converges.
//! `OFFLINE_PROFILE_CRASH_KILLS` sets the number of kills (default 200) for a longer soak.

use crate::support::{TOKEN, spawn_server};
use rand::Rng;
use sqlx::Row;
use sqlx::sqlite::SqliteConnectOptions;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Acknowledged {
    revision: i64,
    name: String,
    index: usize,
}

/// The existing database at `path`, opened, after SQLite found it undamaged.
async fn sound(path: &std::path::Path) -> sqlx::SqlitePool {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(integrity, "ok", "the database is damaged");
    pool
}

async fn check_database(path: &std::path::Path) -> Option<(i64, String)> {
    let pool = sound(path).await;
    // A kill during the very first run's migration leaves a database without the table yet.
    let migrated: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'profile')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    if !migrated {
        pool.close().await;
        return None;
    }
    let row = sqlx::query("SELECT revision, name FROM profile WHERE id = 1")
        .fetch_optional(&pool)
        .await
        .unwrap()
        .map(|row| (row.get::<i64, _>(0), row.get::<String, _>(1)));
    pool.close().await;
    row
}

/// The revision a `set` reported as saved, if it got that far.
fn reported_revision(stdout: &[u8]) -> Option<i64> {
    String::from_utf8_lossy(stdout)
        .strip_prefix("saved locally (revision ")
        .and_then(|rest| rest.split(')').next())
        .and_then(|n| n.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_binary_at_random_moments_never_loses_a_reported_save() {
    let kills: usize = std::env::var("OFFLINE_PROFILE_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let server = spawn_server().await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("profile.sqlite3");
    let command = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_offline-profile"));
        command
            .arg("--data-dir")
            .arg(dir.path())
            .args(["--api", &server.url()])
            .args(args)
            .env("OFFLINE_PROFILE_TOKEN", TOKEN)
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        command
    };
    let mut rng = rand::rng();
    let mut acknowledged: Option<Acknowledged> = None;
    let (mut killed, mut finished, mut reported) = (0usize, 0usize, 0usize);
    let mut index = 0;

    // How long a save takes depends on the machine and the build: time a few unkilled ones
    // first and kill anywhere within one and a half of those, so about a third of the saves
    // finish (and are reported) before their kill on any machine.
    let mut durations = Vec::new();
    for _ in 0..5 {
        index += 1;
        let name = format!("Save number {index}");
        let started = Instant::now();
        let output = command(&["set", "--name", &name]).output().unwrap();
        durations.push(started.elapsed());
        let revision = reported_revision(&output.stdout).expect("an unkilled save is reported");
        acknowledged = Some(Acknowledged {
            revision,
            name,
            index,
        });
    }
    durations.sort();
    let kill_window = durations[durations.len() / 2] * 3 / 2;
    eprintln!("a save takes {durations:?}; killing within {kill_window:?}");

    while killed < kills {
        index += 1;
        let name = format!("Save number {index}");
        let args: Vec<&str> = match rng.random_range(0..10) {
            0 => vec!["sync"],
            1 => vec!["watch"],
            _ => vec!["set", "--name", &name],
        };
        let mut child = command(&args).spawn().unwrap();
        let delay = rng.random_range(0..kill_window.as_micros() as u64);
        tokio::time::sleep(Duration::from_micros(delay)).await;
        match child.try_wait().unwrap() {
            Some(_) => finished += 1,
            None => {
                child.kill().unwrap(); // SIGKILL
                killed += 1;
            }
        }
        let output = child.wait_with_output().unwrap();
        if let Some(revision) = reported_revision(&output.stdout) {
            reported += 1;
            acknowledged = Some(Acknowledged {
                revision,
                name: name.clone(),
                index,
            });
        }

        if !cache.exists() {
            assert!(acknowledged.is_none());
            continue;
        }
        let row = check_database(&cache).await;
        if let Some(ack) = &acknowledged {
            let (revision, stored) = row.expect("an acknowledged save has a row");
            assert!(
                revision >= ack.revision,
                "revision went back from {} to {revision}",
                ack.revision
            );
            // The stored value is the acknowledged one or one attempted after it.
            let stored_index: usize = stored
                .strip_prefix("Save number ")
                .and_then(|n| n.parse().ok())
                .expect("only values the test wrote");
            assert!(
                stored_index >= ack.index,
                "{stored:?} is older than the acknowledged {:?}",
                ack.name
            );
            if revision == ack.revision {
                assert_eq!(stored, ack.name);
            }
        }
    }
    assert!(
        reported >= 10,
        "enough saves were reported before a kill to check ({reported})"
    );

    // Finally: one acknowledged save and a sync leave the server holding it.
    let output = command(&["set", "--name", "Save number final"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let mut attempts = Vec::new();
    for _ in 0..3 {
        let output = command(&["sync"]).stderr(Stdio::piped()).output().unwrap();
        let ok = output.status.success();
        attempts.push(String::from_utf8_lossy(&output.stderr).into_owned());
        if ok {
            break;
        }
    }
    assert!(
        attempts.len() < 3 || attempts.last().unwrap().is_empty(),
        "a final sync succeeds: {attempts:?}"
    );
    assert_eq!(
        server.store().get().await.unwrap().unwrap().name,
        "Save number final"
    );
    let (_, stored) = check_database(&cache).await.unwrap();
    assert_eq!(stored, "Save number final");
    eprintln!(
        "{index} runs: {killed} killed with SIGKILL, {finished} finished first, {reported} saves \
         reported; integrity ok and every reported save present after each"
    );
}

/// `set --photo` killed at random moments — while the picture is read and made fit, while it
/// is saved, while it is uploaded: the cache is never damaged, never refers to a photo it lacks
/// and keeps no photo nothing refers to; a reported save is there; the server never holds a
/// profile whose photo it lacks; a final sync converges.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_set_photo_at_random_moments_never_leaves_a_missing_or_half_kept_photo() {
    let kills: usize = std::env::var("OFFLINE_PROFILE_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .map_or(20, |kills| kills / 10);
    let server = crate::support::seeded_server("Ada").await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("data").join("profile.sqlite3");
    let command = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_offline-profile"));
        command
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .args(["--api", &server.url()])
            .args(args)
            .env("OFFLINE_PROFILE_TOKEN", TOKEN)
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        command
    };
    // Two camera pictures, large enough that reading and scaling them takes a while.
    let files: Vec<(std::path::PathBuf, profile_protocol::PhotoId)> = (0..2)
        .map(|n| {
            let path = dir.path().join(format!("picture-{n}.jpg"));
            let jpeg = profile_client::photo::samples::with_exif(
                &profile_client::photo::samples::halves_jpeg(1200 + n * 8, 900),
                if n == 0 { 1 } else { 6 },
            );
            std::fs::write(&path, jpeg).unwrap();
            let id = profile_client::photo::normalize_file(&path).unwrap().sha256;
            (path, id)
        })
        .collect();
    assert!(command(&["sync"]).output().unwrap().status.success());

    let mut durations = Vec::new();
    for (path, _) in &files {
        let started = Instant::now();
        let output = command(&["set", "--photo", path.to_str().unwrap()])
            .output()
            .unwrap();
        durations.push(started.elapsed());
        assert!(reported_revision(&output.stdout).is_some(), "{output:?}");
    }
    durations.sort();
    let kill_window = durations[durations.len() - 1] * 3 / 2;
    eprintln!("set --photo takes {durations:?}; killing within {kill_window:?}");

    let mut rng = rand::rng();
    let mut acknowledged: Option<(i64, profile_protocol::PhotoId)> = None;
    let (mut killed, mut reported) = (0, 0);
    for round in 0..kills * 3 {
        if killed >= kills {
            break;
        }
        let (path, id) = &files[round % 2];
        let mut child = command(&["set", "--photo", path.to_str().unwrap()])
            .spawn()
            .unwrap();
        let delay = rng.random_range(0..kill_window.as_micros() as u64);
        tokio::time::sleep(Duration::from_micros(delay)).await;
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            killed += 1;
        }
        let output = child.wait_with_output().unwrap();
        if let Some(revision) = reported_revision(&output.stdout) {
            reported += 1;
            acknowledged = Some((revision, id.clone()));
        }
        check_photos(&cache, acknowledged.as_ref()).await;
        let on_server = server.store().get().await.unwrap().unwrap();
        if let Some(photo) = &on_server.photo {
            let kept = server
                .store()
                .photo_of(profile_server::DEFAULT_USER, &photo.sha256)
                .await
                .unwrap();
            assert!(
                kept.is_some(),
                "the server's profile refers to a photo it lacks"
            );
        }
    }
    assert!(killed >= kills / 2, "enough runs were killed ({killed})");

    let (path, id) = &files[0];
    let output = command(&["set", "--photo", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(output.status.success());
    for _ in 0..3 {
        if command(&["sync"]).output().unwrap().status.success() {
            break;
        }
    }
    let on_server = server.store().get().await.unwrap().unwrap();
    assert_eq!(on_server.photo.map(|photo| photo.sha256), Some(id.clone()));
    eprintln!(
        "{killed} runs of set --photo killed, {reported} reported; the cache held every time"
    );
}

/// The cache is sound; the profile's photo is in it and no other is; an acknowledged save
/// (`revision`, photo) is there or was followed by a later one.
async fn check_photos(
    path: &std::path::Path,
    acknowledged: Option<&(i64, profile_protocol::PhotoId)>,
) {
    let pool = sound(path).await;
    let (revision, photo): (i64, Option<String>) = sqlx::query_as(
        "SELECT revision, json_extract(photo, '$.sha256') FROM profile WHERE id = 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let held: Vec<(String, i64)> =
        sqlx::query_as("SELECT sha256, length(jpeg) FROM photos ORDER BY sha256")
            .fetch_all(&pool)
            .await
            .unwrap();
    let referenced: Vec<String> = sqlx::query_scalar(
        "SELECT json_extract(photo, '$.sha256') FROM profile WHERE photo IS NOT NULL \
         UNION SELECT json_extract(base_photo, '$.sha256') FROM profile WHERE base_photo IS NOT NULL \
         UNION SELECT json_extract(photo, '$.sha256') FROM in_flight WHERE photo IS NOT NULL",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    if let Some(photo) = &photo {
        assert!(
            held.iter().any(|(id, bytes)| id == photo && *bytes > 0),
            "the profile refers to {photo}, which the cache lacks: {held:?}"
        );
    }
    for (id, _) in &held {
        assert!(
            referenced.contains(id),
            "{id} is kept though nothing refers to it"
        );
    }
    if let Some((acknowledged, id)) = acknowledged {
        assert!(revision >= *acknowledged, "revision went back");
        if revision == *acknowledged {
            assert_eq!(photo.as_deref(), Some(id.as_str()));
        }
    }
}
