//! profile-server: the REST server offline-profile syncs against, and its admin commands.

use profile_server::cli::{Command, LogFormat, TokenCommand, UserCommand};
use profile_server::{self as server, Store};
use std::io::{BufRead, IsTerminal};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

// The allocator: jemalloc with its background thread returns the memory that a wave of slow or
// abandoned clients took once they are gone, where the system allocator keeps most of it (see
// ARCHITECTURE.md and `benches/server-memory.sh`). Built without the default features, the
// server uses the system allocator; with `mimalloc`, mimalloc. Whichever it is, `Cap` counts
// the bytes held through it, which `--metrics-listen` reports.
#[cfg(all(feature = "mimalloc", any(not(feature = "jemalloc"), windows)))]
use mimalloc::MiMalloc as Inner;
#[cfg(not(any(all(feature = "jemalloc", not(windows)), feature = "mimalloc")))]
use std::alloc::System as Inner;
#[cfg(all(feature = "jemalloc", not(windows)))]
use tikv_jemallocator::Jemalloc as Inner;

#[global_allocator]
static ALLOCATOR: cap::Cap<Inner> = cap::Cap::new(Inner, usize::MAX);

#[tokio::main]
async fn main() -> ExitCode {
    let parsed =
        server::cli::parse_from(std::env::args_os().collect()).unwrap_or_else(|e| e.exit());
    let args = parsed.args;
    // RUST_LOG from the environment, else from the settings file, else by what runs.
    let from_file = || EnvFilter::try_new(parsed.log_filter.as_deref()?).ok();
    let filter = EnvFilter::try_from_default_env()
        .ok()
        .or_else(from_file)
        .unwrap_or_else(|| {
            EnvFilter::new(if args.command.is_some() {
                "warn"
            } else {
                "info"
            })
        });
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match args.log_format {
        LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
        // The span's fields (a request's method and path) on every line, and the event's own.
        LogFormat::Json => logs.json().with_current_span(true).init(),
    }
    let file = PathBuf::from(&args.db);
    if !is_postgres(&args.db)
        && let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty())
        && let Err(error) = std::fs::create_dir_all(parent)
    {
        eprintln!(
            "profile-server: cannot create {}: {error}",
            parent.display()
        );
        return ExitCode::FAILURE;
    }
    let result = match args.command {
        Some(command) => admin(&args.db, command).await,
        None => {
            serve(Serve {
                db: &args.db,
                token: args.token.unwrap_or_default(),
                listen: args.listen,
                metrics_listen: args.metrics_listen,
                photo_grace: std::time::Duration::from_secs(args.photo_grace_seconds),
                drain: std::time::Duration::from_secs(args.drain_seconds),
            })
            .await
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("profile-server: {message}");
            ExitCode::FAILURE
        }
    }
}

fn is_postgres(db: &str) -> bool {
    db.starts_with("postgres://") || db.starts_with("postgresql://")
}

/// The store at `db`; errors never repeat the URL (it may hold a password).
async fn open(db: &str) -> Result<Store, String> {
    Store::connect(db).await.map_err(|e| e.to_string())
}

/// What `serve` runs with.
struct Serve<'a> {
    db: &'a str,
    token: String,
    listen: SocketAddr,
    metrics_listen: Option<SocketAddr>,
    photo_grace: std::time::Duration,
    drain: std::time::Duration,
}

async fn serve(
    Serve {
        db,
        token,
        listen,
        metrics_listen,
        photo_grace,
        drain,
    }: Serve<'_>,
) -> Result<(), String> {
    // Bound before the API, so that a metrics address in use stops the start, before the
    // "listening" line that says it succeeded.
    let metrics = match metrics_listen {
        Some(address) => Some(
            tokio::net::TcpListener::bind(address)
                .await
                .map_err(|error| format!("cannot listen for metrics on {address}: {error}"))?,
        ),
        None => None,
    };
    let store = open(db).await?.with_photo_grace(photo_grace);
    let running = server::start_with(store, &token, listen)
        .await
        .map_err(|e| e.to_string())?;
    // A server must not die because nobody reads its output (a closed pipe): these lines are
    // for whoever watches, and are dropped when nobody does.
    say(&format!("listening on http://{}", running.addr));
    if let Some(listener) = metrics {
        let bound = listener.local_addr().map_err(|e| e.to_string())?;
        let state = running.state.clone();
        let handle = metrics_exporter_prometheus::PrometheusBuilder::new()
            .set_buckets(&[
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ])
            .map_err(|e| e.to_string())?
            .set_buckets_for_metric(
                metrics_exporter_prometheus::Matcher::Full(
                    "profile_server_group_commit_size".into(),
                ),
                &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0],
            )
            .map_err(|e| e.to_string())?
            .install_recorder()
            .map_err(|e| format!("cannot record metrics: {e}"))?;
        describe_metrics();
        let metrics = axum::Router::new().route(
            "/metrics",
            axum::routing::get(move || metrics_text(state.clone(), handle.clone())),
        );
        // For a scraper on loopback or a private network: this listener has none of the API's
        // limits on slow clients.
        tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, metrics).await {
                tracing::warn!(%error, "the metrics listener stopped");
            }
        });
        say(&format!("metrics on http://{bound}/metrics"));
    }
    if token.is_empty() {
        say("accounts only; add one with `profile-server user add EMAIL` on the same --db");
    }
    let signal = stop_signal().await;
    tracing::info!(signal, drain_seconds = drain.as_secs(), "stopping");
    running.state.drain();
    if !drain.is_zero() {
        say(&format!(
            "{signal}: not ready for {} s (new requests go elsewhere), then stopping",
            drain.as_secs()
        ));
        // A second signal stops at once.
        tokio::select! {
            () = tokio::time::sleep(drain) => {}
            _ = stop_signal() => {}
        }
    }
    running.stop().await;
    tracing::info!("stopped");
    Ok(())
}

/// Waits for SIGTERM (a service manager's stop) or SIGINT (Ctrl+C); says which.
async fn stop_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            },
            _ => {
                let _ = tokio::signal::ctrl_c().await;
                "Ctrl+C"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl+C"
    }
}

/// The HELP lines of the metrics (see README, "Operating the server").
fn describe_metrics() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "profile_server_http_requests_total",
        "HTTP requests answered, by route pattern, method and status."
    );
    describe_histogram!(
        "profile_server_http_request_duration_seconds",
        Unit::Seconds,
        "Time from a request's arrival to its answer's headers, by route pattern and method."
    );
    describe_gauge!(
        "profile_server_event_streams",
        "Event streams open on this instance."
    );
    describe_counter!(
        "profile_server_events_sent_total",
        "Profile events sent on event streams (the first state of a stream included)."
    );
    describe_histogram!(
        "profile_server_fanout_delay_seconds",
        Unit::Seconds,
        "Time from a change's commit to its event leaving for a stream (other devices')."
    );
    describe_counter!(
        "profile_server_profile_writes_total",
        "Profile PUTs by outcome: created, updated, unchanged, conflict (412), \
         precondition_required (428), photo_missing (409)."
    );
    describe_counter!(
        "profile_server_sign_ins_total",
        "Sign-ins by outcome: ok, failed (401), rate_limited (429)."
    );
    describe_histogram!(
        "profile_server_group_commit_size",
        "PUTs per SQLite group transaction."
    );
    describe_gauge!(
        "profile_server_db_connections",
        "The database pool's connections, by state: in_use, open."
    );
    describe_gauge!(
        "profile_server_photo_bytes",
        Unit::Bytes,
        "Bytes of the photos stored, all users', in use or in their grace period."
    );
    describe_gauge!(
        "profile_server_heap_bytes",
        Unit::Bytes,
        "Bytes the server's code holds through its allocator (not what the allocator keeps \
         for reuse, nor SQLite's own)."
    );
}

/// What `GET /metrics` answers, in the Prometheus text format: the counters and histograms
/// recorded as requests come, and the gauges read now.
async fn metrics_text(
    state: server::AppState,
    handle: metrics_exporter_prometheus::PrometheusHandle,
) -> String {
    metrics::gauge!("profile_server_heap_bytes").set(ALLOCATOR.allocated() as f64);
    metrics::gauge!("profile_server_event_streams").set(state.event_listeners() as f64);
    let (in_use, open) = state.store.pool_connections();
    metrics::gauge!("profile_server_db_connections", "state" => "in_use").set(f64::from(in_use));
    metrics::gauge!("profile_server_db_connections", "state" => "open").set(f64::from(open));
    match state.store.photo_bytes().await {
        Ok(bytes) => metrics::gauge!("profile_server_photo_bytes").set(bytes as f64),
        Err(error) => tracing::warn!(%error, "cannot count the photos' bytes"),
    }
    handle.render()
}

/// Prints a line to standard output, ignoring a reader that went away.
fn say(line: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _unread = writeln!(stdout, "{line}").and_then(|()| stdout.flush());
}

async fn admin(db: &str, command: Command) -> Result<(), String> {
    let store = open(db).await?;
    match command {
        Command::Backup { file } => {
            store.backup(&file).await.map_err(|e| e.to_string())?;
            println!(
                "backed up to {}; to restore: stop the server, replace its database file with \
                 this copy (and remove the old file's -wal and -shm), start the server",
                file.display()
            );
        }
        Command::User {
            command:
                UserCommand::Add {
                    email,
                    password_stdin,
                },
        } => {
            let password = read_password(password_stdin)?;
            store
                .add_user(&email, &password)
                .await
                .map_err(|e| e.to_string())?;
            println!("added {}", email.trim().to_lowercase());
        }
        Command::User {
            command: UserCommand::List,
        } => {
            for user in store.users().await.map_err(|e| e.to_string())? {
                let state = match user.disabled_at {
                    Some(at) => format!("disabled {}", at.to_rfc3339()),
                    None => "active".into(),
                };
                println!("{}\t{state}\t{} device(s)", user.email, user.devices);
            }
        }
        Command::User {
            command: UserCommand::Disable { email },
        } => {
            store
                .disable_user(&email)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "disabled {}; their devices are signed out",
                email.trim().to_lowercase()
            );
        }
        Command::Token {
            command: TokenCommand::Issue { email, device },
        } => {
            let issued = store
                .issue_token(&email, &device)
                .await
                .map_err(|e| e.to_string())?;
            println!("{}", issued.token);
        }
    }
    Ok(())
}

/// A password from a prompt without echo, or from the first line of standard input.
fn read_password(from_stdin: bool) -> Result<String, String> {
    let password = if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the password: {e}"))?;
        line.trim_end_matches(['\n', '\r']).to_owned()
    } else {
        let first = rpassword::prompt_password("Password: ")
            .map_err(|e| format!("cannot read the password: {e}"))?;
        let again = rpassword::prompt_password("Again: ")
            .map_err(|e| format!("cannot read the password: {e}"))?;
        if first != again {
            return Err("the two passwords differ".into());
        }
        first
    };
    Ok(password)
}
