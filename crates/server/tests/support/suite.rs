//! A suite of cases run on both engines: each case gets a database of its own, a SQLite file
//! or a database in a throwaway PostgreSQL cluster.

/// One case: it takes the database (a file path or a URL) it runs on.
pub type Case = fn(String) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// Runs every case on a fresh SQLite file.
pub async fn on_sqlite(cases: Vec<(&'static str, Case)>) {
    let dir = tempfile::tempdir().unwrap();
    for (n, (name, case)) in cases.into_iter().enumerate() {
        eprintln!("sqlite: {name}");
        case(
            dir.path()
                .join(format!("server-{n}.sqlite3"))
                .display()
                .to_string(),
        )
        .await;
    }
}

/// Runs every case on a fresh PostgreSQL database (skipped, saying so, where PostgreSQL is not
/// installed; a failure under `CI=true`).
pub async fn on_postgres(cases: Vec<(&'static str, Case)>) {
    let Some(postgres) = super::postgres::Postgres::start() else {
        return;
    };
    for (name, case) in cases {
        eprintln!("postgres: {name}");
        case(postgres.database().await).await;
    }
}
