//! profile-server: the REST server offline-profile syncs against.

use clap::Parser;
use profile_server as server;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

#[derive(Debug, Parser)]
#[command(name = "profile-server", version, about = "The profile REST server.")]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The SQLite file to keep the profile in.
    #[arg(long, default_value = "profile-server.sqlite3")]
    db: PathBuf,
    /// The bearer token clients must present. Without it, one is generated and printed.
    #[arg(long, env = "PROFILE_SERVER_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let token = match args.token.filter(|t| !t.is_empty()) {
        Some(token) => token,
        None => {
            let token = server::generate_token();
            println!("no --token given; clients must use this one: {token}");
            token
        }
    };
    if let Some(parent) = args.db.parent().filter(|p| !p.as_os_str().is_empty())
        && let Err(error) = std::fs::create_dir_all(parent)
    {
        eprintln!(
            "profile-server: cannot create {}: {error}",
            parent.display()
        );
        return ExitCode::FAILURE;
    }
    let running = match server::start(&args.db, &token, args.listen).await {
        Ok(running) => running,
        Err(error) => {
            eprintln!("profile-server: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!("listening on http://{}", running.addr);
    if let Err(error) = tokio::signal::ctrl_c().await {
        eprintln!("profile-server: cannot wait for Ctrl+C: {error}");
    }
    running.stop().await;
    ExitCode::SUCCESS
}
