//! The command line: `offline-profile [options]
//! [show|set|sync|status|watch|resolve|login|logout|whoami]`. Without a subcommand the window
//! opens.

use crate::account::{self, Choice};
use crate::session::{Connection, Session, SessionError, Settings, open_or_recover_cache};
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};
use futures::StreamExt;
use profile_client::PhotoEdit;
use profile_client::database::{DatabaseError, DatabaseService};
use profile_client::domain::{PhotoRef, SyncAttempt, SyncState, UserProfile};
use profile_client::{
    Activity, ReadStrategy, RepositoryError, Resolution, Status, SyncOutcome, WriteStrategy, sync,
};
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "offline-profile",
    version,
    about = "Shows and edits your profile, online or not."
)]
pub struct Cli {
    #[command(flatten)]
    pub options: Options,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args)]
pub struct Options {
    /// Where the local cache (and the embedded server's data) is kept.
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// The profile server's base URL. Without it, a server is started inside the app.
    #[arg(long, global = true, value_name = "URL")]
    pub api: Option<String>,
    /// The bearer token for --api.
    #[arg(
        long,
        global = true,
        env = "OFFLINE_PROFILE_TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
    /// How the profile is read.
    #[arg(
        long,
        global = true,
        default_value_t = ReadStrategy::Stream,
        value_parser = PossibleValuesParser::new(ReadStrategy::NAMES).try_map(|s| s.parse::<ReadStrategy>())
    )]
    pub read_strategy: ReadStrategy,
    /// How edits are written.
    #[arg(
        long,
        global = true,
        default_value_t = WriteStrategy::OfflineFirst,
        value_parser = PossibleValuesParser::new(WriteStrategy::NAMES).try_map(|s| s.parse::<WriteStrategy>())
    )]
    pub write_strategy: WriteStrategy,
    /// Seconds between periodic syncs.
    #[arg(long, global = true, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    pub sync_interval: u64,
    /// Read the bearer token for --api from this file (its first line) instead of --token.
    #[arg(long, global = true, value_name = "FILE", conflicts_with = "token")]
    pub token_file: Option<PathBuf>,
    /// Work offline: send no request at all.
    #[arg(long, global = true)]
    pub offline: bool,
    /// Where `login` keeps the token: the system keyring when one answers, else a private file
    /// (auto); or always one of them.
    #[arg(
        long,
        global = true,
        default_value = "auto",
        env = account::TOKEN_STORE_ENV,
        value_name = "auto|keyring|file",
        value_parser = token_store_setting
    )]
    pub token_store: TokenStoreSetting,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the cached profile and its state (no network).
    Show {
        #[arg(long)]
        json: bool,
    },
    /// Validate and save locally, then try one push.
    Set {
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        photo_url: Option<String>,
        /// A picture on this computer (PNG or JPEG) to be the photo: made upright, square and at
        /// most 512 pixels, and sent without its metadata; the file itself is not changed.
        #[arg(long, value_name = "FILE", conflicts_with = "no_photo")]
        photo: Option<std::path::PathBuf>,
        /// Remove the photo.
        #[arg(long)]
        no_photo: bool,
    },
    /// One full sync; succeeds only when the profile is synchronized afterwards.
    Sync {
        /// Run as the background job: step aside while a window or `watch` syncs this data
        /// folder, never twice at once, and keep trying to send a waiting edit (on the quiet
        /// schedule, at once when a network comes up) until it is sent or --give-up-after.
        #[arg(long)]
        background: bool,
        /// With --background: how long to keep trying, in seconds.
        #[arg(long, requires = "background", value_name = "SECONDS",
              default_value_t = crate::background::DEFAULT_BOUND.as_secs(),
              value_parser = clap::value_parser!(u64).range(1..=86_400))]
        give_up_after: u64,
    },
    /// Whether photos go on a metered connection (mobile data, a hotspot): `send`, or `wait`
    /// for an unmetered one (the default; a sync you ask for sends them anyway, and the
    /// profile's text always goes). Without --photos, says the setting.
    Metered {
        #[arg(long, value_name = "send|wait", value_parser = ["send", "wait"])]
        photos: Option<String>,
    },
    /// Whether changes are sent while the app is closed: enable, disable, status.
    Background {
        #[command(subcommand)]
        action: BackgroundAction,
    },
    /// Like show, plus the last sync attempt and its outcome.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Run the synchronizer without a window and print each change.
    Watch {
        #[arg(long)]
        json: bool,
    },
    /// Settle a conflict.
    Resolve {
        #[arg(
            long,
            conflicts_with = "use_theirs",
            required_unless_present = "use_theirs"
        )]
        keep_mine: bool,
        #[arg(long)]
        use_theirs: bool,
    },
    /// Sign in to the server named with --api as a new device of your account.
    Login {
        #[arg(long)]
        email: String,
        /// Read the password from standard input (its first line) instead of asking for it.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Sign this computer out of the server and forget its token.
    Logout {
        /// Sign out even though an edit has not reached the server (it is discarded).
        #[arg(long)]
        force: bool,
        /// Also delete this account's profile from this computer.
        #[arg(long)]
        delete_data: bool,
    },
    /// The account's signed-in devices, as the window's Devices page lists them; with
    /// `--sign-out ID`, signs that device out (its token is refused from then on).
    Devices {
        /// A device's id (from the list) to sign out. For this computer, use `logout`.
        #[arg(long, value_name = "ID")]
        sign_out: Option<String>,
        /// The list as JSON: `[{"id", "name", "created_at", "current"}]`.
        #[arg(long)]
        json: bool,
    },
    /// Who is signed in, to which server, and where the token is kept.
    Whoami {
        #[arg(long)]
        json: bool,
    },
}

/// `offline-profile background …`.
#[derive(Debug, Subcommand)]
pub enum BackgroundAction {
    /// Send edits and fetch other devices' changes while the app is closed (systemd user units,
    /// Task Scheduler or a LaunchAgent start a short job when there is work).
    Enable {
        /// Minutes between fetches of other devices' changes.
        #[arg(long, default_value_t = crate::background::DEFAULT_EVERY_MINUTES,
              value_parser = every_minutes, value_name = "MINUTES")]
        every: u32,
    },
    /// Stop sending in the background and remove the job's files.
    Disable,
    /// Whether background sync is on, how it runs, and its last run.
    Status {
        #[arg(long)]
        json: bool,
    },
}

fn every_minutes(value: &str) -> Result<u32, String> {
    let periods = crate::background::PERIODS;
    value
        .parse::<u32>()
        .ok()
        .filter(|minutes| periods.contains(minutes))
        .ok_or_else(|| format!("it must be one of {periods:?} (minutes that divide an hour)"))
}

impl Options {
    /// The settings the command line names; an error says what is wrong with one of them.
    pub fn settings(&self) -> Result<Settings, String> {
        let token = match &self.token_file {
            Some(path) => Some(read_token_file(path)?),
            None => self.token.clone(),
        };
        let data_dir = self
            .data_dir
            .clone()
            .unwrap_or_else(Settings::default_data_dir);
        let mut settings = Settings::new(data_dir).named(self.api.clone(), token);
        settings.read_strategy = self.read_strategy;
        settings.write_strategy = self.write_strategy;
        settings.sync_interval = Duration::from_secs(self.sync_interval);
        settings.offline = self.offline;
        settings.token_store = match self.token_store {
            TokenStoreSetting::Auto => None,
            TokenStoreSetting::Keyring => Some(account::TokenStore::Keyring),
            TokenStoreSetting::File => Some(account::TokenStore::File),
        };
        Ok(settings)
    }
}

/// The token in `path`: its first line, which must not be empty.
fn read_token_file(path: &std::path::Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("--token-file {}: {e}", path.display()))?;
    let token = text.lines().next().unwrap_or_default().trim();
    if token.is_empty() {
        return Err(format!(
            "--token-file {}: the file holds no token",
            path.display()
        ));
    }
    Ok(token.to_owned())
}

/// `--token-store`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStoreSetting {
    Auto,
    Keyring,
    File,
}

fn token_store_setting(value: &str) -> Result<TokenStoreSetting, String> {
    match value {
        "auto" | "" => Ok(TokenStoreSetting::Auto),
        "keyring" => Ok(TokenStoreSetting::Keyring),
        "file" => Ok(TokenStoreSetting::File),
        _ => Err(format!(
            "it must be auto, keyring or file (set by --token-store or {})",
            account::TOKEN_STORE_ENV
        )),
    }
}

/// Why a command failed; its exit code says which kind of failure it was.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The command line asked for something that cannot be done as asked (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The command ran and did not get what was asked (exit 1); the words say why.
    #[error("{0}")]
    NotDone(String),
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error(transparent)]
    Repository(#[from] RepositoryError),
    #[error(transparent)]
    Account(#[from] account::AccountError),
    #[error(transparent)]
    SignIn(#[from] account::SignInFailure),
    #[error(transparent)]
    Database(#[from] DatabaseError),
    #[error("cannot read standard input: {0}")]
    Input(#[from] std::io::Error),
    #[error(transparent)]
    Background(#[from] crate::background::BackgroundError),
    /// Failed, and already said why (exit 1).
    #[error("")]
    Reported,
}

impl Failure {
    /// 2 for what the user typed (a usage error, invalid input), 1 for everything else.
    pub fn code(&self) -> u8 {
        match self {
            Failure::Usage(_)
            | Failure::Repository(RepositoryError::Invalid(_))
            | Failure::Background(crate::background::BackgroundError::Refused(_)) => 2,
            _ => 1,
        }
    }
}

/// Runs a subcommand and returns the process exit code.
pub async fn run(settings: Settings, command: Command) -> ExitCode {
    match execute(settings, command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            if !matches!(failure, Failure::Reported) {
                eprintln!("offline-profile: {failure}");
            }
            ExitCode::from(failure.code())
        }
    }
}

async fn execute(mut settings: Settings, command: Command) -> Result<(), Failure> {
    let choice = settings.with_account()?;
    match command {
        Command::Login {
            email,
            password_stdin,
        } => login(settings, email, password_stdin).await,
        Command::Logout { force, delete_data } => {
            logout(settings, choice, force, delete_data).await
        }
        Command::Whoami { json } => {
            whoami(choice.as_ref(), json, &settings.data_dir);
            Ok(())
        }
        Command::Devices { sign_out, json } => devices(settings, sign_out, json).await,
        Command::Show { json } => show(&settings, json, false).await,
        Command::Status { json } => show(&settings, json, true).await,
        Command::Set {
            name,
            photo_url,
            photo,
            no_photo,
        } => set(settings, name, photo_url, photo, no_photo).await,
        Command::Sync {
            background: false, ..
        } => sync_once(settings).await,
        Command::Sync {
            background: true,
            give_up_after,
        } => {
            let run =
                crate::background::run_job(settings, Duration::from_secs(give_up_after)).await;
            println!(
                "{}",
                crate::fl!(
                    "cli-background-run",
                    outcome = run.outcome.replace('_', " "),
                    message = run.message.as_str()
                )
            );
            // The window is closed: a conflict or a sign-out is said by a notification, which
            // opens the window when clicked.
            if let Some(needs) = crate::notify::NeedsYou::of_outcome(&run.outcome) {
                let _ = tokio::task::spawn_blocking(move || crate::notify::from_job(needs)).await;
            }
            if run.failed() {
                return Err(Failure::Reported);
            }
            Ok(())
        }
        Command::Background { action } => background(&settings, action).await,
        Command::Metered { photos } => {
            let mut preferences = crate::background::Preferences::read(&settings.data_dir)?;
            if let Some(photos) = photos {
                preferences.photos_on_metered = photos == "send";
                preferences.write(&settings.data_dir)?;
            }
            println!(
                "{}",
                if preferences.photos_on_metered {
                    crate::fl!("cli-metered-send")
                } else {
                    crate::fl!("cli-metered-wait")
                }
            );
            Ok(())
        }
        Command::Watch { json } => watch(settings, json).await,
        Command::Resolve { keep_mine, .. } => {
            let resolution = if keep_mine {
                Resolution::KeepMine
            } else {
                Resolution::UseTheirs
            };
            resolve(settings, resolution).await
        }
    }
}

/// `background enable|disable|status`.
async fn background(settings: &Settings, action: BackgroundAction) -> Result<(), Failure> {
    use crate::background::{self, LastRun, Preferences};
    match action {
        BackgroundAction::Enable { every } => {
            let installed = background::enable(settings, every)?;
            println!(
                "{}",
                crate::fl!(
                    "cli-background-on",
                    how = installed.how.to_string(),
                    minutes = every
                )
            );
            for file in installed.files {
                println!("  {}", file.display());
            }
            Ok(())
        }
        BackgroundAction::Disable => {
            let removed = background::disable(settings)?;
            println!("{}", crate::fl!("cli-background-off"));
            for file in removed.files {
                println!(
                    "  {}",
                    crate::fl!("cli-removed-file", file = file.display().to_string())
                );
            }
            Ok(())
        }
        BackgroundAction::Status { json: as_json } => {
            let preferences = Preferences::read(&settings.data_dir)?;
            let files: Vec<_> = background::job_files(&settings.data_dir)?
                .into_iter()
                .filter(|file| file.exists())
                .collect();
            let last = LastRun::read(&settings.data_dir);
            let pending = match open_cache_quietly(settings).await {
                Some(db) => db.load_profile().await?.is_some_and(|p| !p.synchronized),
                None => false,
            };
            let name = background::name_for(&settings.data_dir)?;
            if as_json {
                println!(
                    "{}",
                    json!({
                        "enabled": preferences.enabled,
                        "how": preferences.how,
                        "job": name,
                        "every_minutes": preferences.every_minutes,
                        "photos_on_metered": preferences.photos_on_metered,
                        "files": files,
                        "pending": pending,
                        "last_run": last,
                    })
                );
                return Ok(());
            }
            let state = match (preferences.enabled, preferences.how) {
                (Some(true), Some(how)) => crate::fl!(
                    "cli-background-state-on-how",
                    how = how.to_string(),
                    minutes = preferences.every_minutes,
                    job = name
                ),
                (Some(true), None) => crate::fl!("cli-background-state-on"),
                (Some(false), _) => crate::fl!("cli-background-state-off"),
                (None, _) => crate::fl!("cli-background-state-never"),
            };
            let mut table = vec![(crate::fl!("cli-label-background"), state)];
            table.extend(
                files
                    .iter()
                    .map(|file| (String::new(), file.display().to_string())),
            );
            table.push((
                crate::fl!("cli-label-photos"),
                if preferences.photos_on_metered {
                    crate::fl!("cli-background-photos-send")
                } else {
                    crate::fl!("cli-background-photos-wait")
                },
            ));
            table.push((
                crate::fl!("cli-label-waiting"),
                if pending {
                    crate::fl!("cli-background-waiting-edit")
                } else {
                    crate::fl!("cli-background-waiting-nothing")
                },
            ));
            table.push((
                crate::fl!("cli-label-last-run"),
                match last {
                    Some(run) => crate::fl!(
                        "cli-background-last-run",
                        at = run.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                        outcome = run.outcome.replace('_', " "),
                        message = run.message.as_str(),
                        seconds = format!("{:.1}", run.seconds)
                    ),
                    None => crate::fl!("cli-never"),
                },
            ));
            for line in aligned(&table, 0) {
                println!("{line}");
            }
            Ok(())
        }
    }
}

/// The cache when there is one (no folder is created, nothing is recovered).
async fn open_cache_quietly(settings: &Settings) -> Option<DatabaseService> {
    let path = settings.cache_path();
    if !path.exists() {
        return None;
    }
    DatabaseService::open(&path).await.ok()
}

/// As a command that opened the profile ends: an edit not on the server is handed over to the
/// background job when background sync is on (and said).
async fn hand_over(session: Session) {
    let pending = session
        .repository
        .cached()
        .await
        .ok()
        .flatten()
        .is_some_and(|p| !p.synchronized);
    let data_dir = session.settings.data_dir.clone();
    drop(session);
    if let Some(words) = crate::background::hand_over(&data_dir, pending) {
        println!("{words}");
    }
}

/// `show` and `status`: the cached profile (and the last attempt), no network.
async fn show(settings: &Settings, json: bool, with_attempt: bool) -> Result<(), Failure> {
    let db = open_local(settings).await?;
    let profile = db.load_profile().await?;
    let attempt = if with_attempt {
        Some(db.last_sync_attempt().await?)
    } else {
        None
    };
    let photo = photo_held(&db, profile.as_ref()).await?;
    // Closed, not dropped at exit: the last connection to close folds the log into the file,
    // so a later process on a full or read-only disk can still read it.
    db.close().await;
    print_profile(profile.as_ref(), photo, attempt.as_ref(), json, settings);
    Ok(())
}

/// What this cache knows of the profile's photo: whether the server holds it (`uploaded`: sent
/// from here, or downloaded from it) and whether this computer does (`cached`: `false` while it
/// downloads). `None` without a photo.
#[derive(Debug, Clone, Copy)]
struct PhotoHeld {
    uploaded: bool,
    cached: bool,
}

async fn photo_held(
    db: &DatabaseService,
    profile: Option<&UserProfile>,
) -> Result<Option<PhotoHeld>, DatabaseError> {
    let Some(photo) = profile.and_then(|p| p.fields.photo.as_ref()) else {
        return Ok(None);
    };
    let uploaded = db.photo_uploaded(&photo.sha256).await?;
    Ok(Some(PhotoHeld {
        // One this computer does not hold came from the server.
        uploaded: uploaded.unwrap_or(true),
        cached: uploaded.is_some(),
    }))
}

async fn login(settings: Settings, email: String, password_stdin: bool) -> Result<(), Failure> {
    let usage = |message: &str| Failure::Usage(message.to_owned());
    let Some(server) = settings.named_server().map(str::to_owned) else {
        return Err(usage("login needs the server: --api URL"));
    };
    if email.trim().is_empty() {
        return Err(usage("--email is empty"));
    }
    let password = if password_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        // A GUI-subsystem program typed in cmd shares the console with a shell that does not
        // wait for it: both would read the keys, and the password could end up at the prompt.
        #[cfg(windows)]
        if profile_client::windows::attached_to_parent_console() {
            return Err(usage(
                "type the password on standard input instead: \
                 `offline-profile.exe login --email … --password-stdin` (cmd does not wait for \
                 this program, so it cannot ask for it here)",
            ));
        }
        rpassword::prompt_password(crate::fl!(
            "cli-password-prompt",
            email = email.trim(),
            server = server.as_str()
        ))
        .map_err(|e| {
            usage(&crate::fl!(
                "cli-password-cannot-ask",
                error = e.to_string()
            ))
        })?
    };
    if password.is_empty() {
        return Err(usage(&crate::fl!("cli-password-empty")));
    }
    let signed_in = account::sign_in(
        &settings.data_dir,
        settings.token_store,
        &server,
        &email,
        &password,
    )
    .await?;
    println!(
        "{}",
        crate::fl!(
            "cli-signed-in",
            email = signed_in.email.as_str(),
            server = signed_in.server.as_str(),
            device = signed_in.device_id.as_str(),
            place = signed_in.token_place(&settings.data_dir).to_string()
        )
    );
    Ok(())
}

/// `devices`: the account's devices, or one of them signed out.
async fn devices(settings: Settings, sign_out: Option<String>, json: bool) -> Result<(), Failure> {
    let not_signed_in = || Failure::NotDone(crate::fl!("cli-devices-not-signed-in"));
    // Before opening anything: a session without an account has no devices to ask about.
    if settings.connection.account().is_none() {
        return Err(not_signed_in());
    }
    let session = open(settings).await?;
    let api = session.account_api.clone().ok_or_else(not_signed_in)?;
    let unreachable = |error: profile_client::api_client::ApiError| {
        Failure::NotDone(crate::fl!(
            "cli-server-did-not-answer",
            error = error.to_string()
        ))
    };
    let list = api.devices().await.map_err(unreachable)?;
    if let Some(id) = sign_out {
        let Some(device) = list.iter().find(|device| device.id == id) else {
            return Err(Failure::NotDone(crate::fl!(
                "cli-no-such-device",
                id = id.as_str()
            )));
        };
        if device.current {
            return Err(Failure::NotDone(crate::fl!("cli-device-is-this-one")));
        }
        api.revoke_device(&id).await.map_err(unreachable)?;
        println!(
            "{}",
            crate::fl!(
                "cli-device-signed-out",
                name = device.name.as_str(),
                id = id.as_str()
            )
        );
        return Ok(());
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&list).map_err(|e| Failure::NotDone(e.to_string()))?
        );
    } else {
        for device in &list {
            let at = device.created_at.format("%Y-%m-%d %H:%M UTC").to_string();
            println!(
                "{}\t{}\t{}{}",
                device.id,
                device.name,
                crate::fl!("cli-device-line", at = at),
                if device.current {
                    format!("\t{}", crate::fl!("cli-device-this"))
                } else {
                    String::new()
                }
            );
        }
    }
    Ok(())
}

async fn logout(
    mut settings: Settings,
    choice: Option<Choice>,
    force: bool,
    delete_data: bool,
) -> Result<(), Failure> {
    let Some(Choice::Server(signed_in)) = choice else {
        return Err(Failure::NotDone(crate::fl!("cli-logout-not-signed-in")));
    };
    settings.connect(Connection::Account(signed_in.clone()));
    let db = open_local(&settings).await?;
    let unsynced = db.load_profile().await?.is_some_and(|p| !p.synchronized);
    db.close().await;
    if unsynced && !force {
        return Err(Failure::NotDone(crate::fl!(
            "cli-logout-unsynced",
            server = signed_in.server.as_str()
        )));
    }
    let discard = delete_data || unsynced;
    let not_told =
        account::sign_out(&settings.data_dir, &signed_in, settings.offline, discard).await?;
    if let Some(error) = not_told {
        eprintln!(
            "offline-profile: {}",
            crate::fl!("cli-logout-not-told", error = error.to_string())
        );
    }
    let (email, server, place) = (
        signed_in.email.as_str(),
        signed_in.server.as_str(),
        signed_in.token_place(&settings.data_dir).to_string(),
    );
    println!(
        "{}",
        if discard {
            crate::fl!(
                "cli-signed-out-deleted",
                email = email,
                server = server,
                place = place
            )
        } else {
            crate::fl!(
                "cli-signed-out-kept",
                email = email,
                server = server,
                place = place
            )
        }
    );
    Ok(())
}

/// The account as `whoami --json` and `status --json` show it (never the token).
fn account_json(choice: Option<&Choice>) -> serde_json::Value {
    match choice {
        None => json!({ "mode": null }),
        Some(Choice::Local) => json!({ "mode": "local" }),
        Some(Choice::Server(signed_in)) => json!({
            "mode": "server",
            "email": signed_in.email,
            "server": signed_in.server,
            "device_id": signed_in.device_id,
            "token_store": signed_in.token_store.to_string(),
        }),
    }
}

fn whoami(choice: Option<&Choice>, json: bool, data_dir: &std::path::Path) {
    if json {
        println!("{}", account_json(choice));
        return;
    }
    match choice {
        None => println!("{}", crate::fl!("cli-whoami-none")),
        Some(Choice::Local) => println!("{}", crate::fl!("cli-whoami-local")),
        Some(Choice::Server(signed_in)) => println!(
            "{}",
            crate::fl!(
                "cli-whoami-server",
                email = signed_in.email.as_str(),
                server = signed_in.server.as_str(),
                device = signed_in.device_id.as_str(),
                place = signed_in.token_place(data_dir).to_string()
            )
        ),
    }
}

async fn sync_once(settings: Settings) -> Result<(), Failure> {
    let session = open(settings).await?;
    // Asked for: photos go on a metered connection too.
    let outcome = match session.repository.sync_now().await {
        Ok(outcome) => outcome,
        Err(error) => {
            let words = in_words(&session, &error, &crate::fl!("cli-send-by-sync-again"));
            hand_over(session).await;
            return Err(Failure::NotDone(words));
        }
    };
    let profile = session.repository.cached().await?;
    match (outcome, profile) {
        (SyncOutcome::Synced, Some(profile)) if profile.synchronized => {
            println!(
                "{}",
                crate::fl!("cli-synced", profile = profile.fields.to_string())
            );
            Ok(())
        }
        (SyncOutcome::Conflict, _) => Err(Failure::NotDone(crate::fl!("cli-sync-conflict"))),
        (SyncOutcome::Empty, _) => Err(Failure::NotDone(crate::fl!("cli-sync-empty"))),
        (SyncOutcome::Held, _) => Err(Failure::NotDone(crate::fl!("cli-sync-held"))),
        (SyncOutcome::Synced | SyncOutcome::Pending, _) => {
            Err(Failure::NotDone(crate::fl!("cli-sync-pending")))
        }
    }
}

async fn resolve(settings: Settings, resolution: Resolution) -> Result<(), Failure> {
    let offline = settings.offline;
    let session = open(settings).await?;
    session.repository.resolve(resolution).await?;
    println!("{}", crate::fl!("cli-resolved"));
    if !offline {
        push_once(&session).await;
    }
    hand_over(session).await;
    Ok(())
}

/// The cache alone (no network), telling the user if a damaged one had to be replaced.
async fn open_local(settings: &Settings) -> Result<DatabaseService, SessionError> {
    let (db, recovered) = open_or_recover_cache(settings).await?;
    if let Some(aside) = recovered {
        eprintln!(
            "offline-profile: {}",
            crate::fl!("cli-cache-recovered", aside = aside.display().to_string())
        );
    }
    Ok(db)
}

async fn open(settings: Settings) -> Result<Session, SessionError> {
    let session = Session::open(settings).await?;
    if let Some(notice) = session.repository.status().notice {
        eprintln!("offline-profile: {notice}");
    }
    Ok(session)
}

async fn set(
    settings: Settings,
    name: Option<String>,
    photo_url: Option<String>,
    photo: Option<std::path::PathBuf>,
    no_photo: bool,
) -> Result<(), Failure> {
    if name.is_none() && photo_url.is_none() && photo.is_none() && !no_photo {
        return Err(Failure::Usage(crate::fl!("cli-nothing-to-set")));
    }
    // The picture is read and made fit before anything opens: a file that cannot be the photo
    // changes nothing.
    let picked = match &photo {
        Some(path) => {
            let path = path.clone();
            let normalised =
                tokio::task::spawn_blocking(move || profile_client::photo::normalize_file(&path))
                    .await
                    .map_err(|e| {
                        Failure::NotDone(crate::fl!("cli-photo-unreadable", error = e.to_string()))
                    })?;
            Some(normalised.map_err(|error| match error {
                // It names the file already.
                profile_client::photo::PhotoError::Unreadable { .. } => {
                    Failure::Usage(format!("the photo {error}"))
                }
                _ => Failure::Usage(format!("{}: {error}", path_shown(photo.as_deref()))),
            })?)
        }
        None => None,
    };
    let photo_edit = match (&picked, no_photo) {
        (Some(picked), _) => PhotoEdit::Set(picked),
        (None, true) => PhotoEdit::Remove,
        (None, false) => PhotoEdit::Keep,
    };
    let offline = settings.offline;
    let session = match open(settings.clone()).await {
        Ok(session) => session,
        // On a full disk the embedded server cannot start either: say why nothing was saved.
        Err(error) => return Err(cannot_write(&settings).await.unwrap_or(error.into())),
    };
    let current = session.repository.cached().await?;
    let name = name
        .or_else(|| current.as_ref().map(|p| p.fields.name.clone()))
        .unwrap_or_default();
    let photo_url = photo_url
        .or_else(|| current.as_ref().map(|p| p.fields.photo_url.clone()))
        .unwrap_or_default();
    let shown = current.as_ref().map(|p| p.fields.name.clone());
    let saved = session
        .repository
        .save_edit(&name, &photo_url, photo_edit)
        .await
        .map_err(
            |error| match crate::words::not_saved(&error, shown.as_deref()) {
                // The technical reason stays in the log (RUST_LOG=warn shows it).
                Some(words) => {
                    tracing::warn!(%error, "the change could not be saved");
                    Failure::NotDone(words)
                }
                None => Failure::Repository(error),
            },
        )?;
    println!(
        "{}",
        crate::fl!("cli-saved-locally", revision = saved.revision)
    );
    if !offline && !saved.synchronized {
        push_once(&session).await;
    }
    hand_over(session).await;
    Ok(())
}

/// Why nothing can be saved, in plain words, where the disk under the cache is full or takes
/// no writes; `None` otherwise.
async fn cannot_write(settings: &Settings) -> Option<Failure> {
    let cache = open_local(settings).await.ok()?;
    let outcome = cache.check_writable().await;
    let shown = cache.load_profile().await.ok().flatten();
    cache.close().await;
    let error = RepositoryError::from(outcome.err()?);
    let words = crate::words::not_saved(&error, shown.as_ref().map(|p| p.fields.name.as_str()))?;
    tracing::warn!(%error, "the change could not be saved");
    Some(Failure::NotDone(words))
}

fn path_shown(path: Option<&std::path::Path>) -> std::path::Display<'_> {
    path.unwrap_or_else(|| std::path::Path::new("")).display()
}

/// One push attempt after a local save; the save stands whatever happens here.
async fn push_once(session: &Session) {
    match session.repository.sync().await {
        Ok(SyncOutcome::Synced) => println!("{}", crate::fl!("cli-pushed")),
        Ok(SyncOutcome::Conflict) => println!("{}", crate::fl!("cli-not-pushed-conflict")),
        Ok(SyncOutcome::Empty) => println!("{}", crate::fl!("cli-not-pushed-empty")),
        Ok(SyncOutcome::Pending) => println!("{}", crate::fl!("cli-not-pushed-pending")),
        Ok(SyncOutcome::Held) => println!("{}", crate::fl!("cli-not-pushed-held")),
        Err(error) => println!(
            "{}",
            crate::fl!(
                "cli-not-pushed-error",
                words = in_words(session, &error, &crate::fl!("cli-send-by-anything"))
            )
        ),
    }
}

/// A failed attempt in the window's words (what happened, what happens to the change), then
/// `send`: how a kept change gets sent from here (or that nothing here changed), then the
/// technical reason.
fn in_words(session: &Session, error: &RepositoryError, send: &str) -> String {
    if matches!(error, RepositoryError::WorkingOffline) {
        // Asked for (`--offline`): nothing failed, and nothing is sent until it is left off.
        return error.to_string();
    }
    let failure = session.repository.failure(error);
    let mut words = crate::words::failure(&failure);
    let next = match (&failure.change, &failure.what) {
        (profile_client::ChangeFate::NothingPending, _) => Some(crate::fl!("cli-nothing-changed")),
        (profile_client::ChangeFate::SentWhenBack, _) => Some(send.to_owned()),
        // Kept: retrying alone will not send it; say what will, where we know.
        (profile_client::ChangeFate::Kept, profile_client::What::SignedOut) => {
            Some(crate::fl!("cli-send-by-login"))
        }
        (profile_client::ChangeFate::Kept, _) => None,
    };
    if let Some(next) = next {
        words.push(' ');
        words.push_str(&next);
    }
    if matches!(error, RepositoryError::Api(_)) {
        words.push_str(&format!(
            "\n  {}",
            crate::fl!("cli-details", error = error.to_string())
        ));
    }
    words
}

async fn watch(settings: Settings, json: bool) -> Result<(), Failure> {
    let session = open(settings).await?;
    // The background job steps aside while this syncs.
    let presence = crate::background::Presence::announce(&session.settings.data_dir);
    let synchronizer = tokio::spawn(sync::run(
        session.repository.clone(),
        session.settings.sync_config(),
    ));
    let mut changes = std::pin::pin!(session.repository.changes());
    let mut last: Option<(Option<UserProfile>, SyncState, String, bool)> = None;
    let interrupted = stop_requested();
    tokio::pin!(interrupted);
    loop {
        tokio::select! {
            status = changes.next() => {
                let Some(status) = status else { break };
                let key = (
                    status.profile.clone(),
                    status.state(),
                    activity_word(&status),
                    status.photos_wait,
                );
                if last.as_ref() != Some(&key) {
                    let db = session.repository.database();
                    let photo = photo_held(db, status.profile.as_ref()).await?;
                    print_status_line(&status, photo, json);
                    last = Some(key);
                }
            }
            _ = &mut interrupted => break,
        }
    }
    synchronizer.abort();
    let _ = synchronizer.await;
    drop(presence);
    hand_over(session).await;
    Ok(())
}

/// Resolves when this process is asked to stop: Ctrl+C, and on Windows also Ctrl+Break and
/// its console window being closed (which gives a console program a few seconds to end on its
/// own), and on Unix SIGTERM (systemd stopping the background job at log-out). (Log-off and
/// shutdown events reach only services on Windows.)
pub(crate) async fn stop_requested() {
    // Where a signal cannot be listened for, this never resolves (rather than at once).
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            futures::future::pending::<()>().await;
        }
    };
    #[cfg(windows)]
    {
        use tokio::signal::windows;
        if let (Ok(mut closed), Ok(mut broken)) = (windows::ctrl_close(), windows::ctrl_break()) {
            tokio::select! {
                () = ctrl_c => {}
                _ = closed.recv() => {}
                _ = broken.recv() => {}
            }
            return;
        }
    }
    #[cfg(unix)]
    if let Ok(mut terminated) =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    {
        tokio::select! {
            () = ctrl_c => {}
            _ = terminated.recv() => {}
        }
        return;
    }
    ctrl_c.await;
}

fn activity_word(status: &Status) -> String {
    match &status.activity {
        Activity::Idle => "idle".into(),
        Activity::Syncing => "syncing".into(),
        Activity::Offline { .. } => "offline".into(),
        Activity::Failed { reason, .. } => format!("error: {reason}"),
        Activity::SignedOut { reason } => format!("signed out: {reason}"),
    }
}

fn print_status_line(status: &Status, photo: Option<PhotoHeld>, json: bool) {
    use std::io::Write;
    if json {
        let mut value = profile_json(status.profile.as_ref(), photo);
        value["activity"] = json!(activity_word(status));
        value["photos_wait"] = json!(status.photos_wait);
        println!("{value}");
    } else {
        println!(
            "{} [{}] {}",
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            status.state(),
            describe(status.profile.as_ref())
        );
    }
    // A script reading a pipe sees each change at once.
    let _ignored = std::io::stdout().flush();
}

fn describe(profile: Option<&UserProfile>) -> String {
    profile.map_or_else(|| crate::fl!("cli-no-profile"), |p| p.fields.to_string())
}

/// A photo reference as JSON: `{"sha256", "width", "height", "bytes"}`, and with `held`,
/// `"uploaded"` and `"cached"`; `null` for none.
fn photo_json(photo: Option<&PhotoRef>, held: Option<PhotoHeld>) -> serde_json::Value {
    let Some(photo) = photo else {
        return serde_json::Value::Null;
    };
    let mut value = json!({
        "sha256": photo.sha256,
        "width": photo.width,
        "height": photo.height,
        "bytes": photo.bytes,
    });
    if let Some(held) = held {
        value["uploaded"] = json!(held.uploaded);
        value["cached"] = json!(held.cached);
    }
    value
}

fn profile_json(profile: Option<&UserProfile>, photo: Option<PhotoHeld>) -> serde_json::Value {
    let state = SyncState::of(profile);
    match profile {
        Some(p) => json!({
            "name": p.name(),
            "photo_url": p.photo_url(),
            "photo": photo_json(p.fields.photo.as_ref(), photo),
            "synchronized": p.synchronized,
            "state": state,
            "updated_at": p.updated_at,
            "synced_at": p.synced_at,
            "revision": p.revision,
            "server_version": p.base_version(),
            "server": p.base.as_ref().map(|base| base.server.as_str()),
            "conflict": p.conflict.as_ref().map(|c| json!({
                "fields": c.fields,
                "theirs": {
                    "name": c.theirs.fields.name,
                    "photo_url": c.theirs.fields.photo_url,
                    "photo": photo_json(c.theirs.fields.photo.as_ref(), None),
                    "version": c.theirs.version,
                },
            })),
        }),
        None => json!({
            "name": null,
            "photo_url": null,
            "photo": null,
            "synchronized": false,
            "state": state,
            "updated_at": null,
            "synced_at": null,
        }),
    }
}

/// What `show` and `status` say, built once and rendered as text or JSON.
struct Report<'a> {
    profile: Option<&'a UserProfile>,
    photo: Option<PhotoHeld>,
    /// `status` only: the last attempt (`Some(None)`: never) and the connection.
    status: Option<(Option<&'a SyncAttempt>, &'a Settings)>,
}

impl Report<'_> {
    fn json(&self) -> serde_json::Value {
        let mut value = profile_json(self.profile, self.photo);
        if let Some((attempt, settings)) = self.status {
            value["last_sync"] = match attempt {
                Some(a) => json!({ "at": a.at, "ok": a.ok, "message": a.message }),
                None => serde_json::Value::Null,
            };
            value["account"] = match &settings.connection {
                Connection::Token {
                    api,
                    token: Some(_),
                } => json!({ "mode": "token", "server": api, "token_store": "--token" }),
                Connection::Token { token: None, .. } => account_json(None),
                Connection::Account(signed_in) => {
                    account_json(Some(&Choice::Server(signed_in.clone())))
                }
                Connection::Local => account_json(Some(&Choice::Local)),
            };
        }
        value
    }

    /// The report as aligned lines, "label:  value", in the user's language.
    fn text(&self) -> Vec<String> {
        let mut table: Vec<(String, String)> = Vec::new();
        let state = SyncState::of(self.profile);
        let state_words = crate::words::state(state);
        match self.profile {
            Some(p) => {
                table.push((crate::fl!("cli-label-name"), p.name().to_owned()));
                table.push((
                    crate::fl!("cli-label-photo-url"),
                    if p.photo_url().is_empty() {
                        crate::fl!("cli-none")
                    } else {
                        p.photo_url().to_owned()
                    },
                ));
                if let Some(photo) = &p.fields.photo {
                    let photo = photo.to_string();
                    let held = match self.photo {
                        Some(PhotoHeld { cached: false, .. }) => {
                            crate::fl!("cli-photo-downloading", photo = photo)
                        }
                        Some(PhotoHeld {
                            uploaded: false, ..
                        }) => crate::fl!("cli-photo-not-uploaded", photo = photo),
                        _ => photo,
                    };
                    table.push((crate::fl!("cli-label-photo"), held));
                }
                table.push((crate::fl!("cli-label-state"), state_words));
                table.push((
                    crate::fl!("cli-label-updated-at"),
                    p.updated_at.to_rfc3339(),
                ));
                table.push((
                    crate::fl!("cli-label-synced-at"),
                    p.synced_at
                        .map_or_else(|| crate::fl!("cli-never"), |t| t.to_rfc3339()),
                ));
                if let Some(conflict) = &p.conflict {
                    let fields: Vec<_> = conflict
                        .fields
                        .iter()
                        .map(|&f| crate::words::field_label(f))
                        .collect();
                    table.push((
                        crate::fl!("cli-label-conflict"),
                        crate::fl!(
                            "cli-conflict",
                            fields = fields.join(", "),
                            theirs = conflict.theirs.fields.to_string()
                        ),
                    ));
                }
            }
            None => table.push((
                crate::fl!("cli-label-state"),
                crate::fl!("cli-state-no-profile", state = state_words),
            )),
        }
        if let Some((attempt, settings)) = self.status {
            table.push((
                crate::fl!("cli-label-last-sync"),
                match attempt {
                    Some(a) => format!("{} — {}", a.at.to_rfc3339(), a.message),
                    None => crate::fl!("cli-never"),
                },
            ));
            table.push((
                crate::fl!("cli-label-account"),
                match &settings.connection {
                    Connection::Account(signed_in) => crate::fl!(
                        "cli-account-server",
                        email = signed_in.email.as_str(),
                        server = signed_in.server.as_str(),
                        place = signed_in.token_place(&settings.data_dir).to_string()
                    ),
                    Connection::Token {
                        api,
                        token: Some(_),
                    } => crate::fl!("cli-account-token", server = api.as_str()),
                    Connection::Token { api, token: None } => {
                        crate::fl!("cli-account-none", server = api.as_str())
                    }
                    Connection::Local => crate::fl!("cli-account-local"),
                },
            ));
        }
        // One column for every report, whichever lines this one has.
        let labels = [
            "cli-label-name",
            "cli-label-photo-url",
            "cli-label-photo",
            "cli-label-state",
            "cli-label-updated-at",
            "cli-label-synced-at",
            "cli-label-conflict",
            "cli-label-last-sync",
            "cli-label-account",
        ];
        let width = labels
            .iter()
            .map(|id| crate::i18n::message(id).chars().count())
            .max()
            .unwrap_or(0);
        aligned(&table, width)
    }
}

/// `label: value` lines with the values in one column (a label of its own length in every
/// language); an empty label continues the line above.
fn aligned(table: &[(String, String)], min_width: usize) -> Vec<String> {
    let width = table
        .iter()
        .map(|(label, _)| label.chars().count())
        .max()
        .unwrap_or(0)
        .max(min_width);
    table
        .iter()
        .map(|(label, value)| {
            if label.is_empty() {
                format!("  {value}")
            } else {
                let pad = width - label.chars().count();
                format!("{label}: {:pad$}{value}", "")
            }
        })
        .collect()
}

/// Prints the profile; `attempt` is `Some` for `status` (which also shows the last attempt and
/// whose profile this is).
fn print_profile(
    profile: Option<&UserProfile>,
    photo: Option<PhotoHeld>,
    attempt: Option<&Option<SyncAttempt>>,
    json: bool,
    settings: &Settings,
) {
    let report = Report {
        profile,
        photo,
        status: attempt.map(|attempt| (attempt.as_ref(), settings)),
    };
    if json {
        println!("{}", report.json());
    } else {
        for line in report.text() {
            println!("{line}");
        }
    }
}
