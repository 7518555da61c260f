//! Opening a SQLite file the same careful way for the app's cache and for the server's store.

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
pub async fn open(path: &Path, migrator: &Migrator) -> Result<SqlitePool, sqlx::Error> {
    let options = options(path);
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await?;
    // Two processes opening a new database at once would both apply the same migration (SQLite
    // has no lock sqlx can take for this), so migrations run under a lock file beside it.
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
    let migrated = migrator.run(&pool).await;
    drop(lock);
    migrated?;
    Ok(pool)
}
