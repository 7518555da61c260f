//! The cost of a save, guarded without a clock: one local save performs exactly one durable
//! write (the commit's fsync of the WAL). strace, running a process of this test's own, sees every
//! flush — `fsync`, `fdatasync`, `sync_file_range` — and every write the kernel flushes on its
//! own when the file is closed (on ext4, a file opened with `O_TRUNC` and written, or renamed
//! over another: `auto_da_alloc`) on the files of this test's own folder. A second flush on the
//! hot path fails this on any machine, however fast.
//!
//! Nor does a save write, touch, cut or make any file but the database's own: writing a marker
//! file after each save, even in place or in memory, added 40–60 µs to a save back to back
//! (BENCHMARKS.md). Other running apps notice a save by the write to the WAL that the commit
//! makes anyway.
//!
//! Besides, SQLite syncs the folder once per connection, at that connection's first commit (a
//! WAL it opened with "create" might be new); a pool holds at most 4, so over ten saves at most
//! 4 folder syncs may appear, never one per save.

use crate::support::{dead_url, programs_present};
use profile_client::api_client::ApiClientService;
use profile_client::database::DatabaseService;
use profile_client::{Strategies, UserProfileRepository};
use std::process::{Command, Stdio};

/// The calls strace saw on files in `folder` (not the folder itself) that make, or make the
/// kernel make, a write durable.
fn durable_writes(log: &str, folder: &str) -> Vec<String> {
    log.lines()
        .filter(|line| line.contains(&format!("{folder}/")))
        .filter(|line| {
            let flush = ["fsync(", "fdatasync(", "sync_file_range("]
                .iter()
                .any(|call| line.contains(call));
            let truncated_open = line.contains("openat(") && line.contains("O_TRUNC");
            let rename = line.contains("rename");
            flush || truncated_open || rename
        })
        .map(str::to_owned)
        .collect()
}

/// Set (to a folder) in the process [`a_local_save_makes_exactly_one_durable_write`] traces.
const SAVING_CHILD: &str = "OFFLINE_PROFILE_TEST_SAVING_CHILD";

/// The files whose look-ups mark where the steady state begins and ends in the trace (after
/// it, the process's end folds the log into the database: a checkpoint, not a save).
const STEADY: &str = "steady-state-begins";
const STEADY_END: &str = "steady-state-ends";

const SAVES: usize = 10;

/// Not a test of its own: the process strace runs for the test below (run alone it does
/// nothing). It saves once (the pool's first writer opens), marks the trace, then saves
/// [`SAVES`] times.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saving_in_a_traced_process() {
    let Some(dir) = std::env::var_os(SAVING_CHILD) else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let db = DatabaseService::open(&dir.join("profile.sqlite3"))
        .await
        .unwrap();
    let api = ApiClientService::new(&dead_url().await, Some("token".into())).unwrap();
    let repository = UserProfileRepository::new(db, api, Strategies::default(), true)
        .await
        .unwrap();
    // The first save opens the pool's first writer; saves after it are the steady state.
    repository.save("Ada", "").await.unwrap();
    let _ = std::fs::metadata(dir.join(STEADY));
    for n in 0..SAVES {
        repository.save(&format!("Ada {n}"), "").await.unwrap();
    }
    let _ = std::fs::metadata(dir.join(STEADY_END));
}

#[test]
fn a_local_save_makes_exactly_one_durable_write() {
    if !programs_present(
        &["strace"],
        "the durable-write count",
        "apt-get install strace",
    ) {
        return;
    }
    // A process of its own, started by strace: nothing else runs in it (other tests start
    // processes all the time; traced, a fork can deadlock with strace detaching).
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().canonicalize().unwrap().display().to_string();
    let log = dir.path().join("strace.log");
    let output = Command::new("strace")
        .args(["-f", "-qq", "-y", "-e", "trace=%file,%desc", "-o"])
        .arg(&log)
        .arg(std::env::current_exe().unwrap())
        .args([
            "durability::saving_in_a_traced_process",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(SAVING_CHILD, dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the traced saves: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let whole = std::fs::read_to_string(&log).unwrap();
    let Some(mark) = whole.find(STEADY) else {
        panic!("the trace holds the steady-state mark:\n{whole}");
    };
    let Some(end) = whole.find(STEADY_END) else {
        panic!("the trace holds the steady state's end:\n{whole}");
    };
    let seen = &whole[mark..end];
    assert!(
        seen.contains("profile.sqlite3"),
        "strace saw the save's files:\n{seen}"
    );
    let durable = durable_writes(seen, &folder);
    assert_eq!(
        durable.len(),
        SAVES,
        "one durable write per save (the WAL's fsync at commit); saw:\n{}",
        durable.join("\n")
    );
    assert!(
        durable
            .iter()
            .all(|call| call.contains("profile.sqlite3-wal>")),
        "{durable:#?}"
    );
    let other_writes: Vec<&str> = seen
        .lines()
        .filter(|line| line.contains(&format!("{folder}/")))
        .filter(|line| {
            // Writing a file, touching its times, cutting, making or renaming one.
            [
                "write(",
                "pwrite64(",
                "writev(",
                "pwritev(",
                "utimensat(",
                "futimens(",
                "truncate(",
                "rename",
                "O_CREAT",
            ]
            .iter()
            .any(|call| line.contains(call))
        })
        .filter(|line| {
            // The database's own files, named by descriptor (`<…>`) or by path (`"…"`).
            ![
                "profile.sqlite3",
                "profile.sqlite3-wal",
                "profile.sqlite3-shm",
            ]
            .iter()
            .any(|file| line.contains(&format!("{file}>")) || line.contains(&format!("{file}\"")))
        })
        .collect();
    assert!(
        other_writes.is_empty(),
        "a save writes only the database's files; also written:\n{}",
        other_writes.join("\n")
    );
    let folder_syncs = seen
        .lines()
        .filter(|line| {
            line.contains(&format!("({folder}>")) || line.contains(&format!("<{folder}>)"))
        })
        .filter(|line| line.contains("sync"))
        .count();
    assert!(
        folder_syncs <= 4,
        "the folder was synced {folder_syncs} times over {SAVES} saves"
    );
    let stored = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let db = DatabaseService::open(&dir.path().join("profile.sqlite3"))
            .await
            .unwrap();
        let stored = db.load_profile().await.unwrap().unwrap();
        db.close().await;
        stored
    });
    assert_eq!(stored.fields.name, format!("Ada {}", SAVES - 1));
}
