//! Opening a SQLite file the same careful way for the app's cache and for the server's store.
//! Shared by the client and the server crates, which must not depend on each other.

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{SqliteConnection, SqlitePool, migrate::Migrator};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The connection settings every database here uses: WAL, `synchronous=FULL` (a commit is on
/// disk before it returns), a busy timeout and foreign keys.
pub fn options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(5))
        .foreign_keys(true)
}

/// Opens (creating if needed) the database at `path` with [`options`], then applies
/// `migrator`.
///
/// Two processes opening a new database at once would race to switch it to WAL (which SQLite
/// may refuse at once with "database is locked", without waiting) and to apply the same
/// migrations (SQLite has no lock sqlx can take for this). So opening and migrating happen
/// under an exclusive lock on a file beside the database; afterwards, the busy timeout governs.
pub async fn open(path: &Path, migrator: &Migrator) -> Result<SqlitePool, sqlx::Error> {
    let lock_path = std::path::PathBuf::from(format!("{}.lock", path.display()));
    let lock = tokio::task::spawn_blocking(move || -> std::io::Result<std::fs::File> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)?;
        file.lock()?;
        Ok(file)
    })
    .await
    .map_err(|e| sqlx::Error::Io(std::io::Error::other(e)))?
    .map_err(sqlx::Error::Io)?;
    let opened = connect_and_migrate(path, migrator).await;
    drop(lock);
    opened
}

async fn connect_and_migrate(path: &Path, migrator: &Migrator) -> Result<SqlitePool, sqlx::Error> {
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options(path))
        .await?;
    migrator.run(&pool).await?;
    Ok(pool)
}

/// Runs `work` in one `BEGIN IMMEDIATE` transaction on a connection of `pool` and commits it;
/// an error rolls it back. A transaction that failed (its COMMIT included) closes its
/// connection instead of returning it to the pool: SQLite may roll a transaction back itself
/// when its COMMIT fails (a full disk), which leaves the driver counting a transaction that is
/// gone, and such a connection would refuse every later one ("non-zero transaction depth").
pub async fn write<T>(
    pool: &SqlitePool,
    work: impl AsyncFnOnce(&mut SqliteConnection) -> Result<T, sqlx::Error>,
) -> Result<T, sqlx::Error> {
    let mut connection = pool.acquire().await?;
    let result = async {
        let mut tx = sqlx::Connection::begin_with(&mut *connection, "BEGIN IMMEDIATE").await?;
        let value = work(&mut tx).await?;
        tx.commit().await?;
        Ok(value)
    }
    .await;
    if result.is_err() {
        connection.close_on_drop();
    }
    result
}

/// Opens the database at `path` for reading only, where a normal [`open`] failed because the
/// disk is full (or read-only): SQLite's write-ahead log needs room for its shared-memory index
/// before it lets anyone read, so on a full disk even a read fails. Opened as *immutable*, the
/// file is read without that index, which is right only when the log holds nothing that is not
/// in the file yet: so only when there is no `-wal` file, or an empty one (the last connection
/// to close folds it into the file). The schema must be current already (nothing can be
/// migrated on a disk that takes no writes). `None` when this cannot be done safely.
pub async fn open_read_only(path: &Path, migrator: &Migrator) -> Option<SqlitePool> {
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    match std::fs::metadata(&wal) {
        Ok(log) if log.len() > 0 => return None,
        Ok(_) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(_) => return None,
    }
    if !path.is_file() {
        return None;
    }
    let options = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .immutable(true)
        .foreign_keys(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .ok()?;
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success = 1")
            .fetch_all(&pool)
            .await
            .ok()?;
    if migrator
        .iter()
        .filter(|migration| migration.migration_type.is_up_migration())
        .all(|migration| applied.contains(&migration.version))
    {
        Some(pool)
    } else {
        pool.close().await;
        None
    }
}

/// Why a database could not be written: the disk under it is full, or it takes no writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageProblem {
    /// No room left on the disk that holds it.
    Full,
    /// The disk (or the file) takes no writes.
    ReadOnly,
}

impl StorageProblem {
    /// The I/O error kind that says it, for an error made again from it.
    pub fn io_kind(self) -> std::io::ErrorKind {
        match self {
            StorageProblem::Full => std::io::ErrorKind::StorageFull,
            StorageProblem::ReadOnly => std::io::ErrorKind::ReadOnlyFilesystem,
        }
    }
}

/// Whether `error`, met on the database at `path`, means the storage under it is full or
/// read-only, rather than anything else. SQLite says "full" itself for a write that found no
/// room (`SQLITE_FULL`), but a full disk met while it maps its shared-memory index, or syncs,
/// comes as a plain I/O error: then the disk itself is asked how much room it has left.
pub fn storage_problem(
    error: &(dyn std::error::Error + 'static),
    path: &Path,
) -> Option<StorageProblem> {
    let mut io_error = false;
    let chain = std::iter::successors(Some(error), |error| error.source());
    for error in chain {
        if let Some(io) = error.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
                    return Some(StorageProblem::Full);
                }
                std::io::ErrorKind::ReadOnlyFilesystem => return Some(StorageProblem::ReadOnly),
                _ => io_error = true,
            }
        }
        let Some(sqlx) = error.downcast_ref::<sqlx::Error>() else {
            continue;
        };
        match sqlx {
            sqlx::Error::Io(io) => match io.kind() {
                std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
                    return Some(StorageProblem::Full);
                }
                std::io::ErrorKind::ReadOnlyFilesystem => return Some(StorageProblem::ReadOnly),
                _ => io_error = true,
            },
            sqlx::Error::Database(database) => {
                let code = database.code().and_then(|code| code.parse::<i32>().ok());
                // The extended code's low byte is the primary code.
                match code.map(|code| code & 0xff) {
                    // SQLITE_FULL
                    Some(13) => return Some(StorageProblem::Full),
                    // SQLITE_READONLY, SQLITE_IOERR, SQLITE_CANTOPEN: the disk may be why.
                    Some(8 | 10 | 14) => io_error = true,
                    _ => {}
                }
            }
            _ => {}
        }
    }
    if io_error { disk_state(path) } else { None }
}

/// The state of the disk that holds `path`: read-only, or with (almost) no room left.
#[cfg(unix)]
pub fn disk_state(path: &Path) -> Option<StorageProblem> {
    use rustix::fs::StatVfsMountFlags;
    // Less than this is "full": SQLite needs a few pages for a commit, its index 32 KiB.
    const ROOM: u64 = 256 * 1024;
    let folder = existing_folder(path)?;
    let disk = rustix::fs::statvfs(&folder).ok()?;
    if disk.f_flag.contains(StatVfsMountFlags::RDONLY) {
        Some(StorageProblem::ReadOnly)
    } else if disk.f_bavail.saturating_mul(disk.f_frsize) < ROOM {
        Some(StorageProblem::Full)
    } else {
        None
    }
}

/// The state of the disk that holds `path` (not asked on this platform: SQLite's own codes say
/// it).
#[cfg(not(unix))]
pub fn disk_state(_path: &Path) -> Option<StorageProblem> {
    None
}

/// `path` itself if it is a folder, else the nearest folder above it that exists.
#[cfg(unix)]
fn existing_folder(path: &Path) -> Option<PathBuf> {
    path.ancestors()
        .find(|folder| folder.is_dir())
        .map(Path::to_path_buf)
}
