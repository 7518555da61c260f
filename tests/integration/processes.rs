//! Child processes for tests that run the real binaries: ended by PID when dropped, and the
//! JSON lines a `watch --json` prints.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process ended by PID when dropped.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The `profile-server` binary beside the app's (another package's, so built here if `cargo
/// test` did not build it already).
// Only Linux-only tests (and the network benchmark) start the server as a program.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub fn profile_server_binary() -> std::path::PathBuf {
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_offline-profile"))
        .with_file_name("profile-server");
    if !binary.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = Command::new(cargo);
        build.args(["build", "-p", "profile-server", "--bin", "profile-server"]);
        if binary.parent().is_some_and(|dir| dir.ends_with("release")) {
            build.arg("--release");
        }
        let built = build.status().unwrap();
        assert!(built.success(), "building profile-server");
    }
    binary
}

/// The app's state as `watch --json` prints it, with when each line arrived.
pub fn watch_lines(child: &mut Child) -> std::sync::mpsc::Receiver<(Instant, serde_json::Value)> {
    let (sender, lines) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Ok(value) = serde_json::from_str(&line)
                && sender.send((Instant::now(), value)).is_err()
            {
                break;
            }
        }
    });
    lines
}

/// Starts `watch` (a command ending in `watch --json`) logging at `filter` (no colours) into
/// the file `log`; its lines as [`watch_lines`] gives them.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub fn start_watch(
    mut watch: Command,
    filter: &str,
    log: &std::path::Path,
) -> (
    Running,
    std::sync::mpsc::Receiver<(Instant, serde_json::Value)>,
) {
    let mut running = Running(
        watch
            .env("RUST_LOG", filter)
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .unwrap(),
    );
    let lines = watch_lines(&mut running.0);
    (running, lines)
}

pub fn wait_for(
    lines: &std::sync::mpsc::Receiver<(Instant, serde_json::Value)>,
    within: Duration,
    what: &str,
    done: impl Fn(&serde_json::Value) -> bool,
) -> Instant {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok((at, value)) if done(&value) => return at,
            Ok(_) => {}
            Err(_) => panic!("no {what} within {within:?}"),
        }
    }
}
