//! The composition root: turns the command-line settings into a running repository (and, with
//! no server named, the embedded server). Shared by the window and the CLI.

use crate::account::{self, Account, AccountError, Choice, TokenStore};
use profile_client::api_client::{ApiClientService, ApiError, Device, UrlError};
use profile_client::database::DatabaseService;
use profile_client::{
    ReadStrategy, RepositoryError, Strategies, SyncConfig, UserProfileRepository, WriteStrategy,
};
use profile_server::{self as server, RunningServer};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How this run reaches a server, decided once (see [`Connection::decide`]) from what the
/// command line named and the account chosen on this computer; everything else reads it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Connection {
    /// This computer only: the embedded server on loopback, with its own token.
    #[default]
    Local,
    /// The signed-in account: its server, its token (keyring or file) and its own cache.
    Account(Account),
    /// A server named on the command line (`--api`, with `--token` for scripts): this data
    /// folder's own cache.
    Token { api: String, token: Option<String> },
}

impl Connection {
    /// The one rule: a token on the command line (scripts) uses that server and this folder's
    /// own cache, whatever account is signed in; otherwise the signed-in account, unless
    /// `--api` names another server; otherwise the server named, or this computer only. A
    /// `--token` without `--api` names no server, so it is this computer only.
    pub fn decide(api: Option<&str>, token: Option<&str>, choice: Option<&Choice>) -> Self {
        let signed_in = match choice {
            Some(Choice::Server(signed_in)) => Some(signed_in),
            Some(Choice::Local) | None => None,
        };
        match (api, token, signed_in) {
            (Some(api), Some(token), _) => Connection::Token {
                api: api.to_owned(),
                token: Some(token.to_owned()),
            },
            (None, Some(_), _) | (None, None, None) => Connection::Local,
            (None, None, Some(signed_in)) => Connection::Account(signed_in.clone()),
            (Some(api), None, Some(signed_in))
                if account::normalise_server(api).ok().as_deref()
                    == Some(signed_in.server.as_str()) =>
            {
                Connection::Account(signed_in.clone())
            }
            (Some(api), None, _) => Connection::Token {
                api: api.to_owned(),
                token: None,
            },
        }
    }

    /// The signed-in account, when this run uses one.
    pub fn account(&self) -> Option<&Account> {
        match self {
            Connection::Account(account) => Some(account),
            Connection::Local | Connection::Token { .. } => None,
        }
    }

    /// The server's base URL; `None` for the embedded server.
    pub fn server(&self) -> Option<&str> {
        match self {
            Connection::Local => None,
            Connection::Account(account) => Some(&account.server),
            Connection::Token { api, .. } => Some(api),
        }
    }
}

/// Where the data lives and how to reach the server.
#[derive(Debug, Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    /// The server named on the command line (`--api`), if any: an input to [`Connection::decide`].
    api: Option<String>,
    /// The token given on the command line (`--token`), if any: an input to [`Connection::decide`].
    token: Option<String>,
    /// How this run reaches a server (see [`Settings::with_account`]).
    pub connection: Connection,
    pub read_strategy: ReadStrategy,
    pub write_strategy: WriteStrategy,
    pub sync_interval: Duration,
    pub offline: bool,
    /// Where a sign-in keeps its token; `None`: the keyring when one answers, else the file.
    pub token_store: Option<TokenStore>,
}

impl Settings {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            api: None,
            token: None,
            connection: Connection::Local,
            read_strategy: ReadStrategy::default(),
            write_strategy: WriteStrategy::default(),
            sync_interval: SyncConfig::default().interval,
            offline: false,
            token_store: None,
        }
    }

    /// The platform's data folder, e.g. `~/.local/share/offline-profile`.
    pub fn default_data_dir() -> PathBuf {
        directories::ProjectDirs::from("", "", "offline-profile")
            .map(|dirs| dirs.data_dir().to_path_buf())
            .unwrap_or_else(|| PathBuf::from(".offline-profile"))
    }

    /// The local cache: the account's own when signed in, so two accounts never share one.
    pub fn cache_path(&self) -> PathBuf {
        match &self.connection {
            Connection::Account(account) => account.dir(&self.data_dir).join("profile.sqlite3"),
            Connection::Local | Connection::Token { .. } => self.data_dir.join("profile.sqlite3"),
        }
    }

    /// Decides this run's [`Connection`] from the command line and what was chosen on this
    /// computer, and returns that choice (`None` on the first run).
    pub fn with_account(&mut self) -> Result<Option<Choice>, AccountError> {
        let choice = account::current(&self.data_dir)?;
        self.connection =
            Connection::decide(self.api.as_deref(), self.token.as_deref(), choice.as_ref());
        Ok(choice)
    }

    /// What the command line named (`--api`, `--token`); the connection follows from them
    /// alone until [`with_account`](Self::with_account) adds what was chosen on this computer.
    pub fn named(mut self, api: Option<String>, token: Option<String>) -> Self {
        self.connection = Connection::decide(api.as_deref(), token.as_deref(), None);
        self.api = api;
        self.token = token;
        self
    }

    /// The server named on the command line (`--api`), if any.
    pub fn named_server(&self) -> Option<&str> {
        self.api.as_deref()
    }

    /// Whether the command line named a server or a token.
    pub fn names_a_server(&self) -> bool {
        self.api.is_some() || self.token.is_some()
    }

    /// Uses `connection` from now on (the window's first-run choice, a sign-in, a sign-out);
    /// what the command line named no longer applies.
    pub fn connect(&mut self, connection: Connection) {
        self.api = None;
        self.token = None;
        self.connection = connection;
    }

    pub fn server_db_path(&self) -> PathBuf {
        self.data_dir.join("server").join("profile-server.sqlite3")
    }

    pub fn token_path(&self) -> PathBuf {
        self.data_dir.join("server").join("token")
    }

    pub fn sync_config(&self) -> SyncConfig {
        SyncConfig {
            interval: self.sync_interval,
            ..SyncConfig::default()
        }
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum SessionError {
    #[error("cannot use the data folder {path}: {reason}")]
    DataDir { path: PathBuf, reason: String },
    #[error(transparent)]
    Url(#[from] UrlError),
    #[error("cannot start the embedded server: {0}")]
    Server(String),
    #[error(transparent)]
    Repository(#[from] RepositoryError),
    #[error(transparent)]
    Account(#[from] AccountError),
}

/// The signed-in account's own requests — its devices, signing one of them out — kept apart
/// from the repository, which alone changes profile data.
#[derive(Debug, Clone)]
pub struct AccountApi(ApiClientService);

impl AccountApi {
    /// The account's signed-in devices.
    pub async fn devices(&self) -> Result<Vec<Device>, ApiError> {
        self.0.devices().await
    }

    /// Signs one of the account's devices out.
    pub async fn revoke_device(&self, id: &str) -> Result<(), ApiError> {
        self.0.revoke_device(id).await
    }
}

/// An open repository, and the embedded server when there is one.
pub struct Session {
    pub repository: Arc<UserProfileRepository>,
    pub settings: Settings,
    /// Kept alive for as long as the session; stops when dropped.
    pub server: Option<RunningServer>,
    /// When signed in to an account: its own requests.
    pub account_api: Option<AccountApi>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("repository", &self.repository)
            .field("server", &self.server.as_ref().map(|s| s.addr))
            .finish()
    }
}

impl Session {
    /// Opens the cache and the API client, and starts the embedded server when no `--api` is
    /// given (in-process on loopback: starting it sends nothing over any network, so this holds
    /// with `--offline` too).
    pub async fn open(settings: Settings) -> Result<Self, SessionError> {
        let (db, recovered) = open_or_recover_cache(&settings).await?;
        let (api, server) = match &settings.connection {
            Connection::Account(account) => {
                let token = account::token(&settings.data_dir, account).await?;
                (ApiClientService::new(&account.server, Some(token))?, None)
            }
            Connection::Token { api, token } => (ApiClientService::new(api, token.clone())?, None),
            Connection::Local => {
                let token = embedded_token(&settings)?;
                let server = start_embedded(&settings, &token).await?;
                let api = ApiClientService::new(&server.url(), Some(token))?;
                (api, Some(server))
            }
        };
        let strategies = Strategies {
            read: settings.read_strategy,
            write: settings.write_strategy,
        };
        let account_api = settings
            .connection
            .account()
            .map(|_| AccountApi(api.clone()));
        let repository = UserProfileRepository::new(db, api, strategies, settings.offline).await?;
        // Photos wait on a metered connection unless the user lets them go there.
        repository.set_photos_on_metered(
            crate::background::Preferences::read(&settings.data_dir)
                .map(|preferences| preferences.photos_on_metered)
                .unwrap_or(false),
        );
        if let Some(aside) = recovered {
            repository.set_notice(format!(
                "The profile stored on this computer was damaged. It was kept aside as {} and a \
                 fresh copy is being fetched from the server.",
                aside.display()
            ));
        }
        Ok(Self {
            repository,
            settings,
            server,
            account_api,
        })
    }
}

/// Opens the local cache only: for commands that never touch the network.
pub async fn open_cache(settings: &Settings) -> Result<DatabaseService, SessionError> {
    Ok(open_or_recover_cache(settings).await?.0)
}

/// Opens the local cache. A file that is not a usable database is kept aside (renamed with a
/// timestamp, never deleted) and a fresh cache is started; the second value names the file
/// kept aside, so the user can be told.
pub async fn open_or_recover_cache(
    settings: &Settings,
) -> Result<(DatabaseService, Option<PathBuf>), SessionError> {
    let path = settings.cache_path();
    create_dir(path.parent().expect("the cache lives in a folder"))?;
    match DatabaseService::open(&path).await {
        Ok(db) => Ok((db, None)),
        Err(error) if error.is_corrupt() => {
            let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
            let aside = path.with_file_name(format!("profile.sqlite3.corrupt-{stamp}"));
            tracing::error!(%error, aside = %aside.display(), "the local cache is damaged; keeping it aside and starting afresh");
            for suffix in ["", "-wal", "-shm"] {
                let from = PathBuf::from(format!("{}{suffix}", path.display()));
                let to = PathBuf::from(format!("{}{suffix}", aside.display()));
                if from.exists() {
                    std::fs::rename(&from, &to).map_err(|e| SessionError::DataDir {
                        path: from.clone(),
                        reason: format!("cannot move the damaged cache aside: {e}"),
                    })?;
                }
            }
            let db = DatabaseService::open(&path)
                .await
                .map_err(|e| SessionError::Repository(e.into()))?;
            Ok((db, Some(aside)))
        }
        Err(error) => Err(SessionError::Repository(error.into())),
    }
}

/// Creates a data folder (private to the owner where the platform allows).
fn create_dir(path: &Path) -> Result<(), SessionError> {
    private_dir(path).map_err(|e| SessionError::DataDir {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// Creates `path` and its parents, readable by the owner only where the platform allows.
pub(crate) fn private_dir(path: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path)
}

/// Replaces `path` with `bytes` whole or not at all: written beside it (`NAME.partial`), then
/// renamed over it. Not synced to the disk: for files that may be lost in a crash, not torn.
pub(crate) fn replace_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    std::fs::write(&partial, bytes)?;
    std::fs::rename(&partial, path)
}

async fn start_embedded(settings: &Settings, token: &str) -> Result<RunningServer, SessionError> {
    let db = settings.server_db_path();
    let failed = |e: &dyn std::fmt::Display| SessionError::Server(e.to_string());
    // The same port as last time when it is free, so URLs the server handed out (the demo
    // photo's) keep working; otherwise any free port.
    let port_file = settings.data_dir.join("server").join("port");
    let remembered = std::fs::read_to_string(&port_file)
        .ok()
        .and_then(|text| text.trim().parse::<u16>().ok());
    let loopback = |port| std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let server = match remembered {
        Some(port) => match server::start(&db, token, loopback(port)).await {
            Ok(server) => server,
            Err(error) => {
                tracing::info!(%error, port, "the embedded server's last port is taken");
                server::start(&db, token, loopback(0))
                    .await
                    .map_err(|e| failed(&e))?
            }
        },
        None => server::start(&db, token, loopback(0))
            .await
            .map_err(|e| failed(&e))?,
    };
    if remembered != Some(server.addr.port())
        && let Err(error) = std::fs::write(&port_file, server.addr.port().to_string())
    {
        tracing::warn!(%error, "cannot remember the embedded server's port");
    }
    let store = &server.state.store;
    let seeded = if store.get().await.map_err(|e| failed(&e))?.is_none() {
        // The demo photo is uploaded as any device's would be, then the profile refers to it.
        let photo = profile_client::photo::normalize(DEMO_PHOTO).expect("the demo photo is fit");
        store
            .put_photo(server::DEFAULT_USER, &photo.jpeg, photo.width, photo.height)
            .await
            .map_err(|e| failed(&e))?;
        store
            .seed(&server::demo_profile(Some(photo.reference())))
            .await
            .map_err(|e| failed(&e))?
    } else {
        false
    };
    if seeded {
        tracing::info!("embedded server seeded with the demo profile");
    }
    Ok(server)
}

/// The demo profile's photo, made fit as a picked one is.
const DEMO_PHOTO: &[u8] = include_bytes!("../assets/avatar.png");

/// The embedded server's token: generated once, kept in the data folder, readable by the owner
/// only.
pub fn embedded_token(settings: &Settings) -> Result<String, SessionError> {
    let path = settings.token_path();
    let dir = path.parent().expect("the token lives in a folder");
    create_dir(dir)?;
    let failed = |e: std::io::Error| SessionError::DataDir {
        path: path.clone(),
        reason: e.to_string(),
    };
    match std::fs::read_to_string(&path) {
        Ok(token) if !token.trim().is_empty() => {
            account::restrict_to_owner(&path).map_err(failed)?;
            return Ok(token.trim().to_owned());
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(failed(e)),
    }
    let token = server::generate_token();
    account::write_private(&path, token.as_bytes())?;
    Ok(token)
}
