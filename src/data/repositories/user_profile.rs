//! UserProfileRepository: the single source of truth for the profile.
//!
//! It combines the local database and the API client (which know nothing of each other), owns
//! every change to profile data, and publishes where the data stands on a watch channel. The
//! rules that keep saves from being lost live here: local edits are committed before anything
//! else happens, "mark synced" is a compare-and-set on the revision that was sent, a server
//! copy never overwrites a pending edit, and a refused push is merged field by field.

use crate::data::services::api_client::{ApiClientService, ApiError, Fetched, Precondition};
use crate::data::services::database::{DatabaseError, DatabaseService, ProfileRow, SyncAttemptRow};
use crate::domain::{
    Conflict, Fields, MergeOutcome, ServerProfile, SyncState, UserProfile, ValidationError, merge,
    take_theirs, validate,
};
use chrono::{DateTime, Utc};
use futures::Stream;
use std::sync::Arc;
use tokio::sync::{Mutex, Notify, watch};

/// How the profile is read (the guide's three read strategies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum WriteStrategy {
    /// Commit locally, return at once, sync in the background.
    #[default]
    OfflineFirst,
    /// The server first; stored locally only once it accepted the edit.
    OnlineOnly,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum RepositoryError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error(transparent)]
    Database(#[from] DatabaseError),
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("working offline: no request is sent until \"Work offline\" is turned off")]
    WorkingOffline,
    #[error("the profile was changed elsewhere; sync to see both versions")]
    ChangedElsewhere,
    #[error("there is no conflict to resolve")]
    NoConflict,
    #[error("the local profile disappeared while it was being saved")]
    Vanished,
    #[error("{0}")]
    Avatar(String),
}

impl RepositoryError {
    /// `true` when the server could not be reached at all.
    pub fn is_offline(&self) -> bool {
        matches!(self, RepositoryError::Api(error) if error.is_offline())
    }

    /// How long the server asked us to wait (`Retry-After`), if it did.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            RepositoryError::Api(error) => error.retry_after(),
            _ => None,
        }
    }
}

/// What the synchronizer is doing, for the badge.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Activity {
    #[default]
    Idle,
    Syncing,
    /// The server cannot be reached; the next attempt is at `retry_at` once scheduled.
    Offline {
        reason: String,
        retry_at: Option<DateTime<Utc>>,
    },
    /// The last attempt failed for another reason.
    Failed {
        reason: String,
        retry_at: Option<DateTime<Utc>>,
    },
}

/// Everything the UI shows about where the data stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Status {
    pub profile: Option<UserProfile>,
    pub activity: Activity,
    /// The server answered at least once since this repository was opened.
    pub confirmed: bool,
    pub work_offline: bool,
    pub last_attempt: Option<SyncAttemptRow>,
    /// Something the user must be told once (e.g. a damaged cache was replaced).
    pub notice: Option<String>,
}

impl Status {
    pub fn state(&self) -> SyncState {
        SyncState::of(self.profile.as_ref())
    }
}

/// What a finished sync left behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncOutcome {
    Synced,
    Conflict,
    /// Neither side has a profile.
    Empty,
}

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
    status: watch::Sender<Status>,
    wake: Notify,
    sync_lock: Mutex<()>,
}

impl std::fmt::Debug for UserProfileRepository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
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
        let profile = db.load_profile().await?.map(to_domain);
        let last_attempt = db.last_sync_attempt().await?;
        let (status, _) = watch::channel(Status {
            profile,
            work_offline,
            last_attempt,
            ..Status::default()
        });
        Ok(Arc::new(Self {
            db,
            api,
            strategies,
            status,
            wake: Notify::new(),
            sync_lock: Mutex::new(()),
        }))
    }

    pub fn strategies(&self) -> Strategies {
        self.strategies
    }

    pub fn database(&self) -> &DatabaseService {
        &self.db
    }

    /// The current status.
    pub fn status(&self) -> Status {
        self.status.borrow().clone()
    }

    /// Every status change, starting with the current one.
    pub fn changes(&self) -> impl Stream<Item = Status> + Send + use<> {
        let receiver = self.status.subscribe();
        futures::stream::unfold((receiver, true), |(mut receiver, first)| async move {
            if !first && receiver.changed().await.is_err() {
                return None;
            }
            let status = receiver.borrow_and_update().clone();
            Some((status, (receiver, false)))
        })
    }

    /// Reads the profile with the configured read strategy.
    pub fn user_profile(
        self: &Arc<Self>,
    ) -> impl Stream<Item = Result<ReadEvent, RepositoryError>> + Send + use<> {
        let repository = self.clone();
        futures::stream::unfold(Some(0u8), move |step| {
            let repository = repository.clone();
            async move {
                let step = step?;
                let strategy = repository.strategies.read;
                match (strategy, step) {
                    (ReadStrategy::Stream | ReadStrategy::Local, 0) => {
                        let next = (strategy == ReadStrategy::Stream).then_some(1);
                        Some((repository.cached().await.map(ReadEvent::Cached), next))
                    }
                    (ReadStrategy::Stream, _) => Some((repository.fresh().await, None)),
                    (ReadStrategy::Fallback, _) => {
                        let event = match repository.fresh().await {
                            Err(error) if error.is_offline() => {
                                tracing::info!(%error, "server unreachable; reading the cache");
                                repository.cached().await.map(ReadEvent::Cached)
                            }
                            other => other,
                        };
                        Some((event, None))
                    }
                    (ReadStrategy::Local, _) => None,
                }
            }
        })
    }

    /// The cached profile, without touching the network.
    pub async fn cached(&self) -> Result<Option<UserProfile>, RepositoryError> {
        Ok(self.db.load_profile().await?.map(to_domain))
    }

    /// Fetches the server's copy and stores it (unless a local edit is pending).
    async fn fresh(&self) -> Result<ReadEvent, RepositoryError> {
        self.ensure_online()?;
        let _guard = self.sync_lock.lock().await;
        let result = self.pull().await;
        self.finish("read", &result).await;
        result?;
        Ok(ReadEvent::Fresh(self.cached().await?))
    }

    /// Saves an edit with the configured write strategy. Offline-first returns once the edit is
    /// committed locally and wakes the synchronizer; online-only returns once the server has it.
    pub async fn save(&self, name: &str, photo_url: &str) -> Result<UserProfile, RepositoryError> {
        let fields = validate(name, photo_url)?;
        match self.strategies.write {
            WriteStrategy::OfflineFirst => {
                let row = self.db.save_local_edit(&fields, Utc::now()).await?;
                tracing::info!(revision = row.revision, "saved locally");
                let profile = to_domain(row);
                self.publish_profile(Some(profile.clone()));
                self.request_sync();
                Ok(profile)
            }
            WriteStrategy::OnlineOnly => self.save_online(&fields).await,
        }
    }

    async fn save_online(&self, fields: &Fields) -> Result<UserProfile, RepositoryError> {
        self.ensure_online()?;
        let _guard = self.sync_lock.lock().await;
        let local = self.cached().await?;
        let precondition = local
            .as_ref()
            .and_then(UserProfile::base_version)
            .map_or(Precondition::Create, Precondition::Version);
        let server = match self.api.put_profile(fields, precondition).await {
            Ok(server) => server,
            Err(error) => {
                let error = match error {
                    ApiError::Conflict(_) => RepositoryError::ChangedElsewhere,
                    other => other.into(),
                };
                self.finish("save", &Err(error.clone())).await;
                return Err(error);
            }
        };
        let now = Utc::now();
        let row = self.db.save_local_edit(&server.fields, now).await?;
        self.db.mark_synced(row.revision, &server, now).await?;
        self.finish("save", &Ok(SyncOutcome::Synced)).await;
        self.publish_from_db()
            .await?
            .ok_or(RepositoryError::Vanished)
    }

    /// Asks the synchronizer to sync as soon as it can.
    pub fn request_sync(&self) {
        self.wake.notify_one();
    }

    /// Resolves when a sync was requested (by a save, "Sync now" or leaving offline mode).
    pub async fn sync_requested(&self) {
        self.wake.notified().await;
    }

    /// Turns "Work offline" on or off; turning it off syncs at once.
    pub fn set_work_offline(&self, on: bool) {
        self.status.send_modify(|status| {
            status.work_offline = on;
            if on {
                status.activity = Activity::Idle;
            }
        });
        tracing::info!(on, "work offline");
        if !on {
            self.request_sync();
        }
    }

    pub fn work_offline(&self) -> bool {
        self.status.borrow().work_offline
    }

    fn ensure_online(&self) -> Result<(), RepositoryError> {
        if self.work_offline() {
            Err(RepositoryError::WorkingOffline)
        } else {
            Ok(())
        }
    }

    /// Shows `notice` to the user (window banner, CLI stderr) until it is dismissed.
    pub fn set_notice(&self, notice: impl Into<String>) {
        let notice = notice.into();
        tracing::warn!(%notice, "notice");
        self.status
            .send_modify(|status| status.notice = Some(notice));
    }

    pub fn dismiss_notice(&self) {
        self.status
            .send_if_modified(|status| status.notice.take().is_some());
    }

    /// Resolves once "Work offline" is `on` (at once if it already is).
    pub async fn wait_work_offline(&self, on: bool) {
        let mut receiver = self.status.subscribe();
        // The sender lives as long as the repository, so this only ends when the state is seen.
        let _seen = receiver.wait_for(|status| status.work_offline == on).await;
    }

    /// Connects to the server's push stream.
    pub async fn server_events(
        &self,
    ) -> Result<impl Stream<Item = Result<ServerProfile, ApiError>> + Send + use<>, RepositoryError>
    {
        self.ensure_online()?;
        let events = self.api.events().await?;
        self.confirm();
        Ok(events)
    }

    /// A profile the server pushed. Stored as synchronized when nothing local is pending;
    /// otherwise a sync is requested, which merges it with the local edit.
    pub async fn apply_pushed(&self, server: ServerProfile) -> Result<(), RepositoryError> {
        let _guard = self.sync_lock.lock().await;
        let local = self.cached().await?;
        match &local {
            Some(profile) if !profile.synchronized || profile.conflict.is_some() => {
                if profile.base_version() < Some(server.version) {
                    tracing::info!(
                        version = server.version,
                        "pushed change while an edit is pending"
                    );
                    self.request_sync();
                }
            }
            _ => {
                let stored = self.db.store_server_copy(&server, Utc::now()).await?;
                tracing::debug!(version = server.version, stored, "pushed change");
                self.publish_from_db().await?;
            }
        }
        Ok(())
    }

    /// Tells the UI when the next automatic attempt will be.
    pub fn schedule_retry(&self, at: DateTime<Utc>) {
        self.status
            .send_modify(|status| match &mut status.activity {
                Activity::Offline { retry_at, .. } | Activity::Failed { retry_at, .. } => {
                    *retry_at = Some(at);
                }
                Activity::Idle | Activity::Syncing => {}
            });
    }

    /// One full sync: push the pending local state (merging on a conflict), then pull the
    /// server's copy. Only one sync runs at a time.
    pub async fn sync(&self) -> Result<SyncOutcome, RepositoryError> {
        self.ensure_online()?;
        let _guard = self.sync_lock.lock().await;
        self.status
            .send_modify(|status| status.activity = Activity::Syncing);
        let result = self.sync_locked().await;
        self.finish("sync", &result).await;
        result
    }

    async fn sync_locked(&self) -> Result<SyncOutcome, RepositoryError> {
        // Each round either finishes or makes progress (a push, a merge, a rebase); a user who
        // keeps typing during every push is the only way to need more than a few.
        for _ in 0..16 {
            let Some(local) = self.cached().await? else {
                return self.pull().await;
            };
            if local.conflict.is_some() {
                return Ok(SyncOutcome::Conflict);
            }
            if local.synchronized {
                match self.pull().await? {
                    SyncOutcome::Empty => {
                        // The server lost its copy: ours becomes a new edit and creates it again.
                        tracing::warn!("the server has no profile; sending ours again");
                        self.db.forget_base(local.revision).await?;
                        continue;
                    }
                    outcome => return Ok(outcome),
                }
            }
            let precondition = local
                .base_version()
                .map_or(Precondition::Create, Precondition::Version);
            self.db
                .record_sent(&local.fields, local.base_version())
                .await?;
            match self.api.put_profile(&local.fields, precondition).await {
                Ok(server) => {
                    self.confirm();
                    let synced = self
                        .db
                        .mark_synced(local.revision, &server, Utc::now())
                        .await?;
                    tracing::info!(version = server.version, synced, "pushed");
                    self.publish_from_db().await?;
                    if synced {
                        return Ok(SyncOutcome::Synced);
                    }
                }
                Err(ApiError::Conflict(theirs)) => {
                    self.confirm();
                    if let Some(outcome) = self.merge(&local, &theirs).await? {
                        return Ok(outcome);
                    }
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err(RepositoryError::Api(ApiError::Protocol(
            "the profile kept changing during sync; it will be retried".into(),
        )))
    }

    /// Merges a refused push with the server's copy. `Some(Conflict)` when the user must decide;
    /// `None` when the merge was stored and the sync should go on.
    async fn merge(
        &self,
        local: &UserProfile,
        theirs: &ServerProfile,
    ) -> Result<Option<SyncOutcome>, RepositoryError> {
        let ours = self
            .db
            .in_flight()
            .await?
            .into_iter()
            .any(|(sent, sent_base)| sent == theirs.fields && theirs.version > sent_base);
        if ours {
            // One of our own earlier pushes landed but its answer was lost; the edit made since
            // then was made on top of it. Not a conflict: rebase and push again.
            tracing::info!(
                version = theirs.version,
                "an earlier push had landed; rebasing"
            );
            self.db
                .rebase(local.revision, &local.fields, theirs, Utc::now())
                .await?;
            self.publish_from_db().await?;
            return Ok(None);
        }
        let base = local.base.as_ref().map(|base| &base.fields);
        match merge(base, &local.fields, &theirs.fields) {
            MergeOutcome::Merged(fields) => {
                tracing::info!(version = theirs.version, "merged with a newer server copy");
                self.db
                    .rebase(local.revision, &fields, theirs, Utc::now())
                    .await?;
                self.publish_from_db().await?;
                Ok(None)
            }
            MergeOutcome::Conflict { mine, fields } => {
                tracing::warn!(version = theirs.version, ?fields, "conflict");
                let recorded = self
                    .db
                    .record_conflict(local.revision, &mine, theirs, &fields)
                    .await?;
                self.publish_from_db().await?;
                Ok(recorded.then_some(SyncOutcome::Conflict))
            }
        }
    }

    /// The photo at `url` as a small PNG: from the local cache when it was fetched before (so
    /// it shows offline), otherwise downloaded, checked and cached. `None` for an empty URL, or
    /// when working offline and nothing is cached.
    pub async fn avatar(&self, url: &str) -> Result<Option<Vec<u8>>, RepositoryError> {
        if url.is_empty() {
            return Ok(None);
        }
        if let Some(png) = self.db.load_avatar(url).await? {
            return Ok(Some(png));
        }
        if self.work_offline() {
            return Ok(None);
        }
        let bytes = self
            .api
            .fetch_image(url, crate::data::avatar::MAX_DOWNLOAD_BYTES)
            .await?;
        let png = tokio::task::spawn_blocking(move || crate::data::avatar::thumbnail(&bytes))
            .await
            .map_err(|e| RepositoryError::Avatar(e.to_string()))?
            .map_err(|e| RepositoryError::Avatar(e.to_string()))?;
        self.db.store_avatar(url, &png, Utc::now()).await?;
        Ok(Some(png))
    }

    /// Settles a conflict: keep the local values (they will be pushed over the server's) or
    /// take the server's.
    pub async fn resolve(&self, resolution: Resolution) -> Result<UserProfile, RepositoryError> {
        let local = self.cached().await?.ok_or(RepositoryError::NoConflict)?;
        let Some(conflict) = &local.conflict else {
            return Err(RepositoryError::NoConflict);
        };
        let fields = match resolution {
            Resolution::KeepMine => local.fields.clone(),
            Resolution::UseTheirs => {
                take_theirs(&local.fields, &conflict.theirs.fields, &conflict.fields)
            }
        };
        tracing::info!(?resolution, "conflict resolved");
        self.db
            .rebase(local.revision, &fields, &conflict.theirs, Utc::now())
            .await?;
        let profile = self.publish_from_db().await?;
        self.request_sync();
        profile.ok_or(RepositoryError::NoConflict)
    }

    /// Fetches the server's copy and stores it as synchronized when nothing local is pending.
    async fn pull(&self) -> Result<SyncOutcome, RepositoryError> {
        let local = self.cached().await?;
        let known = local
            .as_ref()
            .filter(|p| p.synchronized)
            .and_then(UserProfile::base_version);
        let fetched = self.api.get_profile(known).await?;
        self.confirm();
        let now = Utc::now();
        let outcome = match fetched {
            Fetched::Profile(server) => {
                let stored = self.db.store_server_copy(&server, now).await?;
                tracing::debug!(version = server.version, stored, "pulled");
                SyncOutcome::Synced
            }
            Fetched::NotModified => {
                if let Some(version) = known {
                    self.db.touch_synced(version, now).await?;
                }
                SyncOutcome::Synced
            }
            Fetched::NotFound => SyncOutcome::Empty,
        };
        let profile = self.publish_from_db().await?;
        Ok(match (outcome, profile) {
            (SyncOutcome::Empty, _) => SyncOutcome::Empty,
            (_, Some(p)) if p.conflict.is_some() => SyncOutcome::Conflict,
            (outcome, _) => outcome,
        })
    }

    fn confirm(&self) {
        self.status.send_if_modified(|status| {
            let changed = !status.confirmed;
            status.confirmed = true;
            changed
        });
    }

    /// Records the outcome of an attempt (database and status); failures are logged here so
    /// no error is swallowed.
    async fn finish(&self, what: &str, result: &Result<SyncOutcome, RepositoryError>) {
        let now = Utc::now();
        let (ok, message, activity) = match result {
            Ok(outcome) => (
                true,
                format!("{what}: {outcome:?}").to_lowercase(),
                Activity::Idle,
            ),
            Err(error) => {
                tracing::warn!(%error, "{what} failed");
                let reason = error.to_string();
                let activity = if error.is_offline() {
                    Activity::Offline {
                        reason: reason.clone(),
                        retry_at: None,
                    }
                } else {
                    Activity::Failed {
                        reason: reason.clone(),
                        retry_at: None,
                    }
                };
                (false, format!("{what} failed: {reason}"), activity)
            }
        };
        if let Err(error) = self.db.record_sync_attempt(now, ok, &message).await {
            tracing::error!(%error, "cannot record the sync attempt");
        }
        let attempt = SyncAttemptRow {
            at: now,
            ok,
            message,
        };
        self.status.send_modify(|status| {
            status.activity = activity;
            status.last_attempt = Some(attempt);
        });
    }

    async fn publish_from_db(&self) -> Result<Option<UserProfile>, RepositoryError> {
        let profile = self.cached().await?;
        self.publish_profile(profile.clone());
        Ok(profile)
    }

    fn publish_profile(&self, profile: Option<UserProfile>) {
        self.status.send_if_modified(|status| {
            let changed = status.profile != profile;
            status.profile = profile;
            changed
        });
    }
}

/// Converts the stored row into the domain type.
pub fn to_domain(row: ProfileRow) -> UserProfile {
    let server = |version: Option<i64>,
                  name: Option<String>,
                  photo_url: Option<String>,
                  updated_at: Option<DateTime<Utc>>| {
        Some(ServerProfile {
            fields: Fields {
                name: name?,
                photo_url: photo_url?,
            },
            version: version?,
            updated_at: updated_at?,
        })
    };
    let base = server(
        row.base_version,
        row.base_name,
        row.base_photo_url,
        row.base_updated_at,
    );
    let conflict = server(
        row.conflict_version,
        row.conflict_name,
        row.conflict_photo_url,
        row.conflict_updated_at,
    )
    .map(|theirs| Conflict {
        theirs,
        fields: row
            .conflict_fields
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .filter_map(|field| match field {
                "name" => Some("name"),
                "photo_url" => Some("photo_url"),
                _ => None,
            })
            .collect(),
    });
    UserProfile {
        fields: Fields {
            name: row.name,
            photo_url: row.photo_url,
        },
        synchronized: row.synchronized,
        revision: row.revision,
        base,
        updated_at: row.updated_at,
        synced_at: row.synced_at,
        conflict,
    }
}
