//! Opening a SQLite file the same careful way for the app's cache and for the server's store.
//! Shared by the client and the server crates, which must not depend on each other.

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{SqlitePool, migrate::Migrator};
use std::path::Path;
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
