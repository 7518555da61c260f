//! The `profile-server` binary as a child process on a free port: its address, its memory, and
//! everything it prints (read continuously, so it never writes into a full or closed pipe).

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The server binary on a free port, its logs collected in the background.
pub struct Running {
    child: Child,
    pub addr: SocketAddr,
    /// Where `GET /metrics` answers, when started with [`Running::start_with_metrics`].
    metrics: Option<SocketAddr>,
    logs: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
}

impl Running {
    /// Starts it over `db` with `token` (empty: accounts only), logging at `log_level`.
    pub fn start(db: impl AsRef<std::ffi::OsStr>, token: &str, log_level: &str) -> Self {
        Self::start_binary(env!("CARGO_BIN_EXE_profile-server"), db, token, log_level)
    }

    /// The same, with its metrics listener on a free port too (`--metrics-listen`).
    pub fn start_with_metrics(
        db: impl AsRef<std::ffi::OsStr>,
        token: &str,
        log_level: &str,
    ) -> Self {
        Self::start_with_args(db, token, log_level, &["--metrics-listen", "127.0.0.1:0"])
    }

    /// The same, with `args` added to its command line (with `--metrics-listen`, its metrics
    /// address is read too).
    pub fn start_with_args(
        db: impl AsRef<std::ffi::OsStr>,
        token: &str,
        log_level: &str,
        args: &[&str],
    ) -> Self {
        Self::launch(
            env!("CARGO_BIN_EXE_profile-server"),
            db,
            token,
            log_level,
            args,
        )
    }

    /// The same, with another build of the server (`binary`).
    pub fn start_binary(
        binary: impl AsRef<std::ffi::OsStr>,
        db: impl AsRef<std::ffi::OsStr>,
        token: &str,
        log_level: &str,
    ) -> Self {
        Self::launch(binary, db, token, log_level, &[])
    }

    fn launch(
        binary: impl AsRef<std::ffi::OsStr>,
        db: impl AsRef<std::ffi::OsStr>,
        token: &str,
        log_level: &str,
        args: &[&str],
    ) -> Self {
        let with_metrics = args.contains(&"--metrics-listen");
        let mut child = Command::new(binary)
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .args(if token.is_empty() {
                vec![]
            } else {
                vec!["--token", token]
            })
            .arg("--db")
            .arg(db)
            .env("RUST_LOG", log_level)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .parse()
            .unwrap();
        let mut printed = line.clone().into_bytes();
        let metrics = with_metrics.then(|| {
            line.clear();
            stdout.read_line(&mut line).unwrap();
            printed.extend_from_slice(line.as_bytes());
            line.trim()
                .strip_prefix("metrics on http://")
                .and_then(|rest| rest.strip_suffix("/metrics"))
                .unwrap_or_else(|| panic!("unexpected second line {line:?}"))
                .parse()
                .unwrap()
        });
        let logs = std::sync::Arc::new(std::sync::Mutex::new(printed));
        for mut source in [
            Box::new(stdout) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let logs = logs.clone();
            std::thread::spawn(move || {
                let mut buffer = [0u8; 8192];
                while let Ok(n) = source.read(&mut buffer) {
                    if n == 0 {
                        break;
                    }
                    logs.lock().unwrap().extend_from_slice(&buffer[..n]);
                }
            });
        }
        Self {
            child,
            addr,
            metrics,
            logs,
        }
    }

    /// The value of gauge `name` in its `/metrics` answer.
    pub async fn metric(&self, name: &str) -> u64 {
        let addr = self.metrics.expect("started with its metrics listener");
        let text = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap()
            .get(format!("http://{addr}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("no {name} in {text}"))
            .trim()
            .parse::<f64>()
            .unwrap() as u64
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Resident memory, in KiB.
    pub fn rss_kib(&self) -> u64 {
        rss_kib_of(self.child.id())
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Where its `/metrics` answers (started with `--metrics-listen`).
    pub fn metrics_addr(&self) -> SocketAddr {
        self.metrics.expect("started with its metrics listener")
    }

    /// Everything it printed so far.
    pub fn logs(&self) -> String {
        String::from_utf8_lossy(&self.logs.lock().unwrap()).into_owned()
    }

    /// Sends it SIGTERM (a service manager's stop), as `kill` does.
    pub fn terminate(&self) {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    }

    /// Its exit status, once it has exited within `limit` (`None`: still running).
    pub fn exited_within(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if std::time::Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills it (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Kills it and returns everything it printed.
    pub fn stop(mut self) -> String {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        std::thread::sleep(Duration::from_millis(100));
        String::from_utf8_lossy(&self.logs.lock().unwrap()).into_owned()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The resident memory of process `pid`, in KiB.
pub fn rss_kib_of(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc")
}
