// On Windows the app is a GUI program (no console window opens behind the window); its
// commands print to the console they were typed in (see `attach_parent_console`).
#![cfg_attr(windows, windows_subsystem = "windows")]

use clap::Parser;
use offline_profile::cli::{self, Cli};
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    // Before anything is printed, `--help` and argument errors included.
    #[cfg(windows)]
    profile_client::windows::attach_parent_console();
    let cli = Cli::parse();
    let settings = cli.options.settings();
    // The window logs what it does; subcommands keep stderr for problems only.
    let default_level = if cli.command.is_some() {
        "error"
    } else {
        "info"
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level)),
        )
        .with_writer(std::io::stderr)
        .init();

    match cli.command {
        None => match offline_profile::ui::app::run(settings) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("offline-profile: cannot open the window: {error}");
                ExitCode::FAILURE
            }
        },
        Some(command) => {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(error) => {
                    eprintln!("offline-profile: cannot start: {error}");
                    return ExitCode::FAILURE;
                }
            };
            runtime.block_on(cli::run(settings, command))
        }
    }
}
