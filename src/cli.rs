//! The command line: `offline-profile [options]
//! [show|set|sync|status|watch|resolve|login|logout|whoami]`. Without a subcommand the window
//! opens.

use crate::account::{self, Account, Choice};
use crate::session::{Session, SessionError, Settings, open_or_recover_cache};
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};
use futures::StreamExt;
use profile_client::database::DatabaseService;
use profile_client::domain::{SyncAttempt, SyncState, UserProfile};
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
    },
    /// One full sync; succeeds only when the profile is synchronized afterwards.
    Sync,
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
    /// Who is signed in, to which server, and where the token is kept.
    Whoami {
        #[arg(long)]
        json: bool,
    },
}

impl Options {
    pub fn settings(&self) -> Settings {
        Settings {
            data_dir: self
                .data_dir
                .clone()
                .unwrap_or_else(Settings::default_data_dir),
            api: self.api.clone(),
            token: self.token.clone(),
            account: None,
            read_strategy: self.read_strategy,
            write_strategy: self.write_strategy,
            sync_interval: Duration::from_secs(self.sync_interval),
            offline: self.offline,
            token_store: match self.token_store {
                TokenStoreSetting::Auto => None,
                TokenStoreSetting::Keyring => Some(account::TokenStore::Keyring),
                TokenStoreSetting::File => Some(account::TokenStore::File),
            },
        }
    }
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

/// A command failed; the message says why.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub code: u8,
}

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(error: E) -> Self {
        Failure {
            message: error.to_string(),
            code: 1,
        }
    }
}

/// Runs a subcommand and returns the process exit code.
pub async fn run(settings: Settings, command: Command) -> ExitCode {
    match execute(settings, command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("offline-profile: {}", failure.message);
            ExitCode::from(failure.code)
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
            whoami(choice.as_ref(), json);
            Ok(())
        }
        Command::Show { json } => show(&settings, json, false).await,
        Command::Status { json } => show(&settings, json, true).await,
        Command::Set { name, photo_url } => set(settings, name, photo_url).await,
        Command::Sync => sync_once(settings).await,
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

/// `show` and `status`: the cached profile (and the last attempt), no network.
async fn show(settings: &Settings, json: bool, with_attempt: bool) -> Result<(), Failure> {
    let db = open_local(settings).await?;
    let profile = db.load_profile().await?;
    let attempt = if with_attempt {
        Some(db.last_sync_attempt().await?)
    } else {
        None
    };
    print_profile(profile.as_ref(), attempt.as_ref(), json, settings);
    Ok(())
}

async fn login(settings: Settings, email: String, password_stdin: bool) -> Result<(), Failure> {
    let usage = |message: &str| Failure {
        message: message.to_owned(),
        code: 2,
    };
    let Some(server) = settings.api.clone() else {
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
        rpassword::prompt_password(format!("Password for {} at {server}: ", email.trim())).map_err(
            |e| {
                usage(&format!(
                    "cannot ask for the password ({e}); pipe it in with --password-stdin"
                ))
            },
        )?
    };
    if password.is_empty() {
        return Err(usage("the password is empty"));
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
        "signed in as {} at {} (device {}); the token is kept in {}",
        signed_in.email,
        signed_in.server,
        signed_in.device_id,
        token_place(&settings, &signed_in)
    );
    Ok(())
}

/// Where the token is kept, in words.
fn token_place(settings: &Settings, signed_in: &Account) -> String {
    match signed_in.token_store {
        account::TokenStore::Keyring => "the system keyring".into(),
        account::TokenStore::File => format!(
            "{} (readable by you only)",
            signed_in.dir(&settings.data_dir).join("token").display()
        ),
    }
}

async fn logout(
    mut settings: Settings,
    choice: Option<Choice>,
    force: bool,
    delete_data: bool,
) -> Result<(), Failure> {
    let Some(Choice::Server(signed_in)) = choice else {
        return Err(Failure::from(
            "not signed in to a server (this computer's profile needs no signing out)",
        ));
    };
    settings.account = Some(signed_in.clone());
    let db = open_local(&settings).await?;
    let unsynced = db.load_profile().await?.is_some_and(|p| !p.synchronized);
    db.close().await;
    if unsynced && !force {
        return Err(Failure::from(format!(
            "your latest change has not reached {} yet; run `offline-profile sync` first, or \
             `offline-profile logout --force` to sign out and discard it",
            signed_in.server
        )));
    }
    let discard = delete_data || unsynced;
    let not_told =
        account::sign_out(&settings.data_dir, &signed_in, settings.offline, discard).await?;
    if let Some(error) = not_told {
        eprintln!(
            "offline-profile: the server was not told ({error}); this device stays in the \
             account's device list until it is signed out there"
        );
    }
    println!(
        "signed out of {} at {}; the token was removed from {}{}",
        signed_in.email,
        signed_in.server,
        match signed_in.token_store {
            account::TokenStore::Keyring => "the system keyring",
            account::TokenStore::File => "its file",
        },
        if discard {
            "; this account's data on this computer was deleted"
        } else {
            "; this account's profile stays on this computer for when you sign in again"
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

fn whoami(choice: Option<&Choice>, json: bool) {
    if json {
        println!("{}", account_json(choice));
        return;
    }
    match choice {
        None => println!("not signed in; the app has not been set up on this computer yet"),
        Some(Choice::Local) => println!("using this computer only (no account)"),
        Some(Choice::Server(signed_in)) => println!(
            "{} at {} (device {}; token in the {})",
            signed_in.email,
            signed_in.server,
            signed_in.device_id,
            match signed_in.token_store {
                account::TokenStore::Keyring => "system keyring",
                account::TokenStore::File => "private token file",
            }
        ),
    }
}

async fn sync_once(settings: Settings) -> Result<(), Failure> {
    let session = open(settings).await?;
    let outcome = match session.repository.sync().await {
        Ok(outcome) => outcome,
        Err(error) => {
            let pending = session
                .repository
                .status()
                .profile
                .is_some_and(|profile| !profile.synchronized);
            let kept = if pending {
                "Your change is kept here; sync again once the server answers."
            } else {
                "Nothing here was changed."
            };
            return Err(Failure::from(in_words(&session, &error, kept)));
        }
    };
    let profile = session.repository.cached().await?;
    match (outcome, profile) {
        (SyncOutcome::Synced, Some(profile)) if profile.synchronized => {
            println!("synced: {}", profile.fields);
            Ok(())
        }
        (SyncOutcome::Conflict, _) => Err(Failure::from(
            "conflict: the profile was changed here and on the server; run \
             `offline-profile resolve --keep-mine` or `--use-theirs`",
        )),
        (SyncOutcome::Empty, _) => Err(Failure::from(
            "there is no profile here or on the server yet; create one with `set --name`",
        )),
        (SyncOutcome::Synced | SyncOutcome::Pending, _) => Err(Failure::from(
            "the profile changed during the sync and is not synchronized yet; sync again",
        )),
    }
}

async fn resolve(settings: Settings, resolution: Resolution) -> Result<(), Failure> {
    let offline = settings.offline;
    let session = open(settings).await?;
    session.repository.resolve(resolution).await?;
    println!("resolved locally");
    if !offline {
        push_once(&session).await;
    }
    Ok(())
}

/// The cache alone (no network), telling the user if a damaged one had to be replaced.
async fn open_local(settings: &Settings) -> Result<DatabaseService, SessionError> {
    let (db, recovered) = open_or_recover_cache(settings).await?;
    if let Some(aside) = recovered {
        eprintln!(
            "offline-profile: the local profile was damaged; it was kept aside as {} and a fresh \
             one was started (run `offline-profile sync` to fetch it from the server)",
            aside.display()
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
) -> Result<(), Failure> {
    if name.is_none() && photo_url.is_none() {
        return Err(Failure {
            message: "nothing to set: give --name and/or --photo-url".into(),
            code: 2,
        });
    }
    let offline = settings.offline;
    let session = open(settings).await?;
    let current = session.repository.cached().await?;
    let name = name
        .or_else(|| current.as_ref().map(|p| p.fields.name.clone()))
        .unwrap_or_default();
    let photo_url = photo_url
        .or_else(|| current.as_ref().map(|p| p.fields.photo_url.clone()))
        .unwrap_or_default();
    let saved = session
        .repository
        .save(&name, &photo_url)
        .await
        .map_err(|error| Failure {
            code: if matches!(error, RepositoryError::Invalid(_)) {
                2
            } else {
                1
            },
            message: error.to_string(),
        })?;
    println!("saved locally (revision {})", saved.revision);
    if !offline && !saved.synchronized {
        push_once(&session).await;
    }
    Ok(())
}

/// One push attempt after a local save; the save stands whatever happens here.
async fn push_once(session: &Session) {
    match session.repository.sync().await {
        Ok(SyncOutcome::Synced) => println!("pushed to the server"),
        Ok(SyncOutcome::Conflict) => {
            println!("not pushed: conflict with the server's copy; run `offline-profile resolve`")
        }
        Ok(SyncOutcome::Empty) => println!("not pushed: nothing to push"),
        Ok(SyncOutcome::Pending) => println!("not pushed yet: the profile kept changing"),
        Err(error) => println!(
            "not pushed yet: {}",
            in_words(
                session,
                &error,
                "Your change is kept here; `offline-profile sync` sends it, and so does a running \
                 window or `watch` once the server answers."
            )
        ),
    }
}

/// A failed sync as the window says it ("The server at … isn't answering (connection
/// refused)."), then what happens to the change, then the technical reason.
fn in_words(session: &Session, error: &RepositoryError, kept: &str) -> String {
    match error {
        RepositoryError::Api(api) => format!(
            "{} {kept}\n  details: {error}",
            api.plain_words(session.repository.api().base_url().as_str()),
        ),
        other => other.to_string(),
    }
}

async fn watch(settings: Settings, json: bool) -> Result<(), Failure> {
    let session = open(settings).await?;
    let synchronizer = tokio::spawn(sync::run(
        session.repository.clone(),
        session.settings.sync_config(),
    ));
    let mut changes = std::pin::pin!(session.repository.changes());
    let mut last: Option<(Option<UserProfile>, SyncState, String)> = None;
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    loop {
        tokio::select! {
            status = changes.next() => {
                let Some(status) = status else { break };
                let key = (status.profile.clone(), status.state(), activity_word(&status));
                if last.as_ref() != Some(&key) {
                    print_status_line(&status, json);
                    last = Some(key);
                }
            }
            _ = &mut interrupted => break,
        }
    }
    synchronizer.abort();
    Ok(())
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

fn print_status_line(status: &Status, json: bool) {
    use std::io::Write;
    if json {
        let mut value = profile_json(status.profile.as_ref());
        value["activity"] = json!(activity_word(status));
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
    profile.map_or_else(|| "(no profile)".into(), |p| p.fields.to_string())
}

fn profile_json(profile: Option<&UserProfile>) -> serde_json::Value {
    let state = SyncState::of(profile);
    match profile {
        Some(p) => json!({
            "name": p.name(),
            "photo_url": p.photo_url(),
            "synchronized": p.synchronized,
            "state": state,
            "updated_at": p.updated_at,
            "synced_at": p.synced_at,
            "revision": p.revision,
            "server_version": p.base_version(),
            "server": p.base.as_ref().map(|base| base.server.as_str()),
            "conflict": p.conflict.as_ref().map(|c| json!({
                "fields": c.fields,
                "theirs": { "name": c.theirs.fields.name, "photo_url": c.theirs.fields.photo_url, "version": c.theirs.version },
            })),
        }),
        None => json!({
            "name": null,
            "photo_url": null,
            "synchronized": false,
            "state": state,
            "updated_at": null,
            "synced_at": null,
        }),
    }
}

/// Prints the profile; `attempt` is `Some` for `status` (which also shows the last attempt).
fn print_profile(
    profile: Option<&UserProfile>,
    attempt: Option<&Option<SyncAttempt>>,
    json: bool,
    settings: &Settings,
) {
    // `status` also says whose profile this is and where the token is kept.
    let choice = match (&settings.account, &settings.api, &settings.token) {
        (Some(signed_in), _, _) => Some(Choice::Server(signed_in.clone())),
        (None, None, None) => Some(Choice::Local),
        _ => None,
    };
    if json {
        let mut value = profile_json(profile);
        if let Some(attempt) = attempt {
            value["last_sync"] = match attempt {
                Some(a) => json!({ "at": a.at, "ok": a.ok, "message": a.message }),
                None => serde_json::Value::Null,
            };
            value["account"] = match (&choice, &settings.token) {
                (_, Some(_)) => {
                    json!({ "mode": "token", "server": settings.api, "token_store": "--token" })
                }
                (choice, None) => account_json(choice.as_ref()),
            };
        }
        println!("{value}");
        return;
    }
    let state = SyncState::of(profile);
    match profile {
        Some(p) => {
            println!("name:       {}", p.name());
            println!(
                "photo URL:  {}",
                if p.photo_url().is_empty() {
                    "(none)"
                } else {
                    p.photo_url()
                }
            );
            println!("state:      {state}");
            println!("updated at: {}", p.updated_at.to_rfc3339());
            println!(
                "synced at:  {}",
                p.synced_at.map_or("never".into(), |t| t.to_rfc3339())
            );
            if let Some(conflict) = &p.conflict {
                let fields: Vec<_> = conflict.fields.iter().map(|f| f.label()).collect();
                println!(
                    "conflict:   {} (server has: {})",
                    fields.join(", "),
                    conflict.theirs.fields
                );
            }
        }
        None => println!("state:      {state} (no profile on this computer yet)"),
    }
    if let Some(attempt) = attempt {
        match attempt {
            Some(a) => println!("last sync:  {} — {}", a.at.to_rfc3339(), a.message),
            None => println!("last sync:  never"),
        }
        match &settings.account {
            Some(signed_in) => println!(
                "account:    {} at {} (token in the {})",
                signed_in.email, signed_in.server, signed_in.token_store
            ),
            None if settings.token.is_some() => println!("account:    --token"),
            None if settings.api.is_none() => println!("account:    this computer only"),
            None => println!(
                "account:    none (not signed in to {})",
                settings.api.as_deref().unwrap_or("")
            ),
        }
    }
}
