//! Helpers for running the real server and app inside a network namespace of our own (used
//! by the network tests and the network benchmark): the namespace, processes ended by PID,
//! the app's `watch --json` lines with the time each arrived, and a D-Bus bus of our own.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A network namespace of our own, held open by a `sleep` inside it; commands run in it with
/// `nsenter`. Ended by PID when dropped.
pub struct Namespace {
    holder: Child,
}

impl Namespace {
    /// `None` (with a printed notice) where namespaces cannot be created; under `CI=true` that
    /// is a failure.
    pub fn create() -> Option<Self> {
        let holder = Command::new("unshare")
            .args(["-n", "sleep", "600"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn();
        let refused = |why: String| {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI must be able to create a network namespace: {why}"
            );
            eprintln!(
                "\n*** SKIPPED: the network-namespace test needs root (unshare -n): {why} ***\n"
            );
            None
        };
        let mut holder = match holder {
            Ok(holder) => holder,
            Err(error) => return refused(error.to_string()),
        };
        std::thread::sleep(Duration::from_millis(200));
        if let Ok(Some(status)) = holder.try_wait() {
            let mut why = String::new();
            let _ = std::io::Read::read_to_string(holder.stderr.as_mut().unwrap(), &mut why);
            return refused(format!("{status}: {}", why.trim()));
        }
        let namespace = Namespace { holder };
        namespace.ip_link("up");
        Some(namespace)
    }

    pub fn command(&self, program: &str) -> Command {
        let mut command = Command::new("nsenter");
        command
            .arg("-t")
            .arg(self.holder.id().to_string())
            .args(["-n", "--", program]);
        command
    }

    /// The real `profile-server` in the namespace on 127.0.0.1:`port`, with the single-user
    /// `token` and its database at `db`; its standard output goes to `stdout`.
    pub fn profile_server(
        &self,
        port: u16,
        token: &str,
        db: &std::path::Path,
        stdout: Stdio,
    ) -> Running {
        Running(
            self.command(profile_server_binary().to_str().unwrap())
                .args(["--listen", &format!("127.0.0.1:{port}"), "--token", token])
                .arg("--db")
                .arg(db)
                .stdout(stdout)
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        )
    }

    pub fn ip_link(&self, state: &str) {
        let status = self
            .command("ip")
            .args(["link", "set", "lo", state])
            .status()
            .unwrap();
        assert!(status.success(), "ip link set lo {state}");
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = self.holder.kill();
        let _ = self.holder.wait();
    }
}

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

pub fn free_port() -> u16 {
    // Any port: the namespace has no other listeners.
    20_000 + (std::process::id() % 20_000) as u16
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

/// A D-Bus bus of the test's own, ended by PID when dropped. It starts no service on demand
/// (no service files): with the system's, a request made before a test's own service has
/// registered would start the machine's copy of it instead.
pub struct Bus {
    pub address: String,
    _dir: tempfile::TempDir,
    daemon: Child,
}

impl Bus {
    /// Needs `dbus-daemon`.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("bus");
        let address = format!("unix:path={}", socket.display());
        let config = dir.path().join("bus.conf");
        std::fs::write(
            &config,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>{address}</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#
            ),
        )
        .unwrap();
        let daemon = Command::new("dbus-daemon")
            .args(["--nofork", "--nopidfile"])
            .arg(format!("--config-file={}", config.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let bus = Bus {
            address,
            _dir: dir,
            daemon,
        };
        // Bounded: 10 s, for a machine under load.
        for _ in 0..500 {
            if socket.exists() {
                return bus;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("dbus-daemon did not open {}", socket.display());
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}
