//! Helpers: a fresh server per test, repositories over temporary folders, and a small TCP proxy
//! that can take the server "off the network" and bring it back.

use profile_client::api_client::ApiClientService;
use profile_client::database::DatabaseService;
use profile_client::{Strategies, UserProfileRepository};
use profile_server::{AppState, RunningServer, Store};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tempfile::TempDir;
use tokio::net::{TcpListener, TcpStream};

pub const TOKEN: &str = "test-token-0123456789";

/// Runs the `offline-profile` binary on `data_dir` against `api`, as a user would.
pub fn offline_profile(
    data_dir: &std::path::Path,
    api: &str,
    args: &[&str],
) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_offline-profile"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--api", api])
        .args(args)
        .env("OFFLINE_PROFILE_TOKEN", TOKEN)
        .env_remove("RUST_LOG")
        .output_retrying()
        .expect("the binary runs")
}

/// A real profile server on 127.0.0.1:0 with its own SQLite file.
pub struct TestServer {
    pub running: RunningServer,
    /// Holds the server's SQLite file; removed when the server is dropped.
    _dir: TempDir,
}

impl TestServer {
    pub fn url(&self) -> String {
        self.running.url()
    }

    pub fn client(&self) -> ApiClientService {
        ApiClientService::new(&self.url(), Some(TOKEN.into())).unwrap()
    }

    pub fn store(&self) -> &Store {
        &self.running.state.store
    }

    /// The server's database file.
    pub fn db(&self) -> std::path::PathBuf {
        self._dir.path().join("server.sqlite3")
    }

    /// A consistent copy of the database as it is now, taken while the server runs by what
    /// `profile-server backup` runs (`Store::backup`: `VACUUM INTO`, checked, renamed), on a
    /// store of its own over the same file, as that command opens it. Kept until the test ends.
    pub async fn backup(&self) -> TempDir {
        let backup = tempfile::tempdir().unwrap();
        let store = Store::open(&self.db()).await.unwrap();
        store
            .backup(&backup.path().join("server.sqlite3"))
            .await
            .unwrap();
        backup
    }

    /// Stops this server and starts another on the same address over a copy of the database
    /// in `from` (a restored backup, another server's folder), or over a new, empty database
    /// when `from` is `None` (the server was wiped).
    pub async fn replace(self, from: Option<&std::path::Path>) -> TestServer {
        let addr = self.running.addr;
        self.running.stop().await;
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("server.sqlite3");
        if let Some(from) = from {
            std::fs::copy(from.join("server.sqlite3"), &db).unwrap();
        }
        let running = profile_server::start(&db, TOKEN, addr).await.unwrap();
        TestServer { running, _dir: dir }
    }
}

pub async fn spawn_server() -> TestServer {
    spawn_server_with(|router| router).await
}

/// A server whose router is wrapped by `wrap` (to hold requests, count them, ...).
pub async fn spawn_server_with(wrap: impl FnOnce(axum::Router) -> axum::Router) -> TestServer {
    spawn_server_full(TOKEN, wrap).await
}

/// A server with its own token and wrapped router.
pub async fn spawn_server_full(
    token: &str,
    wrap: impl FnOnce(axum::Router) -> axum::Router,
) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("server.sqlite3"))
        .await
        .unwrap();
    let state = AppState::new(store, token);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let app = wrap(profile_server::router(state.clone()));
    TestServer {
        running: profile_server::serve_router(listener, state, app),
        _dir: dir,
    }
}

/// The current profile's ETag header value on `server`.
pub async fn quoted_etag(server: &TestServer) -> String {
    let current = server.store().get().await.unwrap().expect("a profile");
    profile_protocol::quoted(&current.etag)
}

/// What another device asserts to change the profile `server` holds now.
pub async fn current_state(server: &TestServer) -> profile_client::api_client::Precondition {
    let current = server.store().get().await.unwrap().expect("a profile");
    let etag = profile_client::domain::Etag::new(current.etag).expect("a state has a tag");
    profile_client::api_client::Precondition::Matches(etag)
}

/// A client folder with its own cache.
pub struct Client {
    pub dir: TempDir,
}

impl Client {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub async fn repository(&self, url: &str) -> Arc<UserProfileRepository> {
        self.repository_with(url, Strategies::default()).await
    }

    pub async fn repository_with(
        &self,
        url: &str,
        strategies: Strategies,
    ) -> Arc<UserProfileRepository> {
        let db = DatabaseService::open(&self.dir.path().join("profile.sqlite3"))
            .await
            .unwrap();
        let api = ApiClientService::new(url, Some(TOKEN.into())).unwrap();
        UserProfileRepository::new(db, api, strategies, false)
            .await
            .unwrap()
    }
}

/// A URL on which nothing listens: connections are refused.
pub async fn dead_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

/// What the proxy does with the next connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Forward bytes both ways.
    Up,
    /// Close every connection at once, as a network that is gone would.
    Down,
    /// Wait this long, then forward.
    Delay(Duration),
    /// Forward only the first bytes of the request, then cut the connection.
    CutRequest(usize),
    /// Forward the request and only the first bytes of the response, then cut.
    CutResponse(usize),
    /// Forward requests, and responses as they come, and cut the connection once this many
    /// response bytes went through (shorter answers before it pass whole).
    CutAfter(usize),
    /// Forward the request, let the server answer (and commit), then cut the connection
    /// before the client sees a byte of the response.
    DropResponses,
    /// Answer every request with these raw bytes instead of the server's answer.
    Respond(&'static str),
    /// Forward the response one byte at a time, this long apart.
    Trickle(Duration),
}

/// A TCP proxy in front of a server that injects faults on real sockets. Changing the mode
/// also cuts the connections already open, as a network change would (so pooled keep-alive
/// connections do not outlive an outage).
pub struct Proxy {
    pub addr: SocketAddr,
    mode: tokio::sync::watch::Sender<Mode>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    pub async fn start(upstream: SocketAddr, up: bool) -> Self {
        Self::with_mode(upstream, if up { Mode::Up } else { Mode::Down }).await
    }

    pub async fn with_mode(upstream: SocketAddr, mode: Mode) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (sender, receiver) = tokio::sync::watch::channel(mode);
        let task = tokio::spawn(async move {
            loop {
                let Ok((inbound, _)) = listener.accept().await else {
                    return;
                };
                let mut changes = receiver.clone();
                let mode = *changes.borrow_and_update();
                if mode == Mode::Down {
                    drop(inbound);
                    continue;
                }
                tokio::spawn(async move {
                    let Ok(outbound) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    tokio::select! {
                        () = forward(mode, inbound, outbound) => {}
                        _ = changes.changed() => {}
                    }
                });
            }
        });
        Self {
            addr,
            mode: sender,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set_up(&self, up: bool) {
        self.set_mode(if up { Mode::Up } else { Mode::Down });
    }

    /// Switches the mode; connections open in another mode are cut, as a network change would.
    pub fn set_mode(&self, mode: Mode) {
        self.mode.send_if_modified(|current| {
            let changed = *current != mode;
            *current = mode;
            changed
        });
    }
}

async fn forward(mode: Mode, mut inbound: TcpStream, mut outbound: TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    match mode {
        Mode::Up | Mode::Down => {
            let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
        }
        Mode::Delay(delay) => {
            tokio::time::sleep(delay).await;
            let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
        }
        Mode::CutRequest(bytes) => {
            let mut buffer = vec![0u8; bytes];
            if let Ok(n) = inbound.read(&mut buffer).await {
                let _ = outbound.write_all(&buffer[..n]).await;
            }
        }
        Mode::CutResponse(bytes) => {
            let (mut client_read, mut client_write) = inbound.into_split();
            let (mut server_read, mut server_write) = outbound.into_split();
            let request = tokio::spawn(async move {
                let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
            });
            let mut buffer = vec![0u8; bytes];
            if server_read.read_exact(&mut buffer).await.is_ok() {
                let _ = client_write.write_all(&buffer).await;
            }
            request.abort();
        }
        Mode::CutAfter(bytes) => {
            let (mut client_read, mut client_write) = inbound.into_split();
            let (mut server_read, mut server_write) = outbound.into_split();
            let request = tokio::spawn(async move {
                let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
            });
            let mut left = bytes;
            let mut buffer = vec![0u8; 8192];
            while left > 0 {
                let want = left.min(buffer.len());
                match server_read.read(&mut buffer[..want]).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if client_write.write_all(&buffer[..n]).await.is_err() {
                            break;
                        }
                        left -= n;
                    }
                }
            }
            request.abort();
        }
        Mode::DropResponses => {
            let (mut client_read, _client_write) = inbound.into_split();
            let (mut server_read, mut server_write) = outbound.into_split();
            let request = tokio::spawn(async move {
                let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
            });
            // The server's first byte means it has answered, so it has committed; the client
            // never sees it.
            let mut byte = [0u8; 1];
            let _ = server_read.read(&mut byte).await;
            request.abort();
        }
        Mode::Respond(raw) => {
            read_request(&mut inbound).await;
            let _ = inbound.write_all(raw.as_bytes()).await;
            let _ = inbound.shutdown().await;
        }
        Mode::Trickle(gap) => {
            let (mut client_read, mut client_write) = inbound.into_split();
            let (mut server_read, mut server_write) = outbound.into_split();
            let request = tokio::spawn(async move {
                let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
            });
            let mut byte = [0u8; 1];
            while let Ok(1) = server_read.read(&mut byte).await {
                if client_write.write_all(&byte).await.is_err() {
                    break;
                }
                tokio::time::sleep(gap).await;
            }
            request.abort();
        }
    }
}

/// Reads one HTTP/1.1 request (head and a `Content-Length` body) and discards it.
async fn read_request(stream: &mut TcpStream) {
    use tokio::io::AsyncReadExt;
    let mut data = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if data.len() >= end + 4 + length {
                return;
            }
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => data.extend_from_slice(&chunk[..n]),
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Counts the requests that reach a server.
pub fn counting(counter: Arc<AtomicUsize>) -> impl FnOnce(axum::Router) -> axum::Router {
    counting_where(counter, |_| true)
}

/// Counts the sync requests (`GET`/`PUT /v1/profile`) that reach a server, not event streams.
pub fn counting_syncs(counter: Arc<AtomicUsize>) -> impl FnOnce(axum::Router) -> axum::Router {
    counting_where(counter, |path| path == "/v1/profile")
}

fn counting_where(
    counter: Arc<AtomicUsize>,
    counts: fn(&str) -> bool,
) -> impl FnOnce(axum::Router) -> axum::Router {
    move |router| {
        router.layer(axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| {
                if counts(request.uri().path()) {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
                next.run(request)
            },
        ))
    }
}

/// Waits until `count` event streams are connected to `server`.
pub async fn event_listeners(server: &TestServer, count: usize) {
    let state = &server.running.state;
    eventually(&format!("{count} event stream(s) to connect"), || {
        let connected = state.event_listeners();
        async move { connected == count }
    })
    .await;
}

/// Polls `check` until it holds, failing the test after a generous deadline.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// --- Driving the view model as the iced runtime does ---------------------------------------

use futures::StreamExt;
use offline_profile::ui::user_profile::view::view;
use offline_profile::ui::user_profile::{Message, UserProfileViewModel};

/// Runs `task` to completion as the iced runtime does: every task runs concurrently with the
/// others, each message goes to `update` as soon as its task yields it, and the task `update`
/// returns (when it returns one to run) joins the running ones. Ends when none is left.
/// (Actions other than messages — window operations and the like — are dropped.)
pub async fn drive<M: Send + 'static>(
    task: iced::Task<M>,
    mut update: impl FnMut(M) -> Option<iced::Task<M>>,
) {
    let mut running = futures::stream::SelectAll::new();
    running.extend(iced_test::runtime::task::into_stream(task));
    while let Some(action) = running.next().await {
        if let iced_test::runtime::Action::Output(message) = action
            && let Some(task) = update(message)
        {
            running.extend(iced_test::runtime::task::into_stream(task));
        }
    }
}

/// Runs `task` to completion, feeding every message back into the view model (and the tasks
/// those return), as the iced runtime does (see [`drive`]).
pub async fn run(view_model: &mut UserProfileViewModel, task: iced::Task<Message>) {
    drive(task, |message| Some(view_model.update(message))).await;
}

/// Feeds the repository's status changes into the view model until `done` holds.
pub async fn follow_status(
    view_model: &mut UserProfileViewModel,
    repository: &std::sync::Arc<profile_client::UserProfileRepository>,
    done: impl Fn(&UserProfileViewModel) -> bool,
) {
    let mut changes = std::pin::pin!(repository.changes());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !done(view_model) {
        let status = tokio::time::timeout_at(deadline, changes.next())
            .await
            .expect("the expected state in time")
            .expect("the status stream stays open");
        let task = view_model.update(Message::StatusChanged(Box::new(status)));
        run(view_model, task).await;
    }
}

pub fn shows(view_model: &UserProfileViewModel, words: &str) -> bool {
    let mut ui = iced_test::simulator(view(view_model));
    ui.find(words).is_ok()
}

/// A view model over `repository` once its first read has run to the end.
pub async fn ready(repository: Arc<UserProfileRepository>) -> UserProfileViewModel {
    let (mut view_model, read) = UserProfileViewModel::new(repository);
    run(&mut view_model, read).await;
    view_model
}

/// A synchronizer running on its own task, stopped when dropped, so a failing test does not
/// leave it syncing in the background.
pub struct Synchronizer(tokio::task::JoinHandle<()>);

impl Synchronizer {
    pub fn spawn(
        repository: Arc<UserProfileRepository>,
        config: profile_client::SyncConfig,
    ) -> Self {
        Self(tokio::spawn(profile_client::sync::run(repository, config)))
    }

    pub fn abort(&self) {
        self.0.abort();
    }
}

impl Drop for Synchronizer {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A server on 127.0.0.1:0 that already holds a profile named `name` (no photo).
pub async fn seeded_server(name: &str) -> TestServer {
    let server = spawn_server().await;
    server
        .store()
        .seed(&profile_client::domain::Fields::new(name, ""))
        .await
        .unwrap();
    server
}

/// Feeds `messages` (from a simulator) to the view model, running the tasks they return.
pub async fn apply(
    view_model: &mut UserProfileViewModel,
    messages: impl IntoIterator<Item = Message>,
) {
    for message in messages {
        let task = view_model.update(message);
        run(view_model, task).await;
    }
}

/// Two clients of `server`, both synced with the profile it holds (seeded as "Ada").
pub struct TwoClients {
    pub server: TestServer,
    pub a: Arc<UserProfileRepository>,
    pub b: Arc<UserProfileRepository>,
    /// The clients' folders: bind this (not `..`) so they live as long as the repositories.
    pub dirs: (Client, Client),
}

pub async fn two_synced_clients() -> TwoClients {
    let server = spawn_server().await;
    server
        .store()
        .seed(&profile_client::domain::Fields::new("Ada", ""))
        .await
        .unwrap();
    let (a, b) = (Client::new(), Client::new());
    let repo_a = a.repository(&server.url()).await;
    let repo_b = b.repository(&server.url()).await;
    repo_a.sync().await.unwrap();
    repo_b.sync().await.unwrap();
    TwoClients {
        server,
        a: repo_a,
        b: repo_b,
        dirs: (a, b),
    }
}

/// A server that holds every PUT until the test lets it through.
pub struct HoldingServer {
    pub server: TestServer,
    arrived: Arc<tokio::sync::Semaphore>,
    release: Arc<tokio::sync::Semaphore>,
}

impl HoldingServer {
    pub async fn spawn() -> Self {
        let arrived = Arc::new(tokio::sync::Semaphore::new(0));
        let release = Arc::new(tokio::sync::Semaphore::new(0));
        let (a, r) = (arrived.clone(), release.clone());
        let server = spawn_server_with(move |router| {
            router.layer(axum::middleware::from_fn(
                move |request: axum::extract::Request, next: axum::middleware::Next| {
                    let (arrived, release) = (a.clone(), r.clone());
                    async move {
                        if request.method() == axum::http::Method::PUT {
                            arrived.add_permits(1);
                            release.acquire().await.unwrap().forget();
                        }
                        next.run(request).await
                    }
                },
            ))
        })
        .await;
        Self {
            server,
            arrived,
            release,
        }
    }

    /// Waits until a PUT is being held.
    pub async fn held(&self) {
        self.arrived.acquire().await.unwrap().forget();
    }

    /// Lets one held PUT through.
    pub fn release_one(&self) {
        self.release.add_permits(1);
    }
}

/// Whether every one of `programs` is installed. Where one is missing, `what` is skipped with
/// a loud notice naming `install`; under `CI=true` that is a failure.
// The tests that need other programs are Linux-only.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub fn programs_present(programs: &[&str], what: &str, install: &str) -> bool {
    let missing: Vec<_> = programs
        .iter()
        .filter(|program| {
            !std::process::Command::new("sh")
                .args(["-c", &format!("command -v {program}")])
                .output_retrying()
                .is_ok_and(|o| o.status.success())
        })
        .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI needs {missing:?} ({install})"
    );
    eprintln!("\n*** SKIPPED: {what}; {missing:?} missing ({install}) ***\n");
    false
}

/// Starting the real binaries. Under wine, process creation fails now and then with
/// ERROR_INTERNAL_ERROR (1359) before any process exists (seen about once in a few hundred
/// starts); there a start is tried again, a few times. Everywhere else these are std's calls.
pub trait Start {
    fn spawn_retrying(&mut self) -> std::io::Result<std::process::Child>;
    fn output_retrying(&mut self) -> std::io::Result<std::process::Output>;
    fn status_retrying(&mut self) -> std::io::Result<std::process::ExitStatus>;
}

impl Start for std::process::Command {
    fn spawn_retrying(&mut self) -> std::io::Result<std::process::Child> {
        retrying(|| self.spawn())
    }

    fn output_retrying(&mut self) -> std::io::Result<std::process::Output> {
        retrying(|| self.output())
    }

    fn status_retrying(&mut self) -> std::io::Result<std::process::ExitStatus> {
        retrying(|| self.status())
    }
}

fn retrying<T>(mut start: impl FnMut() -> std::io::Result<T>) -> std::io::Result<T> {
    const ERROR_INTERNAL_ERROR: i32 = 1359;
    for _ in 0..4 {
        match start() {
            Err(error) if cfg!(windows) && error.raw_os_error() == Some(ERROR_INTERNAL_ERROR) => {
                std::thread::sleep(Duration::from_millis(50));
            }
            result => return result,
        }
    }
    start()
}
