//! UserProfileRepository: the single source of truth for the profile.
//!
//! A small façade over the local database and the API client (which know nothing of each
//! other): it owns every change to profile data, runs the guide's read and write strategies,
//! and publishes where the data stands. How a sync runs lives in `sync::engine`, when it runs in
//! `sync::scheduler`, the published status in `status`, the photo cache in `avatar`.

use crate::api_client::{ApiClientService, ApiError};
use crate::avatar;
use crate::database::{DatabaseService, PhotoEdit};
use crate::domain::{ServerProfile, UserProfile, take_theirs, validate};
use crate::error::RepositoryError;
use crate::status::{Activity, Status, StatusStore};
use crate::sync::{Engine, SyncOutcome};
use chrono::{DateTime, Utc};
use futures::Stream;
use profile_protocol::PhotoId;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use tokio::sync::{Mutex, Notify};

/// How the profile is read (the guide's three read strategies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReadStrategy {
    /// The cached copy at once, then the server's.
    #[default]
    Stream,
    /// The server's copy; the cache only when the server cannot be reached.
    Fallback,
    /// The cache only; syncing refreshes it.
    Local,
}

/// How edits are written (the guide's two write strategies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WriteStrategy {
    /// Commit locally, return at once, sync in the background.
    #[default]
    OfflineFirst,
    /// The server first; stored locally only once it accepted the edit.
    OnlineOnly,
}

/// Names for the strategies on the command line and in settings.
macro_rules! named {
    ($type:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $type {
            pub const NAMES: &[&str] = &[$($name),+];

            pub fn as_str(self) -> &'static str {
                match self { $($type::$variant => $name),+ }
            }
        }

        impl FromStr for $type {
            type Err = String;

            fn from_str(text: &str) -> Result<Self, String> {
                match text {
                    $($name => Ok($type::$variant),)+
                    other => Err(format!(
                        "\"{other}\" is not one of {}",
                        Self::NAMES.join(", ")
                    )),
                }
            }
        }

        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

named!(ReadStrategy { Stream => "stream", Fallback => "fallback", Local => "local" });
named!(WriteStrategy { OfflineFirst => "offline-first", OnlineOnly => "online-only" });

/// How a conflict is settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    KeepMine,
    UseTheirs,
}

/// One step of a read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadEvent {
    /// The locally cached copy (`None`: nothing cached yet).
    Cached(Option<UserProfile>),
    /// The copy after the server answered (`None`: the server has none either).
    Fresh(Option<UserProfile>),
}

/// Settings that shape the repository's behaviour.
#[derive(Debug, Clone, Copy, Default)]
pub struct Strategies {
    pub read: ReadStrategy,
    pub write: WriteStrategy,
}

pub struct UserProfileRepository {
    db: DatabaseService,
    api: ApiClientService,
    strategies: Strategies,
    status: StatusStore,
    wake: Notify,
    /// Notified when the operating system says a network came up.
    network: Notify,
    /// Repeated failures, logged quietly.
    failures: std::sync::Mutex<crate::sync::FailureLog>,
    sync_lock: Mutex<()>,
    /// Which of the synchronizer's two loops (sync, listener) wait for the user's request.
    parked: tokio::sync::watch::Sender<(bool, bool)>,
    /// How often the periodic timer fired (whether or not it synced).
    timer_ticks: std::sync::atomic::AtomicU64,
    /// Whether photos may go now (metered connections).
    photos: crate::sync::PhotoGate,
    /// The user asked for the next sync ("Sync now"): photos go whatever the connection costs.
    asked: std::sync::atomic::AtomicBool,
}

impl UserProfileRepository {
    /// What the user must hear of `error`, an attempt's failure: what happened, at which
    /// server, and what happens to their change (for the CLI; the status carries the last one).
    pub fn failure(&self, error: &RepositoryError) -> crate::Failure {
        self.engine().failure(error)
    }
}

impl fmt::Debug for UserProfileRepository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserProfileRepository")
            .field("db", &self.db.path())
            .field("api", &self.api)
            .field("strategies", &self.strategies)
            .finish()
    }
}

impl UserProfileRepository {
    /// Combines the two services and loads the cached state.
    pub async fn new(
        db: DatabaseService,
        api: ApiClientService,
        strategies: Strategies,
        work_offline: bool,
    ) -> Result<Arc<Self>, RepositoryError> {
        let status = StatusStore::new(Status {
            profile: db.load_profile().await?,
            work_offline,
            last_attempt: db.last_sync_attempt().await?,
            ..Status::default()
        });
        Ok(Arc::new(Self {
            db,
            api,
            strategies,
            status,
            wake: Notify::new(),
            network: Notify::new(),
            failures: std::sync::Mutex::default(),
            sync_lock: Mutex::new(()),
            parked: tokio::sync::watch::Sender::new((false, false)),
            timer_ticks: std::sync::atomic::AtomicU64::new(0),
            photos: crate::sync::PhotoGate::default(),
            asked: std::sync::atomic::AtomicBool::new(false),
        }))
    }

    fn engine(&self) -> Engine<'_> {
        Engine {
            db: &self.db,
            api: &self.api,
            status: &self.status,
            failures: &self.failures,
            photos: &self.photos,
            asked: false,
        }
    }

    /// What the system says of the connection's cost: `Some(true)` metered (photos wait unless
    /// allowed there), `None` not known (asked when a photo is to go).
    pub fn set_metered(&self, metered: Option<bool>) {
        *self.photos.metered.lock().expect("the metered state") = metered;
    }

    /// The user's setting: photos go on metered connections too.
    pub fn set_photos_on_metered(&self, allowed: bool) {
        self.photos
            .on_metered
            .store(allowed, std::sync::atomic::Ordering::SeqCst);
    }

    /// "Sync now": a sync at once that sends and fetches photos on a metered connection too.
    pub fn request_sync_now(&self) {
        self.asked.store(true, std::sync::atomic::Ordering::SeqCst);
        self.request_sync();
    }

    /// A sync the user asked for (the command line's `sync`): as [`sync`](Self::sync), with
    /// photos sent and fetched on a metered connection too.
    pub async fn sync_now(&self) -> Result<SyncOutcome, RepositoryError> {
        self.asked.store(true, std::sync::atomic::Ordering::SeqCst);
        self.sync().await
    }

    pub fn strategies(&self) -> Strategies {
        self.strategies
    }

    pub fn database(&self) -> &DatabaseService {
        &self.db
    }

    /// The current status.
    pub fn status(&self) -> Status {
        self.status.current()
    }

    /// Every status change, starting with the current one.
    pub fn changes(&self) -> impl Stream<Item = Status> + Send + use<> {
        self.status.changes()
    }

    /// Reads the profile with the configured read strategy, as the guide's stream: `stream`
    /// yields the cached copy and then the fresh one; `fallback` the fresh one, or the cached
    /// one when the server cannot be reached; `local` the cached one.
    pub fn read_stream(
        self: &Arc<Self>,
    ) -> impl Stream<Item = Result<ReadEvent, RepositoryError>> + Send + use<> {
        let cached = {
            let repository = self.clone();
            async move { repository.cached().await.map(ReadEvent::Cached) }
        };
        let fresh = {
            let repository = self.clone();
            async move { repository.fresh().await }
        };
        let fallback = {
            let repository = self.clone();
            async move {
                match repository.fresh().await {
                    Err(error) if error.is_offline() => {
                        tracing::info!(%error, "server unreachable; reading the cache");
                        repository.cached().await.map(ReadEvent::Cached)
                    }
                    other => other,
                }
            }
        };
        use futures::StreamExt;
        use futures::stream::{self, BoxStream};
        let steps: BoxStream<'static, _> = match self.strategies.read {
            ReadStrategy::Stream => stream::once(cached).chain(stream::once(fresh)).boxed(),
            ReadStrategy::Fallback => stream::once(fallback).boxed(),
            ReadStrategy::Local => stream::once(cached).boxed(),
        };
        steps
    }

    /// The cached profile, without touching the network.
    pub async fn cached(&self) -> Result<Option<UserProfile>, RepositoryError> {
        Ok(self.db.load_profile().await?)
    }

    /// Fetches the server's copy and stores it (unless a local edit is pending).
    async fn fresh(&self) -> Result<ReadEvent, RepositoryError> {
        self.ensure_online()?;
        let _guard = self.sync_lock.lock().await;
        let engine = self.engine();
        let result = async {
            let outcome = engine.pull().await?.outcome();
            engine.fetch_missing_photos().await?;
            Ok(outcome)
        }
        .await;
        engine.record_attempt("read", &result).await;
        if result? == SyncOutcome::Pending {
            self.request_sync();
        }
        Ok(ReadEvent::Fresh(self.cached().await?))
    }

    /// Saves an edit with the configured write strategy. Offline-first returns once the edit is
    /// committed locally and wakes the synchronizer; online-only returns once the server has it.
    pub async fn save(&self, name: &str, photo_url: &str) -> Result<UserProfile, RepositoryError> {
        self.save_edit(name, photo_url, PhotoEdit::Keep).await
    }

    /// Saves an edit of the name and photo URL and, as `photo` says, of the photo (see
    /// [`save`](Self::save)). A photo set is kept in the cache in the same transaction.
    pub async fn save_edit(
        &self,
        name: &str,
        photo_url: &str,
        photo: PhotoEdit<'_>,
    ) -> Result<UserProfile, RepositoryError> {
        let fields = validate(name, photo_url)?;
        match self.strategies.write {
            WriteStrategy::OfflineFirst => {
                let stamp = self.status.profile_stamp();
                let profile = self.db.save_local_edit(&fields, photo, Utc::now()).await?;
                tracing::info!(revision = profile.revision, "saved locally");
                // Unless the watcher of other processes' changes showed the cache meanwhile:
                // it read after this commit (it reads holding the write lock), so it is newer.
                self.status
                    .set_profile_unless_set_since(stamp, Some(profile.clone()));
                self.request_sync();
                Ok(profile)
            }
            WriteStrategy::OnlineOnly => {
                self.ensure_online()?;
                let _guard = self.sync_lock.lock().await;
                let engine = self.engine();
                let result = engine.save_online(&fields, photo).await;
                let attempt = result
                    .as_ref()
                    .map(|_| SyncOutcome::Synced)
                    .map_err(RepositoryError::clone);
                engine.record_attempt("save", &attempt).await;
                result
            }
        }
    }

    /// Changes the photo alone, keeping the saved name and photo URL: the window's *Change
    /// photo…*, a dropped file, *Remove photo*. Saved like any edit (see [`save`](Self::save)).
    pub async fn change_photo(&self, photo: PhotoEdit<'_>) -> Result<UserProfile, RepositoryError> {
        match self.strategies.write {
            WriteStrategy::OfflineFirst => {
                let stamp = self.status.profile_stamp();
                let profile = self
                    .db
                    .save_photo_edit(photo, Utc::now())
                    .await?
                    .ok_or(RepositoryError::NoProfileYet)?;
                tracing::info!(revision = profile.revision, "photo saved locally");
                self.status
                    .set_profile_unless_set_since(stamp, Some(profile.clone()));
                self.request_sync();
                Ok(profile)
            }
            WriteStrategy::OnlineOnly => {
                let saved = self.cached().await?.ok_or(RepositoryError::NoProfileYet)?;
                self.save_edit(saved.name(), saved.photo_url(), photo).await
            }
        }
    }

    /// The bytes of the photo `id` (a JPEG), when the cache holds them; `None` while a photo
    /// another device chose is still downloading.
    pub async fn photo(&self, id: &PhotoId) -> Result<Option<Vec<u8>>, RepositoryError> {
        Ok(self.db.photo(id).await?.map(|photo| photo.jpeg))
    }

    /// Asks the synchronizer to sync as soon as it can.
    pub fn request_sync(&self) {
        self.wake.notify_one();
    }

    /// Resolves when a sync was requested (by a save, "Sync now" or leaving offline mode).
    pub async fn sync_requested(&self) {
        self.wake.notified().await;
    }

    /// The operating system says a network came up: sync now, and reconnect the event stream
    /// now. Whether we are online is still decided by the requests that follow.
    /// While signed out nothing is sent until the user asks (a save, "Sync now"): a network
    /// coming up does not count.
    pub fn network_up(&self) {
        if self.status.signed_out() {
            tracing::debug!("a network came up; signed out, so nothing is tried");
            return;
        }
        tracing::debug!("a network came up; trying at once");
        self.network.notify_waiters();
        self.request_sync();
    }

    /// Resolves at the next [`network_up`](Self::network_up).
    pub async fn network_came_up(&self) {
        self.network.notified().await;
    }

    /// The file every commit to the cache writes, by any process: its write-ahead log (the
    /// cache is in WAL mode, and SQLite keeps the log while a connection is open, as ours are).
    fn write_ahead_log(&self) -> std::path::PathBuf {
        let mut name = self.db.path().as_os_str().to_owned();
        name.push("-wal");
        std::path::PathBuf::from(name)
    }

    /// Watches for changes made by other processes on this cache — a save by `set` or another
    /// window, a sync by `sync` — and takes each in at once: the status shows it, and a sync is
    /// requested for an edit not yet on the server. Runs until dropped; does nothing where
    /// watching is not possible.
    ///
    /// Without polling, and without anything more on the save path: a file-system notification
    /// on the cache's write-ahead log, which every commit writes anyway (a marker file written
    /// after each save cost 40–60 µs more per save when saves follow each other: BENCHMARKS.md).
    /// Our own commits notify too; they are told apart by reading the cache and comparing with
    /// what the status shows, which this process set itself after its own commit. Each commit
    /// thus costs every running app one read, off the save path; the read holds the write lock
    /// (see `take_in_what_the_cache_holds`), and our own writes queue behind it in-process,
    /// never in SQLite's busy handler. What was read is shown only if nothing was shown
    /// meanwhile: this process may have committed and shown something newer while it was read.
    pub async fn watch_other_processes(&self) {
        use notify::Watcher;
        let log = self.write_ahead_log();
        let Some(folder) = log.parent().map(std::path::Path::to_path_buf) else {
            return futures::future::pending().await;
        };
        let (sender, mut changes) = tokio::sync::mpsc::unbounded_channel();
        let watched = log.clone();
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            // An error or a rescan (the notification queue overflowed) may hide a change: look.
            let look = event.is_err()
                || event.as_ref().is_ok_and(|event| {
                    event.need_rescan()
                        || ((event.kind.is_modify() || event.kind.is_create())
                            && event.paths.contains(&watched))
                });
            if look {
                let _ = sender.send(());
            }
        })
        .and_then(|mut watcher| {
            watcher.watch(&folder, notify::RecursiveMode::NonRecursive)?;
            Ok(watcher)
        });
        let _watcher = match watcher {
            Ok(watcher) => watcher,
            Err(error) => {
                tracing::warn!(%error, "cannot watch for changes by other processes");
                return futures::future::pending().await;
            }
        };
        while changes.recv().await.is_some() {
            // One commit writes the log more than once: one look for all that arrived.
            while changes.try_recv().is_ok() {}
            self.take_in_what_the_cache_holds().await;
        }
    }

    /// Shows the profile the cache holds if it is not what is shown, and asks for a sync of an
    /// edit not on the server yet. Read again if this process showed another one meanwhile (it
    /// may be older than what was read: shown after an earlier commit of ours), and after a
    /// failed read (the cache busy for longer than its timeout), a few times, waiting longer
    /// each time. [`watch_other_processes`](Self::watch_other_processes) calls it on each
    /// change of the write-ahead log; so does a test that plays another process.
    pub async fn take_in_what_the_cache_holds(&self) {
        let mut wait = std::time::Duration::from_millis(50);
        for _ in 0..10 {
            let stamp = self.status.profile_stamp();
            let stored = match self.db.load_profile_after_writers().await {
                Ok(stored) => stored,
                Err(error) => {
                    tracing::warn!(%error, "cannot read the profile another process changed; trying again");
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                    continue;
                }
            };
            if stored == self.status.current().profile {
                return; // our own commit, or one that changed nothing shown
            }
            let unsent = stored.as_ref().is_some_and(|profile| !profile.synchronized);
            if self.status.set_profile_unless_set_since(stamp, stored) {
                tracing::info!("the profile was changed by another process; taking it in");
                if unsent {
                    self.request_sync();
                }
                return;
            }
        }
        tracing::warn!("gave up taking in a change by another process; the next change will");
    }

    /// Turns "Work offline" on or off; turning it off syncs at once.
    pub fn set_work_offline(&self, on: bool) {
        self.status.set_work_offline(on);
        tracing::info!(on, "work offline");
        if !on {
            self.request_sync();
        }
    }

    pub fn work_offline(&self) -> bool {
        self.status.work_offline()
    }

    fn ensure_online(&self) -> Result<(), RepositoryError> {
        if self.work_offline() {
            Err(RepositoryError::WorkingOffline)
        } else {
            Ok(())
        }
    }

    /// Resolves once "Work offline" is off (at once if it already is).
    pub async fn until_online(&self) {
        self.status.until_work_offline_is(false).await;
    }

    /// The periodic timer fired.
    pub(crate) fn timer_fired(&self) {
        self.timer_ticks
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    /// How often the periodic timer has fired, synced or skipped (on a low battery).
    pub fn timer_ticks(&self) -> u64 {
        self.timer_ticks.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Runs `wait` with `which` of the synchronizer's loops marked as waiting for the user
    /// (see [`until_parked`](Self::until_parked)), and marks it running again after.
    pub(crate) async fn parked_while<T>(
        &self,
        which: crate::sync::Loop,
        wait: impl std::future::Future<Output = T>,
    ) -> T {
        let mark = |on: bool| {
            self.parked.send_modify(|parked| match which {
                crate::sync::Loop::Sync => parked.0 = on,
                crate::sync::Loop::Listener => parked.1 = on,
            });
        };
        mark(true);
        let output = wait.await;
        mark(false);
        output
    }

    /// Resolves once both of the synchronizer's loops wait for the user (working offline, or
    /// signed out): from then on nothing is sent until a save, "Sync now" or leaving offline
    /// mode. A signal, so a test of "nothing is sent" cannot pass just by not waiting long enough.
    pub async fn until_parked(&self) {
        let mut receiver = self.parked.subscribe();
        let _seen = receiver
            .wait_for(|&(sync, listener)| sync && listener)
            .await;
    }

    /// Whether the event-stream listener waits for the user: it heard a refusal itself (or the
    /// app works offline). A signal apart from the sync loop's, which may hear the same refusal.
    pub fn listener_waits(&self) -> bool {
        self.parked.borrow().1
    }

    /// Resolves once the server has refused this device's token (at once if it has).
    pub async fn until_signed_out(&self) {
        self.status.until_signed_out().await;
    }

    /// Resolves once a save or "Sync now" got past "Signed out" (at once if not signed out).
    pub async fn until_accepted(&self) {
        self.status.until_accepted().await;
    }

    /// Records a failure of the event-stream listener that the user must see at once (the
    /// server refused the token): the status, the badge and `watch` say so, like a failed sync.
    pub async fn listener_failed(&self, error: &RepositoryError) {
        self.engine()
            .record_attempt("listen", &Err(error.clone()))
            .await;
    }

    /// Resolves once "Work offline" is on (at once if it already is).
    pub async fn until_working_offline(&self) {
        self.status.until_work_offline_is(true).await;
    }

    /// Shows `notice` to the user (window banner, CLI stderr) until it is dismissed.
    pub fn set_notice(&self, notice: impl Into<String>) {
        let notice = notice.into();
        tracing::warn!(%notice, "notice");
        self.status.set_notice(notice);
    }

    pub fn dismiss_notice(&self) {
        self.status.dismiss_notice();
    }

    /// Connects to the server's push stream.
    pub async fn server_events(
        &self,
    ) -> Result<impl Stream<Item = Result<ServerProfile, ApiError>> + Send + use<>, RepositoryError>
    {
        self.ensure_online()?;
        let events = self.api.events().await?;
        self.status.server_answered();
        Ok(events)
    }

    /// A profile the server pushed. Stored as synchronized when nothing local is pending;
    /// otherwise a sync is requested, which merges it with the local edit.
    pub async fn apply_pushed(&self, server: ServerProfile) -> Result<(), RepositoryError> {
        let _guard = self.sync_lock.lock().await;
        let engine = self.engine();
        if engine.apply_pushed(&server).await? {
            self.request_sync();
        } else if let Err(error) = engine.fetch_missing_photos().await {
            // Retried by a sync, on the sync schedule.
            tracing::warn!(%error, "a pushed profile's photo could not be downloaded");
            self.request_sync();
        }
        Ok(())
    }

    /// Tells the UI when the next automatic attempt will be.
    pub fn schedule_retry(&self, at: DateTime<Utc>) {
        self.status.schedule_retry(at);
    }

    /// One full sync: push the pending local state (merging on a conflict), then pull the
    /// server's copy. Only one sync runs at a time.
    pub async fn sync(&self) -> Result<SyncOutcome, RepositoryError> {
        self.ensure_online()?;
        let _guard = self.sync_lock.lock().await;
        self.status.set_activity(Activity::Syncing);
        let mut engine = self.engine();
        engine.asked = self.asked.swap(false, std::sync::atomic::Ordering::SeqCst);
        let result = engine.sync().await;
        engine.record_attempt("sync", &result).await;
        result
    }

    /// The photo at `url` as a small PNG, from the avatar cache or downloaded into it. `None`
    /// for an empty URL, or when working offline and nothing is cached.
    pub async fn avatar(&self, url: &str) -> Result<Option<Vec<u8>>, RepositoryError> {
        Ok(avatar::load(&self.db, &self.api, url, self.work_offline()).await?)
    }

    /// Settles the current conflict: keep the local values (they will be pushed over the
    /// server's) or take the server's.
    pub async fn resolve(&self, resolution: Resolution) -> Result<UserProfile, RepositoryError> {
        let local = self.cached().await?.ok_or(RepositoryError::NoConflict)?;
        self.resolve_seen(&local, resolution).await
    }

    /// Settles the conflict as `seen` shows it (what the window displayed when the user chose).
    /// Fails, leaving the conflict in place, when the profile was edited since: a choice is never
    /// applied to values the user did not see.
    pub async fn resolve_seen(
        &self,
        seen: &UserProfile,
        resolution: Resolution,
    ) -> Result<UserProfile, RepositoryError> {
        let Some(conflict) = &seen.conflict else {
            return Err(RepositoryError::NoConflict);
        };
        let fields = match resolution {
            Resolution::KeepMine => seen.fields.clone(),
            Resolution::UseTheirs => {
                take_theirs(&seen.fields, &conflict.theirs.fields, &conflict.fields)
            }
        };
        let resolved = self
            .db
            .rebase(seen.revision, &fields, &conflict.theirs, Utc::now())
            .await?;
        let profile = self.engine().publish_from_db().await?;
        if !resolved {
            tracing::info!(
                ?resolution,
                "not resolved: the profile was edited meanwhile"
            );
            return Err(RepositoryError::EditedWhileResolving);
        }
        tracing::info!(?resolution, "conflict resolved");
        self.request_sync();
        profile.ok_or(RepositoryError::Vanished)
    }
}
