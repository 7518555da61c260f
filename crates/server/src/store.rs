//! The server's SQLite store: each user's profile, its version and the tag that names its state,
//! and the id the store was created with. Accounts and devices live beside it (`accounts`).

use chrono::Utc;
use profile_protocol::{Fields, ProfileWire, new_etag};
use sqlx::SqlitePool;
use std::path::Path;
use std::sync::Arc;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/server");

#[derive(Debug, thiserror::Error)]
#[error("server database: {0}")]
pub struct StoreError(#[from] sqlx::Error);

/// A user of the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UserId(pub i64);

/// The user whose profile a single-user setup (`--token`, the app's embedded server) serves.
pub const DEFAULT_USER: UserId = UserId(1);

/// What the client asserted about the current version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    /// No `If-Match` / `If-None-Match` header.
    None,
    /// `If-None-Match: *`.
    Absent,
    /// `If-Match: *`.
    Exists,
    /// `If-Match` with these tags.
    OneOf(Vec<String>),
}

#[derive(Debug, Clone)]
pub enum PutOutcome {
    Created(ProfileWire),
    Updated(ProfileWire),
    /// The body equals the current state: nothing changed, no version bump.
    Unchanged(ProfileWire),
    /// The precondition does not hold; here is the current profile.
    Stale(ProfileWire),
    /// `If-Match` on a profile that does not exist.
    Missing,
    /// An existing profile was to be changed without a precondition.
    PreconditionRequired,
}

#[derive(Clone)]
pub struct Store {
    pub(crate) pool: SqlitePool,
    /// Created with the store; a backup restored elsewhere keeps it, another store has its own.
    id: Arc<str>,
    /// Writers queue here instead of inside SQLite: its busy handler sleeps in growing steps,
    /// which turns contention into long latency tails.
    writer: std::sync::Arc<tokio::sync::Mutex<()>>,
}

#[derive(sqlx::FromRow)]
struct Row {
    name: String,
    photo_url: String,
    version: i64,
    updated_at: chrono::DateTime<Utc>,
    etag: String,
}

const SELECT: &str =
    "SELECT name, photo_url, version, updated_at, etag FROM profiles WHERE user_id = ?1";

impl Store {
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let pool = profile_sqlite::open(path, &MIGRATOR).await?;
        let id: String = sqlx::query_scalar("SELECT store_id FROM store WHERE id = 1")
            .fetch_one(&pool)
            .await?;
        Ok(Self {
            pool,
            id: id.into(),
            writer: Default::default(),
        })
    }

    /// The id this store was created with.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn wire(&self, row: Row) -> ProfileWire {
        ProfileWire {
            name: row.name,
            photo_url: row.photo_url,
            version: row.version,
            updated_at: row.updated_at,
            etag: row.etag,
            store: self.id.to_string(),
        }
    }

    /// The profile's next state: `fields` at `version`, under a tag never used before.
    fn next_state(&self, fields: &Fields, version: i64) -> ProfileWire {
        ProfileWire {
            name: fields.name.clone(),
            photo_url: fields.photo_url.clone(),
            version,
            updated_at: Utc::now(),
            etag: new_etag(version, rand::random()),
            store: self.id.to_string(),
        }
    }

    /// The default user's profile (the single-user setups').
    pub async fn get(&self) -> Result<Option<ProfileWire>, StoreError> {
        self.profile_of(DEFAULT_USER).await
    }

    pub async fn profile_of(&self, user: UserId) -> Result<Option<ProfileWire>, StoreError> {
        let row = sqlx::query_as::<_, Row>(SELECT)
            .bind(user.0)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|row| self.wire(row)))
    }

    /// Gives the default user `fields` as a first profile when there is none yet; returns
    /// whether it did.
    pub async fn seed(&self, fields: &Fields) -> Result<bool, StoreError> {
        self.seed_for(DEFAULT_USER, fields).await
    }

    pub async fn seed_for(&self, user: UserId, fields: &Fields) -> Result<bool, StoreError> {
        let first = self.next_state(fields, 1);
        let done = sqlx::query(
            "INSERT INTO profiles (user_id, name, photo_url, version, updated_at, etag) \
             VALUES (?6, ?1, ?2, ?3, ?4, ?5) ON CONFLICT (user_id) DO NOTHING",
        )
        .bind(&first.name)
        .bind(&first.photo_url)
        .bind(first.version)
        .bind(first.updated_at)
        .bind(&first.etag)
        .bind(user.0)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(done == 1)
    }

    /// Applies a PUT: the check of the precondition, the change and its version bump are one
    /// `BEGIN IMMEDIATE` transaction.
    pub async fn put(
        &self,
        fields: &Fields,
        precondition: &Precondition,
    ) -> Result<PutOutcome, StoreError> {
        self.put_for(DEFAULT_USER, fields, precondition).await
    }

    /// Applies `user`'s PUT (see [`put`](Self::put)).
    pub async fn put_for(
        &self,
        user: UserId,
        fields: &Fields,
        precondition: &Precondition,
    ) -> Result<PutOutcome, StoreError> {
        let _writer = self.writer.lock().await;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let current = sqlx::query_as::<_, Row>(SELECT)
            .bind(user.0)
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| self.wire(row));
        let outcome = match decide(current, fields, precondition) {
            Decision::Answer(outcome) => outcome,
            Decision::Write { current_version } => {
                let written =
                    self.next_state(fields, current_version.map_or(1, |version| version + 1));
                write(&mut tx, user, &written, current_version).await?;
                match current_version {
                    None => PutOutcome::Created(written),
                    Some(_) => PutOutcome::Updated(written),
                }
            }
        };
        tx.commit().await?;
        Ok(outcome)
    }
}

/// What a PUT does, decided from the current state alone.
enum Decision {
    /// Nothing is written; this is the answer.
    Answer(PutOutcome),
    /// The fields are written on top of `current_version` (`None`: created).
    Write { current_version: Option<i64> },
}

fn decide(current: Option<ProfileWire>, fields: &Fields, precondition: &Precondition) -> Decision {
    let outcome = match (current, precondition) {
        (None, Precondition::Exists | Precondition::OneOf(_)) => PutOutcome::Missing,
        (None, Precondition::None | Precondition::Absent) => {
            return Decision::Write {
                current_version: None,
            };
        }
        // A retried request whose effect is already there succeeds, whatever it asserted.
        (Some(current), _) if current.holds(fields) => PutOutcome::Unchanged(current),
        (Some(_), Precondition::None) => PutOutcome::PreconditionRequired,
        (Some(current), Precondition::Absent) => PutOutcome::Stale(current),
        (Some(current), Precondition::OneOf(tags)) if !tags.contains(&current.etag) => {
            PutOutcome::Stale(current)
        }
        (Some(current), Precondition::Exists | Precondition::OneOf(_)) => {
            return Decision::Write {
                current_version: Some(current.version),
            };
        }
    };
    Decision::Answer(outcome)
}

/// Inserts (`replaces: None`) or updates the row at version `replaces` to `profile`.
async fn write(
    tx: &mut sqlx::SqliteConnection,
    user: UserId,
    profile: &ProfileWire,
    replaces: Option<i64>,
) -> Result<(), sqlx::Error> {
    let sql = match replaces {
        None => {
            "INSERT INTO profiles (user_id, name, photo_url, version, updated_at, etag) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
        }
        Some(_) => {
            "UPDATE profiles SET name = ?2, photo_url = ?3, version = ?4, updated_at = ?5, \
             etag = ?6 WHERE user_id = ?1 AND version = ?7"
        }
    };
    let query = sqlx::query(sql)
        .bind(user.0)
        .bind(&profile.name)
        .bind(&profile.photo_url)
        .bind(profile.version)
        .bind(profile.updated_at)
        .bind(&profile.etag);
    let query = match replaces {
        Some(version) => query.bind(version),
        None => query,
    };
    query.execute(tx).await?;
    Ok(())
}
