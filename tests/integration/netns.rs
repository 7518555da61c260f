//! Helpers for running the real server and app inside a network namespace of our own (used
//! by the network tests and the network benchmark): the namespace, a port in it, and a D-Bus
//! bus of our own.

use crate::processes::{Running, profile_server_binary};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

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

pub fn free_port() -> u16 {
    // Any port: the namespace has no other listeners.
    20_000 + (std::process::id() % 20_000) as u16
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
