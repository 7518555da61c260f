//! The server's SQLite store: one profile row and its version.

use crate::data::services::api_client::ProfileWire;
use crate::domain::Fields;
use chrono::Utc;
use sqlx::SqlitePool;
use std::path::Path;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/server");

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
            pool: crate::data::sqlite::open(path, &MIGRATOR).await?,
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
        let unchanged = |current: &ProfileWire| {
            current.name == fields.name && current.photo_url == fields.photo_url
        };
        let outcome = match (current, precondition) {
            (None, Precondition::Exists | Precondition::OneOf(_)) => PutOutcome::Missing,
            (None, Precondition::None | Precondition::Absent) => {
                let created = ProfileWire {
                    name: fields.name.clone(),
                    photo_url: fields.photo_url.clone(),
                    version: 1,
                    updated_at: Utc::now(),
                };
                sqlx::query(
                    "INSERT INTO profile (id, name, photo_url, version, updated_at) \
                     VALUES (1, ?1, ?2, ?3, ?4)",
                )
                .bind(&created.name)
                .bind(&created.photo_url)
                .bind(created.version)
                .bind(created.updated_at)
                .execute(&mut *tx)
                .await?;
                PutOutcome::Created(created)
            }
            // A retried request whose effect is already there succeeds, whatever it asserted.
            (Some(current), _) if unchanged(&current) => PutOutcome::Unchanged(current),
            (Some(_), Precondition::None) => PutOutcome::PreconditionRequired,
            (Some(current), Precondition::Absent) => PutOutcome::Stale(current),
            (Some(current), Precondition::OneOf(versions))
                if !versions.contains(&current.version) =>
            {
                PutOutcome::Stale(current)
            }
            (Some(current), Precondition::Exists | Precondition::OneOf(_)) => {
                let updated = ProfileWire {
                    name: fields.name.clone(),
                    photo_url: fields.photo_url.clone(),
                    version: current.version + 1,
                    updated_at: Utc::now(),
                };
                sqlx::query(
                    "UPDATE profile SET name = ?1, photo_url = ?2, version = ?3, updated_at = ?4 \
                     WHERE id = 1 AND version = ?5",
                )
                .bind(&updated.name)
                .bind(&updated.photo_url)
                .bind(updated.version)
                .bind(updated.updated_at)
                .bind(current.version)
                .execute(&mut *tx)
                .await?;
                PutOutcome::Updated(updated)
            }
        };
        tx.commit().await?;
        Ok(outcome)
    }
}
