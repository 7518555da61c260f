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

/// The real server on 127.0.0.1:`port` with the single-user `token` and its database at `db`,
/// once it accepts connections.
#[cfg(target_os = "linux")]
#[allow(dead_code)] // Not every includer starts one.
pub fn start_profile_server(port: u16, token: &str, db: &std::path::Path) -> Running {
    let server = Command::new(profile_server_binary())
        .args(["--listen", &format!("127.0.0.1:{port}"), "--db"])
        .arg(db)
        .env("PROFILE_SERVER_TOKEN", token)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let server = Running(server);
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    server
}

/// The profile the server on 127.0.0.1:`port` holds (`GET /v1/profile` with the single-user
/// `token`), read over a plain socket; `None` unless it answers 200.
#[cfg(target_os = "linux")]
#[allow(dead_code)] // Not every includer reads one.
pub fn server_profile(port: u16, token: &str) -> Option<serde_json::Value> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET /v1/profile HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\
         Connection: close\r\n\r\n"
    )
    .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let (head, body) = answer.split_once("\r\n\r\n")?;
    if !head.starts_with("HTTP/1.1 200") {
        return None;
    }
    serde_json::from_str(body).ok()
}

/// A port nothing on this machine listens on now (the system's pick), for a server a test
/// starts later. (`netns::free_port` is only for a namespace of the test's own: it is the same
/// for every test of this process.)
#[allow(dead_code)] // Not every includer starts one.
pub fn unused_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
