//! A throwaway PostgreSQL for tests: a new cluster in a temporary folder on a free port, from the
//! machine's own binaries (Debian's `postgresql` package), stopped when dropped. Where the
//! binaries are missing the tests say so loudly, and under `CI=true` that is a failure.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct Postgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    as_postgres: bool,
    durable: bool,
    databases: AtomicUsize,
}

/// The newest `/usr/lib/postgresql/<version>/bin` with `initdb`.
fn binaries() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|entry| entry.path().join("bin"))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    found.sort();
    found.pop()
}

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

impl Postgres {
    /// Starts a cluster for tests (no fsync: faster, and nothing here must survive a crash),
    /// or `None` (after saying why) where PostgreSQL is not installed.
    pub fn start() -> Option<Self> {
        Self::start_with(false)
    }

    /// Starts a cluster that syncs every commit to disk, as production does (for benchmarks).
    pub fn start_durable() -> Option<Self> {
        Self::start_with(true)
    }

    fn start_with(durable: bool) -> Option<Self> {
        let Some(bin) = binaries() else {
            let message = "PostgreSQL binaries not found (apt-get install postgresql): the \
                           PostgreSQL half of the server tests was SKIPPED";
            assert!(std::env::var("CI").as_deref() != Ok("true"), "{message}");
            eprintln!("\n*** {message} ***\n");
            return None;
        };
        let dir = tempfile::Builder::new()
            .prefix("profile-pg-")
            .tempdir_in("/tmp")
            .unwrap();
        // initdb refuses to run as root: the cluster belongs to the `postgres` user then.
        let as_postgres = is_root();
        if as_postgres {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(status.success(), "chown the cluster's folder");
        }
        let postgres = Self {
            bin,
            port: free_port(),
            as_postgres,
            durable,
            databases: AtomicUsize::new(0),
            dir,
        };
        let data = postgres.data();
        postgres.run(
            "initdb",
            &["-D", &data, "-A", "trust", "-U", "app", "--no-sync"],
        );
        postgres.start_again();
        Some(postgres)
    }

    /// Starts the cluster (again, after [`Postgres::stop_now`]) on its port.
    pub fn start_again(&self) {
        let data = self.data();
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync={} -c max_connections=300",
            self.port,
            self.dir.path().display(),
            if self.durable { "on" } else { "off" }
        );
        self.run(
            "pg_ctl",
            &[
                "-D",
                &data,
                "-o",
                &options,
                "-l",
                &format!("{data}.log"),
                "-w",
                "start",
            ],
        );
    }

    /// Stops the cluster at once (`-m immediate`: as a crash or a lost host would); its clients'
    /// connections break.
    pub fn stop_now(&self) {
        self.run(
            "pg_ctl",
            &["-D", &self.data(), "-m", "immediate", "-w", "stop"],
        );
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let program = self.bin.join(tool);
        let output = if self.as_postgres {
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&program)
                .args(args)
                .current_dir(self.dir.path())
                .output()
        } else {
            Command::new(&program).args(args).output()
        }
        .unwrap();
        assert!(
            output.status.success(),
            "{tool} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// A URL with `password` in it (trust authentication ignores it; logs must not show it).
    pub fn url_with_password(&self, database: &str, password: &str) -> String {
        format!(
            "postgres://app:{password}@127.0.0.1:{}/{database}",
            self.port
        )
    }

    /// A new, empty database; its URL.
    pub async fn database(&self) -> String {
        self.database_named().await.1
    }

    /// A new, empty database: its name and URL.
    pub async fn database_named(&self) -> (String, String) {
        let name = format!("case{}", self.databases.fetch_add(1, Ordering::SeqCst));
        let admin = format!("postgres://app@127.0.0.1:{}/postgres", self.port);
        let pool = sqlx::PgPool::connect(&admin).await.unwrap();
        // The name is ours (`case<n>`), never input.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
        let url = format!("postgres://app@127.0.0.1:{}/{name}", self.port);
        (name, url)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // A test that failed with the cluster stopped (`stop_now`) must not panic again here.
        let data = self.data();
        if std::path::Path::new(&data).join("postmaster.pid").exists() {
            self.run("pg_ctl", &["-D", &data, "-m", "fast", "-w", "stop"]);
        }
    }
}

/// Waits until `count` fan-out listeners listen on `url`'s database.
pub async fn until_listeners(url: &str, count: i64) {
    let admin = sqlx::PgPool::connect(url).await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let listening: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND query ILIKE 'LISTEN%'",
        )
        .fetch_one(&admin)
        .await
        .unwrap();
        if listening == count {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{listening} listeners, not {count}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    admin.close().await;
}
