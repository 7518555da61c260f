//! The server's SQLite store: one profile row and its version.

use chrono::Utc;
use profile_protocol::{Fields, ProfileWire};
use sqlx::SqlitePool;
use std::path::Path;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/server");

#[derive(Debug, thiserror::Error)]
#[error("server database: {0}")]
pub struct StoreError(#[from] sqlx::Error);

/// What the client asserted about the current version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    /// No `If-Match` / `If-None-Match` header.
    None,
    /// `If-None-Match: *`.
    Absent,
    /// `If-Match: *`.
    Exists,
    /// `If-Match` with these versions.
    OneOf(Vec<i64>),
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
    pool: SqlitePool,
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
}

impl From<Row> for ProfileWire {
    fn from(row: Row) -> Self {
        ProfileWire {
            name: row.name,
            photo_url: row.photo_url,
            version: row.version,
            updated_at: row.updated_at,
        }
    }
}

const SELECT: &str = "SELECT name, photo_url, version, updated_at FROM profile WHERE id = 1";

impl Store {
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        Ok(Self {
            pool: profile_sqlite::open(path, &MIGRATOR).await?,
            writer: Default::default(),
        })
    }

    pub async fn get(&self) -> Result<Option<ProfileWire>, StoreError> {
        Ok(sqlx::query_as::<_, Row>(SELECT)
            .fetch_optional(&self.pool)
            .await?
            .map(Into::into))
    }

    /// Stores `fields` as the first profile when there is none yet; returns whether it did.
    pub async fn seed(&self, fields: &Fields) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO profile (id, name, photo_url, version, updated_at) \
             VALUES (1, ?1, ?2, 1, ?3) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&fields.name)
        .bind(&fields.photo_url)
        .bind(Utc::now())
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
        let _writer = self.writer.lock().await;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let current: Option<ProfileWire> = sqlx::query_as::<_, Row>(SELECT)
            .fetch_optional(&mut *tx)
            .await?
            .map(Into::into);
        let outcome = match decide(current, fields, precondition) {
            Decision::Answer(outcome) => outcome,
            Decision::Write { current_version } => {
                let written = ProfileWire {
                    name: fields.name.clone(),
                    photo_url: fields.photo_url.clone(),
                    version: current_version.map_or(1, |version| version + 1),
                    updated_at: Utc::now(),
                };
                write(&mut tx, &written, current_version).await?;
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
        (Some(current), Precondition::OneOf(versions)) if !versions.contains(&current.version) => {
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
    profile: &ProfileWire,
    replaces: Option<i64>,
) -> Result<(), sqlx::Error> {
    let query = match replaces {
        None => sqlx::query(
            "INSERT INTO profile (id, name, photo_url, version, updated_at) \
             VALUES (1, ?1, ?2, ?3, ?4)",
        ),
        Some(version) => sqlx::query(
            "UPDATE profile SET name = ?2, photo_url = ?3, version = ?4, updated_at = ?5 \
             WHERE id = 1 AND version = ?1",
        )
        .bind(version),
    };
    query
        .bind(&profile.name)
        .bind(&profile.photo_url)
        .bind(profile.version)
        .bind(profile.updated_at)
        .execute(tx)
        .await?;
    Ok(())
}
