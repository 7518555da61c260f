//! The composition root: turns the command-line settings into a running repository (and, with
//! no server named, the embedded server). Shared by the window and the CLI.

use crate::account::{self, Account, AccountError, Choice, TokenStore};
use profile_client::api_client::{ApiClientService, UrlError};
use profile_client::database::DatabaseService;
use profile_client::{
    ReadStrategy, RepositoryError, Strategies, SyncConfig, UserProfileRepository, WriteStrategy,
};
use profile_server::{self as server, RunningServer};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Where the data lives and how to reach the server.
#[derive(Debug, Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    /// The server's base URL; `None` starts the embedded server.
    pub api: Option<String>,
    pub token: Option<String>,
    /// The signed-in account whose server, token and cache are used (see [`Settings::with_account`]).
    pub account: Option<Account>,
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
            account: None,
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
        match &self.account {
            Some(account) => account.dir(&self.data_dir).join("profile.sqlite3"),
            None => self.data_dir.join("profile.sqlite3"),
        }
    }

    /// Uses the signed-in account for this run, unless a token was given (`--token`, for
    /// scripts) or `--api` names another server. Returns what was chosen on this computer
    /// (`None` on the first run).
    pub fn with_account(&mut self) -> Result<Option<Choice>, AccountError> {
        let choice = account::current(&self.data_dir)?;
        self.account = None;
        if self.token.is_some() {
            return Ok(choice);
        }
        if let Some(Choice::Server(signed_in)) = &choice {
            let same_server = match &self.api {
                None => true,
                Some(api) => {
                    account::normalise_server(api).ok().as_deref()
                        == Some(signed_in.server.as_str())
                }
            };
            if same_server {
                self.api = Some(signed_in.server.clone());
                self.account = Some(signed_in.clone());
            }
        }
        Ok(choice)
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

/// An open repository, and the embedded server when there is one.
pub struct Session {
    pub repository: Arc<UserProfileRepository>,
    pub settings: Settings,
    /// Kept alive for as long as the session; stops when dropped.
    pub server: Option<RunningServer>,
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
        let (api, server) = match &settings.api {
            Some(url) => {
                let token = match &settings.account {
                    Some(account) => Some(account::token(&settings.data_dir, account).await?),
                    None => settings.token.clone(),
                };
                (ApiClientService::new(url, token)?, None)
            }
            None => {
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
        let repository = UserProfileRepository::new(db, api, strategies, settings.offline).await?;
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
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path).map_err(|e| SessionError::DataDir {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
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
    let seeded = server
        .state
        .store
        .seed(&server::demo_profile(&server.url()))
        .await
        .map_err(|e| failed(&e))?;
    if seeded {
        tracing::info!("embedded server seeded with the demo profile");
    }
    Ok(server)
}

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
