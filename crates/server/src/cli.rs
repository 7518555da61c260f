//! The command line of `profile-server`: its options, admin commands and settings file. In
//! the library so that the man page can be generated from it (`command()`).

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, Parser)]
#[command(
    name = "profile-server",
    version,
    about = "The profile REST server, for one person or a team."
)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, env = "PROFILE_SERVER_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Where accounts and profiles are kept: a SQLite file, or a `postgres://` URL (also
    /// `PROFILE_SERVER_DB`) that several instances can share.
    #[arg(
        long,
        global = true,
        env = "PROFILE_SERVER_DB",
        hide_env_values = true,
        default_value = "profile-server.sqlite3"
    )]
    pub db: String,
    /// Single-user shortcut: a bearer token for the default user's profile, besides accounts.
    #[arg(long, env = "PROFILE_SERVER_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Also serve `GET /metrics` (the Prometheus text format) on this address: a listener of
    /// its own, off by default, so the API's address never shows them; for a scraper on
    /// loopback or a private network.
    #[arg(long, value_name = "ADDRESS", env = "PROFILE_SERVER_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// How long a photo no profile uses any more is kept, in seconds (default: 7 days), for
    /// devices that uploaded it and went offline before sending the profile that uses it.
    #[arg(
        long,
        value_name = "SECONDS",
        env = "PROFILE_SERVER_PHOTO_GRACE_SECONDS",
        default_value_t = crate::PHOTO_GRACE.as_secs()
    )]
    pub photo_grace_seconds: u64,
    /// On SIGTERM (or Ctrl+C), answer `/ready` with 503 for this long before stopping, while
    /// serving as before, so a load balancer checking `/ready` moves new requests and event
    /// streams to other instances first (set it to the balancer's check interval times its
    /// fall count). Then: no new connections, event streams told to reconnect, requests in
    /// flight finished (for at most 5 s).
    #[arg(
        long,
        value_name = "SECONDS",
        env = "PROFILE_SERVER_DRAIN_SECONDS",
        default_value_t = 0
    )]
    pub drain_seconds: u64,
    /// How log lines are written to standard error: `text` for people, `json` (one object a
    /// line, with every field) for log shippers.
    #[arg(
        long,
        global = true,
        value_enum,
        env = "PROFILE_SERVER_LOG_FORMAT",
        default_value_t = LogFormat::Text
    )]
    pub log_format: LogFormat,
    /// Read settings from FILE first: `NAME=value` lines (systemd's `EnvironmentFile=`
    /// syntax; `#` starts a comment) naming the `PROFILE_SERVER_*` variables above, and
    /// `RUST_LOG`. The command line, then the process's environment, win over the file. The
    /// package's service and its admin commands read `/etc/profile-server/profile-server.env`,
    /// so they reach the same database, and a database password never shows on a command line.
    #[arg(long, global = true, value_name = "FILE")]
    pub env_file: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a consistent copy of the SQLite store to FILE (a new file), while the server
    /// runs. To restore: stop the server, put the copy in place of the store's file (removing
    /// its `-wal` and `-shm` files), start the server. (PostgreSQL: `pg_dump` / `pg_restore`.)
    Backup {
        /// The copy's path; it must not exist yet.
        file: PathBuf,
    },
    /// Manage the users who sign in.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage device tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; the password is asked for (or read from standard input).
    Add {
        email: String,
        /// Read the password from the first line of standard input instead of a prompt.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the users.
    List,
    /// Disable a user: every device of theirs is refused from now on.
    Disable { email: String },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Issue a device token for a user (for scripts); it is printed once.
    Issue {
        email: String,
        #[arg(long)]
        device: String,
    },
}

/// The variables a settings file may set besides the options' own (`RUST_LOG`: the log filter).
pub const LOG_FILTER_VARIABLE: &str = "RUST_LOG";

/// The parsed command line, and the settings file's log filter when it named one.
#[derive(Debug)]
pub struct Parsed {
    pub args: Args,
    pub log_filter: Option<String>,
}

/// The clap definition, for `--help`, the man page and the completions.
pub fn command() -> clap::Command {
    Args::command()
}

/// Parses `argv` (the program's name first): a `--env-file` first supplies defaults for the
/// options that read a `PROFILE_SERVER_*` variable. Errors (clap's, or the file's) are clap
/// errors, printed and exited with as clap does.
pub fn parse_from(argv: Vec<OsString>) -> Result<Parsed, clap::Error> {
    let mut command = command();
    let mut log_filter = None;
    if let Some(path) = env_file_argument(&argv) {
        let settings = read_env_file(&path)
            .map_err(|message| command.error(clap::error::ErrorKind::Io, message))?;
        let known: Vec<String> = command
            .get_arguments()
            .filter_map(|arg| arg.get_env())
            .map(|name| name.to_string_lossy().into_owned())
            .collect();
        for (name, (line, _)) in &settings {
            if name != LOG_FILTER_VARIABLE && !known.contains(name) {
                return Err(command.error(
                    clap::error::ErrorKind::Io,
                    format!(
                        "{} line {line}: {name} is not a setting of profile-server (it reads {} \
                         and {LOG_FILTER_VARIABLE})",
                        path.display(),
                        known.join(", ")
                    ),
                ));
            }
        }
        log_filter = settings
            .get(LOG_FILTER_VARIABLE)
            .map(|(_, value)| value.clone());
        command = command.mut_args(|arg| {
            let from_file = arg
                .get_env()
                .and_then(|name| settings.get(name.to_str()?))
                .map(|(_, value)| value.clone());
            match from_file {
                // Never shown by `--help`: it may hold a password.
                Some(value) => arg.default_value(value).hide_default_value(true),
                None => arg,
            }
        });
    }
    let matches = command.try_get_matches_from_mut(argv)?;
    let args = Args::from_arg_matches(&matches).map_err(|e| e.format(&mut command))?;
    Ok(Parsed { args, log_filter })
}

/// The value of `--env-file` on the command line, found before clap parses it (its contents
/// change what clap is told).
fn env_file_argument(argv: &[OsString]) -> Option<PathBuf> {
    let mut words = argv.iter().skip(1);
    while let Some(word) = words.next() {
        if word == "--" {
            return None;
        }
        if word == "--env-file" {
            return words.next().map(PathBuf::from);
        }
        if let Some(value) = word.to_str().and_then(|w| w.strip_prefix("--env-file=")) {
            return Some(PathBuf::from(value));
        }
    }
    None
}

/// `NAME=value` lines, each with its line number, in systemd's `EnvironmentFile=` syntax: blank
/// lines and lines starting with `#` or `;` are skipped, spaces around the name and the value
/// dropped, a value in single or double quotes unquoted (`\"` and `\\` inside double quotes).
pub fn read_env_file(path: &Path) -> Result<BTreeMap<String, (usize, String)>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read the settings file {}: {error}", path.display()))?;
    let mut settings = BTreeMap::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let at = |what: &str| format!("{} line {number}: {what}", path.display());
        let (name, value) = line
            .split_once('=')
            .ok_or_else(|| at("expected NAME=value"))?;
        let name = name.trim();
        let valid_name = name
            .chars()
            .enumerate()
            .all(|(i, c)| c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit()));
        if name.is_empty() || !valid_name {
            return Err(at(&format!("{name:?} is not a variable name")));
        }
        let value = unquote(value.trim()).ok_or_else(|| at("a quote is not closed"))?;
        if settings.insert(name.to_owned(), (number, value)).is_some() {
            return Err(at(&format!("{name} is set twice")));
        }
    }
    Ok(settings)
}

fn unquote(value: &str) -> Option<String> {
    let Some(quote) = value.chars().next().filter(|c| *c == '"' || *c == '\'') else {
        return Some(value.to_owned());
    };
    let inner = value.strip_prefix(quote)?.strip_suffix(quote)?;
    if quote == '\'' {
        return Some(inner.to_owned());
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?),
            '"' => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        file
    }

    fn parse(words: &[&str]) -> Result<Parsed, clap::Error> {
        parse_from(words.iter().map(OsString::from).collect())
    }

    #[test]
    fn a_settings_file_supplies_what_the_command_line_does_not_say() {
        let settings = file(
            "# comment\n; another\n\n PROFILE_SERVER_LISTEN = 127.0.0.1:9001 \n\
             PROFILE_SERVER_DB=\"postgres://app:p\\\"w@127.0.0.1:5432/x\"\n\
             PROFILE_SERVER_LOG_FORMAT='json'\nRUST_LOG=debug\n",
        );
        let path = settings.path().to_str().unwrap();
        let parsed = parse(&["profile-server", "--env-file", path]).unwrap();
        assert_eq!(parsed.args.listen.to_string(), "127.0.0.1:9001");
        assert_eq!(parsed.args.db, "postgres://app:p\"w@127.0.0.1:5432/x");
        assert!(matches!(parsed.args.log_format, LogFormat::Json));
        assert_eq!(parsed.log_filter.as_deref(), Some("debug"));
        // The command line wins, wherever `--env-file` stands, subcommands included.
        let parsed = parse(&[
            "profile-server",
            "--listen",
            "127.0.0.1:9002",
            "user",
            "list",
            &format!("--env-file={path}"),
        ])
        .unwrap();
        assert_eq!(parsed.args.listen.to_string(), "127.0.0.1:9002");
        assert_eq!(parsed.args.db, "postgres://app:p\"w@127.0.0.1:5432/x");
        assert!(matches!(
            parsed.args.command,
            Some(Command::User {
                command: UserCommand::List
            })
        ));
    }

    #[test]
    fn the_password_in_a_settings_file_never_shows_in_help() {
        let settings = file("PROFILE_SERVER_DB=postgres://app:hunter2@127.0.0.1/x\n");
        let path = settings.path().to_str().unwrap();
        let help = parse(&["profile-server", "--env-file", path, "--help"]).unwrap_err();
        let text = help.render().to_string();
        assert!(text.contains("--db"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    fn a_wrong_settings_file_is_refused_with_its_line() {
        let cases = [
            (
                "PROFILE_SERVER_LISTEN=127.0.0.1:1\nPROFILE_SEVER_DB=x\n",
                "line 2: PROFILE_SEVER_DB is not a setting",
            ),
            ("listen 127.0.0.1:1\n", "line 1: expected NAME=value"),
            ("PROFILE_SERVER_DB=\"x\n", "line 1: a quote is not closed"),
            (
                "PROFILE_SERVER_DB=x\nPROFILE_SERVER_DB=y\n",
                "line 2: PROFILE_SERVER_DB is set twice",
            ),
            ("9X=1\n", "line 1: \"9X\" is not a variable name"),
        ];
        for (text, expected) in cases {
            let settings = file(text);
            let path = settings.path().to_str().unwrap();
            let error = parse(&["profile-server", "--env-file", path]).unwrap_err();
            let message = error.render().to_string();
            assert!(message.contains(expected), "{text:?}: {message}");
            assert!(message.contains(path), "{message}");
        }
        let missing = parse(&[
            "profile-server",
            "--env-file",
            "/nonexistent/profile-server.env",
        ])
        .unwrap_err()
        .render()
        .to_string();
        assert!(
            missing.contains("cannot read the settings file /nonexistent/profile-server.env"),
            "{missing}"
        );
        // A value the option refuses is refused as if typed.
        let settings = file("PROFILE_SERVER_LISTEN=here\n");
        let path = settings.path().to_str().unwrap();
        let message = parse(&["profile-server", "--env-file", path])
            .unwrap_err()
            .render()
            .to_string();
        assert!(
            message.contains("here") && message.contains("--listen"),
            "{message}"
        );
    }
}
