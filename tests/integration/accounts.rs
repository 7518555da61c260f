//! Accounts on the desktop, through the real binary as a user runs it: signing in and out,
//! where the token is kept (a real GNOME keyring on its own D-Bus — on Windows the Credential
//! Manager —, or the private file), one cache per (server, account), safe sign-out, and a
//! revoked device.

#[cfg(target_os = "linux")]
use crate::netns::Bus;
#[cfg(target_os = "linux")]
use crate::support::programs_present;
use crate::support::{Start, TestServer, spawn_server};
use profile_client::api_client::{ApiClientService, ApiError, Fetched};
use std::io::Write;
use std::path::{Path, PathBuf};
#[cfg(target_os = "linux")]
use std::process::Child;
use std::process::{Command, Output, Stdio};
#[cfg(target_os = "linux")]
use std::time::Duration;
use tempfile::TempDir;

const PASSWORD: &str = "correct horse battery";

/// This computer, as one user's environment: a data folder and, optionally, a keyring (on
/// Linux a session bus with a keyring on it).
struct Desktop {
    data: TempDir,
    bus: Option<String>,
    keyring: bool,
}

impl Desktop {
    /// No keyring answers: the session bus named does not exist. (Windows' Credential Manager
    /// always answers: there the app is told to keep tokens in files.)
    fn without_keyring() -> Self {
        Self {
            data: tempfile::tempdir().unwrap(),
            bus: None,
            keyring: false,
        }
    }

    fn with_keyring(keyring: &Keyring) -> Self {
        Self {
            data: tempfile::tempdir().unwrap(),
            bus: keyring.address(),
            keyring: true,
        }
    }

    fn dir(&self) -> &Path {
        self.data.path()
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_offline-profile"));
        command
            .arg("--data-dir")
            .arg(self.dir())
            .args(args)
            .env_remove("OFFLINE_PROFILE_TOKEN")
            .env_remove("OFFLINE_PROFILE_TOKEN_STORE")
            // Everything the app logs, so the test can prove the token is never in it.
            .env("RUST_LOG", "trace")
            .env(
                "DBUS_SESSION_BUS_ADDRESS",
                self.bus
                    .clone()
                    .unwrap_or_else(|| format!("unix:path={}/no-bus-here", self.dir().display())),
            );
        if cfg!(windows) && !self.keyring {
            command.env("OFFLINE_PROFILE_TOKEN_STORE", "file");
        }
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args)
            .output_retrying()
            .expect("the binary runs")
    }

    fn login(&self, server: &str, email: &str, password: &str) -> Output {
        let mut child = self
            .command(&[
                "--api",
                server,
                "login",
                "--email",
                email,
                "--password-stdin",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn_retrying()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        child.wait_with_output().unwrap()
    }

    /// Signs in with the right password; it must work.
    fn signs_in(&self, server: &str, email: &str) {
        let output = self.login(server, email, PASSWORD);
        assert!(output.status.success(), "login failed: {}", text(&output));
    }

    fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "{args:?} failed: {}",
            text(&output)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    fn json(&self, args: &[&str]) -> serde_json::Value {
        serde_json::from_str(&self.ok(args)).unwrap()
    }

    /// The device this computer is signed in as, from `whoami --json`.
    fn device_id(&self) -> String {
        self.json(&["whoami", "--json"])["device_id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Every byte of every file in the data folder.
    fn all_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut folders = vec![self.dir().to_path_buf()];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(folder).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    folders.push(path);
                } else if path.file_name().is_some_and(|name| name != "token") {
                    bytes.extend(std::fs::read(path).unwrap_or_default());
                }
            }
        }
        bytes
    }

    fn token_files(&self) -> Vec<PathBuf> {
        let accounts = self.dir().join("accounts");
        let Ok(entries) = std::fs::read_dir(accounts) else {
            return Vec::new();
        };
        entries
            .map(|entry| entry.unwrap().path().join("token"))
            .filter(|path| path.exists())
            .collect()
    }
}

fn text(output: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A real GNOME keyring (Secret Service) on a D-Bus session bus of its own, both ended by PID
/// when dropped. `None` (with a loud notice) where the programs are missing; under `CI=true`
/// that is a failure.
#[cfg(target_os = "linux")]
pub struct Keyring {
    pub address: String,
    dir: TempDir,
    daemon: Child,
    // Ended after the daemon (fields drop in order).
    _bus: Bus,
}

#[cfg(target_os = "linux")]
impl Keyring {
    fn address(&self) -> Option<String> {
        Some(self.address.clone())
    }

    pub fn start() -> Option<Self> {
        if !programs_present(
            &["dbus-daemon", "gnome-keyring-daemon", "secret-tool"],
            "the keyring half of this test",
            "apt-get install dbus-daemon gnome-keyring libsecret-tools",
        ) {
            return None;
        }
        let bus = Bus::start();
        let address = bus.address.clone();
        let dir = tempfile::tempdir().unwrap();
        let runtime = dir.path().join("run");
        std::fs::create_dir(&runtime).unwrap();
        std::fs::set_permissions(
            &runtime,
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .unwrap();
        let environment = |command: &mut Command| {
            command
                .env("DBUS_SESSION_BUS_ADDRESS", &address)
                .env("XDG_DATA_HOME", dir.path().join("data"))
                .env("XDG_RUNTIME_DIR", &runtime)
                .env_remove("DISPLAY");
        };
        let mut daemon = Command::new("gnome-keyring-daemon");
        daemon.args(["--unlock", "--components=secrets", "--foreground"]);
        environment(&mut daemon);
        let daemon_log = std::fs::File::create(dir.path().join("daemon.log")).unwrap();
        let mut daemon = daemon
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(daemon_log)
            .spawn_retrying()
            .unwrap();
        // The login keyring's password, then end of input.
        daemon
            .stdin
            .take()
            .unwrap()
            .write_all(b"test-keyring")
            .unwrap();
        let keyring = Keyring {
            address: address.clone(),
            dir,
            daemon,
            _bus: bus,
        };
        // Ready once a secret can be stored (bounded: 60 s, for a machine under load).
        let mut last = String::new();
        for _ in 0..600 {
            let mut store = keyring.secret_tool(&[
                "store",
                "--label=probe",
                "service",
                "offline-profile-test-probe",
                "username",
                "probe",
            ]);
            let mut child = store.stdin(Stdio::piped()).spawn_retrying().unwrap();
            child.stdin.take().unwrap().write_all(b"probe").unwrap();
            let output = child.wait_with_output().unwrap();
            if output.status.success() {
                return Some(keyring);
            }
            last = String::from_utf8_lossy(&output.stderr).into_owned();
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "the keyring did not start; secret-tool said {last:?}; the daemon said {:?}",
            std::fs::read_to_string(keyring.dir.path().join("daemon.log")).unwrap_or_default()
        );
    }

    fn secret_tool(&self, args: &[&str]) -> Command {
        let mut command = Command::new("secret-tool");
        command
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .env("XDG_RUNTIME_DIR", self.dir.path().join("run"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    /// The secret the keyring holds for `username` of this app, if any.
    fn lookup(&self, username: &str) -> Option<String> {
        let output = self
            .secret_tool(&["lookup", "service", "offline-profile", "username", username])
            .output_retrying()
            .unwrap();
        output
            .status
            .success()
            .then(|| String::from_utf8(output.stdout).unwrap())
            .filter(|secret| !secret.is_empty())
    }
}

#[cfg(target_os = "linux")]
impl Drop for Keyring {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

/// Windows' Credential Manager (under wine, the wine prefix's), read through the same crate
/// the app writes with.
#[cfg(windows)]
pub struct Keyring;

#[cfg(windows)]
impl Keyring {
    fn address(&self) -> Option<String> {
        None
    }

    pub fn start() -> Option<Self> {
        Some(Self)
    }

    fn lookup(&self, username: &str) -> Option<String> {
        keyring::Entry::new("offline-profile", username)
            .ok()?
            .get_password()
            .ok()
    }
}

/// A user on `server` with `PASSWORD`, and a token of their own to look at their profile.
async fn user(server: &TestServer, email: &str) -> ApiClientService {
    let id = server.store().add_user(email, PASSWORD).await.unwrap();
    let issued = server.store().add_device(id, "test checker").await.unwrap();
    ApiClientService::new(&server.url(), Some(issued.token)).unwrap()
}

/// Whether the server refuses `token` as signed out (401).
async fn refused(url: &str, token: String) -> bool {
    let api = ApiClientService::new(url, Some(token)).unwrap();
    matches!(api.get_profile(None).await, Err(ApiError::SignedOut(_)))
}

async fn server_name(api: &ApiClientService) -> Option<String> {
    match api.get_profile(None).await.unwrap() {
        Fetched::Profile(profile) => Some(profile.fields.name),
        _ => None,
    }
}

/// The token the server issued, read back from where the app keeps it.
fn token_of(desktop: &Desktop, keyring: Option<&Keyring>, email: &str, server: &str) -> String {
    match keyring {
        Some(keyring) => keyring
            .lookup(&format!("{email} on {server}/"))
            .expect("the token is in the keyring"),
        None => {
            let files = desktop.token_files();
            assert_eq!(files.len(), 1, "one token file: {files:?}");
            std::fs::read_to_string(&files[0])
                .unwrap()
                .trim()
                .to_owned()
        }
    }
}

/// Signs in, uses the account, and signs out; checks where the token went and that it shows up
/// nowhere else (data folder, logs at trace, any command's output).
async fn the_account_lifecycle(desktop: &Desktop, keyring: Option<&Keyring>) {
    let server = spawn_server().await;
    let ada = user(&server, "ada@example.com").await;
    let url = server.url();

    // A wrong password: refused, nothing kept.
    let wrong = desktop.login(&url, "ada@example.com", "not the password");
    assert!(!wrong.status.success());
    assert!(
        text(&wrong).contains("the email or the password is wrong"),
        "{}",
        text(&wrong)
    );
    assert_eq!(
        desktop.json(&["whoami", "--json"])["mode"],
        serde_json::Value::Null
    );

    let login = desktop.login(&url, "ada@example.com", PASSWORD);
    assert!(login.status.success(), "{}", text(&login));
    let expected_store = if keyring.is_some() { "keyring" } else { "file" };
    let whoami = desktop.json(&["whoami", "--json"]);
    assert_eq!(whoami["mode"], "server");
    assert_eq!(whoami["email"], "ada@example.com");
    assert_eq!(whoami["server"], format!("{url}/"));
    assert_eq!(whoami["token_store"], expected_store, "{whoami}");
    let token = token_of(desktop, keyring, "ada@example.com", &url);
    assert!(token.len() > 40, "a device token: {} chars", token.len());
    match keyring {
        Some(_) => assert!(
            desktop.token_files().is_empty(),
            "no token file beside the keyring"
        ),
        None => {
            let file = &desktop.token_files()[0];
            #[cfg(unix)]
            {
                let mode = std::os::unix::fs::PermissionsExt::mode(
                    &std::fs::metadata(file).unwrap().permissions(),
                );
                assert_eq!(mode & 0o777, 0o600, "the token file is the owner's only");
            }
            // Wine 8 keeps no file ACLs: there only that the file was made is checked.
            #[cfg(windows)]
            assert!(
                profile_client::windows::under_wine()
                    || profile_client::windows::only_owner_may_access(file).unwrap(),
                "the token file's ACL lets in its owner only"
            );
        }
    }

    // Use it: the edit reaches Ada's profile on the server.
    let set = desktop.ok(&["set", "--name", "Ada Lovelace"]);
    assert!(set.contains("pushed to the server"), "{set}");
    assert_eq!(server_name(&ada).await.as_deref(), Some("Ada Lovelace"));
    let status = desktop.json(&["status", "--json"]);
    assert_eq!(status["state"], "synced");
    assert_eq!(status["account"]["email"], "ada@example.com");
    assert_eq!(status["account"]["token_store"], expected_store);

    // The token is nowhere but its store: not in the data folder (cache, account.json), not in
    // any output at RUST_LOG=trace.
    let mut outputs = text(&login);
    for args in [
        &["whoami"][..],
        &["whoami", "--json"],
        &["status"],
        &["status", "--json"],
        &["sync"],
        &["show", "--json"],
    ] {
        outputs.push_str(&text(&desktop.run(args)));
    }
    assert!(outputs.contains("TRACE") || outputs.contains("DEBUG") || outputs.contains("INFO"));
    let secret = token.split_once('.').map_or(token.as_str(), |(_, s)| s);
    assert!(
        !outputs.contains(secret),
        "the token appeared in the output"
    );
    let bytes = desktop.all_bytes();
    assert!(
        !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
        "the token appeared in the data folder"
    );

    // Sign out: the server forgets the device, the token is gone, the data stays.
    let logout = desktop.ok(&["logout"]);
    assert!(logout.contains("signed out of ada@example.com"), "{logout}");
    assert!(
        refused(&url, token.clone()).await,
        "the signed-out device's token is refused"
    );
    match keyring {
        Some(keyring) => assert_eq!(
            keyring.lookup(&format!("ada@example.com on {url}/")),
            None,
            "the keyring entry was deleted"
        ),
        None => assert!(
            desktop.token_files().is_empty(),
            "the token file was deleted"
        ),
    }
    assert_eq!(
        desktop.json(&["whoami", "--json"])["mode"],
        serde_json::Value::Null
    );
    // Signing in again finds the profile kept here.
    desktop.signs_in(&url, "ada@example.com");
    assert_eq!(desktop.json(&["show", "--json"])["name"], "Ada Lovelace");
    // And once more while signed in: the token found in the store is signed out, so the
    // account lists this computer once (beside the checker's device).
    let replaced = token_of(desktop, keyring, "ada@example.com", &url);
    desktop.signs_in(&url, "ada@example.com");
    assert_eq!(ada.devices().await.unwrap().len(), 2);
    assert!(
        refused(&url, replaced).await,
        "the replaced token is refused"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_keyring_the_token_is_kept_in_a_private_file_and_nowhere_else() {
    let desktop = Desktop::without_keyring();
    the_account_lifecycle(&desktop, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_keyring_running_the_token_is_kept_there_and_nowhere_else() {
    let Some(keyring) = Keyring::start() else {
        return;
    };
    let desktop = Desktop::with_keyring(&keyring);
    the_account_lifecycle(&desktop, Some(&keyring)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switching_accounts_or_servers_never_shows_or_pushes_one_accounts_profile_under_another() {
    let first = spawn_server().await;
    let second = spawn_server().await;
    let ada = user(&first, "ada@example.com").await;
    let bob = user(&first, "bob@example.com").await;
    // The same email on another server is another account.
    let ada_elsewhere = user(&second, "ada@example.com").await;
    let desktop = Desktop::without_keyring();

    desktop.signs_in(&first.url(), "ada@example.com");
    desktop.ok(&["set", "--name", "Ada"]);
    // Ada's next edit waits here, unsent.
    desktop.ok(&["--offline", "set", "--name", "Ada, unsent"]);
    assert_eq!(desktop.json(&["show", "--json"])["state"], "pending");

    // Bob on the same computer sees none of it, and his edit goes to his profile only.
    desktop.signs_in(&first.url(), "bob@example.com");
    let bobs = desktop.json(&["show", "--json"]);
    assert_eq!(bobs["state"], "empty", "Bob sees no one's profile: {bobs}");
    desktop.run(&["sync"]);
    assert_ne!(desktop.json(&["show", "--json"])["name"], "Ada, unsent");
    desktop.ok(&["set", "--name", "Bob"]);
    assert_eq!(server_name(&bob).await.as_deref(), Some("Bob"));
    assert_eq!(
        server_name(&ada).await.as_deref(),
        Some("Ada"),
        "Ada's pending edit was not sent as Bob"
    );

    // Ada on the other server: her profile there, not the first server's.
    desktop.signs_in(&second.url(), "ada@example.com");
    assert_eq!(desktop.json(&["show", "--json"])["state"], "empty");
    desktop.ok(&["set", "--name", "Ada at the second server"]);
    assert_eq!(
        server_name(&ada_elsewhere).await.as_deref(),
        Some("Ada at the second server")
    );
    assert_eq!(server_name(&ada).await.as_deref(), Some("Ada"));

    // Back to Ada on the first server: her own pending edit is there, and now it is sent.
    desktop.signs_in(&first.url(), "ada@example.com");
    assert_eq!(desktop.json(&["show", "--json"])["name"], "Ada, unsent");
    desktop.ok(&["sync"]);
    assert_eq!(server_name(&ada).await.as_deref(), Some("Ada, unsent"));
    assert_eq!(server_name(&bob).await.as_deref(), Some("Bob"));
    assert_eq!(
        server_name(&ada_elsewhere).await.as_deref(),
        Some("Ada at the second server")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_with_an_unsynced_edit_is_refused_unless_forced_which_discards_it() {
    let server = spawn_server().await;
    let ada = user(&server, "ada@example.com").await;
    let desktop = Desktop::without_keyring();
    desktop.signs_in(&server.url(), "ada@example.com");
    desktop.ok(&["set", "--name", "Ada"]);
    desktop.ok(&["--offline", "set", "--name", "Ada, unsent"]);

    let refused = desktop.run(&["logout"]);
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("has not reached"),
        "{}",
        text(&refused)
    );
    assert!(text(&refused).contains("--force"), "{}", text(&refused));
    assert_eq!(
        desktop.json(&["whoami", "--json"])["mode"],
        "server",
        "still signed in"
    );
    assert_eq!(desktop.token_files().len(), 1, "the token is kept");
    assert_eq!(desktop.json(&["show", "--json"])["name"], "Ada, unsent");

    let forced = desktop.ok(&["logout", "--force"]);
    assert!(forced.contains("deleted"), "{forced}");
    assert!(desktop.token_files().is_empty());
    assert!(
        !desktop
            .dir()
            .join("accounts")
            .read_dir()
            .unwrap()
            .any(|_| true),
        "the account's data is gone"
    );
    assert_eq!(
        server_name(&ada).await.as_deref(),
        Some("Ada"),
        "the discarded edit was never sent"
    );

    // Signing in again starts from the server's copy.
    desktop.signs_in(&server.url(), "ada@example.com");
    desktop.ok(&["sync"]);
    assert_eq!(desktop.json(&["show", "--json"])["name"], "Ada");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_again_replaces_this_computers_device_instead_of_adding_one() {
    let server = spawn_server().await;
    let url = server.url();
    let ada = user(&server, "ada@example.com").await;
    let desktop = Desktop::without_keyring();
    desktop.signs_in(&url, "ada@example.com");
    let (first, first_token) = (
        desktop.device_id(),
        token_of(&desktop, None, "ada@example.com", &url),
    );

    desktop.signs_in(&url, "ada@example.com");
    let second = desktop.device_id();
    assert_ne!(first, second, "a new device token");
    let listed: Vec<String> = ada
        .devices()
        .await
        .unwrap()
        .into_iter()
        .map(|device| device.id)
        .collect();
    assert_eq!(
        listed.len(),
        2,
        "the checker's device and this computer's, once: {listed:?}"
    );
    assert!(listed.contains(&second), "{listed:?}");
    assert!(
        refused(&url, first_token).await,
        "the replaced token is refused"
    );
    desktop.ok(&["set", "--name", "Ada, signed in twice"]);
    assert_eq!(
        server_name(&ada).await.as_deref(),
        Some("Ada, signed in twice")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_device_is_signed_out_keeps_its_edits_and_syncs_them_after_signing_in_again() {
    let server = spawn_server().await;
    let ada = user(&server, "ada@example.com").await;
    let desktop = Desktop::without_keyring();
    desktop.signs_in(&server.url(), "ada@example.com");
    desktop.ok(&["set", "--name", "Ada"]);
    let device = desktop.device_id();

    // Another device of Ada's signs this one out.
    ada.revoke_device(&device).await.unwrap();

    let set = desktop.ok(&["set", "--name", "Ada, after the revocation"]);
    assert!(set.contains("saved locally"), "{set}");
    assert!(
        set.contains("signed out"),
        "the push says why it did not go: {set}"
    );
    let status = desktop.json(&["status", "--json"]);
    assert_eq!(status["state"], "pending");
    assert_eq!(status["name"], "Ada, after the revocation");
    assert!(
        status["last_sync"]["message"]
            .as_str()
            .unwrap()
            .contains("signed out"),
        "{status}"
    );
    let sync = desktop.run(&["sync"]);
    assert!(!sync.status.success());
    assert!(text(&sync).contains("signed out"), "{}", text(&sync));
    assert_eq!(server_name(&ada).await.as_deref(), Some("Ada"));

    // Signing in again: the kept edit goes through.
    desktop.signs_in(&server.url(), "ada@example.com");
    assert_eq!(desktop.json(&["show", "--json"])["state"], "pending");
    desktop.ok(&["sync"]);
    assert_eq!(desktop.json(&["show", "--json"])["state"], "synced");
    assert_eq!(
        server_name(&ada).await.as_deref(),
        Some("Ada, after the revocation")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_says_what_is_wrong() {
    let server = spawn_server().await;
    user(&server, "ada@example.com").await;
    let desktop = Desktop::without_keyring();
    let insecure = desktop.login("http://profiles.example.com", "ada@example.com", PASSWORD);
    assert!(text(&insecure).contains("https://"), "{}", text(&insecure));
    let dead = crate::support::dead_url().await;
    let unreachable = desktop.login(&dead, "ada@example.com", PASSWORD);
    assert!(
        text(&unreachable).contains("cannot be reached"),
        "{}",
        text(&unreachable)
    );
    let no_api = desktop.run(&["login", "--email", "ada@example.com", "--password-stdin"]);
    assert_eq!(no_api.status.code(), Some(2));
    assert!(text(&no_api).contains("--api"), "{}", text(&no_api));
    let no_such_store = desktop
        .command(&["whoami"])
        .env("OFFLINE_PROFILE_TOKEN_STORE", "vault")
        .output_retrying()
        .unwrap();
    assert_eq!(no_such_store.status.code(), Some(2));
    assert!(
        text(&no_such_store).contains("must be auto, keyring or file")
            && text(&no_such_store).contains("OFFLINE_PROFILE_TOKEN_STORE"),
        "{}",
        text(&no_such_store)
    );
    for _ in 0..5 {
        desktop.login(&server.url(), "ada@example.com", "wrong password");
    }
    let limited = desktop.login(&server.url(), "ada@example.com", PASSWORD);
    assert!(!limited.status.success());
    assert!(
        text(&limited).contains("try again in"),
        "{}",
        text(&limited)
    );
}

/// The window's Devices page, from the command line: the list, and another device signed out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_lists_the_account_s_devices_and_signs_another_out() {
    let server = spawn_server().await;
    let url = server.url();
    let _ada = user(&server, "ada@example.com").await;
    let (laptop, desktop) = (Desktop::without_keyring(), Desktop::without_keyring());
    laptop.signs_in(&url, "ada@example.com");
    desktop.signs_in(&url, "ada@example.com");
    let listed = laptop.json(&["devices", "--json"]);
    let listed = listed.as_array().expect("a list");
    let current: Vec<_> = listed.iter().filter(|d| d["current"] == true).collect();
    assert_eq!(current.len(), 1, "{listed:?}");
    assert_eq!(current[0]["id"], laptop.device_id().as_str());
    assert!(
        listed
            .iter()
            .any(|d| d["id"] == desktop.device_id().as_str()),
        "{listed:?}"
    );
    let plain = laptop.ok(&["devices"]);
    assert!(plain.contains("(this computer)"), "{plain}");

    // This computer is signed out with `logout`, not here.
    let own = laptop.run(&["devices", "--sign-out", &laptop.device_id()]);
    assert!(!own.status.success());
    assert!(text(&own).contains("logout"), "{}", text(&own));
    let unknown = laptop.run(&["devices", "--sign-out", "no-such-device"]);
    assert!(
        text(&unknown).contains("no device no-such-device"),
        "{}",
        text(&unknown)
    );

    let out = laptop.ok(&["devices", "--sign-out", &desktop.device_id()]);
    assert!(out.contains("signed out"), "{out}");
    let refused = desktop.run(&["set", "--name", "Ada, from the desktop"]);
    assert!(
        text(&refused).contains("sign in again"),
        "the other device's token is refused: {}",
        text(&refused)
    );
    // The edit stays on that device, to be sent once it signs in again.
    assert_eq!(desktop.json(&["show", "--json"])["state"], "pending");
}
