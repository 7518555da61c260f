//! Who listens to whose profile in this process: one channel per user with an open event
//! stream, so that a change wakes only that user's streams (a single channel for everyone woke
//! every stream on every change: 5,000 streams × 200 changes/s is a million wake-ups a second),
//! and one signal for all when changes may have been missed.
//!
//! The store owns the registry and is the only thing that feeds it: on SQLite itself, after each
//! commit; on PostgreSQL through its fan-out listener (`fanout`), one at a time.

use crate::change::{Change, UserId};
use profile_protocol::ProfileWire;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{broadcast, watch};

/// Changes a user's channel holds for a stream that has not sent them yet. Small on purpose:
/// its slots are allocated up front for every user with a stream, and a stream that falls
/// further behind sends the current state, which is all a client needs.
const PER_USER: usize = 4;

/// Held by each open event stream of a signed-in device — the only streams a revocation can
/// end — so that the database is watched for revocations only while one is open.
pub struct Revocable(Arc<watch::Sender<usize>>);

impl Revocable {
    pub fn open(count: &Arc<watch::Sender<usize>>) -> Self {
        count.send_modify(|n| *n += 1);
        Self(count.clone())
    }
}

impl Drop for Revocable {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n -= 1);
    }
}

/// The channels of one store's subscribers.
#[derive(Default)]
pub struct Streams {
    users: Mutex<HashMap<UserId, broadcast::Sender<ProfileWire>>>,
    resync: watch::Sender<u64>,
    /// Held by the fan-out listener that feeds this registry, so that servers sharing a store
    /// never deliver a change twice; `true` once one has listened (see [`Streams::feed`]).
    feeder: tokio::sync::Mutex<bool>,
}

/// One stream's subscription; its user's channel goes away with the user's last stream.
pub struct Subscription {
    streams: Arc<Streams>,
    user: UserId,
    pub changes: broadcast::Receiver<ProfileWire>,
    pub resync: watch::Receiver<u64>,
}

impl Streams {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<UserId, broadcast::Sender<ProfileWire>>> {
        self.users.lock().expect("no code panics holding this lock")
    }

    pub fn subscribe(self: &Arc<Self>, user: UserId) -> Subscription {
        let changes = self
            .lock()
            .entry(user)
            .or_insert_with(|| broadcast::channel(PER_USER).0)
            .subscribe();
        Subscription {
            streams: self.clone(),
            user,
            changes,
            resync: self.resync.subscribe(),
        }
    }

    /// Tells the change's user's streams about their new state (nobody listening is fine).
    pub fn deliver(&self, change: Change) {
        if let Some(sender) = self.lock().get(&change.user) {
            // An error only means the last stream just went away.
            let _ = sender.send(change.profile);
        }
    }

    /// The turn to feed this registry from PostgreSQL, waiting while another listener has it.
    /// The guard reads `true` when one has fed it before: a listener taking over then tells the
    /// streams to resync, as for a reconnection, since what was announced in between is lost.
    pub async fn feed(&self) -> tokio::sync::MutexGuard<'_, bool> {
        self.feeder.lock().await
    }

    /// Tells every stream to send its user's current state again.
    pub fn resync(&self) {
        self.resync.send_modify(|n| *n += 1);
    }

    /// How many event streams are open.
    pub fn count(&self) -> usize {
        self.lock()
            .values()
            .map(broadcast::Sender::receiver_count)
            .sum()
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut users = self.streams.lock();
        // This subscription's receiver still counts until it is dropped, after this.
        if users
            .get(&self.user)
            .is_some_and(|sender| sender.receiver_count() <= 1)
        {
            users.remove(&self.user);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn profile(name: &str) -> ProfileWire {
        ProfileWire {
            name: name.into(),
            photo_url: String::new(),
            photo: None,
            version: 1,
            updated_at: Utc::now(),
            etag: "1-0".into(),
            store: "s".into(),
        }
    }

    #[test]
    fn a_change_reaches_only_its_users_streams_and_channels_go_with_their_last_stream() {
        let streams = Arc::new(Streams::default());
        let mut ada = streams.subscribe(UserId(2));
        let mut ada_phone = streams.subscribe(UserId(2));
        let mut bob = streams.subscribe(UserId(3));
        assert_eq!(streams.count(), 3);
        streams.deliver(Change {
            user: UserId(2),
            profile: profile("Ada"),
        });
        assert_eq!(ada.changes.try_recv().unwrap().name, "Ada");
        assert_eq!(ada_phone.changes.try_recv().unwrap().name, "Ada");
        assert!(bob.changes.try_recv().is_err(), "Bob's stream is not woken");
        drop(ada);
        drop(ada_phone);
        assert!(!streams.lock().contains_key(&UserId(2)));
        assert_eq!(streams.count(), 1);
        streams.resync();
        assert!(bob.resync.has_changed().unwrap());
    }
}
