//! DatabaseService: the app's local SQLite cache of the profile.
//!
//! Every write is one `BEGIN IMMEDIATE` transaction, so a reported save is durable
//! (`synchronous=FULL`, WAL) and a crash leaves either the old or the new row, never half of one.
//! It knows nothing of the network: it stores what the repository hands it.

use crate::domain::{Conflict, Field, Fields, ServerProfile, SyncAttempt, UserProfile};
use chrono::{DateTime, Utc};
use sqlx::{FromRow, SqliteConnection, SqlitePool};
use std::path::{Path, PathBuf};
use std::sync::Arc;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/client");

#[derive(Debug, Clone, thiserror::Error)]
#[error("local database {path}: {source}")]
pub struct DatabaseError {
    path: Arc<PathBuf>,
    #[source]
    source: Arc<sqlx::Error>,
}

impl DatabaseError {
    /// `true` when the file is not a usable SQLite database (as opposed to a busy or full disk).
    pub fn is_corrupt(&self) -> bool {
        // SQLITE_CORRUPT (11) and SQLITE_NOTADB (26), with their extended codes.
        match self.source.as_database_error().and_then(|e| e.code()) {
            Some(code) => code
                .parse::<i32>()
                .is_ok_and(|code| matches!(code & 0xff, 11 | 26)),
            None => {
                let text = self.source.to_string();
                text.contains("file is not a database") || text.contains("malformed")
            }
        }
    }
}

/// The profile row as SQLite stores it; it never leaves this module.
#[derive(Debug, Clone, FromRow)]
struct ProfileRow {
    name: String,
    photo_url: String,
    synchronized: bool,
    revision: i64,
    base_version: Option<i64>,
    base_name: Option<String>,
    base_photo_url: Option<String>,
    base_updated_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
    synced_at: Option<DateTime<Utc>>,
    conflict_version: Option<i64>,
    conflict_name: Option<String>,
    conflict_photo_url: Option<String>,
    conflict_updated_at: Option<DateTime<Utc>>,
    conflict_fields: Option<String>,
    base_etag: Option<String>,
    base_store: Option<String>,
    base_server: Option<String>,
    conflict_etag: Option<String>,
    conflict_store: Option<String>,
    conflict_server: Option<String>,
}

impl From<ProfileRow> for UserProfile {
    fn from(row: ProfileRow) -> Self {
        // A copy recorded before states had tags has no tag, store or URL: it names no state,
        // so the next sync compares contents.
        let server = |version: Option<i64>,
                      name: Option<String>,
                      photo_url: Option<String>,
                      updated_at: Option<DateTime<Utc>>,
                      [etag, store, server]: [Option<String>; 3]| {
            Some(ServerProfile {
                fields: Fields::new(name?, photo_url?),
                version: version?,
                updated_at: updated_at?,
                etag: etag.unwrap_or_default(),
                store: store.unwrap_or_default(),
                server: server.unwrap_or_default(),
            })
        };
        let base = server(
            row.base_version,
            row.base_name,
            row.base_photo_url,
            row.base_updated_at,
            [row.base_etag, row.base_store, row.base_server],
        );
        let conflict = server(
            row.conflict_version,
            row.conflict_name,
            row.conflict_photo_url,
            row.conflict_updated_at,
            [row.conflict_etag, row.conflict_store, row.conflict_server],
        )
        .map(|theirs| Conflict {
            theirs,
            fields: row
                .conflict_fields
                .as_deref()
                .unwrap_or_default()
                .split(',')
                .filter_map(Field::from_key)
                .collect(),
        });
        UserProfile {
            fields: Fields::new(row.name, row.photo_url),
            synchronized: row.synchronized,
            revision: row.revision,
            base,
            updated_at: row.updated_at,
            synced_at: row.synced_at,
            conflict,
        }
    }
}

/// The outcome of the last sync attempt as SQLite stores it.
#[derive(Debug, Clone, FromRow)]
struct SyncAttemptRow {
    at: DateTime<Utc>,
    ok: bool,
    message: String,
}

/// A push sent since the server last answered (see `migrations/client/0002_in_flight.sql`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InFlight {
    pub fields: Fields,
    /// The version of the state it was based on (0: a create).
    pub base_version: i64,
    /// The store that state came from ("": a create, or recorded before stores were known).
    pub base_store: String,
}

impl InFlight {
    /// `true` when `theirs` is the state this push would have made: the same fields, later
    /// than its base in the same store (versions count within one store only).
    pub fn landed_as(&self, theirs: &ServerProfile) -> bool {
        self.fields == theirs.fields
            && (self.base_store.is_empty() || self.base_store == theirs.store)
            && theirs.version > self.base_version
    }
}

#[derive(Debug, Clone)]
pub struct DatabaseService {
    pool: SqlitePool,
    path: Arc<PathBuf>,
}

/// The columns of [`ProfileRow`], for `SELECT` and `RETURNING`.
macro_rules! profile_columns {
    () => {
        "name, photo_url, synchronized, revision, base_version, base_name, base_photo_url, \
         base_updated_at, updated_at, synced_at, conflict_version, conflict_name, \
         conflict_photo_url, conflict_updated_at, conflict_fields, base_etag, base_store, \
         base_server, conflict_etag, conflict_store, conflict_server"
    };
}

/// The assignments that drop a recorded conflict, for `UPDATE profile SET ...`.
macro_rules! clear_conflict {
    () => {
        "conflict_version = NULL, conflict_name = NULL, conflict_photo_url = NULL, \
         conflict_updated_at = NULL, conflict_fields = NULL, conflict_etag = NULL, \
         conflict_store = NULL, conflict_server = NULL"
    };
}

const SELECT_PROFILE: &str = concat!("SELECT ", profile_columns!(), " FROM profile WHERE id = 1");

impl DatabaseService {
    /// Opens (or creates) the cache at `path` and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Self, DatabaseError> {
        let path = Arc::new(path.to_path_buf());
        let pool = profile_sqlite::open(&path, &MIGRATOR)
            .await
            .map_err(|source| DatabaseError {
                path: path.clone(),
                source: Arc::new(source),
            })?;
        Ok(Self { pool, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn error(&self, source: sqlx::Error) -> DatabaseError {
        DatabaseError {
            path: self.path.clone(),
            source: Arc::new(source),
        }
    }

    /// The cached profile, if there is one.
    pub async fn load_profile(&self) -> Result<Option<UserProfile>, DatabaseError> {
        self.read(sqlx::query_as::<_, ProfileRow>(SELECT_PROFILE).fetch_optional(&self.pool))
            .await
            .map(|row| row.map(UserProfile::from))
    }

    /// Commits a local edit: new fields, `synchronized = 0`, revision + 1. Returns the new row.
    pub async fn save_local_edit(
        &self,
        fields: &Fields,
        now: DateTime<Utc>,
    ) -> Result<UserProfile, DatabaseError> {
        self.write(async |tx| {
            let row = sqlx::query_as::<_, ProfileRow>(concat!(
                "INSERT INTO profile (id, name, photo_url, synchronized, revision, updated_at) \
                 VALUES (1, ?1, ?2, 0, 1, ?3) \
                 ON CONFLICT (id) DO UPDATE SET name = ?1, photo_url = ?2, synchronized = 0, \
                 revision = revision + 1, updated_at = ?3 RETURNING ",
                profile_columns!()
            ))
            .bind(&fields.name)
            .bind(&fields.photo_url)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            Ok(UserProfile::from(row))
        })
        .await
    }

    /// Records that the server accepted the local state at `sent_revision` as `server`.
    ///
    /// A compare-and-set on the revision: if an edit was made while the request was in flight,
    /// the row stays unsynchronized (the edit is kept) and is only rebased onto `server`, whose
    /// content is exactly what that edit was made on top of. Returns whether the row is now
    /// synchronized.
    pub async fn mark_synced(
        &self,
        sent_revision: i64,
        server: &ServerProfile,
        now: DateTime<Utc>,
    ) -> Result<bool, DatabaseError> {
        self.write(async |tx| {
            let synced = sqlx::query(concat!(
                "UPDATE profile SET synchronized = 1, name = ?2, photo_url = ?3, \
                 base_name = ?2, base_photo_url = ?3, base_version = ?4, base_updated_at = ?5, \
                 base_etag = ?6, base_store = ?7, base_server = ?8, synced_at = ?9, ",
                clear_conflict!(),
                " WHERE id = 1 AND revision = ?1"
            ))
            .bind(sent_revision);
            let synced = bind_server(synced, server)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
            clear_in_flight(tx).await?;
            if !synced {
                let rebased = sqlx::query(
                    "UPDATE profile SET base_name = ?1, base_photo_url = ?2, base_version = ?3, \
                     base_updated_at = ?4, base_etag = ?5, base_store = ?6, base_server = ?7, \
                     synced_at = ?8 WHERE id = 1",
                );
                bind_server(rebased, server)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            Ok(synced)
        })
        .await
    }

    /// Remembers what is about to be pushed (on top of `base_version`, `None` for a create), so
    /// a lost answer can be recognised later. Kept, with any earlier unanswered pushes, until an
    /// answer is recorded.
    pub async fn record_sent(
        &self,
        fields: &Fields,
        base: Option<&ServerProfile>,
    ) -> Result<(), DatabaseError> {
        self.write(async |tx| {
            sqlx::query(
                "INSERT INTO in_flight (name, photo_url, base_version, base_store) \
                 SELECT ?1, ?2, ?3, ?4 WHERE NOT EXISTS (SELECT 1 FROM in_flight \
                 WHERE name = ?1 AND photo_url = ?2 AND base_version = ?3 AND base_store = ?4)",
            )
            .bind(&fields.name)
            .bind(&fields.photo_url)
            .bind(base.map_or(0, |base| base.version))
            .bind(base.map_or("", |base| base.store.as_str()))
            .execute(&mut *tx)
            .await?;
            // Bounded: only pushes in a row that all lost their answer accumulate.
            sqlx::query(
                "DELETE FROM in_flight WHERE id NOT IN \
                 (SELECT id FROM in_flight ORDER BY id DESC LIMIT 32)",
            )
            .execute(&mut *tx)
            .await?;
            Ok(())
        })
        .await
    }

    /// The pushes sent since the server last answered.
    pub async fn in_flight(&self) -> Result<Vec<InFlight>, DatabaseError> {
        self.read(async {
            let rows: Vec<(String, String, i64, String)> = sqlx::query_as(
                "SELECT name, photo_url, base_version, base_store FROM in_flight ORDER BY id",
            )
            .fetch_all(&self.pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(|(name, photo_url, base_version, base_store)| InFlight {
                    fields: Fields { name, photo_url },
                    base_version,
                    base_store,
                })
                .collect())
        })
        .await
    }

    /// Stores a copy fetched from the server as synchronized, unless the local copy holds an
    /// edit that is not yet synced, or already knows a later state of the same store (versions
    /// are compared only within one store). Returns whether the copy was stored.
    pub async fn store_server_copy(
        &self,
        server: &ServerProfile,
        now: DateTime<Utc>,
    ) -> Result<bool, DatabaseError> {
        self.write(async |tx| {
            let stored = sqlx::query(
                "INSERT INTO profile (id, name, photo_url, synchronized, revision, base_version, \
                 base_name, base_photo_url, base_updated_at, base_etag, base_store, base_server, \
                 updated_at, synced_at) \
                 VALUES (1, ?1, ?2, 1, 0, ?3, ?1, ?2, ?4, ?5, ?6, ?7, ?4, ?8) \
                 ON CONFLICT (id) DO UPDATE SET name = ?1, photo_url = ?2, synchronized = 1, \
                 base_version = ?3, base_name = ?1, base_photo_url = ?2, base_updated_at = ?4, \
                 base_etag = ?5, base_store = ?6, base_server = ?7, updated_at = ?4, synced_at = ?8 \
                 WHERE synchronized = 1 AND conflict_version IS NULL \
                 AND (base_store IS NULL OR base_store <> ?6 OR base_version <= ?3)",
            );
            let stored = bind_server(stored, server)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            Ok(stored == 1)
        })
        .await
    }

    /// Confirms that the server still holds the state tagged `etag` (a 304): only the sync time
    /// moves.
    pub async fn touch_synced(&self, etag: &str, now: DateTime<Utc>) -> Result<(), DatabaseError> {
        self.write(async |tx| {
            sqlx::query(
                "UPDATE profile SET synced_at = ?2 WHERE id = 1 AND synchronized = 1 \
                 AND base_etag = ?1",
            )
            .bind(etag)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            Ok(())
        })
        .await
    }

    /// Replaces the local copy at `expected_revision` with `fields` rebased on `server` (after a
    /// merge or a resolved conflict), clearing any conflict; the row is synchronized exactly when
    /// `fields` equal the server's. Returns `false` when an edit was made meanwhile.
    pub async fn rebase(
        &self,
        expected_revision: i64,
        fields: &Fields,
        server: &ServerProfile,
        now: DateTime<Utc>,
    ) -> Result<bool, DatabaseError> {
        let synchronized = *fields == server.fields;
        self.write(async |tx| {
            let done = sqlx::query(concat!(
                "UPDATE profile SET name = ?2, photo_url = ?3, synchronized = ?4, \
                 revision = revision + 1, base_name = ?5, base_photo_url = ?6, \
                 base_version = ?7, base_updated_at = ?8, base_etag = ?9, base_store = ?10, \
                 base_server = ?11, updated_at = ?12, \
                 synced_at = CASE WHEN ?4 THEN ?12 ELSE synced_at END, ",
                clear_conflict!(),
                " WHERE id = 1 AND revision = ?1"
            ))
            .bind(expected_revision)
            .bind(&fields.name)
            .bind(&fields.photo_url)
            .bind(synchronized);
            let done = bind_server(done, server)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if done == 1 {
                clear_in_flight(tx).await?;
            }
            Ok(done == 1)
        })
        .await
    }

    /// Records a conflict against `theirs`: the local copy becomes `mine` (the merge, with the
    /// local value in each conflicting field) and stays unsynchronized until the user decides.
    /// Returns `false` when an edit was made meanwhile.
    pub async fn record_conflict(
        &self,
        expected_revision: i64,
        mine: &Fields,
        theirs: &ServerProfile,
        fields: &[Field],
    ) -> Result<bool, DatabaseError> {
        let fields = fields
            .iter()
            .map(|field| field.as_str())
            .collect::<Vec<_>>()
            .join(",");
        self.write(async |tx| {
            let done = sqlx::query(
                "UPDATE profile SET name = ?2, photo_url = ?3, synchronized = 0, \
                 revision = revision + 1, conflict_name = ?4, conflict_photo_url = ?5, \
                 conflict_version = ?6, conflict_updated_at = ?7, conflict_etag = ?8, \
                 conflict_store = ?9, conflict_server = ?10, conflict_fields = ?11 \
                 WHERE id = 1 AND revision = ?1",
            )
            .bind(expected_revision)
            .bind(&mine.name)
            .bind(&mine.photo_url);
            let done = bind_server(done, theirs)
                .bind(&fields)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            Ok(done == 1)
        })
        .await
    }

    /// Makes the local copy a fresh, never-synced edit (the server lost its copy): it will be
    /// created again with `If-None-Match: *`.
    pub async fn forget_base(&self, expected_revision: i64) -> Result<bool, DatabaseError> {
        self.write(async |tx| {
            let done = sqlx::query(
                "UPDATE profile SET synchronized = 0, revision = revision + 1, \
                 base_version = NULL, base_name = NULL, base_photo_url = NULL, \
                 base_updated_at = NULL, base_etag = NULL, base_store = NULL, base_server = NULL \
                 WHERE id = 1 AND revision = ?1",
            )
            .bind(expected_revision)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            Ok(done == 1)
        })
        .await
    }

    /// The stored thumbnail for `url`, if any.
    pub async fn load_avatar(&self, url: &str) -> Result<Option<Vec<u8>>, DatabaseError> {
        self.read(async {
            sqlx::query_scalar::<_, Vec<u8>>("SELECT png FROM avatar WHERE url = ?1")
                .bind(url)
                .fetch_optional(&self.pool)
                .await
        })
        .await
    }

    /// Keeps `png` as the thumbnail for `url`, replacing any other (only the current photo is
    /// kept).
    pub async fn store_avatar(
        &self,
        url: &str,
        png: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), DatabaseError> {
        self.write(async |tx| {
            sqlx::query("DELETE FROM avatar WHERE url <> ?1")
                .bind(url)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO avatar (url, png, fetched_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (url) DO UPDATE SET png = ?2, fetched_at = ?3",
            )
            .bind(url)
            .bind(png)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            Ok(())
        })
        .await
    }

    pub async fn record_sync_attempt(&self, attempt: &SyncAttempt) -> Result<(), DatabaseError> {
        self.write(async |tx| {
            sqlx::query(
                "INSERT INTO sync_attempt (id, at, ok, message) VALUES (1, ?1, ?2, ?3) \
                     ON CONFLICT (id) DO UPDATE SET at = ?1, ok = ?2, message = ?3",
            )
            .bind(attempt.at)
            .bind(attempt.ok)
            .bind(&attempt.message)
            .execute(&mut *tx)
            .await?;
            Ok(())
        })
        .await
    }

    pub async fn last_sync_attempt(&self) -> Result<Option<SyncAttempt>, DatabaseError> {
        let row = self
            .read(
                sqlx::query_as::<_, SyncAttemptRow>(
                    "SELECT at, ok, message FROM sync_attempt WHERE id = 1",
                )
                .fetch_optional(&self.pool),
            )
            .await?;
        Ok(row.map(|row| SyncAttempt {
            at: row.at,
            ok: row.ok,
            message: row.message,
        }))
    }

    /// Runs `work` in one `BEGIN IMMEDIATE` transaction and commits it; an error rolls it back.
    /// Taking the write lock up front means two writers never deadlock on a lock upgrade. The
    /// error names the file.
    async fn write<T>(
        &self,
        work: impl AsyncFnOnce(&mut SqliteConnection) -> Result<T, sqlx::Error>,
    ) -> Result<T, DatabaseError> {
        let result = async {
            let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
            let value = work(&mut tx).await?;
            tx.commit().await?;
            Ok(value)
        }
        .await;
        result.map_err(|e| self.error(e))
    }

    /// Runs a read and names the file in its error.
    async fn read<T>(
        &self,
        work: impl Future<Output = Result<T, sqlx::Error>>,
    ) -> Result<T, DatabaseError> {
        work.await.map_err(|e| self.error(e))
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

type SqliteQuery<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>;

/// Binds a server copy as the next seven parameters: name, photo URL, version, time, tag,
/// store and server URL.
fn bind_server<'q>(query: SqliteQuery<'q>, server: &'q ServerProfile) -> SqliteQuery<'q> {
    query
        .bind(&server.fields.name)
        .bind(&server.fields.photo_url)
        .bind(server.version)
        .bind(server.updated_at)
        .bind(&server.etag)
        .bind(&server.store)
        .bind(&server.server)
}

/// Forgets the unanswered pushes: called in the transaction that records an answer.
async fn clear_in_flight(tx: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM in_flight").execute(tx).await?;
    Ok(())
}
