//! The sync engine: how one sync runs. It pushes the pending local state with the server version
//! it was based on, merges field by field when the server refuses it (412), rebases an edit made
//! while a push was in flight, and pulls the server's copy.
//!
//! The repository calls it while holding its sync lock; it never decides *when* to sync (that
//! is the scheduler's job) and never changes data except through the database service's
//! compare-and-set writes.

use crate::api_client::{ApiClientService, ApiError, Fetched, Precondition};
use crate::database::{DatabaseService, PhotoEdit};
use crate::domain::{
    Fields, MergeOutcome, ServerProfile, SyncAttempt, SyncState, UserProfile, merge,
};
use crate::error::RepositoryError;
use crate::failure::Failure;
use crate::status::{Activity, StatusStore};
use chrono::Utc;
use profile_protocol::PhotoRef;

/// What a finished sync left behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncOutcome {
    Synced,
    Conflict,
    /// Neither side has a profile.
    Empty,
    /// Something local still waits to be sent (a read found the server behind).
    Pending,
    /// The edit's photo waits for an unmetered network (see [`PhotoGate`]); nothing of the
    /// edit was sent.
    Held,
}

/// Whether photos may be sent and fetched now: on a metered connection they wait (unless the
/// user allows them there, or asked for this sync); the profile's text always goes.
#[derive(Debug, Default)]
pub struct PhotoGate {
    /// What the system last said (NetworkManager's `Metered`); `None`: not watched, asked when
    /// a photo is to go.
    pub metered: std::sync::Mutex<Option<bool>>,
    /// The user's setting: photos go on metered connections too.
    pub on_metered: std::sync::atomic::AtomicBool,
}

impl PhotoGate {
    /// Whether photos wait now.
    pub async fn photos_wait(&self) -> bool {
        if self.on_metered.load(std::sync::atomic::Ordering::SeqCst) {
            return false;
        }
        let known = *self.metered.lock().expect("the metered state");
        match known {
            Some(metered) => metered,
            None => crate::network::metered_now().await.unwrap_or(false),
        }
    }
}

impl SyncOutcome {
    fn as_str(self) -> &'static str {
        match self {
            SyncOutcome::Synced => "synced",
            SyncOutcome::Conflict => "conflict",
            SyncOutcome::Empty => "empty",
            SyncOutcome::Held => "held for an unmetered network",
            SyncOutcome::Pending => "pending",
        }
    }
}

/// What a pull found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pulled {
    /// The local copy is as synchronized as it can be: this is where it stands.
    Settled(SyncOutcome),
    /// The server has no profile.
    Missing,
    /// The server's store had gone back to an earlier state than the local copy was synced
    /// with; the local copy is now an edit on top of it, to be sent again.
    Resend,
}

impl Pulled {
    pub fn outcome(self) -> SyncOutcome {
        match self {
            Pulled::Settled(outcome) => outcome,
            Pulled::Missing => SyncOutcome::Empty,
            Pulled::Resend => SyncOutcome::Pending,
        }
    }
}

/// What a push asserts: the state the local edit was based on, or that there is none yet. A base
/// recorded before states had tags is asserted as [`Precondition::Untagged`], which no state
/// matches: the push is refused with the server's copy and merged.
fn precondition(local: Option<&UserProfile>) -> Precondition {
    match local.and_then(|local| local.base.as_ref()) {
        Some(base) => match &base.etag {
            Some(etag) => Precondition::Matches(etag.clone()),
            None => Precondition::Untagged,
        },
        None => Precondition::Create,
    }
}

/// The services one sync works with, borrowed from the repository.
pub(crate) struct Engine<'a> {
    pub db: &'a DatabaseService,
    pub api: &'a ApiClientService,
    pub status: &'a StatusStore,
    pub failures: &'a std::sync::Mutex<super::FailureLog>,
    pub photos: &'a PhotoGate,
    /// The user asked for this sync: photos go whatever the connection costs.
    pub asked: bool,
}

/// A sync makes progress each round (a push, a merge, a rebase); only a user who keeps typing
/// during every push needs more than a few.
const MAX_ROUNDS: usize = 16;

impl Engine<'_> {
    /// One full sync: push the pending local state (merging on a conflict), then pull.
    pub async fn sync(&self) -> Result<SyncOutcome, RepositoryError> {
        let outcome = self.sync_fields().await?;
        let downloads_wait = self.fetch_photos().await?;
        self.status
            .photos_wait(outcome == SyncOutcome::Held || downloads_wait);
        Ok(outcome)
    }

    async fn sync_fields(&self) -> Result<SyncOutcome, RepositoryError> {
        for _ in 0..MAX_ROUNDS {
            let Some(local) = self.db.load_profile().await? else {
                return Ok(self.pull().await?.outcome());
            };
            if local.conflict.is_some() {
                return Ok(SyncOutcome::Conflict);
            }
            if local.synchronized {
                match self.pull().await? {
                    Pulled::Settled(outcome) => return Ok(outcome),
                    Pulled::Missing => {
                        // The server lost its copy: ours becomes a new edit and creates it again.
                        tracing::warn!("the server has no profile; sending ours again");
                        self.forget_base(local.revision).await?;
                    }
                    // Ours became an edit on top of what the server holds now: send it.
                    Pulled::Resend => {}
                }
                continue;
            }
            if let Some(outcome) = self.push(&local).await? {
                return Ok(outcome);
            }
        }
        Err(RepositoryError::KeptChanging)
    }

    /// Pushes the pending `local` state. `Some` when the sync is over, `None` when the local copy
    /// changed (rebased or merged) and another round is needed.
    async fn push(&self, local: &UserProfile) -> Result<Option<SyncOutcome>, RepositoryError> {
        if self.photo_waits(local.fields.photo.as_ref()).await? {
            tracing::info!("the edit's photo waits for an unmetered network");
            return Ok(Some(SyncOutcome::Held));
        }
        let precondition = precondition(Some(local));
        // The photo first: the server refuses a profile that refers to a photo it lacks, so a
        // profile never arrives ahead of its photo.
        let sent_now = self.upload_photo(local.fields.photo.as_ref()).await?;
        self.db
            .record_sent(&local.fields, local.base.as_ref())
            .await?;
        match self.api.put_profile(&local.fields, precondition).await {
            Ok(server) => {
                self.status.server_answered();
                let synced = self
                    .db
                    .mark_synced(local.revision, &server, Utc::now())
                    .await?;
                tracing::info!(version = server.version, synced, "pushed");
                self.publish_from_db().await?;
                Ok(synced.then_some(SyncOutcome::Synced))
            }
            Err(ApiError::Conflict(theirs)) => {
                self.status.server_answered();
                self.merge(local, &theirs).await
            }
            Err(ApiError::NoProfile) => {
                // The server lost the copy the edit was based on: create it again, with ours.
                self.status.server_answered();
                tracing::warn!("the server has no profile; creating it with ours");
                self.forget_base(local.revision).await?;
                Ok(None)
            }
            Err(ApiError::PhotoMissing) => {
                // The server no longer holds the photo (removed after its grace period, or a
                // new store): send it again, then the profile.
                self.status.server_answered();
                if sent_now {
                    // It took the photo a moment ago: sending it again would only go round.
                    return Err(ApiError::Protocol(
                        "the server accepted the photo, then said it does not have it".into(),
                    )
                    .into());
                }
                self.photo_lost_by_server(local).await?;
                Ok(None)
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Whether `photo` is still to be sent and photos wait now (the user did not ask).
    async fn photo_waits(&self, photo: Option<&PhotoRef>) -> Result<bool, RepositoryError> {
        let Some(photo) = photo else {
            return Ok(false);
        };
        if self.asked || self.db.photo_uploaded(&photo.sha256).await? != Some(false) {
            return Ok(false);
        }
        Ok(self.photos.photos_wait().await)
    }

    /// Sends the photo `photo` names, unless the server is known to hold it already (a photo
    /// this cache does not hold came from the server, which holds it). Returns whether it was
    /// sent now.
    async fn upload_photo(&self, photo: Option<&PhotoRef>) -> Result<bool, RepositoryError> {
        let Some(photo) = photo else {
            return Ok(false);
        };
        match self.db.photo(&photo.sha256).await? {
            Some(cached) if !cached.uploaded => {
                self.api.put_photo(&photo.sha256, cached.jpeg).await?;
                self.status.server_answered();
                self.db.mark_photo_uploaded(&photo.sha256, true).await?;
                tracing::info!(photo = photo.sha256.short(), "photo uploaded");
                return Ok(true);
            }
            _ => {}
        }
        Ok(false)
    }

    /// The server answered that it lacks the photo `local` refers to: it is sent again when
    /// this cache holds it. A photo picked here always is (it is kept until nothing refers to
    /// it); one that came from a server that has lost it since (wiped, replaced, restored from an
    /// older backup) before it was downloaded exists nowhere any more: the edit goes on without.
    async fn photo_lost_by_server(&self, local: &UserProfile) -> Result<(), RepositoryError> {
        let Some(photo) = &local.fields.photo else {
            return Err(ApiError::Protocol(
                "the server asked for a photo the profile does not have".into(),
            )
            .into());
        };
        if self.db.photo_uploaded(&photo.sha256).await?.is_some() {
            tracing::warn!(
                photo = photo.sha256.short(),
                "the server lacks the photo; sending it again"
            );
            self.db.mark_photo_uploaded(&photo.sha256, false).await?;
        } else {
            tracing::warn!(
                photo = photo.sha256.short(),
                "the server lost a photo this computer never received; going on without it"
            );
            self.db
                .drop_lost_photo(local.revision, &photo.sha256)
                .await?;
            self.publish_from_db().await?;
        }
        Ok(())
    }

    /// Downloads the photos the profile and a conflict's server copy show that this cache does
    /// not hold yet, each checked against its name before it is kept. Until one arrives the old
    /// picture stays on screen with a "downloading" mark. One the server does not have (404: a
    /// conflict's copy kept past the grace period, a server restored from an older backup) is
    /// reported as unavailable, not retried; the profile's text is synced all the same.
    pub async fn fetch_missing_photos(&self) -> Result<(), RepositoryError> {
        let waited = self.fetch_photos().await?;
        if waited {
            self.status.photos_wait(true);
        }
        Ok(())
    }

    /// [`fetch_missing_photos`](Self::fetch_missing_photos); `true` when one waits for an
    /// unmetered network.
    async fn fetch_photos(&self) -> Result<bool, RepositoryError> {
        let Some(local) = self.db.load_profile().await? else {
            return Ok(false);
        };
        let shown = [
            local.fields.photo.as_ref(),
            local
                .conflict
                .as_ref()
                .and_then(|conflict| conflict.theirs.fields.photo.as_ref()),
        ];
        let mut held = false;
        let mut waited = false;
        for photo in shown.into_iter().flatten() {
            if self.db.photo_uploaded(&photo.sha256).await?.is_some() {
                held = true;
                continue;
            }
            if !self.asked && self.photos.photos_wait().await {
                tracing::info!(
                    photo = photo.sha256.short(),
                    "the photo waits for an unmetered network"
                );
                waited = true;
                continue;
            }
            let jpeg = match self.api.get_photo(&photo.sha256).await {
                Ok(jpeg) => jpeg,
                Err(ApiError::Rejected { status: 404, .. }) => {
                    self.status.server_answered();
                    tracing::warn!(
                        photo = photo.sha256.short(),
                        "the server does not have the photo"
                    );
                    self.status.photo_unavailable(&photo.sha256);
                    continue;
                }
                Err(error) => return Err(error.into()),
            };
            self.status.server_answered();
            self.db
                .store_downloaded_photo(photo, &jpeg, Utc::now())
                .await?;
            tracing::info!(photo = photo.sha256.short(), "photo downloaded");
            self.status.photo_arrived(&photo.sha256);
        }
        if held {
            // Another process (the CLI, a second window) may have downloaded it: a view still
            // waiting for it reads it again.
            self.status.photos_held();
        }
        Ok(waited)
    }

    /// Merges a refused push with the server's copy. `Some(Conflict)` when the user must decide;
    /// `None` when the merge was stored and the sync should go on.
    async fn merge(
        &self,
        local: &UserProfile,
        theirs: &ServerProfile,
    ) -> Result<Option<SyncOutcome>, RepositoryError> {
        if self.landed_earlier(theirs).await? {
            // One of our own earlier pushes landed but its answer was lost; the edit made since
            // then was made on top of it. Not a conflict: rebase and push again.
            tracing::info!(
                version = theirs.version,
                "an earlier push had landed; rebasing"
            );
            return self.rebase(local, &local.fields, theirs).await;
        }
        let base = local.base.as_ref().map(|base| &base.fields);
        match merge(base, &local.fields, &theirs.fields) {
            MergeOutcome::Merged(fields) => {
                tracing::info!(version = theirs.version, "merged with a newer server copy");
                self.rebase(local, &fields, theirs).await
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

    /// The server lost the state the local copy was based on: the local copy becomes a new edit
    /// (it creates the profile again), and the status shows it as pending at once — whatever
    /// happens to the push that follows.
    async fn forget_base(&self, revision: i64) -> Result<(), RepositoryError> {
        self.db.forget_base(revision).await?;
        self.publish_from_db().await?;
        Ok(())
    }

    /// `true` when the server holds exactly what one of our unanswered pushes sent.
    async fn landed_earlier(&self, theirs: &ServerProfile) -> Result<bool, RepositoryError> {
        Ok(self
            .db
            .in_flight()
            .await?
            .into_iter()
            .any(|sent| sent.landed_as(theirs)))
    }

    async fn rebase(
        &self,
        local: &UserProfile,
        fields: &Fields,
        theirs: &ServerProfile,
    ) -> Result<Option<SyncOutcome>, RepositoryError> {
        self.db
            .rebase(local.revision, fields, theirs, Utc::now())
            .await?;
        self.publish_from_db().await?;
        Ok(None)
    }

    /// Fetches the server's copy and stores it as synchronized when nothing local is pending.
    /// The local copy counts as synchronized only with the very state the server holds (equal
    /// tags); a copy from another store is taken by its content, and a store that went back to
    /// an earlier state is reported, not followed.
    pub async fn pull(&self) -> Result<Pulled, RepositoryError> {
        let local = self.db.load_profile().await?;
        let known = local
            .as_ref()
            .filter(|p| p.synchronized)
            .and_then(UserProfile::base_etag);
        let fetched = self.api.get_profile(known).await?;
        self.status.server_answered();
        let now = Utc::now();
        let server = match fetched {
            Fetched::NotModified => {
                if let Some(etag) = known {
                    self.db.touch_synced(etag, now).await?;
                }
                None
            }
            Fetched::NotFound => {
                self.publish_from_db().await?;
                return Ok(Pulled::Missing);
            }
            Fetched::Profile(server) => {
                let stored = self.db.store_server_copy(&server, now).await?;
                tracing::debug!(version = server.version, stored, "pulled");
                Some(server)
            }
        };
        let profile = self.publish_from_db().await?;
        if let (Some(server), Some(local)) = (server, &profile)
            && local.synchronized
            && local
                .base
                .as_ref()
                .is_some_and(|base| base.is_ahead_of(&server))
        {
            // The store is at an earlier state than ours (restored from an older copy): ours
            // becomes an edit on top of what it holds, to be sent again, so nothing is lost.
            tracing::warn!(
                ours = local.base_version(),
                theirs = server.version,
                "the server went back; sending ours again"
            );
            self.db
                .rebase(local.revision, &local.fields, &server, now)
                .await?;
            self.publish_from_db().await?;
            return Ok(Pulled::Resend);
        }
        Ok(Pulled::Settled(match profile {
            Some(p) if p.conflict.is_some() => SyncOutcome::Conflict,
            Some(_) => SyncOutcome::Synced,
            None => SyncOutcome::Empty,
        }))
    }

    /// A profile the server pushed. Stored as synchronized when nothing local is pending;
    /// otherwise `true` is returned: a sync is needed to merge it with the local edit.
    pub async fn apply_pushed(&self, server: &ServerProfile) -> Result<bool, RepositoryError> {
        match self.db.load_profile().await? {
            Some(local) if !local.synchronized || local.conflict.is_some() => {
                let other = !local
                    .base
                    .as_ref()
                    .is_some_and(|base| base.same_state(server));
                if other {
                    tracing::info!(
                        version = server.version,
                        "pushed change while an edit is pending"
                    );
                }
                Ok(other)
            }
            _ => {
                let stored = self.db.store_server_copy(server, Utc::now()).await?;
                tracing::debug!(version = server.version, stored, "pushed change");
                self.publish_from_db().await?;
                Ok(false)
            }
        }
    }

    /// The online-only write: the server first, stored locally only once it accepted the edit.
    /// A photo being set is sent before the profile that refers to it.
    pub async fn save_online(
        &self,
        fields: &Fields,
        photo: PhotoEdit<'_>,
    ) -> Result<UserProfile, RepositoryError> {
        let local = self.db.load_profile().await?;
        let mut fields = fields.clone();
        fields.photo = match photo {
            PhotoEdit::Keep => local.as_ref().and_then(|local| local.fields.photo.clone()),
            PhotoEdit::Set(photo) => {
                self.api
                    .put_photo(&photo.sha256, photo.jpeg.clone())
                    .await?;
                Some(photo.reference())
            }
            PhotoEdit::Remove => None,
        };
        let fields = &fields;
        let pushed = match self
            .api
            .put_profile(fields, precondition(local.as_ref()))
            .await
        {
            // The server lost the copy this edit was based on: create it.
            Err(ApiError::NoProfile) => self.api.put_profile(fields, Precondition::Create).await,
            other => other,
        };
        let server = pushed.map_err(|error| match error {
            ApiError::Conflict(_) => RepositoryError::ChangedElsewhere,
            other => other.into(),
        })?;
        self.status.server_answered();
        let now = Utc::now();
        // The bytes of a photo set are kept with the edit; `mark_synced` then takes the
        // server's reference.
        let kept = match photo {
            PhotoEdit::Set(photo) => PhotoEdit::Set(photo),
            _ if server.fields.photo.is_none() => PhotoEdit::Remove,
            _ => PhotoEdit::Keep,
        };
        let saved = self.db.save_local_edit(&server.fields, kept, now).await?;
        if let PhotoEdit::Set(photo) = photo {
            self.db.mark_photo_uploaded(&photo.sha256, true).await?;
        }
        self.db.mark_synced(saved.revision, &server, now).await?;
        self.publish_from_db()
            .await?
            .ok_or(RepositoryError::Vanished)
    }

    /// Records how an attempt (`what`: "sync", "read", "save") ended, in the database and the
    /// status. Failures are logged here, so no error is swallowed.
    pub async fn record_attempt(&self, what: &str, result: &Result<SyncOutcome, RepositoryError>) {
        let (ok, message, activity) = match result {
            Ok(outcome) => {
                self.failure_log().succeeded();
                (
                    true,
                    format!("{what}: {}", outcome.as_str()),
                    Activity::Idle,
                )
            }
            Err(error) => {
                let reason = error.to_string();
                self.failure_log().failed(what, &reason);
                let message = format!("{what} failed: {reason}");
                let activity = if let RepositoryError::Api(ApiError::SignedOut(reason)) = error {
                    Activity::SignedOut {
                        reason: reason.clone(),
                    }
                } else if error.is_offline() {
                    Activity::Offline {
                        reason,
                        retry_at: None,
                    }
                } else {
                    Activity::Failed {
                        reason,
                        retry_at: None,
                    }
                };
                (false, message, activity)
            }
        };
        let attempt = SyncAttempt {
            at: Utc::now(),
            ok,
            message,
        };
        if let Err(error) = self.db.record_sync_attempt(&attempt).await {
            tracing::error!(%error, "cannot record the sync attempt");
        }
        let failure = result.as_ref().err().map(|error| self.failure(error));
        self.status.attempt_finished(activity, attempt, failure);
    }

    fn failure_log(&self) -> std::sync::MutexGuard<'_, super::FailureLog> {
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// What the user must hear of `error`: what happened, and what happens to their change.
    pub fn failure(&self, error: &RepositoryError) -> Failure {
        let pending = self.status.current().state() == SyncState::Pending;
        Failure::of(error, self.api.base_url().as_str(), pending)
    }

    pub async fn publish_from_db(&self) -> Result<Option<UserProfile>, RepositoryError> {
        // Read again if another task (the watcher of other processes' changes) showed a profile
        // while this one was read: theirs may be newer, and what is shown last must be the
        // newest. Bounded: each retry means someone else showed the cache's state meanwhile.
        let mut profile = None;
        for _ in 0..10 {
            let stamp = self.status.profile_stamp();
            profile = self.db.load_profile().await?;
            if self
                .status
                .set_profile_unless_set_since(stamp, profile.clone())
            {
                break;
            }
        }
        Ok(profile)
    }
}
