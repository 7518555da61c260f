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

async fn check_database(path: &std::path::Path) -> Option<(i64, String)> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(integrity, "ok", "the database is damaged");
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
