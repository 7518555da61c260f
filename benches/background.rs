//! Background sync with a real systemd user manager (Linux, root): an edit saved while the
//! server is down, by a process that then ends (as a window closing hands it over); the server
//! comes back; how long until the path-started job has put the edit on the server. And how many
//! processes of ours run while nothing is pending (sampled once each job has ended).
//!
//! `cargo bench --bench background` (runs: `OFFLINE_PROFILE_BENCH_RUNS`, default 20).

#[path = "../tests/integration/processes.rs"]
#[allow(dead_code)]
mod processes;
#[cfg(target_os = "linux")]
#[path = "../tests/integration/systemd.rs"]
#[allow(dead_code)]
mod systemd;

#[cfg(target_os = "linux")]
fn main() {
    use std::time::{Duration, Instant};
    const TOKEN: &str = "background-bench-token";
    let Some(manager) = systemd::UserManager::start() else {
        eprintln!("background: skipped (needs root and systemd)");
        return;
    };
    let runs: usize = std::env::var("OFFLINE_PROFILE_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let db = dir.path().join("server.sqlite3");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = |args: &[&str]| {
        let output = manager
            .command(env!("CARGO_BIN_EXE_offline-profile"))
            .arg("--data-dir")
            .arg(&data_dir)
            .args(["--api", &format!("http://127.0.0.1:{port}")])
            .args(args)
            .env("OFFLINE_PROFILE_TOKEN", TOKEN)
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
    };
    // A first profile on the server, then background sync on.
    {
        let _server = processes::start_profile_server(port, TOKEN, &db);
        app(&["set", "--name", "first"]);
    }
    app(&["background", "enable"]);
    let mut delays = Vec::new();
    let mut idle_max = 0;
    for run in 0..runs {
        let name = format!("run {run}");
        app(&["set", "--name", &name]);
        // The job waits for the server (retrying on the quiet schedule).
        let deadline = Instant::now() + Duration::from_secs(20);
        while systemd::ours_running(&data_dir).is_empty() {
            assert!(Instant::now() < deadline, "the job did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(500));
        let up = Instant::now();
        let _server = processes::start_profile_server(port, TOKEN, &db);
        while processes::server_profile(port, TOKEN)
            .and_then(|p| p["name"].as_str().map(str::to_owned))
            .as_deref()
            != Some(name.as_str())
        {
            assert!(up.elapsed() < Duration::from_secs(60), "not sent");
            std::thread::sleep(Duration::from_millis(5));
        }
        delays.push(up.elapsed());
        let deadline = Instant::now() + Duration::from_secs(30);
        while !systemd::ours_running(&data_dir).is_empty() {
            assert!(Instant::now() < deadline, "the job did not end");
            std::thread::sleep(Duration::from_millis(20));
        }
        // Nothing pending now: sample for a second.
        for _ in 0..10 {
            idle_max = idle_max.max(systemd::ours_running(&data_dir).len());
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    delays.sort();
    let at = |q: f64| delays[((delays.len() as f64 - 1.0) * q).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!();
    println!("| What | Runs | Median | p95 | p99 | Max |");
    println!("|---|---|---|---|---|---|");
    println!(
        "| Server back → edit on the server, sent by the job the `.path` unit started (the edit was saved by `set` with the server down; the process had ended) | {} | {:.0} ms | {:.0} ms | {:.0} ms | {:.0} ms |",
        delays.len(),
        ms(at(0.5)),
        ms(at(0.95)),
        ms(at(0.99)),
        ms(*delays.last().unwrap())
    );
    println!(
        "| Processes of ours running while nothing is pending (most seen, 10 samples after each job ended) | {} | {idle_max} | | | |",
        delays.len()
    );
    app(&["background", "disable"]);
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("background: Linux only (a systemd user manager)");
}
