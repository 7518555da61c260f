//! Operating the `profile-server` binary: its metrics scraped by a real Prometheus, `/ready`
//! while its database goes away and comes back and while it stops, SIGTERM's graceful stop,
//! JSON logs, and an online backup.

mod support;

use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::http;
use support::process::Running;

const TOKEN: &str = "operations-test-token";

/// Whether `program` runs here; under `CI=true` its absence is a failure.
fn present(program: &str, install: &str) -> bool {
    if Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
    {
        return true;
    }
    let message = format!("{program} not found ({install}): SKIPPED");
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{message}");
    eprintln!("\n*** {message} ***\n");
    false
}

async fn ready(running: &Running) -> (u16, Value) {
    let response = http().get(running.url("/ready")).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// A PUT of the default user's profile named `name`, with `precondition` (a header and its
/// value); its status.
async fn put(running: &Running, precondition: (&str, &str), name: &str) -> u16 {
    http()
        .put(running.url("/v1/profile"))
        .bearer_auth(TOKEN)
        .header(precondition.0, precondition.1)
        .json(&json!({"name": name, "photo_url": ""}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Creates the default user's profile, then sends a PUT with a stale tag (412).
async fn a_write_and_a_conflict(running: &Running) {
    assert_eq!(put(running, ("If-None-Match", "*"), "Ada").await, 201);
    let stale = ("If-Match", "\"not-the-current-tag\"");
    assert_eq!(put(running, stale, "Ada, stale").await, 412);
}

/// The default user's event stream, open.
async fn event_stream(running: &Running) -> reqwest::Response {
    http()
        .get(running.url("/v1/profile/events"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
}

async fn metrics_text(running: &Running) -> String {
    http()
        .get(format!("http://{}/metrics", running.metrics_addr()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The value of the series `series` (its name and labels exactly as exported).
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(|value| value.trim().parse().unwrap())
}

/// A Prometheus server of the test's own, scraping `target` every second; killed when dropped.
struct Prometheus {
    child: std::process::Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    fn start(target: std::net::SocketAddr) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
                 rule_files:\n  - {rules}\n\
                 scrape_configs:\n  - job_name: profile-server\n    static_configs:\n      \
                 - targets: ['{target}']\n",
                rules = alert_rules().display()
            ),
        )
        .unwrap();
        let port = support::postgres::free_port();
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Self {
            child,
            port,
            _dir: dir,
        }
    }

    /// The instant vector `query` answers now (empty while nothing matches).
    async fn query(&self, query: &str) -> Vec<Value> {
        let url = reqwest::Url::parse_with_params(
            &format!("http://127.0.0.1:{}/api/v1/query", self.port),
            &[("query", query)],
        )
        .unwrap();
        let Ok(response) = http().get(url).send().await else {
            return Vec::new();
        };
        let Ok(body) = response.json::<Value>().await else {
            return Vec::new();
        };
        body["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The alert rules README shows (`deploy/prometheus/alerts.yml`).
fn alert_rules() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/prometheus/alerts.yml")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metrics_pass_promtool_and_a_real_prometheus_scrapes_and_answers_them() {
    if !present("promtool", "apt-get install prometheus") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let running = Running::start_with_metrics(dir.path().join("server.sqlite3"), TOKEN, "warn");
    a_write_and_a_conflict(&running).await;
    let refused = http()
        .post(running.url("/v1/sessions"))
        .json(&json!({"email": "nobody@example.com", "password": "wrong", "device_name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    // An event stream open while the metrics are read (its first event counts as sent).
    let mut stream = event_stream(&running).await;
    assert!(stream.chunk().await.unwrap().is_some());

    let text = metrics_text(&running).await;
    let series = [
        (
            r#"profile_server_http_requests_total{route="/v1/profile",method="PUT",status="412"}"#,
            1.0,
        ),
        (
            r#"profile_server_http_requests_total{route="/v1/profile",method="PUT",status="201"}"#,
            1.0,
        ),
        (
            r#"profile_server_profile_writes_total{outcome="conflict"}"#,
            1.0,
        ),
        (
            r#"profile_server_profile_writes_total{outcome="created"}"#,
            1.0,
        ),
        (r#"profile_server_sign_ins_total{outcome="failed"}"#, 1.0),
        ("profile_server_event_streams", 1.0),
        ("profile_server_events_sent_total", 1.0),
        // Both PUTs went through SQLite's group commit, one group each.
        ("profile_server_group_commit_size_count", 2.0),
        ("profile_server_photo_bytes", 0.0),
    ];
    for (name, expected) in series {
        assert_eq!(value(&text, name), Some(expected), "{name} in:\n{text}");
    }
    assert!(
        value(&text, r#"profile_server_db_connections{state="open"}"#).unwrap() >= 1.0,
        "{text}"
    );
    assert!(value(&text, "profile_server_heap_bytes").unwrap() > 0.0);
    assert!(
        text.contains(r#"profile_server_http_request_duration_seconds_bucket{route="/v1/profile",method="PUT",le="0.005"}"#),
        "{text}"
    );

    // promtool's own checks of the exposition format and of naming.
    let mut check = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut check.stdin.take().unwrap(), text.as_bytes()).unwrap();
    let checked = check.wait_with_output().unwrap();
    assert!(
        checked.status.success() && checked.stdout.is_empty() && checked.stderr.is_empty(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );
    let rules = Command::new("promtool")
        .args(["check", "rules"])
        .arg(alert_rules())
        .output()
        .unwrap();
    assert!(
        rules.status.success(),
        "promtool check rules: {}{}",
        String::from_utf8_lossy(&rules.stdout),
        String::from_utf8_lossy(&rules.stderr)
    );

    // A real Prometheus scrapes the instance and answers a query over what it scraped.
    let prometheus = Prometheus::start(running.metrics_addr());
    let deadline = Instant::now() + Duration::from_secs(60);
    let answer = loop {
        let answer = prometheus
            .query(r#"profile_server_profile_writes_total{outcome="conflict"}"#)
            .await;
        if !answer.is_empty() {
            break answer;
        }
        assert!(Instant::now() < deadline, "Prometheus never had the series");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(answer[0]["value"][1], "1", "{answer:?}");
    assert_eq!(answer[0]["metric"]["job"], "profile-server");
    let up = prometheus.query(r#"up{job="profile-server"}"#).await;
    assert_eq!(up[0]["value"][1], "1", "{up:?}");
    drop(stream);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_says_why_not_while_postgresql_is_down_and_recovers_by_itself() {
    let Some(postgres) = support::postgres::Postgres::start() else {
        return;
    };
    let url = postgres.database().await;
    let running = Running::start(&url, TOKEN, "warn");
    assert_eq!(ready(&running).await.0, 200);
    a_write_and_a_conflict(&running).await;

    postgres.stop_now();
    let (status, body) = ready(&running).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["code"], "not_ready");
    let reason = body["error"].as_str().unwrap();
    assert!(
        reason.contains("database") && !reason.contains("postgres://"),
        "{reason}"
    );
    // Liveness is not readiness: the process itself is fine.
    let health = http().get(running.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    // A request that needs the database gets a server error that says so, not a hang.
    let started = Instant::now();
    let read = http()
        .get(running.url("/v1/profile"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert!(read.status().is_server_error(), "{}", read.status());
    assert!(started.elapsed() < Duration::from_secs(15));

    postgres.start_again();
    let deadline = Instant::now() + Duration::from_secs(30);
    while ready(&running).await.0 != 200 {
        assert!(
            Instant::now() < deadline,
            "not ready again after PostgreSQL came back"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let read = http()
        .get(running.url("/v1/profile"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_then_stops_within_its_bound_and_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut running = Running::start_with_args(
        dir.path().join("server.sqlite3"),
        TOKEN,
        "info",
        &["--drain-seconds", "2"],
    );
    assert_eq!(ready(&running).await.0, 200);
    let mut stream = event_stream(&running).await;
    running.terminate();
    let signalled = Instant::now();
    // Draining: not ready, everything else served as before.
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let (status, body) = ready(&running).await;
        if status == 503 {
            assert!(
                body["error"].as_str().unwrap().contains("stopping"),
                "{body}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "still ready after SIGTERM");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    a_write_and_a_conflict(&running).await;
    // Then it stops: the event stream ends (its client reconnects elsewhere), and the process
    // exits 0 within the drain plus the 5 s bound for requests in flight.
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while let Ok(Some(_)) = stream.chunk().await {}
    })
    .await;
    assert!(ended.is_ok(), "the event stream was not ended");
    assert!(
        signalled.elapsed() >= Duration::from_secs(2),
        "drained for less than asked"
    );
    let status = running
        .exited_within(Duration::from_secs(8))
        .expect("exits after SIGTERM");
    assert!(status.success(), "{status:?}");
    let logs = running.logs();
    assert!(logs.contains("SIGTERM"), "{logs}");
    assert!(logs.contains("stopped"), "{logs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_are_one_object_a_line_with_the_fields_kept() {
    let dir = tempfile::tempdir().unwrap();
    let running = Running::start_with_args(
        dir.path().join("server.sqlite3"),
        TOKEN,
        "info",
        &["--log-format", "json"],
    );
    a_write_and_a_conflict(&running).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let logs = running.stop();
    // The first line is the address, on standard output; the rest are log lines.
    let lines: Vec<&str> = logs
        .lines()
        .filter(|line| !line.starts_with("listening on") && !line.starts_with("accounts only"))
        .collect();
    assert!(lines.len() >= 3, "{logs}");
    let parsed: Vec<Value> = lines
        .iter()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line:?}"))
        })
        .collect();
    for line in &parsed {
        assert!(
            line["timestamp"].is_string() && line["level"].is_string(),
            "{line}"
        );
    }
    // A field of an event, and the request's span with its method and path.
    let changed = parsed
        .iter()
        .find(|line| line["fields"]["message"] == "profile changed")
        .unwrap_or_else(|| panic!("no 'profile changed' in {logs}"));
    assert_eq!(changed["fields"]["version"], 1);
    assert_eq!(changed["span"]["method"], "PUT", "{changed}");
    assert_eq!(changed["span"]["uri"], "/v1/profile", "{changed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_of_a_running_store_is_consistent_and_never_replaces_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let running = Running::start(&db, TOKEN, "warn");
    a_write_and_a_conflict(&running).await;
    let backup = dir.path().join("backup.sqlite3");
    // Taken while the server runs and writes.
    let writes = async {
        for n in 0..20 {
            let current = http()
                .get(running.url("/v1/profile"))
                .bearer_auth(TOKEN)
                .send()
                .await
                .unwrap();
            let etag = current.headers()["etag"].to_str().unwrap().to_owned();
            let status = put(&running, ("If-Match", &etag), &format!("Ada {n}")).await;
            assert_eq!(status, 200);
        }
    };
    let server_binary = env!("CARGO_BIN_EXE_profile-server");
    let backed_up = tokio::task::spawn_blocking({
        let (db, backup) = (db.clone(), backup.clone());
        move || {
            Command::new(server_binary)
                .arg("--db")
                .arg(&db)
                .arg("backup")
                .arg(&backup)
                .output()
                .unwrap()
        }
    });
    let ((), output) = tokio::join!(writes, backed_up);
    let output = output.unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("to restore"));
    assert!(!dir.path().join("backup.sqlite3.partial").exists());
    // Password and token hashes inside: the owner's alone, whatever the umask (the test
    // process's is the usual 022).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&backup).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the backup's mode is {mode:o}");
    }

    // The copy opens as a store of its own, with the same id and some whole state.
    let copy = profile_server::Store::open(&backup).await.unwrap();
    let original = profile_server::Store::open(&db).await.unwrap();
    assert_eq!(copy.id(), original.id());
    let profile = copy
        .get()
        .await
        .unwrap()
        .expect("the profile is in the copy");
    assert!(
        profile.name == "Ada" || profile.name.starts_with("Ada "),
        "{}",
        profile.name
    );

    // A second backup to the same name is refused, and the first copy is untouched.
    let before = std::fs::read(&backup).unwrap();
    let again = Command::new(server_binary)
        .arg("--db")
        .arg(&db)
        .arg("backup")
        .arg(&backup)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already exists"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(std::fs::read(&backup).unwrap(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgresql_store_is_pointed_to_pg_dump() {
    let Some(postgres) = support::postgres::Postgres::start() else {
        return;
    };
    let url = postgres.database().await;
    let output = Command::new(env!("CARGO_BIN_EXE_profile-server"))
        .args(["--db", &url, "backup", "/nonexistent/backup"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("pg_dump") && !said.contains(&url), "{said}");
}
