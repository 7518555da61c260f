//! profile-server: the REST server the app syncs against.
//!
//! `router()` is the whole HTTP surface, reused by the binary, the app's embedded mode and the
//! tests. Every `/v1` route needs the bearer token; bodies are capped at 16 KiB; a profile
//! change and its version bump are one transaction in the store. Never depends on the client's
//! crates (nor on reqwest or iced): what both sides agree on comes from `profile-protocol`.

mod api;
mod store;

pub use api::{MAX_BODY_BYTES, MAX_HEADER_BYTES, SAMPLE_AVATAR_PATH, router};
pub use store::{PutOutcome, Store, StoreError};

use profile_protocol::{Fields, ProfileWire};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use tokio::sync::broadcast;

/// Everything a request handler needs.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    token: Arc<str>,
    events: broadcast::Sender<ProfileWire>,
    /// Set when the server shuts down, so long-lived event streams end and shutdown completes.
    closing: Arc<tokio::sync::watch::Sender<bool>>,
}

impl AppState {
    pub fn new(store: Store, token: impl Into<Arc<str>>) -> Self {
        let (events, _) = broadcast::channel(64);
        Self {
            store,
            token: token.into(),
            events,
            closing: Arc::new(tokio::sync::watch::Sender::new(false)),
        }
    }

    /// Resolves when the server starts shutting down.
    fn closed(&self) -> impl Future<Output = ()> + Send + use<> {
        let mut receiver = self.closing.subscribe();
        async move {
            // An error means the sender is gone: the server is gone too.
            let _closed = receiver.wait_for(|closing| *closing).await;
        }
    }

    /// How many event streams are open (each subscribes before it sends its first event).
    pub fn event_listeners(&self) -> usize {
        self.events.receiver_count()
    }

    /// Tells every event-stream listener about a change.
    fn publish(&self, profile: &ProfileWire) {
        // No listener is fine: nobody is waiting for a push.
        if self.events.send(profile.clone()).is_err() {
            tracing::trace!("no event listeners");
        }
    }
}

/// The demo profile a fresh embedded server at `base_url` starts with, photo included.
pub fn demo_profile(base_url: &str) -> Fields {
    Fields::new("Ada Lovelace", format!("{base_url}{SAMPLE_AVATAR_PATH}"))
}

/// A server running on a tokio task; stops when dropped.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub state: AppState,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningServer {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, ends event streams, lets in-flight requests finish (for at most a few
    /// seconds), and waits for the task.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _closed = shutdown.send(());
        }
        match tokio::time::timeout(std::time::Duration::from_secs(5), &mut self.task).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(%error, "server task ended abnormally"),
            Err(_) => {
                tracing::warn!("server did not stop in time; aborting");
                self.task.abort();
            }
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _closed = shutdown.send(());
        }
    }
}

/// Opens the store at `db`, binds `listen` and serves on the current tokio runtime.
pub async fn start(
    db: &Path,
    token: &str,
    listen: SocketAddr,
) -> Result<RunningServer, StartError> {
    let store = Store::open(db).await.map_err(StartError::Store)?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|source| StartError::Bind { listen, source })?;
    Ok(serve(listener, AppState::new(store, token)))
}

/// Serves `state` on an already bound listener.
pub fn serve(listener: tokio::net::TcpListener, state: AppState) -> RunningServer {
    let app = router(state.clone());
    serve_router(listener, state, app)
}

/// Serves `app` (built from `router(state)`, possibly with extra layers) on `listener`.
pub fn serve_router(
    listener: tokio::net::TcpListener,
    state: AppState,
    app: axum::Router,
) -> RunningServer {
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
    let closing = state.closing.clone();
    let task = tokio::spawn(async move {
        let result = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                // Either an explicit stop or the handle being dropped.
                let _stop = stopped.await;
                closing.send_replace(true);
            })
            .await;
        if let Err(error) = result {
            tracing::error!(%error, "server stopped with an error");
        }
    });
    tracing::info!(%addr, "profile server listening");
    RunningServer {
        addr,
        state,
        shutdown: Some(shutdown),
        task,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(StoreError),
    #[error("cannot listen on {listen}: {source}")]
    Bind {
        listen: SocketAddr,
        source: std::io::Error,
    },
}

/// A new bearer token: 256 random bits, hex-encoded.
pub fn generate_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
