//! A committed change of one user's profile: the value the store hands to the event streams,
//! and its form on PostgreSQL's `NOTIFY`, by which it reaches every instance on the database.
//!
//! A leaf module: the store, the fan-out and the streams registry all use it, so it uses none
//! of them.

use profile_protocol::ProfileWire;

/// A user of the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UserId(pub i64);

/// The PostgreSQL channel on which every change is announced, in the change's transaction.
pub const CHANNEL: &str = "profile_changes";

/// `user`'s profile is now `profile`, committed.
#[derive(Debug, Clone)]
pub struct Change {
    pub user: UserId,
    pub profile: ProfileWire,
}

/// The payload's JSON, `{"user": 7, "profile": {...}}`: borrowed when sent, owned when read.
#[derive(serde::Serialize, serde::Deserialize)]
struct Announcement<P> {
    user: i64,
    profile: P,
}

impl Change {
    /// The `NOTIFY` payload that announces this change.
    pub fn payload(&self) -> String {
        serde_json::to_string(&Announcement {
            user: self.user.0,
            profile: &self.profile,
        })
        .expect("a profile serialises")
    }

    /// The change a `NOTIFY` payload announces.
    pub fn from_payload(payload: &str) -> Result<Self, serde_json::Error> {
        let announced: Announcement<ProfileWire> = serde_json::from_str(payload)?;
        Ok(Self {
            user: UserId(announced.user),
            profile: announced.profile,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every instance on a database reads what any of them announces, so the payload keeps its
    /// shape: the user's number and the profile as the API sends it.
    #[test]
    fn a_payload_reads_back_as_the_change_it_announces() {
        let change = Change {
            user: UserId(7),
            profile: ProfileWire {
                name: "Ada".into(),
                photo_url: String::new(),
                photo: None,
                version: 3,
                updated_at: chrono::Utc::now(),
                etag: "3-0".into(),
                store: "s".into(),
            },
        };
        let payload = change.payload();
        let json: serde_json::Value = serde_json::from_str(&payload).unwrap();
        assert_eq!(json["user"], 7);
        assert_eq!(
            json["profile"],
            serde_json::to_value(&change.profile).unwrap()
        );
        let read = Change::from_payload(&payload).unwrap();
        assert_eq!(read.user, UserId(7));
        assert_eq!(read.profile, change.profile);
        assert!(Change::from_payload("{\"user\": 7}").is_err());
    }
}
