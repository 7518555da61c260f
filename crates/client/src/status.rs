//! The published status: where the data stands and what the synchronizer is doing, on a watch
//! channel the window and `watch` subscribe to.
//!
//! Written only by the repository and the sync engine; readers get whole snapshots, so what a
//! view shows always comes from one consistent status.

use crate::domain::{SyncAttempt, SyncState, UserProfile};
use chrono::{DateTime, Utc};
use futures::Stream;
use std::sync::atomic::Ordering;
use tokio::sync::watch;
use tokio_stream::wrappers::WatchStream;

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
    /// The server no longer accepts this device's token (it was signed out elsewhere, or the
    /// account was disabled). Edits are still saved here; nothing is sent until the user signs
    /// in again.
    SignedOut {
        reason: String,
    },
}

/// Everything the UI shows about where the data stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Status {
    pub profile: Option<UserProfile>,
    pub activity: Activity,
    /// The server answered at least once since this repository was opened.
    pub server_answered: bool,
    pub work_offline: bool,
    pub last_attempt: Option<SyncAttempt>,
    /// When the last attempt failed: what happened and what happens to the change, for the
    /// app to put into words (the attempt's message keeps the technical reason).
    pub last_failure: Option<crate::Failure>,
    /// Something the user must be told once (e.g. a damaged cache was replaced).
    pub notice: Option<String>,
    /// Moves when a photo the profile shows was downloaded into the cache (or found there): a
    /// view showing a "downloading" mark reads the photo again.
    pub photos_arrived: u64,
    /// Photos the profile or a conflict shows that the server does not have (it answered 404):
    /// they cannot be downloaded.
    pub photos_unavailable: Vec<profile_protocol::PhotoId>,
    /// A photo to send or fetch waits for an unmetered network (the connection is metered and
    /// the user has not allowed photos there); a sync the user asks for sends it.
    pub photos_wait: bool,
}

impl Status {
    pub fn state(&self) -> SyncState {
        SyncState::of(self.profile.as_ref())
    }
}

/// The sending side of the status channel.
#[derive(Debug)]
pub struct StatusStore {
    sender: watch::Sender<Status>,
    /// How many times the profile was set: changed only under the channel's lock, so a reader
    /// of the cache can publish what it read only if nobody published meanwhile.
    profile_sets: std::sync::atomic::AtomicU64,
}

impl StatusStore {
    pub fn new(initial: Status) -> Self {
        Self {
            sender: watch::Sender::new(initial),
            profile_sets: std::sync::atomic::AtomicU64::new(0),
        }
    }

    pub fn current(&self) -> Status {
        self.sender.borrow().clone()
    }

    /// Every status change, starting with the current one.
    pub fn changes(&self) -> impl Stream<Item = Status> + Send + use<> {
        WatchStream::new(self.sender.subscribe())
    }

    pub fn set_activity(&self, activity: Activity) {
        self.sender
            .send_if_modified(|status| replace(&mut status.activity, activity));
    }

    /// Records how an attempt ended: the activity it leaves behind and the attempt itself.
    pub fn attempt_finished(
        &self,
        activity: Activity,
        attempt: SyncAttempt,
        failure: Option<crate::Failure>,
    ) {
        self.sender.send_modify(|status| {
            status.activity = activity;
            status.last_attempt = Some(attempt);
            status.last_failure = failure;
        });
    }

    /// The server answered a request.
    /// A photo the profile shows was downloaded into the cache.
    pub fn photo_arrived(&self, id: &profile_protocol::PhotoId) {
        self.sender.send_modify(|status| {
            status.photos_arrived += 1;
            status.photos_unavailable.retain(|lost| lost != id);
        });
    }

    /// The photos shown are in the cache (perhaps put there by another process).
    pub fn photos_held(&self) {
        self.sender.send_modify(|status| status.photos_arrived += 1);
    }

    /// Whether a photo waits for an unmetered network.
    pub fn photos_wait(&self, wait: bool) {
        self.sender.send_if_modified(|status| {
            let changed = status.photos_wait != wait;
            status.photos_wait = wait;
            changed
        });
    }

    /// The server does not have the photo `id`.
    pub fn photo_unavailable(&self, id: &profile_protocol::PhotoId) {
        self.sender.send_if_modified(|status| {
            let new = !status.photos_unavailable.contains(id);
            if new {
                status.photos_unavailable.push(id.clone());
            }
            new
        });
    }

    pub fn server_answered(&self) {
        self.sender
            .send_if_modified(|status| replace(&mut status.server_answered, true));
    }

    /// A stamp for [`set_profile_unless_set_since`](Self::set_profile_unless_set_since): take
    /// it before reading the profile from the cache.
    pub fn profile_stamp(&self) -> u64 {
        self.profile_sets.load(Ordering::SeqCst)
    }

    /// Sets the profile read from the cache after `stamp` was taken, unless someone set one
    /// meanwhile (theirs is at least as new). Returns whether it was set.
    pub fn set_profile_unless_set_since(&self, stamp: u64, profile: Option<UserProfile>) -> bool {
        let mut set = false;
        self.sender.send_if_modified(|status| {
            if self.profile_sets.load(Ordering::SeqCst) != stamp {
                return false;
            }
            self.profile_sets.fetch_add(1, Ordering::SeqCst);
            set = true;
            replace(&mut status.profile, profile)
        });
        set
    }

    pub fn work_offline(&self) -> bool {
        self.sender.borrow().work_offline
    }

    pub fn set_work_offline(&self, on: bool) {
        self.sender.send_if_modified(|status| {
            let activity = if on {
                replace(&mut status.activity, Activity::Idle)
            } else {
                false
            };
            replace(&mut status.work_offline, on) || activity
        });
    }

    /// Resolves once "Work offline" is `on` (at once if it already is).
    pub async fn until_work_offline_is(&self, on: bool) {
        self.until(|status| status.work_offline == on).await;
    }

    /// `true` while the server refuses this device's token.
    pub fn signed_out(&self) -> bool {
        matches!(self.sender.borrow().activity, Activity::SignedOut { .. })
    }

    /// Resolves once the server has refused this device's token (at once if it has).
    pub async fn until_signed_out(&self) {
        self.until(|status| matches!(status.activity, Activity::SignedOut { .. }))
            .await;
    }

    /// Resolves once an attempt the user asked for (a save, "Sync now") got past "Signed out":
    /// the status no longer says so and no attempt is running (at once if it is not signed out).
    pub async fn until_accepted(&self) {
        self.until(|status| {
            !matches!(
                status.activity,
                Activity::SignedOut { .. } | Activity::Syncing
            )
        })
        .await;
    }

    /// Resolves once the status satisfies `holds` (at once if it does).
    async fn until(&self, holds: impl FnMut(&Status) -> bool) {
        let mut receiver = self.sender.subscribe();
        // The sender lives as long as this store, so this only ends when the state is seen.
        let _seen = receiver.wait_for(holds).await;
    }

    pub fn set_notice(&self, notice: String) {
        self.sender
            .send_modify(|status| status.notice = Some(notice));
    }

    pub fn dismiss_notice(&self) {
        self.sender
            .send_if_modified(|status| status.notice.take().is_some());
    }

    /// Tells the UI when the next automatic attempt will be.
    pub fn schedule_retry(&self, at: DateTime<Utc>) {
        self.sender
            .send_if_modified(|status| match &mut status.activity {
                Activity::Offline { retry_at, .. } | Activity::Failed { retry_at, .. } => {
                    replace(retry_at, Some(at))
                }
                Activity::Idle | Activity::Syncing | Activity::SignedOut { .. } => false,
            });
    }
}

/// Sets `slot` to `value`; `true` when that changed it.
fn replace<T: PartialEq>(slot: &mut T, value: T) -> bool {
    if *slot == value {
        false
    } else {
        *slot = value;
        true
    }
}
