//! The server's store, on SQLite (one process) or PostgreSQL (several instances): each user's
//! profile, its version and the tag that names its state, and the id the store was created
//! with. Accounts and devices live beside it (`accounts`).
//!
//! Every change of a profile reaches the event streams from here, once committed, by one path
//! whichever call made it: on SQLite, which serves one process, the store hands it to that
//! process's subscribers right after the commit; on PostgreSQL it announces it with `NOTIFY` in
//! the change's transaction and delivers nothing itself, since every instance — this one too —
//! hears the announcement through its fan-out listener (`fanout`).
//!
//! One SQL text serves both engines: parameters are `$1`, `$2`, …, which SQLite (through sqlx)
//! binds by their number, as PostgreSQL does. (Statements still use them in order where they
//! can, so they read as they are bound.)

use crate::change::{self, Change, UserId};
use crate::streams::{Streams, Subscription};
use chrono::Utc;
use profile_protocol::{Fields, PhotoId, PhotoRef, ProfileWire, new_etag};
use sqlx::{PgPool, SqlitePool};
use std::path::Path;
use std::sync::Arc;

static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/server/sqlite");
static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/server/postgres");

/// Why `profile-server backup` made no copy (nothing was written under the file's name).
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "this store is on PostgreSQL: back it up with `pg_dump --format=custom --file=FILE URL` \
         (restore with `pg_restore --clean --dbname=URL FILE`)"
    )]
    Postgres,
    #[error("{} already exists; a backup never replaces a file: choose a new name", .0.display())]
    Exists(std::path::PathBuf),
    #[error("{}: the path is not valid UTF-8, which SQLite needs here", .0.display())]
    Path(std::path::PathBuf),
    #[error("the copy failed its integrity check ({0}); nothing was kept")]
    Damaged(String),
    #[error("cannot write the backup: {0}")]
    Db(sqlx::Error),
    #[error("cannot put the backup at {path}: {error}", path = .0.display(), error = .1)]
    Io(std::path::PathBuf, std::io::Error),
}

/// The database behind a store.
#[derive(Clone)]
pub(crate) enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the store's pool, whichever engine it is.
macro_rules! with_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            crate::store::Db::Sqlite($pool) => $body,
            crate::store::Db::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` in one transaction (`$tx`), committed when it succeeds. SQLite's takes the write
/// lock up front (`BEGIN IMMEDIATE`) so two writers never deadlock on a lock upgrade.
macro_rules! in_transaction {
    ($db:expr, $tx:ident => $body:expr) => {
        match $db {
            crate::store::Db::Sqlite(pool) => {
                let mut $tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let value = $body;
                $tx.commit().await?;
                value
            }
            crate::store::Db::Postgres(pool) => {
                let mut $tx = pool.begin().await?;
                let value = $body;
                $tx.commit().await?;
                value
            }
        }
    };
}
pub(crate) use {in_transaction, with_pool};

/// The uploaded photo a PUT's profile refers to: its sizes and length.
macro_rules! photo_lookup {
    () => {
        "SELECT CAST(width AS BIGINT), CAST(height AS BIGINT), CAST(length(jpeg) AS BIGINT) \
         FROM photos WHERE user_id = $1 AND sha256 = $2"
    };
}

/// The body of one PUT inside a transaction `$tx`: read the user's row, decide, write, and on
/// PostgreSQL announce the change. Evaluates to the `PutOutcome`.
macro_rules! put_in {
    ($store:expr, $tx:ident, $user:expr, $edit:expr, $precondition:expr) => {{
        let store: &Store = $store;
        let user: UserId = $user;
        let edit: &Edit = $edit;
        let current = sqlx::query_as::<_, Row>(SELECT)
            .bind(user.0)
            .fetch_optional(&mut *$tx)
            .await?
            .map(|row| store.wire(row));
        let old_photo = current.as_ref().and_then(|current| current.photo.clone());
        let mut fields = edit.fields.clone();
        if edit.keep_photo {
            fields.photo = old_photo.clone();
        }
        // A new photo must have been uploaded; its size is taken from what was.
        let mut missing = None;
        if let Some(photo) = fields
            .photo
            .as_mut()
            .filter(|photo| Some(&**photo) != old_photo.as_ref())
        {
            // On PostgreSQL the row is locked until the commit, so a collection of expired
            // photos cannot delete it between this check and its claim below (it waits, and
            // then finds it in use). SQLite's writers take the write lock first anyway.
            let lookup = if store.postgres().is_some() {
                concat!(photo_lookup!(), " FOR SHARE")
            } else {
                photo_lookup!()
            };
            let stored: Option<(i64, i64, i64)> = sqlx::query_as(lookup)
                .bind(user.0)
                .bind(photo.sha256.as_str())
                .fetch_optional(&mut *$tx)
                .await?;
            match stored {
                Some((width, height, bytes)) => {
                    photo.width = width as u32;
                    photo.height = height as u32;
                    photo.bytes = bytes as u64;
                }
                None => missing = Some(photo.sha256.clone()),
            }
        }
        match missing.map_or_else(
            || decide(current, &fields, $precondition),
            |id| Decision::Answer(PutOutcome::PhotoMissing(id)),
        ) {
            Decision::Answer(outcome) => outcome,
            Decision::Write { current_version } => {
                let written =
                    store.next_state(&fields, current_version.map_or(1, |version| version + 1));
                let sql = match current_version {
                    None => WRITE_INSERT,
                    Some(_) => WRITE_UPDATE,
                };
                sqlx::query(sql)
                    .bind(&written.name)
                    .bind(&written.photo_url)
                    .bind(written.version)
                    .bind(written.updated_at)
                    .bind(&written.etag)
                    .bind(photo_column(written.photo.as_ref()))
                    .bind(user.0)
                    .bind(current_version.unwrap_or(0))
                    .execute(&mut *$tx)
                    .await?;
                if written.photo != old_photo {
                    // The new photo is in use; the old one's grace period starts.
                    let claim =
                        "UPDATE photos SET released_at = $3 WHERE user_id = $1 AND sha256 = $2";
                    for (photo, released) in [
                        (written.photo.as_ref(), None),
                        (old_photo.as_ref(), Some(written.updated_at)),
                    ] {
                        if let Some(photo) = photo {
                            sqlx::query(claim)
                                .bind(user.0)
                                .bind(photo.sha256.as_str())
                                .bind(released)
                                .execute(&mut *$tx)
                                .await?;
                        }
                    }
                }
                if store.postgres().is_some() {
                    let change = Change {
                        user,
                        profile: written.clone(),
                    };
                    sqlx::query("SELECT pg_notify($1, $2)")
                        .bind(change::CHANNEL)
                        .bind(change.payload())
                        .execute(&mut *$tx)
                        .await?;
                }
                match current_version {
                    None => PutOutcome::Created(written),
                    Some(_) => PutOutcome::Updated(written),
                }
            }
        }
    }};
}

#[derive(Debug, thiserror::Error)]
#[error("server database: {0}")]
pub struct StoreError(#[from] sqlx::Error);

impl StoreError {
    /// Whether the disk under a SQLite store is full or takes no writes (said with 507 or 503,
    /// and nothing was changed: the transaction rolled back).
    pub fn storage_problem(&self) -> Option<profile_sqlite::StorageProblem> {
        profile_sqlite::storage_problem(&self.0, Path::new(""))
    }

    /// Whether the database could not be reached (no connection within the pool's wait, a
    /// broken or refused one), rather than refusing or failing a statement.
    pub fn unreachable(&self) -> bool {
        matches!(
            self.0,
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_)
        )
    }
}

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
    /// The profile would refer to a photo this user has not uploaded.
    PhotoMissing(PhotoId),
}

/// What one PUT writes: the fields, and whether the photo stays as it is (a body without one,
/// from a client that predates photos) or becomes `fields.photo`.
#[derive(Debug, Clone)]
pub struct Edit {
    pub fields: Fields,
    pub keep_photo: bool,
}

impl Edit {
    /// Every field as given, the photo too.
    pub fn all(fields: &Fields) -> Self {
        Edit {
            fields: fields.clone(),
            keep_photo: false,
        }
    }
}

/// A photo reference as the `photo` column holds it: JSON, or NULL for none.
fn photo_column(photo: Option<&PhotoRef>) -> Option<String> {
    photo.map(|photo| serde_json::to_string(photo).expect("a reference serialises"))
}

#[derive(Clone)]
pub struct Store {
    pub(crate) db: Db,
    /// Created with the store; a backup restored elsewhere keeps it, another store has its own.
    id: Arc<str>,
    /// SQLite's PUTs queue here for the group commit (see [`commit_in_groups`]): one writer
    /// instead of SQLite's busy handler, which sleeps in growing steps, and one fsync for many.
    group: Option<tokio::sync::mpsc::Sender<Job>>,
    /// How many group transactions committed so far.
    group_commits: Arc<std::sync::atomic::AtomicU64>,
    /// This process's event-stream subscribers to this store's profiles.
    streams: Arc<Streams>,
    /// How long a photo no profile refers to any more is kept (see `photos`).
    pub(crate) photo_grace: chrono::Duration,
    /// SQLite's photo uploads take turns here before its write lock, so they queue in order
    /// instead of meeting in SQLite's busy handler, which sleeps between tries.
    pub(crate) photo_writer: Arc<tokio::sync::Mutex<()>>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct Row {
    pub name: String,
    pub photo_url: String,
    pub photo: Option<String>,
    pub version: i64,
    pub updated_at: chrono::DateTime<Utc>,
    pub etag: String,
}

const SELECT: &str =
    "SELECT name, photo_url, photo, version, updated_at, etag FROM profiles WHERE user_id = $1";

impl Store {
    /// Opens the SQLite store at `path`, creating and migrating it as needed.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let pool = profile_sqlite::open(path, &SQLITE).await?;
        Self::with(Db::Sqlite(pool)).await
    }

    /// Opens `db`: a `postgres://` URL, or the path of a SQLite file.
    pub async fn connect(db: &str) -> Result<Self, StoreError> {
        if db.starts_with("postgres://") || db.starts_with("postgresql://") {
            first_connection(db).await?;
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(16)
                // A database that went away is said within a few seconds (503, `/ready`), not
                // when the request's own time is up.
                .acquire_timeout(std::time::Duration::from_secs(3))
                .connect(db)
                .await?;
            // Instances starting together take turns (sqlx locks PostgreSQL migrations).
            POSTGRES.run(&pool).await.map_err(sqlx::Error::from)?;
            Self::with(Db::Postgres(pool)).await
        } else {
            Self::open(Path::new(db)).await
        }
    }

    async fn with(db: Db) -> Result<Self, StoreError> {
        let id: String = with_pool!(&db, pool => {
            sqlx::query_scalar("SELECT store_id FROM store WHERE id = 1")
                .fetch_one(pool)
                .await?
        });
        let mut store = Self {
            db,
            id: id.into(),
            group: None,
            group_commits: Arc::default(),
            streams: Arc::default(),
            photo_grace: chrono::Duration::from_std(crate::photos::GRACE).expect("a week fits"),
            photo_writer: Arc::default(),
        };
        if let Db::Sqlite(pool) = &store.db {
            let (group, jobs) = tokio::sync::mpsc::channel(4 * GROUP);
            tokio::spawn(commit_in_groups(store.clone(), pool.clone(), jobs));
            store.group = Some(group);
        }
        Ok(store)
    }

    /// How many SQLite group transactions have committed (each holds one or more PUTs).
    pub fn group_commits(&self) -> u64 {
        self.group_commits
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The registry of this process's subscribers, which the store feeds (on PostgreSQL, through
    /// the fan-out listener).
    pub(crate) fn streams(&self) -> &Arc<Streams> {
        &self.streams
    }

    /// Subscribes to `user`'s committed changes, from this process and (on PostgreSQL, once a
    /// fan-out listener runs) from every other instance.
    pub(crate) fn subscribe(&self, user: UserId) -> Subscription {
        self.streams.subscribe(user)
    }

    /// The PostgreSQL pool, when the store is on PostgreSQL (for the fan-out listener).
    pub(crate) fn postgres(&self) -> Option<&PgPool> {
        match &self.db {
            Db::Postgres(pool) => Some(pool),
            Db::Sqlite(_) => None,
        }
    }

    /// Whether the database answers now (`SELECT 1`), for `/ready`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        with_pool!(&self.db, pool => {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    /// The database pool's connections: (in use, open).
    pub fn pool_connections(&self) -> (u32, u32) {
        with_pool!(&self.db, pool => {
            let open = pool.size();
            let idle = u32::try_from(pool.num_idle()).unwrap_or(open);
            (open.saturating_sub(idle), open)
        })
    }

    /// The bytes of every photo stored (all users', in use or in their grace period).
    pub async fn photo_bytes(&self) -> Result<i64, StoreError> {
        Ok(with_pool!(&self.db, pool => {
            sqlx::query_scalar::<_, i64>("SELECT CAST(COALESCE(SUM(length(jpeg)), 0) AS BIGINT) FROM photos")
                .fetch_one(pool)
                .await?
        }))
    }

    /// Writes a consistent copy of a SQLite store, while it serves, to `file` (a new file):
    /// `VACUUM INTO` a file beside it, checked (`PRAGMA integrity_check`) and then linked under `file`, so a
    /// backup that fails half-way leaves nothing under `file`. A PostgreSQL store is backed up
    /// with `pg_dump` instead (refused here, saying so).
    pub async fn backup(&self, file: &Path) -> Result<(), BackupError> {
        let Db::Sqlite(pool) = &self.db else {
            return Err(BackupError::Postgres);
        };
        if file.exists() {
            return Err(BackupError::Exists(file.to_path_buf()));
        }
        let mut partial = file.as_os_str().to_owned();
        partial.push(".partial");
        let partial = std::path::PathBuf::from(partial);
        let _ = std::fs::remove_file(&partial);
        let text = partial
            .to_str()
            .ok_or_else(|| BackupError::Path(file.to_path_buf()))?;
        // Made empty first (VACUUM INTO fills an empty file), readable by its owner only: a
        // copy holds password hashes and device tokens' hashes, whatever the umask of the
        // administrator who makes it.
        let mut create = std::fs::OpenOptions::new();
        create.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut create, 0o600);
        create
            .open(&partial)
            .map_err(|e| BackupError::Io(partial.clone(), e))?;
        let copied = async {
            sqlx::query("VACUUM INTO $1")
                .bind(text)
                .execute(pool)
                .await?;
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(&partial)
                .read_only(true);
            let mut copy = sqlx::ConnectOptions::connect(&options).await?;
            let verdict: String = sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_one(&mut copy)
                .await?;
            sqlx::Connection::close(copy).await?;
            Ok::<_, sqlx::Error>(verdict)
        }
        .await;
        let outcome = match copied {
            // A link, not a rename: it fails, rather than replaces, a file made meanwhile.
            Ok(verdict) if verdict == "ok" => match std::fs::hard_link(&partial, file) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    Err(BackupError::Exists(file.to_path_buf()))
                }
                Err(e) => Err(BackupError::Io(file.to_path_buf(), e)),
            },
            Ok(verdict) => Err(BackupError::Damaged(verdict)),
            Err(error) => Err(BackupError::Db(error)),
        };
        // Linked under its name, or failed: either way the partial name goes.
        let _ = std::fs::remove_file(&partial);
        outcome
    }

    /// The id this store was created with.
    pub fn id(&self) -> &str {
        &self.id
    }

    pub(crate) fn wire(&self, row: Row) -> ProfileWire {
        let photo = row
            .photo
            .and_then(|json| match serde_json::from_str(&json) {
                Ok(photo) => Some(photo),
                Err(error) => {
                    tracing::error!(%error, json, "a stored photo reference is unreadable");
                    None
                }
            });
        ProfileWire {
            name: row.name,
            photo_url: row.photo_url,
            photo,
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
            photo: fields.photo.clone(),
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
        let row = with_pool!(&self.db, pool => {
            sqlx::query_as::<_, Row>(SELECT)
                .bind(user.0)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|row| self.wire(row)))
    }

    /// Gives the default user `fields` as a first profile when there is none yet; returns
    /// whether it did.
    pub async fn seed(&self, fields: &Fields) -> Result<bool, StoreError> {
        self.seed_for(DEFAULT_USER, fields).await
    }

    /// Gives `user` `fields` as a first profile when there is none yet; returns whether it did.
    /// A PUT with `If-None-Match: *`, so a seed is ordered with the PUTs and reaches the event
    /// streams as they do.
    pub async fn seed_for(&self, user: UserId, fields: &Fields) -> Result<bool, StoreError> {
        let outcome = self.put_for(user, fields, &Precondition::Absent).await?;
        Ok(matches!(outcome, PutOutcome::Created(_)))
    }

    /// Applies a PUT to the default user's profile (see [`put_for`](Self::put_for)).
    pub async fn put(
        &self,
        fields: &Fields,
        precondition: &Precondition,
    ) -> Result<PutOutcome, StoreError> {
        self.put_for(DEFAULT_USER, fields, precondition).await
    }

    /// Applies `user`'s PUT: the check of the precondition, the change, its version bump and (on
    /// PostgreSQL) the announcement to every instance are one transaction. A change reaches the
    /// event streams once committed (see the module's documentation); callers need do nothing.
    pub async fn put_for(
        &self,
        user: UserId,
        fields: &Fields,
        precondition: &Precondition,
    ) -> Result<PutOutcome, StoreError> {
        self.edit_for(user, &Edit::all(fields), precondition).await
    }

    /// Applies `user`'s PUT of `edit` (see [`put_for`](Self::put_for)); a photo it sets must
    /// have been uploaded ([`PutOutcome::PhotoMissing`] otherwise).
    pub async fn edit_for(
        &self,
        user: UserId,
        edit: &Edit,
        precondition: &Precondition,
    ) -> Result<PutOutcome, StoreError> {
        match (&self.db, &self.group) {
            // SQLite: one writer, so queued PUTs share a transaction and its fsync.
            (Db::Sqlite(_), Some(group)) => {
                let (reply, answer) = tokio::sync::oneshot::channel();
                let job = Job {
                    user,
                    edit: edit.clone(),
                    precondition: precondition.clone(),
                    reply,
                };
                let gone = || StoreError(sqlx::Error::PoolClosed);
                group.send(job).await.map_err(|_| gone())?;
                answer.await.map_err(|_| gone())?
            }
            // PostgreSQL: concurrent writers of one user wait on a lock in the transaction.
            _ => Ok(in_transaction!(&self.db, tx => {
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(user.0)
                    .execute(&mut *tx)
                    .await?;
                put_in!(self, tx, user, edit, precondition)
            })),
        }
    }
}

/// One PUT waiting for the next group commit.
struct Job {
    user: UserId,
    edit: Edit,
    precondition: Precondition,
    reply: tokio::sync::oneshot::Sender<Result<PutOutcome, StoreError>>,
}

/// The most PUTs one SQLite transaction takes.
const GROUP: usize = 64;

/// How long the server waits for PostgreSQL to accept its first connection at start.
pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// One connection to PostgreSQL, made before the pool so that a database that cannot be
/// reached is said at once with where it was looked for and the system's reason ("connection
/// refused"), rather than after the pool's wait as "timed out". The URL is never repeated (it
/// may hold a password): only its host and port.
async fn first_connection(db: &str) -> Result<(), StoreError> {
    use sqlx::ConnectOptions;
    let options: sqlx::postgres::PgConnectOptions = db.parse()?;
    let place = format!("{}:{}", options.get_host(), options.get_port());
    let unreachable = |kind, why: String| {
        StoreError(sqlx::Error::Io(std::io::Error::new(
            kind,
            format!("cannot reach PostgreSQL at {place}: {why}"),
        )))
    };
    match tokio::time::timeout(CONNECT_TIMEOUT, options.connect()).await {
        Ok(Ok(connection)) => {
            let _ = sqlx::Connection::close(connection).await;
            Ok(())
        }
        Ok(Err(sqlx::Error::Io(io))) => Err(unreachable(io.kind(), io.to_string())),
        Ok(Err(other)) => Err(StoreError(other)),
        Err(_) => Err(unreachable(
            std::io::ErrorKind::TimedOut,
            format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()),
        )),
    }
}

/// SQLite's group commit: takes every PUT queued at the moment, applies them in order in one
/// `BEGIN IMMEDIATE` transaction — each decided on what the ones before it left — and commits
/// them with one fsync. After that commit, and before any is answered, the changes go to the
/// event streams in the order they were made: this task is SQLite's only writer of profiles,
/// so a stream never receives an older state after a newer one, and by the time a PUT is
/// answered its change is already on its way to the user's other devices. Ends when the store
/// does.
async fn commit_in_groups(
    store: Store,
    pool: SqlitePool,
    mut jobs: tokio::sync::mpsc::Receiver<Job>,
) {
    while let Some(first) = jobs.recv().await {
        let mut group = vec![first];
        while group.len() < GROUP {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let applied: Result<Vec<Result<PutOutcome, sqlx::Error>>, sqlx::Error> =
            profile_sqlite::write(&pool, async |tx| {
                let mut outcomes = Vec::with_capacity(group.len());
                for job in &group {
                    // A savepoint each: one PUT that fails leaves the others of its group alone.
                    let mut one = sqlx::Connection::begin(&mut *tx).await?;
                    let outcome = async {
                        Ok::<_, sqlx::Error>(put_in!(
                            &store,
                            one,
                            job.user,
                            &job.edit,
                            &job.precondition
                        ))
                    }
                    .await;
                    match &outcome {
                        Ok(_) => one.commit().await?,
                        Err(_) => one.rollback().await?,
                    }
                    outcomes.push(outcome);
                }
                Ok(outcomes)
            })
            .await;
        match applied {
            Ok(outcomes) => {
                store
                    .group_commits
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                metrics::histogram!("profile_server_group_commit_size").record(group.len() as f64);
                for (job, outcome) in group.iter().zip(&outcomes) {
                    if let Ok(PutOutcome::Created(profile) | PutOutcome::Updated(profile)) = outcome
                    {
                        store.streams.deliver(Change {
                            user: job.user,
                            profile: profile.clone(),
                        });
                    }
                }
                for (job, outcome) in group.into_iter().zip(outcomes) {
                    // The caller may have gone away (its connection closed): nothing to tell.
                    let _ = job.reply.send(outcome.map_err(StoreError));
                }
            }
            Err(error) => {
                // Nothing of the group was applied (the transaction rolled back).
                tracing::error!(%error, puts = group.len(), "a group of PUTs failed");
                // Each PUT is told why; a full or read-only disk keeps its kind, so each is
                // answered as such.
                let problem =
                    profile_sqlite::storage_problem(&error, pool.connect_options().get_filename());
                for job in group {
                    let error = match (problem, &error) {
                        (Some(problem), _) => sqlx::Error::Io(std::io::Error::new(
                            problem.io_kind(),
                            error.to_string(),
                        )),
                        // No connection in time: the database cannot be reached (503).
                        (None, sqlx::Error::PoolTimedOut) => sqlx::Error::PoolTimedOut,
                        (None, sqlx::Error::PoolClosed) => sqlx::Error::PoolClosed,
                        (None, _) => sqlx::Error::Protocol(error.to_string()),
                    };
                    let _ = job.reply.send(Err(StoreError(error)));
                }
            }
        }
    }
}

/// Creates a profile. Parameters as [`WRITE_UPDATE`]'s; `$8` (no version yet) only completes
/// the list, so both statements bind the same values.
const WRITE_INSERT: &str = "INSERT INTO profiles (name, photo_url, version, updated_at, etag, \
     photo, user_id) SELECT $1, $2, $3, $4, $5, $6, $7 WHERE $8 = 0";
/// Replaces the profile at version `$8`.
const WRITE_UPDATE: &str = "UPDATE profiles SET name = $1, photo_url = $2, version = $3, \
     updated_at = $4, etag = $5, photo = $6 WHERE user_id = $7 AND version = $8";

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

#[cfg(test)]
mod tests {
    use super::*;

    /// A change made through the store itself, not over HTTP, reaches its user's subscribers
    /// once committed — a seed as much as a PUT — and one that changes nothing reaches nobody.
    #[tokio::test]
    async fn every_committed_change_reaches_its_users_subscribers_and_nothing_else_does() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("server.sqlite3"))
            .await
            .unwrap();
        let mut ada = store.subscribe(DEFAULT_USER);
        let mut someone_else = store.subscribe(UserId(2));

        assert!(store.seed(&Fields::new("Ada", "")).await.unwrap());
        let seeded = ada.changes.try_recv().expect("the seed is delivered");
        assert_eq!((seeded.name.as_str(), seeded.version), ("Ada", 1));
        assert!(!store.seed(&Fields::new("Someone", "")).await.unwrap());

        let king = Fields::new("Ada King", "");
        let first = Precondition::OneOf(vec![seeded.etag.clone()]);
        let PutOutcome::Updated(written) = store.put(&king, &first).await.unwrap() else {
            panic!("the update applies");
        };
        assert_eq!(
            ada.changes.try_recv().expect("the PUT is delivered"),
            written
        );
        assert!(matches!(
            store.put(&king, &first).await.unwrap(),
            PutOutcome::Unchanged(_)
        ));
        assert!(matches!(
            store
                .put(&Fields::new("Someone", ""), &first)
                .await
                .unwrap(),
            PutOutcome::Stale(_)
        ));

        assert!(
            ada.changes.try_recv().is_err(),
            "a refused seed, a retry and a stale PUT change nothing, so they deliver nothing"
        );
        assert!(someone_else.changes.try_recv().is_err());
    }

    /// Many PUTs at once share SQLite transactions, and each is still decided on what the ones
    /// before it left: of twenty updates of one state, exactly one wins. Another connection holds
    /// the write lock while they queue, so the grouping is certain: the first PUT waits for the
    /// lock alone, the other nineteen queue behind it and commit together — two transactions.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn grouped_puts_keep_the_one_writer_semantics() {
        use sqlx::Connection;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.sqlite3");
        let store = Store::open(&path).await.unwrap();
        store.seed(&Fields::new("Ada", "")).await.unwrap();
        let first = store.get().await.unwrap().unwrap().etag;
        let mut holder = sqlx::SqliteConnection::connect_with(
            &sqlx::sqlite::SqliteConnectOptions::new().filename(&path),
        )
        .await
        .unwrap();
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut holder)
            .await
            .unwrap();
        let commits_before = store.group_commits();
        let fields: Vec<_> = (0..20)
            .map(|n| Fields::new(format!("Name {n}"), ""))
            .collect();
        let precondition = Precondition::OneOf(vec![first]);
        // Polled once, a PUT has queued its job and waits for the answer.
        let mut puts: Vec<_> = fields
            .iter()
            .map(|fields| Box::pin(store.put(fields, &precondition)))
            .collect();
        assert!(futures::poll!(&mut puts[0]).is_pending());
        let group = store.group.clone().unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while group.capacity() < group.max_capacity() {
            assert!(
                std::time::Instant::now() < deadline,
                "the first PUT is taken"
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        for put in &mut puts[1..] {
            assert!(futures::poll!(put).is_pending());
        }
        assert_eq!(group.max_capacity() - group.capacity(), 19);
        sqlx::query("ROLLBACK").execute(&mut holder).await.unwrap();
        let outcomes = futures::future::join_all(puts).await;
        assert_eq!(
            store.group_commits() - commits_before,
            2,
            "one transaction for the PUT that waited for the lock, one for the nineteen queued"
        );
        let updated = outcomes
            .iter()
            .filter(|o| matches!(o.as_ref().unwrap(), PutOutcome::Updated(_)))
            .count();
        let stale = outcomes
            .iter()
            .filter(|o| matches!(o.as_ref().unwrap(), PutOutcome::Stale(_)))
            .count();
        assert_eq!((updated, stale), (1, 19));
        assert_eq!(store.get().await.unwrap().unwrap().version, 2);

        // A PUT that fails (user 99 does not exist: the foreign key refuses it) fails alone;
        // the others grouped with it land.
        let mixed = (0..20).map(|n| {
            let store = store.clone();
            tokio::spawn(async move {
                let user = if n % 2 == 0 { UserId(99) } else { DEFAULT_USER };
                let fields = Fields::new(format!("Mixed {n}"), "");
                (n, store.put_for(user, &fields, &Precondition::Absent).await)
            })
        });
        let mut landed = 0;
        for joined in futures::future::join_all(mixed).await {
            let (n, result) = joined.unwrap();
            if n % 2 == 0 {
                assert!(result.is_err(), "{n}: user 99 does not exist: {result:?}");
            } else if matches!(result, Ok(PutOutcome::Stale(_))) {
                landed += 1; // Absent on an existing profile: refused, not failed.
            }
        }
        assert_eq!(
            landed, 10,
            "the valid PUTs were answered, not failed with the group"
        );
    }
}
