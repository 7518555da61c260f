//! profile-server: the REST server the app syncs against.
//!
//! `router()` is the whole HTTP surface, reused by the binary, the app's embedded mode and the
//! tests. Every `/v1` route but signing in needs a bearer token; bodies are capped at 16 KiB; a profile
//! change and its version bump are one transaction in the store, which also delivers it to the
//! event streams once committed. Never depends on the client's crates (nor on reqwest or iced):
//! what both sides agree on comes from `profile-protocol`.

mod accounts;
mod api;
mod change;
pub mod cli;
mod fanout;
pub mod openapi;
mod photo_routes;
mod photos;
mod rate_limit;
mod serve;
mod store;
mod streams;

pub use accounts::{AccountError, Caller, DeviceRow, Issued, UserRow};
pub use api::{HEADER_READ_TIMEOUT, MAX_BODY_BYTES, MAX_HEADER_BYTES, SAMPLE_AVATAR_PATH, router};
pub use change::UserId;
pub use photos::{GRACE as PHOTO_GRACE, PhotoPut, QUOTA_BYTES, QUOTA_PHOTOS};
pub use serve::{RunningServer, serve, serve_router, start, start_with};
pub use store::{BackupError, DEFAULT_USER, Edit, PutOutcome, Store, StoreError};

use profile_protocol::Fields;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::watch;

/// Everything a request handler needs.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    /// `--token`: the single-user shortcut, a token for the default user's profile.
    shortcut: Option<Arc<str>>,
    /// Moves whenever a device may have been revoked or a user disabled (here or by another
    /// process on the same database), so open event streams check theirs.
    auth_changed: Arc<watch::Sender<u64>>,
    /// How many event streams of signed-in devices are open (see `streams::Revocable`).
    revocable: Arc<watch::Sender<usize>>,
    /// Set when the server shuts down, so long-lived event streams end and shutdown completes.
    closing: Arc<watch::Sender<bool>>,
    /// Set when a stop begins: `/ready` answers 503 from then on, so a load balancer stops
    /// sending new requests and streams here before the instance stops accepting them.
    draining: Arc<std::sync::atomic::AtomicBool>,
    logins: Arc<rate_limit::LoginLimits>,
}

impl AppState {
    /// A server with accounts, where `token` (if not empty) is also accepted as the default
    /// user's device: the single-user shortcut of `--token` and of the app's embedded server.
    pub fn new(store: Store, token: impl Into<Arc<str>>) -> Self {
        let token: Arc<str> = token.into();
        Self {
            store,
            shortcut: (!token.is_empty()).then_some(token),
            auth_changed: Arc::new(watch::Sender::new(0)),
            revocable: Arc::new(watch::Sender::new(0)),
            closing: Arc::new(watch::Sender::new(false)),
            draining: Arc::default(),
            logins: Arc::new(rate_limit::LoginLimits::default()),
        }
    }

    /// Starts a stop: from now on `/ready` says so (503); everything else is served as before.
    pub fn drain(&self) {
        self.draining
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Whether a stop has begun ([`AppState::drain`], or the server is closing).
    pub fn is_draining(&self) -> bool {
        self.draining.load(std::sync::atomic::Ordering::SeqCst) || *self.closing.borrow()
    }

    /// Tells open event streams that a device may have lost its access.
    fn access_changed(&self) {
        self.auth_changed.send_modify(|n| *n += 1);
    }

    /// Resolves when the server starts shutting down.
    fn closed(&self) -> impl Future<Output = ()> + Send + use<> {
        let mut receiver = self.closing.subscribe();
        async move {
            // An error means the sender is gone: the server is gone too.
            let _closed = receiver.wait_for(|closing| *closing).await;
        }
    }

    /// How many event streams are open on this server's store (each subscribes before it sends
    /// its first event).
    pub fn event_listeners(&self) -> usize {
        self.store.streams().count()
    }
}

/// The demo profile a fresh embedded server starts with: its photo (already uploaded) by reference.
pub fn demo_profile(photo: Option<profile_protocol::PhotoRef>) -> Fields {
    Fields::new("Ada Lovelace", "").with_photo(photo)
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
    accounts::random_hex(32)
}
