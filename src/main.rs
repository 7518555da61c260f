// On Windows the app is a GUI program (no console window opens behind the window); its
// commands print to the console they were typed in (see `attach_parent_console`). The window
// does not attach: a Ctrl+C or a closed console in the shell it was started from must not end
// it.
#![cfg_attr(windows, windows_subsystem = "windows")]

use clap::Parser;
use offline_profile::cli::{self, Cli};
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    // A bug says so in one paragraph and writes its report to the data folder (`crash`).
    offline_profile::crash::install();
    // The user's language, for every word from here on (`--help` included).
    offline_profile::i18n::init();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // `--help`, `--version` and argument errors are printed where they were typed.
            #[cfg(windows)]
            profile_client::windows::attach_parent_console();
            error.exit()
        }
    };
    #[cfg(windows)]
    if cli.command.is_some() {
        profile_client::windows::attach_parent_console();
    }
    let settings = match cli.options.settings() {
        Ok(settings) => settings,
        Err(problem) => {
            #[cfg(windows)]
            profile_client::windows::attach_parent_console();
            eprintln!("offline-profile: {problem}");
            return ExitCode::from(2);
        }
    };
    offline_profile::crash::log_in(&settings.data_dir);
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
        // Colours for a terminal only: not in a log file (the background job's `job.log`), a
        // pipe or the journal.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();

    // The window needs a display and the libraries that reach it: said plainly, before the
    // toolkit would panic.
    if cli.command.is_none()
        && let Some(problem) = offline_profile::ui::app::no_display()
            .or_else(offline_profile::ui::app::missing_window_libraries)
    {
        eprintln!("offline-profile: {problem}");
        return ExitCode::FAILURE;
    }
    // One window per data folder: a second start brings the open one to the front.
    let instance = match cli.command {
        Some(_) => None,
        None => match offline_profile::single_instance::claim(&settings.data_dir) {
            Ok(offline_profile::single_instance::Claim::Shown) => {
                println!(
                    "offline-profile: the window for {} is open already; it was brought to the front",
                    settings.data_dir.display()
                );
                return ExitCode::SUCCESS;
            }
            Ok(offline_profile::single_instance::Claim::First(primary)) => Some(primary),
            Err(error) => {
                tracing::warn!(%error, "opening a window anyway");
                None
            }
        },
    };
    match cli.command {
        None => {
            // Until the toolkit is up, a panic of its own means the window cannot open.
            offline_profile::crash::opening_window(true);
            let opened = offline_profile::ui::app::run(settings, instance);
            match opened {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    #[cfg(windows)]
                    profile_client::windows::attach_parent_console();
                    eprintln!("offline-profile: cannot open the window: {error}");
                    ExitCode::FAILURE
                }
            }
        }
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
