//! Serving the router: our own accept loop over hyper, so that connections that are slow to
//! send their headers, or that sit idle, are closed (`axum::serve` cannot set hyper's header
//! read timeout), and a watcher that notices revocations made by other processes.

use crate::api::HEADER_READ_TIMEOUT;
use crate::{AppState, StartError, Store, router};
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

/// How often the database is asked whether a device was revoked by another process.
const AUTH_POLL: Duration = Duration::from_millis(500);
/// How long a stop waits for requests in flight.
const DRAIN: Duration = Duration::from_secs(5);

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

    /// Dies at once, as a crashed process would: every connection is dropped mid-way, nothing is
    /// drained. (For tests of what clients and load balancers do then.)
    pub fn kill(mut self) {
        self.shutdown.take();
        self.task.abort();
        // Only the background tasks (fan-out, revocation watch) see this now.
        self.state.closing.send_replace(true);
    }

    /// Stops accepting, ends event streams, lets in-flight requests finish (for at most a few
    /// seconds), and waits for the task.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _closed = shutdown.send(());
        }
        match tokio::time::timeout(DRAIN + Duration::from_secs(1), &mut self.task).await {
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

/// Opens the SQLite store at `db`, binds `listen` and serves on the current tokio runtime;
/// `token` (if not empty) is the single-user shortcut.
pub async fn start(
    db: &Path,
    token: &str,
    listen: SocketAddr,
) -> Result<RunningServer, StartError> {
    let store = Store::open(db).await.map_err(StartError::Store)?;
    start_with(store, token, listen).await
}

/// Serves an opened store (SQLite or PostgreSQL) on `listen`.
pub async fn start_with(
    store: Store,
    token: &str,
    listen: SocketAddr,
) -> Result<RunningServer, StartError> {
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
    tokio::spawn(watch_revocations(state.clone()));
    tokio::spawn(collect_photos(state.clone()));
    if let Some(pool) = state.store.postgres() {
        tokio::spawn(crate::fanout::listen(
            pool.clone(),
            state.store.streams().clone(),
            state.closing.subscribe(),
        ));
    }
    let closing = state.closing.clone();
    let task = tokio::spawn(accept(listener, app, stopped, closing));
    tracing::info!(%addr, "profile server listening");
    RunningServer {
        addr,
        state,
        shutdown: Some(shutdown),
        task,
    }
}

/// How often photos whose grace period is over are looked for (uploads also delete the
/// uploader's at once).
const PHOTO_COLLECTION: Duration = Duration::from_secs(3600);

/// Deletes every user's photos out of use for longer than the grace period, at the start and
/// then every hour, until the server closes.
async fn collect_photos(state: AppState) {
    let mut closing = state.closing.subscribe();
    loop {
        match state.store.collect_photos().await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "photos out of use removed"),
            Err(error) => tracing::warn!(%error, "cannot remove photos out of use"),
        }
        tokio::select! {
            _ = tokio::time::sleep(PHOTO_COLLECTION) => {}
            _ = closing.wait_for(|closing| *closing) => return,
        }
    }
}

/// Accepts connections until `stopped` (an explicit stop, or the handle being dropped), then
/// ends the event streams and drains the other connections for a few seconds.
async fn accept(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
    closing: std::sync::Arc<tokio::sync::watch::Sender<bool>>,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut connections = tokio::task::JoinSet::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    // The timer starts whenever the server waits for a request's headers, so it also closes a
    // kept-alive connection that stays idle that long.
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(crate::MAX_HEADER_BYTES * 4);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, say: wait instead of spinning.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            // A connection that ended lets go of its task at once, not at the next accept.
            Some(_ended) = connections.join_next(), if !connections.is_empty() => continue,
            _ = &mut stopped => break,
        };
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "cannot set TCP_NODELAY");
        }
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(remote));
            tower::ServiceExt::oneshot(app.clone(), request)
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        // Owned by this task: aborting it (a crash, in tests) drops every connection at once.
        connections.spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, %remote, "connection ended");
            }
        });
    }
    drop(listener);
    // Event streams end now, so that draining waits only for ordinary requests.
    closing.send_replace(true);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after {DRAIN:?}; closing them");
    }
}

/// Polls the database's revocation counter (other processes — `profile-server user disable`,
/// another instance — change it) while signed-in devices have event streams open, and tells
/// those streams to check their device.
async fn watch_revocations(state: AppState) {
    let mut closing = state.closing.subscribe();
    let mut revocable = state.revocable.subscribe();
    let mut last = None;
    loop {
        // While no signed-in device has a stream open there is nothing to end: no polling (the
        // desktop app's embedded server, whose one stream uses the shortcut token, never wakes
        // for this). Streams opened meanwhile were authorised against a counter this loop did
        // not see, so they check once when it resumes.
        let mut resumed = false;
        if *revocable.borrow_and_update() == 0 {
            tokio::select! {
                _ = revocable.wait_for(|open| *open > 0) => resumed = true,
                _ = closing.wait_for(|closing| *closing) => return,
            }
        }
        match state.store.auth_epoch().await {
            Ok(epoch) => {
                if resumed || last.is_some_and(|last| last != epoch) {
                    state.access_changed();
                }
                last = Some(epoch);
            }
            Err(error) => tracing::warn!(%error, "cannot read the revocation counter"),
        }
        tokio::select! {
            () = tokio::time::sleep(AUTH_POLL) => {}
            _ = closing.wait_for(|closing| *closing) => return,
        }
    }
}
