//! Accounts on this computer: whether the app is used on this computer only (the embedded
//! server) or signed in to a server, where the device token is kept — the OS keyring (Secret
//! Service on Linux) when one answers, else a file only the owner can read — and the folder that
//! holds each (server, account)'s own cache, so two accounts' data never mix.
//!
//! `account.json` in the data folder records the choice; the token is never written there, nor
//! in the cache, the logs or any command's output.

use profile_client::api_client::{ApiClientService, ApiError, SignInError, SignedIn, UrlError};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The keyring's service name for every token of this app.
const KEYRING_SERVICE: &str = "offline-profile";
/// `OFFLINE_PROFILE_TOKEN_STORE=keyring|file|auto` (default `auto`): where new tokens go.
pub const TOKEN_STORE_ENV: &str = "OFFLINE_PROFILE_TOKEN_STORE";

/// How the app is used on this computer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "kebab-case")]
pub enum Choice {
    /// "Use on this computer only": the embedded server.
    Local,
    /// Signed in to a server.
    Server(Account),
}

/// One account on one server, as this computer knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The server's base URL, normalised (`https://host/`).
    pub server: String,
    /// The email signed in with, as typed (trimmed).
    pub email: String,
    /// This computer's device id on the server.
    pub device_id: String,
    /// Where the device token is kept.
    pub token_store: TokenStore,
}

/// Where a device token is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TokenStore {
    /// The OS keyring (Secret Service on Linux, Keychain on macOS, Credential Manager on
    /// Windows).
    Keyring,
    /// A file in the account's folder, readable by the owner only.
    File,
}

impl Account {
    /// Where this account's token is kept, in words: "the system keyring", or the file's path.
    pub fn token_place(&self, data_dir: &Path) -> String {
        match self.token_store {
            TokenStore::Keyring => "the system keyring".into(),
            TokenStore::File => format!(
                "{} (readable by you only)",
                self.dir(data_dir).join("token").display()
            ),
        }
    }
}

impl fmt::Display for TokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TokenStore::Keyring => "keyring",
            TokenStore::File => "file",
        })
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum AccountError {
    #[error("cannot use {path}: {reason}")]
    Io { path: PathBuf, reason: String },
    #[error("{path} is damaged ({reason}); sign in again")]
    Damaged { path: PathBuf, reason: String },
    #[error("the token for {email} on {server} is missing from the {store}; sign in again")]
    TokenMissing {
        email: String,
        server: String,
        store: TokenStore,
    },
    #[error("the system keyring failed: {0}")]
    Keyring(String),
}

impl Account {
    /// The account's own folder name: readable, and unique per (server, email).
    pub fn key(&self) -> String {
        account_key(&self.server, &self.email)
    }

    /// The folder with this account's cache (and its token file, when there is one).
    pub fn dir(&self, data_dir: &Path) -> PathBuf {
        data_dir.join("accounts").join(self.key())
    }

    fn keyring_user(&self) -> String {
        format!("{} on {}", self.email.to_lowercase(), self.server)
    }

    fn token_file(&self, data_dir: &Path) -> PathBuf {
        self.dir(data_dir).join("token")
    }
}

/// `ada-example.com--profiles.example.com-1a2b3c4d`: who and where, plus a hash of the exact
/// pair so that two servers differing only in scheme or path never share a folder.
fn account_key(server: &str, email: &str) -> String {
    let email = email.trim().to_lowercase();
    let readable = |text: &str| -> String {
        text.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' {
                    c
                } else {
                    '-'
                }
            })
            .take(40)
            .collect()
    };
    let host = profile_client::api_client::host(server);
    // FNV-1a: stable across builds and platforms (std's hasher is not).
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in server.bytes().chain([0]).chain(email.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!(
        "{}--{}-{:08x}",
        readable(&email),
        readable(host),
        hash >> 32
    )
}

/// The server URL as the API client normalises it (and checks it: https, or http to this
/// computer only).
pub fn normalise_server(server: &str) -> Result<String, UrlError> {
    Ok(ApiClientService::new(server, None)?.base_url().to_string())
}

fn choice_path(data_dir: &Path) -> PathBuf {
    data_dir.join("account.json")
}

/// What was chosen on this computer; `None` on the very first run. A data folder used before
/// accounts existed (a cache but no choice) is "this computer only", as it was.
pub fn current(data_dir: &Path) -> Result<Option<Choice>, AccountError> {
    let path = choice_path(data_dir);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| AccountError::Damaged {
                path,
                reason: e.to_string(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(data_dir
            .join("profile.sqlite3")
            .exists()
            .then_some(Choice::Local)),
        Err(e) => Err(io_error(&path, e)),
    }
}

/// Records the choice (written whole, then renamed into place).
pub fn choose(data_dir: &Path, choice: &Choice) -> Result<(), AccountError> {
    let text = serde_json::to_vec_pretty(choice).expect("a choice serialises");
    write_private(&choice_path(data_dir), &text)
}

/// Forgets the choice: the next start asks again.
pub fn forget_choice(data_dir: &Path) -> Result<(), AccountError> {
    remove_if_present(&choice_path(data_dir))
}

/// Signs in to `server` and keeps the token where `wanted` says (`None`: in the keyring when
/// one answers, else in the account's private file). Records the account as the current
/// choice.
pub async fn sign_in(
    data_dir: &Path,
    wanted: Option<TokenStore>,
    server: &str,
    email: &str,
    password: &str,
) -> Result<Account, SignInFailure> {
    let server = normalise_server(server).map_err(|e| SignInFailure::SignIn(e.into()))?;
    let email = email.trim().to_owned();
    let api = ApiClientService::new(&server, None).map_err(|e| SignInFailure::SignIn(e.into()))?;
    let signed_in: SignedIn = api
        .sign_in(&email, password, &device_name())
        .await
        .map_err(SignInFailure::SignIn)?;
    let mut account = Account {
        server,
        email,
        device_id: signed_in.device_id,
        token_store: TokenStore::File,
    };
    let data_dir = data_dir.to_path_buf();
    let token = signed_in.token;
    let (account, previous) = blocking(move || {
        let previous = previous_token(&data_dir, wanted, &account);
        account.token_store = keep_token(&data_dir, wanted, &account, &token)?;
        choose(&data_dir, &Choice::Server(account.clone()))?;
        Ok((account, previous))
    })
    .await
    .map_err(SignInFailure::Local)?;
    tracing::info!(server = %account.server, store = %account.token_store, "signed in");
    // Signing in again on this computer replaces its device in the account's list rather than
    // adding another: the token it replaces is signed out (an already refused one is simply
    // dropped; if the server cannot be told now, that device stays listed until removed there).
    if let Some(previous) = previous
        && let Some(error) = sign_out_device(&account.server, previous).await
    {
        tracing::info!(%error, "the device this sign-in replaces could not be signed out");
    }
    Ok(account)
}

/// Tells `server` to sign out the device whose token is `token`. `None` once it is signed
/// out, including when the server had already refused the token; else why it could not be told.
async fn sign_out_device(server: &str, token: String) -> Option<ApiError> {
    match ApiClientService::new(server, Some(token)) {
        Ok(api) => match api.sign_out().await {
            Ok(()) | Err(ApiError::SignedOut(_)) => None,
            Err(error) => Some(error),
        },
        Err(error) => Some(ApiError::Protocol(error.to_string())),
    }
}

/// The token this computer already keeps for `account` (the same server and email), from the
/// store a new one would go to. Blocking.
fn previous_token(
    data_dir: &Path,
    wanted: Option<TokenStore>,
    account: &Account,
) -> Option<String> {
    let stores = match wanted {
        Some(store) => vec![store],
        // The file first: it needs no D-Bus round trip.
        None => vec![TokenStore::File, TokenStore::Keyring],
    };
    stores.into_iter().find_map(|token_store| {
        let account = Account {
            token_store,
            ..account.clone()
        };
        load_token(data_dir, &account).ok()
    })
}

/// Runs keyring and file work off the async runtime (the keyring talks over D-Bus).
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AccountError> + Send + 'static,
) -> Result<T, AccountError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AccountError::Keyring(e.to_string()))?
}

/// The account's device token, from the keyring or its file.
pub async fn token(data_dir: &Path, account: &Account) -> Result<String, AccountError> {
    let (data_dir, account) = (data_dir.to_path_buf(), account.clone());
    blocking(move || load_token(&data_dir, &account)).await
}

/// Signs this computer out of `account`, for the window and the CLI alike: tells the server
/// (unless `offline`), deletes the token and, with `delete_data`, the account's data here, and
/// forgets the choice so the next start asks again. Signing out here does not depend on the
/// server: when it could not be told, its error comes back (the device then stays in the
/// account's list until it is signed out there).
pub async fn sign_out(
    data_dir: &Path,
    account: &Account,
    offline: bool,
    delete_data: bool,
) -> Result<Option<ApiError>, AccountError> {
    let not_told = match (offline, token(data_dir, account).await) {
        (false, Ok(token)) => sign_out_device(&account.server, token).await,
        // Offline, or no token left to sign out with.
        _ => None,
    };
    let (data_dir, account) = (data_dir.to_path_buf(), account.clone());
    blocking(move || {
        delete_token(&data_dir, &account)?;
        if delete_data {
            self::delete_data(&data_dir, &account)?;
        }
        forget_choice(&data_dir)
    })
    .await?;
    Ok(not_told)
}

/// Signing in failed: at the server, or while keeping the token here.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SignInFailure {
    #[error(transparent)]
    SignIn(SignInError),
    #[error(transparent)]
    Local(AccountError),
}

/// This computer's name for the devices list: "offline-profile on HOST".
pub fn device_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_else(|| "this computer".into());
    format!("offline-profile on {host}")
}

/// Keeps `token` for `account` and says where. Blocking (the keyring talks over D-Bus).
fn keep_token(
    data_dir: &Path,
    wanted: Option<TokenStore>,
    account: &Account,
    token: &str,
) -> Result<TokenStore, AccountError> {
    let keyring_first = match wanted {
        Some(TokenStore::File) => false,
        Some(TokenStore::Keyring) => {
            return keyring_set(account, token).map(|()| TokenStore::Keyring);
        }
        None => true,
    };
    if keyring_first {
        match keyring_set(account, token) {
            Ok(()) => {
                // A token file left from an earlier sign-in is stale now.
                remove_if_present(&account.token_file(data_dir))?;
                return Ok(TokenStore::Keyring);
            }
            Err(error) => {
                tracing::info!(%error, "no system keyring answers; keeping the token in a private file");
            }
        }
    }
    write_private(&account.token_file(data_dir), token.as_bytes())?;
    Ok(TokenStore::File)
}

/// The account's device token. Blocking.
pub fn load_token(data_dir: &Path, account: &Account) -> Result<String, AccountError> {
    let missing = || AccountError::TokenMissing {
        email: account.email.clone(),
        server: account.server.clone(),
        store: account.token_store,
    };
    match account.token_store {
        TokenStore::Keyring => match keyring_entry(account)?.get_password() {
            Ok(token) => Ok(token),
            Err(keyring::Error::NoEntry) => Err(missing()),
            Err(error) => Err(AccountError::Keyring(error.to_string())),
        },
        TokenStore::File => {
            let path = account.token_file(data_dir);
            match std::fs::read_to_string(&path) {
                Ok(token) if !token.trim().is_empty() => Ok(token.trim().to_owned()),
                Ok(_) => Err(missing()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(missing()),
                Err(e) => Err(io_error(&path, e)),
            }
        }
    }
}

/// Deletes the account's token wherever it is kept. Blocking.
pub fn delete_token(data_dir: &Path, account: &Account) -> Result<(), AccountError> {
    if account.token_store == TokenStore::Keyring {
        match keyring_entry(account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => {}
            Err(error) => return Err(AccountError::Keyring(error.to_string())),
        }
    }
    remove_if_present(&account.token_file(data_dir))
}

/// Deletes the account's local data (its cache and photos), and its folder.
pub fn delete_data(data_dir: &Path, account: &Account) -> Result<(), AccountError> {
    let dir = account.dir(data_dir);
    match std::fs::remove_dir_all(&dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error(&dir, e)),
    }
}

fn keyring_entry(account: &Account) -> Result<keyring::Entry, AccountError> {
    keyring::Entry::new(KEYRING_SERVICE, &account.keyring_user())
        .map_err(|e| AccountError::Keyring(e.to_string()))
}

/// Stores the token in the keyring and reads it back (a keyring that takes a secret but cannot
/// return it is no keyring).
fn keyring_set(account: &Account, token: &str) -> Result<(), AccountError> {
    let entry = keyring_entry(account)?;
    entry
        .set_password(token)
        .map_err(|e| AccountError::Keyring(e.to_string()))?;
    match entry.get_password() {
        Ok(read) if read == token => Ok(()),
        Ok(_) => Err(AccountError::Keyring("it returned another token".into())),
        Err(e) => Err(AccountError::Keyring(e.to_string())),
    }
}

/// Writes `bytes` to a private temporary file, syncs it and renames it over `path`: never
/// readable by others, never half-written.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), AccountError> {
    let dir = path.parent().expect("files live in folders");
    crate::session::private_dir(dir).map_err(|e| io_error(dir, e))?;
    let temporary = path.with_extension("tmp");
    let failed = |e| io_error(path, e);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&temporary).map_err(failed)?;
    // The mode above applies only to a new file; one left from an interrupted write is
    // made private too.
    restrict_to_owner(&temporary).map_err(failed)?;
    file.write_all(bytes).map_err(failed)?;
    file.sync_all().map_err(failed)?;
    std::fs::rename(&temporary, path).map_err(failed)
}

/// Makes `path` readable and writable by its owner only: mode 0600 on Unix; on Windows a
/// protected ACL whose one entry is the signed-in user's (no inherited entries).
pub fn restrict_to_owner(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(windows)]
    profile_client::windows::restrict_to_owner(path)?;
    #[cfg(not(any(unix, windows)))]
    let _ = path;
    Ok(())
}

fn remove_if_present(path: &Path) -> Result<(), AccountError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error(path, e)),
    }
}

fn io_error(path: &Path, error: std::io::Error) -> AccountError {
    AccountError::Io {
        path: path.to_path_buf(),
        reason: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_folders_differ_per_server_and_email_and_ignore_email_case() {
        let a = account_key("https://a.example/", "ada@example.com");
        assert_eq!(a, account_key("https://a.example/", " Ada@Example.com "));
        assert_ne!(a, account_key("http://a.example/", "ada@example.com"));
        assert_ne!(a, account_key("https://a.example/", "bob@example.com"));
        assert_ne!(a, account_key("https://a.example/v2/", "ada@example.com"));
        assert!(a.starts_with("ada-example.com--a.example"), "{a}");
        assert!(!a.contains('/'), "{a}");
    }
}
