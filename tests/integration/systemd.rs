//! A real systemd user manager of the test's own, for background sync's test and benchmark: in a
//! mount namespace of its own (a tmpfs over `/run/systemd` with an empty `system/` in it, so
//! `systemd --user` agrees to run), with a private `XDG_RUNTIME_DIR` and home. Commands reach it
//! through `nsenter` into its namespace (where `/run/systemd/system` says systemd runs) and
//! `$XDG_RUNTIME_DIR/systemd/private`. Needs root.

use crate::processes::Running;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub struct UserManager {
    manager: Running,
    pub home: tempfile::TempDir,
}

impl UserManager {
    /// `None` (said) where this cannot run: not root, or no systemd; under `CI=true` that
    /// is a failure.
    pub fn start() -> Option<Self> {
        let missing: Vec<_> = [
            "unshare",
            "nsenter",
            "systemctl",
            "systemd-analyze",
            "/lib/systemd/systemd",
        ]
        .into_iter()
        .filter(|program| {
            !Command::new("sh")
                .args(["-c", &format!("command -v {program}")])
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .collect();
        if !missing.is_empty() {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI needs {missing:?} (systemd, util-linux)"
            );
            eprintln!("\n*** SKIPPED: the systemd user manager test; {missing:?} missing ***\n");
            return None;
        }
        let root = Command::new("id").arg("-u").output().unwrap();
        if String::from_utf8_lossy(&root.stdout).trim() != "0" {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI must run the systemd test as root"
            );
            eprintln!("\n*** SKIPPED: the systemd user manager test needs root (unshare -m) ***\n");
            return None;
        }
        let home = tempfile::tempdir().unwrap();
        let runtime = home.path().join("run");
        std::fs::create_dir_all(&runtime).unwrap();
        let mut permissions = std::fs::metadata(&runtime).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o700);
        std::fs::set_permissions(&runtime, permissions).unwrap();
        let manager = Command::new("unshare")
            .args([
                "-m",
                "--propagation",
                "private",
                "sh",
                "-c",
                "mount -t tmpfs none /run/systemd && mkdir /run/systemd/system && \
                 exec /lib/systemd/systemd --user",
            ])
            .envs(Self::environment_of(home.path()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let manager = UserManager {
            manager: Running(manager),
            home,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !manager
            .systemctl(&["is-system-running"])
            .stdout
            .starts_with(b"running")
        {
            assert!(Instant::now() < deadline, "systemd --user did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(manager)
    }

    fn environment_of(home: &Path) -> Vec<(&'static str, PathBuf)> {
        vec![
            ("HOME", home.to_path_buf()),
            ("XDG_RUNTIME_DIR", home.join("run")),
            ("XDG_CONFIG_HOME", home.join(".config")),
        ]
    }

    /// A command that reaches this user manager (and writes units into its home): run in
    /// its mount namespace, where `/run/systemd/system` says systemd runs.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new("nsenter");
        command
            .args(["-m", "-t", &self.manager.0.id().to_string(), "--"])
            .arg(program)
            .envs(Self::environment_of(self.home.path()))
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env_remove("RUST_LOG");
        command
    }

    pub fn systemctl(&self, args: &[&str]) -> std::process::Output {
        self.command("systemctl")
            .arg("--user")
            .args(args)
            .output()
            .unwrap()
    }

    pub fn units(&self) -> PathBuf {
        self.home.path().join(".config/systemd/user")
    }
}

/// Processes of ours (the app's binary) working on `data_dir`.
pub fn ours_running(data_dir: &Path) -> Vec<u32> {
    let binary = std::fs::canonicalize(env!("CARGO_BIN_EXE_offline-profile")).unwrap();
    let needle = data_dir.to_str().unwrap();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let exe = std::fs::read_link(entry.path().join("exe")).ok();
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if exe.as_deref() == Some(binary.as_path()) && cmdline.contains(needle) {
            found.push(pid);
        }
    }
    found
}
