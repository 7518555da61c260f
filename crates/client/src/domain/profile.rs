use chrono::{DateTime, Utc};
use profile_protocol::{Field, Fields, ProfileWire};
use serde::{Deserialize, Serialize};

/// A name a server hands out, as a type of its own: never empty, so "unknown" is `None`, never
/// an empty string that could be taken for a value.
macro_rules! server_name {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// The name `text`; `None` when it is empty, which names nothing.
            pub fn new(text: impl Into<String>) -> Option<Self> {
                let text = text.into();
                (!text.is_empty()).then_some($name(text))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

server_name!(
    /// The identity of one server state: its ETag without quotes. A server never hands it out
    /// for another state. A copy whose tag is unknown holds no `Etag` at all.
    Etag
);

server_name!(
    /// The id of a server's store, made when the store was created: versions count within one
    /// store only. A copy whose store is unknown holds no `StoreId` at all.
    StoreId
);

/// A copy of the profile as a server holds it: one state of it, and which one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerProfile {
    pub fields: Fields,
    /// The state's position in its store's history: comparable only within one store.
    pub version: i64,
    pub updated_at: DateTime<Utc>,
    /// The state's identity. `None` for a copy recorded before states had tags: it then names
    /// no state.
    pub etag: Option<Etag>,
    /// The store holding it (`None` when unknown: then its version is compared with no other).
    pub store: Option<StoreId>,
    /// The server URL it came from.
    pub server: String,
}

impl ServerProfile {
    /// The state `wire` describes, received from `server`.
    pub fn from_wire(wire: ProfileWire, server: &str) -> Self {
        ServerProfile {
            fields: wire.fields(),
            version: wire.version,
            updated_at: wire.updated_at,
            etag: Etag::new(wire.etag),
            store: StoreId::new(wire.store),
            server: server.to_owned(),
        }
    }

    /// `true` when both are the same state (equal tags). Versions never decide this, and a copy
    /// without a tag is the same state as none.
    pub fn same_state(&self, other: &ServerProfile) -> bool {
        self.etag.is_some() && self.etag == other.etag
    }

    /// `true` when `other` is an earlier state of the same store: the store went back (it was
    /// restored from an older copy). Versions are only compared within one known store.
    pub fn is_ahead_of(&self, other: &ServerProfile) -> bool {
        self.store.is_some() && self.store == other.store && self.version > other.version
    }
}

/// The outcome of the last sync attempt, for the footer and `status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncAttempt {
    pub at: DateTime<Utc>,
    pub ok: bool,
    /// What happened, in words ("sync: synced", "sync failed: the server cannot be reached").
    pub message: String,
}

/// A field-level disagreement between a local edit and a newer server copy, kept until the user
/// settles it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The server's copy the local edit must be shown against.
    pub theirs: ServerProfile,
    /// The fields that were changed differently on both sides.
    pub fields: Vec<Field>,
}

/// The locally held profile: the guide's `UserProfile { name, photoUrl, synchronized }`, plus what
/// correct synchronisation needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserProfile {
    pub fields: Fields,
    /// `true` when the local copy equals the server copy at `base_version`.
    pub synchronized: bool,
    /// Increases on every local edit; "mark synced" compares it with the revision that was sent.
    pub revision: i64,
    /// The last server copy this one was synced with (fields and version), if any.
    pub base: Option<ServerProfile>,
    pub updated_at: DateTime<Utc>,
    pub synced_at: Option<DateTime<Utc>>,
    /// Set when a push was refused and both sides changed the same field.
    pub conflict: Option<Conflict>,
}

impl UserProfile {
    pub fn name(&self) -> &str {
        &self.fields.name
    }

    pub fn photo_url(&self) -> &str {
        &self.fields.photo_url
    }

    pub fn base_version(&self) -> Option<i64> {
        self.base.as_ref().map(|base| base.version)
    }

    /// The tag of the server state the local copy is based on, when it is known.
    pub fn base_etag(&self) -> Option<&Etag> {
        self.base.as_ref().and_then(|base| base.etag.as_ref())
    }

    pub fn state(&self) -> SyncState {
        if self.conflict.is_some() {
            SyncState::Conflict
        } else if self.synchronized {
            SyncState::Synced
        } else {
            SyncState::Pending
        }
    }
}

/// Where the local copy stands relative to the server, as `show --json` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SyncState {
    Synced,
    Pending,
    Conflict,
    Empty,
}

impl SyncState {
    pub fn of(profile: Option<&UserProfile>) -> Self {
        profile.map_or(SyncState::Empty, UserProfile::state)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SyncState::Synced => "synced",
            SyncState::Pending => "pending",
            SyncState::Conflict => "conflict",
            SyncState::Empty => "empty",
        }
    }
}

impl std::fmt::Display for SyncState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
