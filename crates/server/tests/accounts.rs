//! Many users and their devices, through real HTTP and the real `profile-server` binary:
//! admin commands, signing in and out, rate limits, revocation, and isolation between users.
//! The same cases run on SQLite and on a throwaway PostgreSQL.

mod support;

use support::http;

use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const PASSWORD: &str = "correct horse battery";

struct Server {
    running: profile_server::RunningServer,
    db: String,
}

impl Server {
    /// A server with accounts only (no `--token` shortcut) over `db` (a file or a URL).
    async fn start(db: &str) -> Self {
        let store = profile_server::Store::connect(db).await.unwrap();
        let running = profile_server::start_with(store, "", "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        Self {
            running,
            db: db.to_owned(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.url())
    }

    /// `method path` with `token`, no body.
    async fn call(&self, method: reqwest::Method, path: &str, token: &str) -> reqwest::Response {
        http()
            .request(method, self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    async fn add_user(&self, email: &str) {
        let output = admin(
            &self.db,
            &["user", "add", email, "--password-stdin"],
            PASSWORD,
        );
        assert!(output.status.success(), "{output:?}");
    }

    /// Signs `email` in as a new device: (token, device id).
    async fn sign_in(&self, email: &str, device: &str) -> (String, String) {
        let response = http()
            .post(self.url("/v1/sessions"))
            .json(&json!({"email": email, "password": PASSWORD, "device_name": device}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.unwrap();
        (
            body["token"].as_str().unwrap().to_owned(),
            body["device_id"].as_str().unwrap().to_owned(),
        )
    }

    async fn put_profile(&self, token: &str, name: &str) -> reqwest::Response {
        http()
            .put(self.url("/v1/profile"))
            .bearer_auth(token)
            .header("if-none-match", "*")
            .json(&json!({"name": name, "photo_url": ""}))
            .send()
            .await
            .unwrap()
    }
}

/// Runs `profile-server --db DB ARGS`, with `stdin` as its standard input.
fn admin(db: &str, args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_profile-server"))
        .arg("--db")
        .arg(db)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{stdin}\n").as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

async fn admin_commands_add_list_disable_users_and_issue_tokens(db: String) {
    let server = Server::start(&db).await;
    server.add_user("Ada@Example.com").await;
    let again = admin(
        &server.db,
        &["user", "add", "ada@example.com", "--password-stdin"],
        PASSWORD,
    );
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already a user"));
    let weak = admin(
        &server.db,
        &["user", "add", "bob@example.com", "--password-stdin"],
        "short",
    );
    assert!(String::from_utf8_lossy(&weak.stderr).contains("at least 8"));

    let issued = admin(
        &server.db,
        &[
            "token",
            "issue",
            "ada@example.com",
            "--device",
            "backup script",
        ],
        "",
    );
    assert!(issued.status.success(), "{issued:?}");
    let token = String::from_utf8(issued.stdout).unwrap().trim().to_owned();
    let (device_id, secret) = token.split_once('.').unwrap();
    assert_eq!((device_id.len(), secret.len()), (16, 64), "256 random bits");
    let response = server.put_profile(&token, "Ada").await;
    assert_eq!(response.status(), StatusCode::CREATED);

    let list = admin(&server.db, &["user", "list"], "");
    let list = String::from_utf8(list.stdout).unwrap();
    assert!(
        list.contains("ada@example.com\tactive\t1 device(s)"),
        "{list}"
    );

    let disabled = admin(&server.db, &["user", "disable", "ada@example.com"], "");
    assert!(disabled.status.success(), "{disabled:?}");
    let response = server
        .call(reqwest::Method::GET, "/v1/profile", &token)
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let list = String::from_utf8(admin(&server.db, &["user", "list"], "").stdout).unwrap();
    assert!(list.contains("ada@example.com\tdisabled"), "{list}");

    // Tokens are stored only as hashes.
    let stored = stored_bytes(&server.db).await;
    assert!(!stored.windows(secret.len()).any(|w| w == secret.as_bytes()));
    assert!(
        !stored
            .windows(PASSWORD.len())
            .any(|w| w == PASSWORD.as_bytes())
    );
}

async fn signing_in_gives_a_device_its_own_token_for_the_users_own_profile(db: String) {
    let server = Server::start(&db).await;
    server.add_user("ada@example.com").await;
    let (laptop, laptop_id) = server.sign_in("ada@example.com", "Laptop").await;
    let (phone, phone_id) = server.sign_in(" ADA@example.com ", "Phone").await;
    assert_ne!(laptop, phone);

    let response = server
        .call(reqwest::Method::GET, "/v1/profile", &laptop)
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        server.put_profile(&laptop, "Ada").await.status(),
        StatusCode::CREATED
    );
    let from_phone: Value = server
        .call(reqwest::Method::GET, "/v1/profile", &phone)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        from_phone["name"], "Ada",
        "one profile per user, on every device"
    );

    let devices: Value = server
        .call(reqwest::Method::GET, "/v1/devices", &phone)
        .await
        .json()
        .await
        .unwrap();
    let devices = devices["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 2);
    let phone_entry = devices
        .iter()
        .find(|d| d["id"] == phone_id.as_str())
        .unwrap();
    assert_eq!(
        (
            phone_entry["name"].as_str(),
            phone_entry["current"].as_bool()
        ),
        (Some("Phone"), Some(true))
    );
    assert!(
        devices
            .iter()
            .any(|d| d["id"] == laptop_id.as_str() && d["current"] == false)
    );

    // Signing out: this device's token stops working, the other goes on.
    let response = server
        .call(reqwest::Method::DELETE, "/v1/sessions/current", &laptop)
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = server
        .call(reqwest::Method::GET, "/v1/profile", &laptop)
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = server
        .call(reqwest::Method::GET, "/v1/profile", &phone)
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    // Bad sign-in bodies are refused with a reason.
    let response = http()
        .post(server.url("/v1/sessions"))
        .json(&json!({"email": "ada@example.com", "password": PASSWORD, "device_name": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let response = http()
        .post(server.url("/v1/sessions"))
        .json(&json!({"email": "ada@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .starts_with("the body is not a valid sign-in: "),
        "{body}"
    );
}

async fn timed_failure(server: &Server, email: &str) -> (StatusCode, String, Duration) {
    let started = Instant::now();
    let response = http()
        .post(server.url("/v1/sessions"))
        .json(&json!({"email": email, "password": "not the password", "device_name": "x"}))
        .send()
        .await
        .unwrap();
    let elapsed = started.elapsed();
    (response.status(), response.text().await.unwrap(), elapsed)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

async fn a_wrong_password_and_an_unknown_email_get_the_same_answer_in_about_the_same_time(
    db: String,
) {
    let server = Server::start(&db).await;
    server.add_user("ada@example.com").await;
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    // Interleaved, and fewer than the account limit for the known address.
    for n in 0..4 {
        let (status_a, body_a, time_a) = timed_failure(&server, "ada@example.com").await;
        let (status_b, body_b, time_b) =
            timed_failure(&server, &format!("nobody{n}@example.com")).await;
        assert_eq!((status_a, &body_a), (status_b, &body_b), "the same answer");
        assert_eq!(status_a, StatusCode::UNAUTHORIZED);
        known.push(time_a);
        unknown.push(time_b);
    }
    let (known, unknown) = (median(known), median(unknown));
    let ratio = known.as_secs_f64() / unknown.as_secs_f64();
    eprintln!(
        "failed sign-in: known email {known:?}, unknown email {unknown:?} (ratio {ratio:.2})"
    );
    // Without the decoy hash an unknown email answers tens of times faster than a password
    // check; both do one argon2 verification, so they stay within a small factor.
    assert!((0.33..3.0).contains(&ratio), "{known:?} vs {unknown:?}");
}

async fn sign_ins_are_rate_limited_per_account_with_retry_after(db: String) {
    let server = Server::start(&db).await;
    server.add_user("ada@example.com").await;
    for _ in 0..5 {
        let (status, _, _) = timed_failure(&server, "ada@example.com").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // Now even the right password waits.
    let response = http()
        .post(server.url("/v1/sessions"))
        .json(&json!({"email": "ada@example.com", "password": PASSWORD, "device_name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let body: Value = response.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("try again"));
}

/// Every route and method, with B's token: none shows, changes or streams A's profile.
/// Every route and method, with B's token: none shows, changes or streams A's profile.
async fn user_b_can_neither_read_write_nor_stream_user_as_profile(db: String) {
    let server = Server::start(&db).await;
    server.add_user("ada@example.com").await;
    server.add_user("bob@example.com").await;
    let (ada, ada_device) = server.sign_in("ada@example.com", "Laptop").await;
    let (bob, _) = server.sign_in("bob@example.com", "Laptop").await;
    let created = server.put_profile(&ada, "Ada's secret name").await;
    let ada_etag = created.headers()["etag"].to_str().unwrap().to_owned();

    let mut requests = Vec::new();
    for method in ["GET", "HEAD", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"] {
        for path in [
            "/v1/profile",
            "/v1/profile/events",
            "/v1/devices",
            &format!("/v1/devices/{ada_device}"),
            "/v1/sessions/current",
            "/v1/users/1/profile",
        ] {
            requests.push((method, path.to_owned()));
        }
    }
    for (method, path) in &requests {
        let request = http()
            .request(method.parse().unwrap(), server.url(path))
            .bearer_auth(&bob)
            .header("if-match", &ada_etag)
            .timeout(Duration::from_secs(2));
        let request = if *method == "PUT" {
            request.json(&json!({"name": "Bob was here", "photo_url": ""}))
        } else {
            request
        };
        let Ok(response) = request.send().await else {
            continue;
        };
        let status = response.status();
        // An event stream stays open: read what comes within a moment.
        let mut body = Vec::new();
        let mut stream = response.bytes_stream();
        let deadline = tokio::time::sleep(Duration::from_millis(300));
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                chunk = stream.next() => match chunk {
                    Some(Ok(bytes)) => body.extend_from_slice(&bytes),
                    _ => break,
                },
                () = &mut deadline => break,
            }
        }
        let text = String::from_utf8_lossy(&body);
        assert!(
            !text.contains("Ada's secret"),
            "{method} {path} ({status}) showed A's profile: {text}"
        );
        if *method == "DELETE" && path == "/v1/sessions/current" {
            break; // Bob signed himself out; the rest would be refused anyway.
        }
    }
    let response = server.call(reqwest::Method::GET, "/v1/profile", &ada).await;
    assert_eq!(response.status(), StatusCode::OK, "A's device still works");
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["name"], "Ada's secret name",
        "A's profile is unchanged"
    );
    eprintln!(
        "isolation: {} requests with B's token, none reached A's profile",
        requests.len()
    );
}

/// Opens `token`'s event stream and returns it once its first event (the profile) arrived.
async fn open_events(
    server: &Server,
    token: &str,
) -> impl futures::Stream<Item = reqwest::Result<axum::body::Bytes>> {
    let response = server
        .call(reqwest::Method::GET, "/v1/profile/events", token)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let mut stream = Box::pin(response.bytes_stream());
    let first = stream.next().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).contains("event: profile"));
    stream
}

/// How long until `stream` ends (at most 10 s).
async fn time_to_end(
    mut stream: impl futures::Stream<Item = reqwest::Result<axum::body::Bytes>> + Unpin,
    since: Instant,
) -> Duration {
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(Ok(_)) = stream.next().await {}
    })
    .await;
    assert!(ended.is_ok(), "the event stream was not closed");
    since.elapsed()
}

async fn a_revoked_or_disabled_device_gets_401_and_its_event_stream_ends_within_a_second(
    db: String,
) {
    let server = Server::start(&db).await;
    server.add_user("ada@example.com").await;
    let (laptop, laptop_id) = server.sign_in("ada@example.com", "Laptop").await;
    let (phone, _) = server.sign_in("ada@example.com", "Phone").await;
    server.put_profile(&laptop, "Ada").await;

    // Revoked from another device of the same user, through this server.
    let stream = Box::pin(open_events(&server, &laptop).await);
    let revoked_at = Instant::now();
    let response = http()
        .delete(server.url(&format!("/v1/devices/{laptop_id}")))
        .bearer_auth(&phone)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let revoked = time_to_end(stream, revoked_at).await;
    let response = server
        .call(reqwest::Method::GET, "/v1/profile", &laptop)
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    // The whole user disabled by the admin command, another process on the same database.
    let stream = Box::pin(open_events(&server, &phone).await);
    let disabled_at = Instant::now();
    let output = admin(&server.db, &["user", "disable", "ada@example.com"], "");
    assert!(output.status.success(), "{output:?}");
    let disabled = time_to_end(stream, disabled_at).await;
    let response = server
        .call(reqwest::Method::GET, "/v1/profile", &phone)
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    eprintln!(
        "event stream closed {revoked:?} after a revocation, {disabled:?} after `user disable` (including the command's run)"
    );
    assert!(revoked < Duration::from_secs(1), "{revoked:?}");
}

/// Everything the store holds about users and devices, as bytes: the SQLite files, or the rows
/// of the PostgreSQL tables.
async fn stored_bytes(db: &str) -> Vec<u8> {
    if db.starts_with("postgres://") {
        let pool = sqlx::PgPool::connect(db).await.unwrap();
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT concat_ws(' ', u.email, u.password_hash, d.id, d.token_hash) \
             FROM users u LEFT JOIN devices d ON d.user_id = u.id",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        pool.close().await;
        rows.into_iter()
            .flat_map(|(row,)| row.into_bytes())
            .collect()
    } else {
        let mut bytes = std::fs::read(db).unwrap();
        bytes.extend(std::fs::read(format!("{db}-wal")).unwrap_or_default());
        bytes
    }
}

use support::suite::Case;

/// Every case, each run on a fresh database.
fn cases() -> Vec<(&'static str, Case)> {
    vec![
        ("admin commands", |db| {
            Box::pin(admin_commands_add_list_disable_users_and_issue_tokens(db))
        }),
        ("signing in", |db| {
            Box::pin(signing_in_gives_a_device_its_own_token_for_the_users_own_profile(db))
        }),
        ("the same answer", |db| {
            Box::pin(
                a_wrong_password_and_an_unknown_email_get_the_same_answer_in_about_the_same_time(
                    db,
                ),
            )
        }),
        ("rate limits", |db| {
            Box::pin(sign_ins_are_rate_limited_per_account_with_retry_after(db))
        }),
        ("isolation", |db| {
            Box::pin(user_b_can_neither_read_write_nor_stream_user_as_profile(db))
        }),
        ("revocation", |db| {
            Box::pin(
                a_revoked_or_disabled_device_gets_401_and_its_event_stream_ends_within_a_second(db),
            )
        }),
        ("preconditions", |db| {
            Box::pin(profile_preconditions_and_etags_work_per_user(db))
        }),
        ("changes through the store", |db| {
            Box::pin(a_change_made_through_the_store_reaches_open_event_streams_once(db))
        }),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_suite_on_sqlite() {
    support::suite::on_sqlite(cases()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_suite_on_postgres() {
    support::suite::on_postgres(cases()).await;
}

/// Preconditions and tags, each user on their own profile.
async fn profile_preconditions_and_etags_work_per_user(db: String) {
    let server = Server::start(&db).await;
    server.add_user("ada@example.com").await;
    server.add_user("bob@example.com").await;
    let (ada, _) = server.sign_in("ada@example.com", "Laptop").await;
    let (bob, _) = server.sign_in("bob@example.com", "Laptop").await;
    let put = |token: &str, name: &str, header: (&'static str, String)| {
        http()
            .put(server.url("/v1/profile"))
            .bearer_auth(token)
            .header(header.0, header.1)
            .json(&json!({"name": name, "photo_url": ""}))
    };
    let created = put(&ada, "Ada", ("if-none-match", "*".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let first = created.headers()["etag"].to_str().unwrap().to_owned();
    let again = put(&ada, "Ada again", ("if-none-match", "*".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::PRECONDITION_FAILED);
    let bob_created = put(&bob, "Bob", ("if-none-match", "*".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        bob_created.status(),
        StatusCode::CREATED,
        "each user has their own profile"
    );
    let updated = put(&ada, "Ada King", ("if-match", first.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(updated.status(), StatusCode::OK);
    let second = updated.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(first, second);
    let stale = put(&ada, "Someone", ("if-match", first.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(stale.headers()["etag"].to_str().unwrap(), second);
    let retried = put(&ada, "Ada King", ("if-match", first))
        .send()
        .await
        .unwrap();
    assert_eq!(
        retried.status(),
        StatusCode::OK,
        "a retry of what is there succeeds"
    );
    assert_eq!(
        retried.headers()["etag"].to_str().unwrap(),
        second,
        "without a new version"
    );
    let unchanged = http()
        .get(server.url("/v1/profile"))
        .bearer_auth(&ada)
        .header("if-none-match", &second)
        .send()
        .await
        .unwrap();
    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);
    let bob_view: Value = server
        .call(reqwest::Method::GET, "/v1/profile", &bob)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (bob_view["name"].as_str(), bob_view["version"].as_i64()),
        (Some("Bob"), Some(1))
    );
}

/// The next (event id, profile name) on a stream that `drain_profiles` reads.
async fn next(
    events: &mut tokio::sync::mpsc::UnboundedReceiver<(String, String)>,
) -> (String, String) {
    tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .expect("an event within 5 s")
        .expect("the stream stays open")
}

/// Waits until `server` hears PostgreSQL's announcements (at once on SQLite, which has none):
/// a change announced before its fan-out listener listens is not heard.
async fn listening(server: &Server) {
    if server.db.starts_with("postgres://") {
        support::postgres::until_listeners(&server.db, 1).await;
    }
}

/// A change made through the store itself, not over HTTP — as the app's embedded server seeds
/// its demo profile — reaches an open event stream as a PUT's does: once, with the new version
/// as the event's id, so a reconnect with `Last-Event-ID` resumes from the right place. On
/// PostgreSQL the server hears its own announcement and delivers nothing else.
async fn a_change_made_through_the_store_reaches_open_event_streams_once(db: String) {
    let server = Server::start(&db).await;
    let store = &server.running.state.store;
    let user = store.add_user("ada@example.com", PASSWORD).await.unwrap();
    let (laptop, _) = server.sign_in("ada@example.com", "Laptop").await;
    listening(&server).await;
    // No profile yet, so the stream sends nothing until the first change; it has subscribed by
    // the time its headers arrive.
    let response = server
        .call(reqwest::Method::GET, "/v1/profile/events", &laptop)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let (sender, mut events) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut bytes = response.bytes_stream();
        let mut text = String::new();
        while let Some(Ok(chunk)) = bytes.next().await {
            text.push_str(&String::from_utf8_lossy(&chunk));
            for event in support::sse::drain_profiles(&mut text) {
                let _ = sender.send(event);
            }
        }
    });
    let fields = |name: &str| profile_protocol::Fields::new(name, "");
    assert!(store.seed_for(user, &fields("Ada")).await.unwrap());
    assert_eq!(next(&mut events).await, ("1".into(), "Ada".into()));

    let seeded = store.profile_of(user).await.unwrap().unwrap();
    let response = http()
        .put(server.url("/v1/profile"))
        .bearer_auth(&laptop)
        .header("if-match", profile_protocol::quoted(&seeded.etag))
        .json(&json!({"name": "Ada King", "photo_url": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(next(&mut events).await, ("2".into(), "Ada King".into()));

    assert!(
        !store.seed_for(user, &fields("Someone")).await.unwrap(),
        "a profile is there"
    );
    let quiet = tokio::time::timeout(Duration::from_millis(500), events.recv()).await;
    assert!(
        quiet.is_err(),
        "each change arrives once, and a seed that changes nothing not at all: {quiet:?}"
    );
}
