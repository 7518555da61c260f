//! DatabaseService: the app's local SQLite cache of the profile.
//!
//! Every write is one `BEGIN IMMEDIATE` transaction, so a reported save is durable
//! (`synchronous=FULL`, WAL) and a crash leaves either the old or the new row, never half of one.
//! It knows nothing of the network: it stores what the repository hands it.
//!
//! Only this crate writes: every write is `pub(crate)`, so outside it (the app, the CLI, the
//! tests) a `DatabaseService` is a read-only view, and the repository stays the only writer of
//! profile data — by the compiler, not by convention.

use crate::domain::{
    Conflict, Etag, Field, Fields, ServerProfile, StoreId, SyncAttempt, UserProfile,
};
use crate::photo::Photo;
use chrono::{DateTime, Utc};
use profile_protocol::{PhotoId, PhotoRef};
pub use profile_sqlite::StorageProblem;
use sqlx::sqlite::SqliteRow;
use sqlx::{FromRow, Row, SqliteConnection, SqlitePool};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/client");

/// The eight columns that hold one server copy, named after its role: `base_*` (the last server
/// copy the local one was synced with) or `conflict_*` (the copy a conflict is shown against).
/// The one list of them, in the order [`CopyParams`] binds them as `?1` to `?8`:
/// - `columns "<role>"`: their names, to read them;
/// - `list "<role>"`: their names, comma-separated, for an `INSERT`;
/// - `params`: `?1, ..., ?8`, the copy's values in the same order;
/// - `set "<role>"`: `<role>_name = ?1, ...`, to write the copy;
/// - `clear "<role>"`: `<role>_name = NULL, ...`, to empty them.
macro_rules! copy_sql {
    (@ columns $role:literal [$($column:ident $n:literal),*]) => {
        [$(concat!($role, "_", stringify!($column))),*]
    };
    (@ list $role:literal [$first:ident $n1:literal $(, $column:ident $n:literal)*]) => {
        concat!($role, "_", stringify!($first) $(, ", ", $role, "_", stringify!($column))*)
    };
    (@ params [$first:ident $n1:literal $(, $column:ident $n:literal)*]) => {
        concat!("?", $n1 $(, ", ?", $n)*)
    };
    (@ set $role:literal [$first:ident $n1:literal $(, $column:ident $n:literal)*]) => {
        concat!(
            $role, "_", stringify!($first), " = ?", $n1
            $(, ", ", $role, "_", stringify!($column), " = ?", $n)*
        )
    };
    (@ clear $role:literal [$first:ident $n1:literal $(, $column:ident $n:literal)*]) => {
        concat!(
            $role, "_", stringify!($first), " = NULL"
            $(, ", ", $role, "_", stringify!($column), " = NULL")*
        )
    };
    ($mode:ident $($role:literal)?) => {
        copy_sql!(@ $mode $($role)? [
            name 1, photo_url 2, version 3, updated_at 4, etag 5, store 6, server 7, photo 8
        ])
    };
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("local database {path}: {source}")]
pub struct DatabaseError {
    path: Arc<PathBuf>,
    #[source]
    source: Arc<sqlx::Error>,
}

impl DatabaseError {
    /// The file this error is about.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the disk under the cache is full or takes no writes (rather than anything
    /// else): said to the user in plain words, since freeing room (not retrying) fixes it.
    pub fn storage_problem(&self) -> Option<StorageProblem> {
        profile_sqlite::storage_problem(&*self.source, &self.path)
    }

    /// `true` when the file is not a usable SQLite database (as opposed to a busy or full disk).
    pub fn is_corrupt(&self) -> bool {
        // SQLite's code may sit under other errors (a migration that failed on the file), so the
        // whole chain is searched. The code is the extended one; its low byte is the primary
        // code: SQLITE_CORRUPT (11) or SQLITE_NOTADB (26).
        let first: &(dyn std::error::Error + 'static) = &*self.source;
        std::iter::successors(Some(first), |error| error.source())
            .filter_map(|error| {
                error
                    .downcast_ref::<sqlx::Error>()?
                    .as_database_error()?
                    .code()
            })
            .any(|code| {
                code.parse::<i32>()
                    .is_ok_and(|code| matches!(code & 0xff, 11 | 26))
            })
    }
}

/// The profile row as SQLite stores it; it never leaves this module. Read by column name, so
/// `SELECT *` and `RETURNING *` fill it.
#[derive(Debug, Clone)]
struct ProfileRow {
    name: String,
    photo_url: String,
    photo: Option<PhotoRef>,
    synchronized: bool,
    revision: i64,
    updated_at: DateTime<Utc>,
    synced_at: Option<DateTime<Utc>>,
    base: CopyRow,
    conflict: CopyRow,
    conflict_fields: Option<String>,
}

impl FromRow<'_, SqliteRow> for ProfileRow {
    fn from_row(row: &SqliteRow) -> Result<Self, sqlx::Error> {
        Ok(ProfileRow {
            name: row.try_get("name")?,
            photo_url: row.try_get("photo_url")?,
            photo: photo_from_column(row.try_get("photo")?)?,
            synchronized: row.try_get("synchronized")?,
            revision: row.try_get("revision")?,
            updated_at: row.try_get("updated_at")?,
            synced_at: row.try_get("synced_at")?,
            base: CopyRow::read(row, copy_sql!(columns "base"))?,
            conflict: CopyRow::read(row, copy_sql!(columns "conflict"))?,
            conflict_fields: row.try_get("conflict_fields")?,
        })
    }
}

/// The columns of one server copy as read: all NULL when they hold none.
#[derive(Debug, Clone)]
struct CopyRow {
    name: Option<String>,
    photo_url: Option<String>,
    version: Option<i64>,
    updated_at: Option<DateTime<Utc>>,
    etag: Option<String>,
    store: Option<String>,
    server: Option<String>,
    /// NULL also in a copy that has no photo.
    photo: Option<PhotoRef>,
}

impl CopyRow {
    /// Reads the copy in `columns` (one role's, from `copy_sql!(columns ...)`).
    fn read(row: &SqliteRow, columns: [&str; 8]) -> Result<Self, sqlx::Error> {
        let [
            name,
            photo_url,
            version,
            updated_at,
            etag,
            store,
            server,
            photo,
        ] = columns;
        Ok(CopyRow {
            name: row.try_get(name)?,
            photo_url: row.try_get(photo_url)?,
            version: row.try_get(version)?,
            updated_at: row.try_get(updated_at)?,
            etag: row.try_get(etag)?,
            store: row.try_get(store)?,
            server: row.try_get(server)?,
            photo: photo_from_column(row.try_get(photo)?)?,
        })
    }

    /// The copy, if the columns hold one. A copy recorded before states had tags has no tag,
    /// store or URL (NULL, or '' as an unknown one is stored): it names no state, so the next
    /// sync compares contents.
    fn into_copy(self) -> Option<ServerProfile> {
        Some(ServerProfile {
            fields: Fields::new(self.name?, self.photo_url?).with_photo(self.photo),
            version: self.version?,
            updated_at: self.updated_at?,
            etag: self.etag.and_then(Etag::new),
            store: self.store.and_then(StoreId::new),
            server: self.server.unwrap_or_default(),
        })
    }
}

impl From<ProfileRow> for UserProfile {
    fn from(row: ProfileRow) -> Self {
        let conflict = row.conflict.into_copy().map(|theirs| Conflict {
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
            fields: Fields::new(row.name, row.photo_url).with_photo(row.photo),
            synchronized: row.synchronized,
            revision: row.revision,
            base: row.base.into_copy(),
            updated_at: row.updated_at,
            synced_at: row.synced_at,
            conflict,
        }
    }
}

/// A server copy to write into the columns of one role: the base (`base_*`) or a conflict's
/// server copy (`conflict_*`). A statement that writes one starts from it, so the copy is always
/// `?1` to `?8` (see `copy_sql!`) and the statement's own parameters follow from `?9`. An
/// unknown tag or store is written as '', which reads back as unknown.
struct CopyParams<'a>(&'a ServerProfile);

impl<'a> CopyParams<'a> {
    /// `sql` with the copy bound as its first eight parameters.
    fn query(self, sql: &'static str) -> SqliteQuery<'a> {
        let copy = self.0;
        sqlx::query(sql)
            .bind(&copy.fields.name)
            .bind(&copy.fields.photo_url)
            .bind(copy.version)
            .bind(copy.updated_at)
            .bind(copy.etag.as_ref().map_or("", Etag::as_str))
            .bind(copy.store.as_ref().map_or("", StoreId::as_str))
            .bind(&copy.server)
            .bind(photo_column(copy.fields.photo.as_ref()))
    }
}

/// A photo reference as the `photo` columns hold it: JSON, or NULL for none.
fn photo_column(photo: Option<&PhotoRef>) -> Option<String> {
    photo.map(|photo| serde_json::to_string(photo).expect("a reference serialises"))
}

/// A `photo` column read back.
fn photo_from_column(json: Option<String>) -> Result<Option<PhotoRef>, sqlx::Error> {
    json.map(|json| serde_json::from_str(&json).map_err(|e| sqlx::Error::Decode(Box::new(e))))
        .transpose()
}

/// What a local edit does to the photo.
#[derive(Debug, Clone, Copy)]
pub enum PhotoEdit<'a> {
    /// Leaves it as it is.
    Keep,
    /// Makes this the photo, storing its bytes in the same transaction.
    Set(&'a Photo),
    /// No photo.
    Remove,
}

/// A photo in the cache, with whether the server is known to hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedPhoto {
    pub jpeg: Vec<u8>,
    pub uploaded: bool,
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
    /// The state it was made on; `None` for a create.
    pub base: Option<SentOn>,
}

/// The server state an unanswered push was made on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentOn {
    pub version: i64,
    /// The store that state came from (`None` when it was recorded before stores were known).
    pub store: Option<StoreId>,
}

impl InFlight {
    /// `true` when `theirs` is the state this push would have made: the same fields, later
    /// than its base in the same store (versions count within one store only).
    pub fn landed_as(&self, theirs: &ServerProfile) -> bool {
        self.fields == theirs.fields
            && self.base.as_ref().is_none_or(|base| {
                base.store
                    .as_ref()
                    .is_none_or(|store| theirs.store.as_ref() == Some(store))
                    && theirs.version > base.version
            })
    }
}

#[derive(Debug, Clone)]
pub struct DatabaseService {
    /// The connections; replaced once when a cache opened for reading only on a full disk can
    /// be written again.
    pool: Arc<RwLock<Pool>>,
    path: Arc<PathBuf>,
    /// Taken by every write of this process before SQLite's write lock, so our own writers
    /// queue here in order instead of meeting in SQLite's busy handler, which sleeps (1 ms and
    /// up) between tries.
    writer: Arc<tokio::sync::Mutex<()>>,
}

/// The assignments that drop a recorded conflict, for `UPDATE profile SET ...`.
macro_rules! clear_conflict {
    () => {
        concat!(copy_sql!(clear "conflict"), ", conflict_fields = NULL")
    };
}

impl DatabaseService {
    /// Opens (or creates) the cache at `path` and brings its schema up to date.
    ///
    /// On a disk that is full or takes no writes, the cache is still opened for reading where
    /// that is safe (see [`profile_sqlite::open_read_only`]): the profile can be shown, and each
    /// write first tries to open it for writing again, so it works once there is room.
    pub async fn open(path: &Path) -> Result<Self, DatabaseError> {
        let path = Arc::new(path.to_path_buf());
        let pool = match profile_sqlite::open(&path, &MIGRATOR).await {
            Ok(pool) => Pool::Writable(pool),
            Err(source) => {
                let error = DatabaseError {
                    path: path.clone(),
                    source: Arc::new(source),
                };
                let Some(problem) = error.storage_problem() else {
                    return Err(error);
                };
                let Some(pool) = profile_sqlite::open_read_only(&path, &MIGRATOR).await else {
                    return Err(error);
                };
                tracing::warn!(%error, "the cache is opened for reading only");
                Pool::ReadOnly(pool, problem)
            }
        };
        Ok(Self {
            pool: Arc::new(RwLock::new(pool)),
            path,
            writer: Arc::default(),
        })
    }

    /// Whether a change could be written now: `Err` says why not where the cache was opened
    /// for reading only (a full or read-only disk) and still cannot be opened for writing.
    pub async fn check_writable(&self) -> Result<(), DatabaseError> {
        let _turn = self.writer.lock().await;
        self.writable_pool()
            .await
            .map(drop)
            .map_err(|e| self.error(e))
    }

    /// The connections, for one statement or transaction.
    fn pool(&self) -> SqlitePool {
        match &*self
            .pool
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
        {
            Pool::Writable(pool) | Pool::ReadOnly(pool, _) => pool.clone(),
        }
    }

    /// The connections to write with: where the cache was opened for reading only, it is
    /// opened for writing again first (there may be room now), else the write is refused with
    /// the reason. Called with the writer's turn held.
    async fn writable_pool(&self) -> Result<SqlitePool, sqlx::Error> {
        let problem = match &*self
            .pool
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
        {
            Pool::Writable(pool) => return Ok(pool.clone()),
            Pool::ReadOnly(_, problem) => *problem,
        };
        match profile_sqlite::open(&self.path, &MIGRATOR).await {
            Ok(pool) => {
                let old = std::mem::replace(
                    &mut *self
                        .pool
                        .write()
                        .unwrap_or_else(|poisoned| poisoned.into_inner()),
                    Pool::Writable(pool.clone()),
                );
                if let Pool::ReadOnly(old, _) = old {
                    old.close().await;
                }
                tracing::info!("the cache can be written again");
                Ok(pool)
            }
            Err(error) if profile_sqlite::storage_problem(&error, &self.path).is_some() => {
                Err(error)
            }
            Err(_) => Err(sqlx::Error::Io(std::io::Error::from(problem.io_kind()))),
        }
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
        self.read(
            sqlx::query_as::<_, ProfileRow>("SELECT * FROM profile WHERE id = 1")
                .fetch_optional(&self.pool()),
        )
        .await
        .map(|row| row.map(UserProfile::from))
    }

    /// The cached profile once any commit under way (by any process) has finished: read with
    /// the write lock held, so it includes the commit whose log write was just noticed (a commit
    /// writes the log before it becomes visible). Writes nothing.
    pub(crate) async fn load_profile_after_writers(
        &self,
    ) -> Result<Option<UserProfile>, DatabaseError> {
        self.write(async |tx| {
            sqlx::query_as::<_, ProfileRow>("SELECT * FROM profile WHERE id = 1")
                .fetch_optional(&mut *tx)
                .await
        })
        .await
        .map(|row| row.map(UserProfile::from))
    }

    /// Commits a local edit: the name and photo URL of `fields`, the photo as `photo` says,
    /// `synchronized = 0`, revision + 1. Returns the new row. A photo set is stored in the same
    /// transaction that points the profile at it: after a crash there is either both or neither.
    pub(crate) async fn save_local_edit(
        &self,
        fields: &Fields,
        photo: PhotoEdit<'_>,
        now: DateTime<Utc>,
    ) -> Result<UserProfile, DatabaseError> {
        self.write(async |tx| {
            let sql = match photo {
                PhotoEdit::Keep => {
                    "INSERT INTO profile (id, name, photo_url, synchronized, revision, \
                     updated_at) VALUES (1, ?1, ?2, 0, 1, ?3) \
                     ON CONFLICT (id) DO UPDATE SET name = ?1, photo_url = ?2, synchronized = 0, \
                     revision = revision + 1, updated_at = ?3 RETURNING *"
                }
                PhotoEdit::Set(_) | PhotoEdit::Remove => {
                    "INSERT INTO profile (id, name, photo_url, photo, synchronized, revision, \
                     updated_at) VALUES (1, ?1, ?2, ?4, 0, 1, ?3) \
                     ON CONFLICT (id) DO UPDATE SET name = ?1, photo_url = ?2, photo = ?4, \
                     synchronized = 0, revision = revision + 1, updated_at = ?3 RETURNING *"
                }
            };
            let reference = keep_photo(tx, photo, now).await?;
            let mut query = sqlx::query_as::<_, ProfileRow>(sql)
                .bind(&fields.name)
                .bind(&fields.photo_url)
                .bind(now);
            if !matches!(photo, PhotoEdit::Keep) {
                query = query.bind(photo_column(reference.as_ref()));
            }
            let row = query.fetch_one(&mut *tx).await?;
            if !matches!(photo, PhotoEdit::Keep) {
                evict_photos(tx).await?;
            }
            Ok(UserProfile::from(row))
        })
        .await
    }

    /// Commits a local edit of the photo alone (the name and photo URL stay as saved). `None`
    /// when there is no profile yet to give a photo to.
    pub(crate) async fn save_photo_edit(
        &self,
        photo: PhotoEdit<'_>,
        now: DateTime<Utc>,
    ) -> Result<Option<UserProfile>, DatabaseError> {
        self.write(async |tx| {
            let exists = sqlx::query_scalar::<_, i64>("SELECT count(*) FROM profile WHERE id = 1")
                .fetch_one(&mut *tx)
                .await?
                == 1;
            if !exists {
                return Ok(None);
            }
            let reference = keep_photo(tx, photo, now).await?;
            let row = sqlx::query_as::<_, ProfileRow>(
                "UPDATE profile SET photo = ?1, synchronized = 0, revision = revision + 1, \
                 updated_at = ?2 WHERE id = 1 RETURNING *",
            )
            .bind(photo_column(reference.as_ref()))
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            evict_photos(tx).await?;
            Ok(Some(UserProfile::from(row)))
        })
        .await
    }

    /// Takes the photo `id`, which no one holds any more, out of the local copy at
    /// `expected_revision`. Returns `false` when an edit was made meanwhile.
    pub(crate) async fn drop_lost_photo(
        &self,
        expected_revision: i64,
        id: &PhotoId,
    ) -> Result<bool, DatabaseError> {
        self.write(async |tx| {
            let done = sqlx::query(
                "UPDATE profile SET photo = NULL, synchronized = 0, revision = revision + 1 \
                 WHERE id = 1 AND revision = ?1 AND json_extract(photo, '$.sha256') = ?2",
            )
            .bind(expected_revision)
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            Ok(done == 1)
        })
        .await
    }

    /// The photo `id` from the cache, if it holds it.
    pub async fn photo(&self, id: &PhotoId) -> Result<Option<CachedPhoto>, DatabaseError> {
        let row = self
            .read(
                sqlx::query_as::<_, (Vec<u8>, bool)>(
                    "SELECT jpeg, uploaded FROM photos WHERE sha256 = ?1",
                )
                .bind(id.as_str())
                .fetch_optional(&self.pool()),
            )
            .await?;
        Ok(row.map(|(jpeg, uploaded)| CachedPhoto { jpeg, uploaded }))
    }

    /// Whether the server is known to hold the photo `id` (`None`: the cache does not hold it).
    pub async fn photo_uploaded(&self, id: &PhotoId) -> Result<Option<bool>, DatabaseError> {
        self.read(
            sqlx::query_scalar::<_, bool>("SELECT uploaded FROM photos WHERE sha256 = ?1")
                .bind(id.as_str())
                .fetch_optional(&self.pool()),
        )
        .await
    }

    /// Records whether the server holds the photo `id`.
    pub(crate) async fn mark_photo_uploaded(
        &self,
        id: &PhotoId,
        uploaded: bool,
    ) -> Result<(), DatabaseError> {
        self.write(async |tx| {
            sqlx::query("UPDATE photos SET uploaded = ?2 WHERE sha256 = ?1")
                .bind(id.as_str())
                .bind(uploaded)
                .execute(&mut *tx)
                .await?;
            Ok(())
        })
        .await
    }

    /// Keeps a photo downloaded from the server (its bytes already checked against its name),
    /// unless nothing refers to it any more.
    pub(crate) async fn store_downloaded_photo(
        &self,
        photo: &PhotoRef,
        jpeg: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), DatabaseError> {
        self.write(async |tx| {
            sqlx::query(
                "INSERT INTO photos (sha256, jpeg, width, height, uploaded, stored_at) \
                 VALUES (?1, ?2, ?3, ?4, 1, ?5) \
                 ON CONFLICT (sha256) DO UPDATE SET uploaded = 1",
            )
            .bind(photo.sha256.as_str())
            .bind(jpeg)
            .bind(photo.width)
            .bind(photo.height)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            evict_photos(tx).await?;
            Ok(())
        })
        .await
    }

    /// The ids of the photos the cache holds (for tests and `status`).
    pub async fn photo_ids(&self) -> Result<Vec<PhotoId>, DatabaseError> {
        let ids = self
            .read(
                sqlx::query_scalar::<_, String>("SELECT sha256 FROM photos ORDER BY sha256")
                    .fetch_all(&self.pool()),
            )
            .await?;
        Ok(ids
            .into_iter()
            .filter_map(|id| PhotoId::parse(&id).ok())
            .collect())
    }

    /// Records that the server accepted the local state at `sent_revision` as `server`.
    ///
    /// A compare-and-set on the revision: if an edit was made while the request was in flight,
    /// the row stays unsynchronized (the edit is kept) and is only rebased onto `server`, whose
    /// content is exactly what that edit was made on top of. Returns whether the row is now
    /// synchronized.
    pub(crate) async fn mark_synced(
        &self,
        sent_revision: i64,
        server: &ServerProfile,
        now: DateTime<Utc>,
    ) -> Result<bool, DatabaseError> {
        self.write(async |tx| {
            let synced = CopyParams(server)
                .query(concat!(
                    "UPDATE profile SET synchronized = 1, name = ?1, photo_url = ?2, photo = ?8, ",
                    copy_sql!(set "base"),
                    ", synced_at = ?9, ",
                    clear_conflict!(),
                    " WHERE id = 1 AND revision = ?10"
                ))
                .bind(now)
                .bind(sent_revision)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
            clear_in_flight(tx).await?;
            if !synced {
                CopyParams(server)
                    .query(concat!(
                        "UPDATE profile SET ",
                        copy_sql!(set "base"),
                        ", synced_at = ?9 WHERE id = 1"
                    ))
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            evict_photos(tx).await?;
            Ok(synced)
        })
        .await
    }

    /// Remembers what is about to be pushed (on top of `base_version`, `None` for a create), so
    /// a lost answer can be recognised later. Kept, with any earlier unanswered pushes, until an
    /// answer is recorded.
    pub(crate) async fn record_sent(
        &self,
        fields: &Fields,
        base: Option<&ServerProfile>,
    ) -> Result<(), DatabaseError> {
        self.write(async |tx| {
            sqlx::query(
                "INSERT INTO in_flight (name, photo_url, base_version, base_store, photo) \
                 SELECT ?1, ?2, ?3, ?4, ?5 WHERE NOT EXISTS (SELECT 1 FROM in_flight \
                 WHERE name = ?1 AND photo_url = ?2 AND base_version = ?3 AND base_store = ?4 \
                 AND photo IS ?5)",
            )
            .bind(&fields.name)
            .bind(&fields.photo_url)
            .bind(base.map_or(0, |base| base.version))
            .bind(
                base.and_then(|base| base.store.as_ref())
                    .map_or("", StoreId::as_str),
            )
            .bind(photo_column(fields.photo.as_ref()))
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
    pub(crate) async fn in_flight(&self) -> Result<Vec<InFlight>, DatabaseError> {
        self.read(async {
            let rows: Vec<(String, String, i64, String, Option<String>)> = sqlx::query_as(
                "SELECT name, photo_url, base_version, base_store, photo FROM in_flight \
                 ORDER BY id",
            )
            .fetch_all(&self.pool())
            .await?;
            rows.into_iter()
                .map(|(name, photo_url, base_version, base_store, photo)| {
                    Ok(InFlight {
                        fields: Fields::new(name, photo_url).with_photo(photo_from_column(photo)?),
                        // 0 is a create, '' an unknown store (the columns are NOT NULL).
                        base: (base_version != 0).then(|| SentOn {
                            version: base_version,
                            store: StoreId::new(base_store),
                        }),
                    })
                })
                .collect()
        })
        .await
    }

    /// Stores a copy fetched from the server as synchronized, unless the local copy holds an
    /// edit that is not yet synced, or already knows a later state of the same store (versions
    /// are compared only within one store). Returns whether the copy was stored.
    pub(crate) async fn store_server_copy(
        &self,
        server: &ServerProfile,
        now: DateTime<Utc>,
    ) -> Result<bool, DatabaseError> {
        self.write(async |tx| {
            // In the condition, ?6 and ?3 are the copy's store and version.
            let stored = CopyParams(server)
                .query(concat!(
                    "INSERT INTO profile (id, name, photo_url, photo, synchronized, revision, ",
                    copy_sql!(list "base"),
                    ", updated_at, synced_at) VALUES (1, ?1, ?2, ?8, 1, 0, ",
                    copy_sql!(params),
                    ", ?4, ?9) ON CONFLICT (id) DO UPDATE SET name = ?1, photo_url = ?2, \
                     photo = ?8, synchronized = 1, ",
                    copy_sql!(set "base"),
                    ", updated_at = ?4, synced_at = ?9 \
                     WHERE synchronized = 1 AND conflict_version IS NULL \
                     AND (base_store IS NULL OR base_store = '' OR ?6 = '' \
                     OR base_store <> ?6 OR base_version <= ?3)"
                ))
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if stored == 1 {
                evict_photos(tx).await?;
            }
            Ok(stored == 1)
        })
        .await
    }

    /// Confirms that the server still holds the state tagged `etag` (a 304): only the sync time
    /// moves.
    pub(crate) async fn touch_synced(
        &self,
        etag: &Etag,
        now: DateTime<Utc>,
    ) -> Result<(), DatabaseError> {
        self.write(async |tx| {
            sqlx::query(
                "UPDATE profile SET synced_at = ?2 WHERE id = 1 AND synchronized = 1 \
                 AND base_etag = ?1",
            )
            .bind(etag.as_str())
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
    pub(crate) async fn rebase(
        &self,
        expected_revision: i64,
        fields: &Fields,
        server: &ServerProfile,
        now: DateTime<Utc>,
    ) -> Result<bool, DatabaseError> {
        let synchronized = *fields == server.fields;
        self.write(async |tx| {
            let done = CopyParams(server)
                .query(concat!(
                    "UPDATE profile SET ",
                    copy_sql!(set "base"),
                    ", updated_at = ?9, name = ?10, photo_url = ?11, photo = ?12, \
                     synchronized = ?13, revision = revision + 1, \
                     synced_at = CASE WHEN ?13 THEN ?9 ELSE synced_at END, ",
                    clear_conflict!(),
                    " WHERE id = 1 AND revision = ?14"
                ))
                .bind(now)
                .bind(&fields.name)
                .bind(&fields.photo_url)
                .bind(photo_column(fields.photo.as_ref()))
                .bind(synchronized)
                .bind(expected_revision)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if done == 1 {
                clear_in_flight(tx).await?;
                evict_photos(tx).await?;
            }
            Ok(done == 1)
        })
        .await
    }

    /// Records a conflict against `theirs`: the local copy becomes `mine` (the merge, with the
    /// local value in each conflicting field) and stays unsynchronized until the user decides.
    /// Returns `false` when an edit was made meanwhile.
    pub(crate) async fn record_conflict(
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
            let done = CopyParams(theirs)
                .query(concat!(
                    "UPDATE profile SET ",
                    copy_sql!(set "conflict"),
                    ", conflict_fields = ?9, name = ?10, photo_url = ?11, photo = ?12, \
                     synchronized = 0, revision = revision + 1 WHERE id = 1 AND revision = ?13"
                ))
                .bind(&fields)
                .bind(&mine.name)
                .bind(&mine.photo_url)
                .bind(photo_column(mine.photo.as_ref()))
                .bind(expected_revision)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            Ok(done == 1)
        })
        .await
    }

    /// Makes the local copy a fresh, never-synced edit (the server lost its copy): it will be
    /// created again with `If-None-Match: *`.
    pub(crate) async fn forget_base(&self, expected_revision: i64) -> Result<bool, DatabaseError> {
        self.write(async |tx| {
            let done = sqlx::query(concat!(
                "UPDATE profile SET synchronized = 0, revision = revision + 1, ",
                copy_sql!(clear "base"),
                " WHERE id = 1 AND revision = ?1"
            ))
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
                .fetch_optional(&self.pool())
                .await
        })
        .await
    }

    /// Keeps `png` as the thumbnail for `url`, replacing any other (only the current photo is
    /// kept).
    pub(crate) async fn store_avatar(
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

    pub(crate) async fn record_sync_attempt(
        &self,
        attempt: &SyncAttempt,
    ) -> Result<(), DatabaseError> {
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
                .fetch_optional(&self.pool()),
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
        let _turn = self.writer.lock().await;
        let pool = self.writable_pool().await.map_err(|e| self.error(e))?;
        profile_sqlite::write(&pool, work)
            .await
            .map_err(|e| self.error(e))
    }

    /// Runs a read and names the file in its error.
    async fn read<T>(
        &self,
        work: impl Future<Output = Result<T, sqlx::Error>>,
    ) -> Result<T, DatabaseError> {
        work.await.map_err(|e| self.error(e))
    }

    pub async fn close(&self) {
        self.pool().close().await;
    }
}

/// The cache's connections: for reading and writing, or for reading only on a disk that is
/// full or takes no writes (and why).
#[derive(Debug)]
enum Pool {
    Writable(SqlitePool),
    ReadOnly(SqlitePool, StorageProblem),
}

type SqliteQuery<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>;

/// Stores the bytes of a photo being set (as not yet uploaded, unless the cache already knows
/// the server has it) and returns the reference the profile gets: `None` for no photo.
async fn keep_photo(
    tx: &mut SqliteConnection,
    photo: PhotoEdit<'_>,
    now: DateTime<Utc>,
) -> Result<Option<PhotoRef>, sqlx::Error> {
    let PhotoEdit::Set(photo) = photo else {
        return Ok(None);
    };
    sqlx::query(
        "INSERT INTO photos (sha256, jpeg, width, height, uploaded, stored_at) \
         VALUES (?1, ?2, ?3, ?4, 0, ?5) ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(photo.sha256.as_str())
    .bind(&photo.jpeg)
    .bind(photo.width)
    .bind(photo.height)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(Some(photo.reference()))
}

/// Deletes the photos nothing refers to: not the profile, its base, a conflict's server copy or
/// an unanswered push. Called in the transactions that can drop a reference.
async fn evict_photos(tx: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM photos WHERE sha256 NOT IN ( \
         SELECT json_extract(photo, '$.sha256') FROM profile WHERE photo IS NOT NULL \
         UNION SELECT json_extract(base_photo, '$.sha256') FROM profile \
         WHERE base_photo IS NOT NULL \
         UNION SELECT json_extract(conflict_photo, '$.sha256') FROM profile \
         WHERE conflict_photo IS NOT NULL \
         UNION SELECT json_extract(photo, '$.sha256') FROM in_flight WHERE photo IS NOT NULL)",
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// Forgets the unanswered pushes: called in the transaction that records an answer.
async fn clear_in_flight(tx: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM in_flight").execute(tx).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_copy_has_one_list_of_columns_in_one_order() {
        assert_eq!(
            copy_sql!(set "base"),
            "base_name = ?1, base_photo_url = ?2, base_version = ?3, base_updated_at = ?4, \
             base_etag = ?5, base_store = ?6, base_server = ?7, base_photo = ?8"
        );
        assert_eq!(
            copy_sql!(list "conflict"),
            "conflict_name, conflict_photo_url, conflict_version, conflict_updated_at, \
             conflict_etag, conflict_store, conflict_server, conflict_photo"
        );
        assert_eq!(copy_sql!(params), "?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8");
        assert_eq!(
            copy_sql!(clear "base"),
            "base_name = NULL, base_photo_url = NULL, base_version = NULL, \
             base_updated_at = NULL, base_etag = NULL, base_store = NULL, base_server = NULL, \
             base_photo = NULL"
        );
        assert_eq!(copy_sql!(columns "conflict")[4], "conflict_etag");
    }

    async fn open(dir: &tempfile::TempDir) -> DatabaseService {
        DatabaseService::open(&dir.path().join("profile.sqlite3"))
            .await
            .unwrap()
    }

    fn copy(name: &str, version: i64, etag: &str, store: &str) -> ServerProfile {
        ServerProfile {
            fields: Fields::new(name, ""),
            version,
            updated_at: Utc::now(),
            etag: Etag::new(etag),
            store: StoreId::new(store),
            server: "https://profiles.example.com/".into(),
        }
    }

    #[tokio::test]
    async fn an_unknown_tag_or_store_is_stored_and_read_back_as_unknown() {
        let dir = tempfile::tempdir().unwrap();
        let db = open(&dir).await;
        let untagged = copy("Ada", 3, "", "");
        assert!(db.store_server_copy(&untagged, Utc::now()).await.unwrap());
        let local = db.load_profile().await.unwrap().unwrap();
        let base = local.base.as_ref().unwrap();
        assert_eq!((base.version, &base.etag, &base.store), (3, &None, &None));

        let theirs = copy("Bob", 4, "4-b", "s");
        let recorded = db
            .record_conflict(
                local.revision,
                &Fields::new("Ann", ""),
                &theirs,
                &[Field::Name],
            )
            .await
            .unwrap();
        assert!(recorded);
        let local = db.load_profile().await.unwrap().unwrap();
        let conflict = local.conflict.unwrap();
        assert_eq!(conflict.theirs.etag.as_ref().map(Etag::as_str), Some("4-b"));
        assert_eq!(
            conflict.theirs.store.as_ref().map(StoreId::as_str),
            Some("s")
        );
        assert_eq!(conflict.fields, [Field::Name]);
        assert_eq!(local.base.unwrap().etag, None, "the base is kept as it was");
    }

    #[tokio::test]
    async fn an_unanswered_create_has_no_base_and_an_unknown_store_stays_unknown() {
        let dir = tempfile::tempdir().unwrap();
        let db = open(&dir).await;
        let fields = Fields::new("Ada", "");
        db.record_sent(&fields, None).await.unwrap();
        db.record_sent(&fields, Some(&copy("Ada", 2, "2-a", "")))
            .await
            .unwrap();
        let sent = db.in_flight().await.unwrap();
        assert_eq!(sent.len(), 2);
        assert_eq!(sent[0].base, None);
        assert_eq!(
            sent[1].base,
            Some(SentOn {
                version: 2,
                store: None
            })
        );
        // A create landed as any state with its fields; a push on a base of an unknown store,
        // as a later state of any store.
        assert!(sent[0].landed_as(&copy("Ada", 1, "1-a", "s")));
        assert!(sent[1].landed_as(&copy("Ada", 3, "3-a", "s")));
        assert!(!sent[1].landed_as(&copy("Ada", 2, "2-b", "s")));
    }

    #[tokio::test]
    async fn a_file_that_is_not_a_database_is_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("profile.sqlite3");
        std::fs::write(&path, b"not a SQLite database ".repeat(200)).unwrap();
        let error = DatabaseService::open(&path).await.unwrap_err();
        assert!(error.is_corrupt(), "{error}");
    }
}
