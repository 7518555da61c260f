//! Helpers: a fresh server per test, repositories over temporary folders, and a small TCP proxy
//! that can take the server "off the network" and bring it back.

use offline_profile::data::repositories::user_profile::{Strategies, UserProfileRepository};
use offline_profile::data::services::api_client::ApiClientService;
use offline_profile::data::services::database::DatabaseService;
use offline_profile::server::{self, AppState, RunningServer, Store};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tempfile::TempDir;
use tokio::net::{TcpListener, TcpStream};

pub const TOKEN: &str = "test-token-0123456789";

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
}

pub async fn spawn_server() -> TestServer {
    spawn_server_with(|router| router).await
}

/// A server whose router is wrapped by `wrap` (to hold requests, count them, ...).
pub async fn spawn_server_with(wrap: impl FnOnce(axum::Router) -> axum::Router) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("server.sqlite3"))
        .await
        .unwrap();
    let state = AppState::new(store, TOKEN);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let app = wrap(server::router(state.clone()));
    TestServer {
        running: server::serve_router(listener, state, app),
        _dir: dir,
    }
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

/// A TCP proxy in front of a server. While "down" it closes every connection at once, as a
/// network that is gone would; while "up" it forwards bytes both ways.
pub struct Proxy {
    pub addr: SocketAddr,
    up: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    pub async fn start(upstream: SocketAddr, up: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let flag = Arc::new(AtomicBool::new(up));
        let state = flag.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                if !state.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Self {
            addr,
            up: flag,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
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
