//! Model-based tests of the whole sync engine: seeded random sequences of edits, syncs, reads,
//! pushed changes, network loss, faults, app restarts, conflict resolutions, and server restarts,
//! wipes, restores from earlier backups and replacements, on 2–4 real clients (real SQLite
//! files, the real repository) talking to the real server through fault-injecting proxies.
//! After every step and at the end, the invariants below must hold.
//!
//! - `OFFLINE_PROFILE_MODEL_CASES` (default 500): how many cases; a soak sets thousands.
//! - `OFFLINE_PROFILE_MODEL_BASE` (default 0): the first case's seed; cases use consecutive seeds.
//! - `OFFLINE_PROFILE_MODEL_SEED=<n>`: replay case `n` alone, printing every step.
//!
//! Invariants:
//! - truthful badge: a client's published status is its stored profile; a synchronized copy
//!   equals the server state it is based on; a sync that reports synced leaves the client
//!   holding exactly the server's current name and photo URL;
//! - no silent loss: every save gets a value of its own (never used by another save or a
//!   seed), and each acknowledged save is, at the end, superseded by a later save of the same
//!   field on the same client, or it reached the server (it is there, or in the server's
//!   history: accepted and replaced later), or it is shown in an open conflict — unless the
//!   user chose "Use theirs" for it;
//! - convergence: with faults off, two rounds of sync leave every client without a conflict
//!   equal to the server;
//! - no duplicate writes: the server's version moves only when its content changes;
//! - photos are a field like the others (picked, removed, repeated from another client), and a
//!   photo a client picked and still shows is always in its cache.

use crate::support::{Mode, Proxy, TOKEN};
use futures::StreamExt;
use profile_client::api_client::ApiClientService;
use profile_client::database::DatabaseService;
use profile_client::domain::{Etag, Field, Fields, SyncState};
use profile_client::photo::Photo;
use profile_client::{PhotoEdit, Resolution, Strategies, SyncOutcome, UserProfileRepository};
use profile_protocol::ProfileWire;
use profile_server::{AppState, RunningServer, Store};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// How the server's state came to be, as the tests saw it.
#[derive(Debug, Clone)]
enum Entry {
    /// A PUT the server answered with 200 or 201 (whether or not the client got the answer).
    Put(ProfileWire),
    /// The server started over another database (restored, wiped, replaced): its state then.
    Reset(Option<ProfileWire>),
}

type History = Arc<Mutex<Vec<Entry>>>;

/// The server, always on the same address, over a database that the steps may swap.
struct ModelServer {
    addr: SocketAddr,
    running: Option<RunningServer>,
    dir: TempDir,
    db: PathBuf,
    files: usize,
    snapshots: Vec<PathBuf>,
    history: History,
}

impl ModelServer {
    async fn start(history: History) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("server-0.sqlite3");
        let mut server = Self {
            addr: "127.0.0.1:0".parse().unwrap(),
            running: None,
            dir,
            db,
            files: 0,
            snapshots: Vec::new(),
            history,
        };
        server.serve().await;
        server
    }

    async fn serve(&mut self) {
        let store = Store::open(&self.db).await.unwrap();
        let state = AppState::new(store, TOKEN);
        let listener = bind(self.addr).await;
        self.addr = listener.local_addr().unwrap();
        let app = recording(self.history.clone())(profile_server::router(state.clone()));
        self.running = Some(profile_server::serve_router(listener, state, app));
    }

    fn store(&self) -> &Store {
        &self.running.as_ref().unwrap().state.store
    }

    async fn current(&self) -> Option<ProfileWire> {
        self.store().get().await.unwrap()
    }

    async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await;
        }
    }

    /// A new database file for the next start, optionally a copy of `from`.
    fn next_file(&mut self, from: Option<&PathBuf>) {
        self.files += 1;
        self.db = self
            .dir
            .path()
            .join(format!("server-{}.sqlite3", self.files));
        if let Some(from) = from {
            std::fs::copy(from, &self.db).unwrap();
        }
    }

    async fn restart(&mut self) {
        self.stop().await;
        self.serve().await;
    }

    /// Stops, swaps the database (see [`next_file`]) and starts again; `seed` fills a new one.
    async fn replace(&mut self, from: Option<PathBuf>, seed: Option<Fields>) {
        self.stop().await;
        self.next_file(from.as_ref());
        self.serve().await;
        if let Some(fields) = seed {
            self.store().seed(&fields).await.unwrap();
        }
        let state = self.current().await;
        self.history.lock().unwrap().push(Entry::Reset(state));
    }

    async fn snapshot(&mut self) {
        let path = self
            .dir
            .path()
            .join(format!("snapshot-{}.sqlite3", self.snapshots.len()));
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&self.db);
        let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
        sqlx::query("VACUUM INTO ?1")
            .bind(path.to_str().unwrap())
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
        self.snapshots.push(path);
    }
}

/// Binds `addr`, retrying briefly: the port of a server that was just stopped may take a moment
/// to be free again.
async fn bind(addr: SocketAddr) -> tokio::net::TcpListener {
    for _ in 0..100 {
        match tokio::net::TcpListener::bind(addr).await {
            Ok(listener) => return listener,
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    panic!("cannot bind {addr} again");
}

/// Records every profile PUT the server accepts, in the order it answers them.
fn recording(history: History) -> impl FnOnce(axum::Router) -> axum::Router {
    move |router| {
        router.layer(axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| {
                let history = history.clone();
                async move {
                    let put = request.method() == axum::http::Method::PUT
                        && request.uri().path() == "/v1/profile";
                    let response = next.run(request).await;
                    if !put || !response.status().is_success() {
                        return response;
                    }
                    let (parts, body) = response.into_parts();
                    let bytes = axum::body::to_bytes(body, 64 * 1024).await.unwrap();
                    let wire: ProfileWire = serde_json::from_slice(&bytes).unwrap();
                    history.lock().unwrap().push(Entry::Put(wire));
                    axum::response::Response::from_parts(parts, axum::body::Body::from(bytes))
                }
            },
        ))
    }
}

struct ModelClient {
    folder: TempDir,
    proxy: Proxy,
    repository: Arc<UserProfileRepository>,
    /// The value this client last saved in each field and still stands by (name, photo URL,
    /// photo — by its id): an earlier save of the field is superseded by it, in this client's
    /// own order. Unique values only (a save that repeats another client's value is not tracked).
    saved: [Option<String>; 3],
}

impl ModelClient {
    async fn start(server: SocketAddr) -> Self {
        let folder = tempfile::tempdir().unwrap();
        let proxy = Proxy::start(server, true).await;
        let repository = open(&folder, &proxy).await;
        Self {
            folder,
            proxy,
            repository,
            saved: [None, None, None],
        }
    }

    async fn reopen(&mut self) {
        let work_offline = self.repository.work_offline();
        self.repository = open(&self.folder, &self.proxy).await;
        self.repository.set_work_offline(work_offline);
    }
}

async fn open(folder: &TempDir, proxy: &Proxy) -> Arc<UserProfileRepository> {
    let db = DatabaseService::open(&folder.path().join("profile.sqlite3"))
        .await
        .unwrap();
    let api = ApiClientService::new(&proxy.url(), Some(TOKEN.into())).unwrap();
    UserProfileRepository::new(db, api, Strategies::default(), false)
        .await
        .unwrap()
}

fn slot(field: Field) -> usize {
    match field {
        Field::Name => 0,
        Field::PhotoUrl => 1,
        Field::Photo => 2,
    }
}

/// A field's value as the model compares it: the text, or the photo's id ('' for none).
fn value(fields: &Fields, field: Field) -> String {
    match field {
        Field::Photo => fields
            .photo
            .as_ref()
            .map_or_else(String::new, |photo| photo.sha256.to_string()),
        _ => fields.describe(field),
    }
}

/// A value no save or seed of this case has used before (`n` counts them), so that finding
/// it on the server proves that this very save reached it. A photo is a real picture, made
/// and normalised as a picked file is, kept in `photos` by its id.
fn unique(n: &mut u64, field: Field, photos: &mut HashMap<String, Photo>) -> String {
    *n += 1;
    match field {
        Field::Name => format!("Name {n}"),
        Field::PhotoUrl => format!("https://example.com/{n}.png"),
        Field::Photo => {
            let picture = image::RgbImage::from_fn(12, 12, |x, y| {
                image::Rgb([(*n % 251) as u8, (*n / 251 % 251) as u8, (x * 20 + y) as u8])
            });
            let mut png = Vec::new();
            picture
                .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
                .unwrap();
            let photo = profile_client::photo::normalize(&png).unwrap();
            let id = photo.sha256.to_string();
            photos.insert(id.clone(), photo);
            id
        }
    }
}

fn fields(n: &mut u64) -> Fields {
    let mut none = HashMap::new();
    Fields::new(
        unique(n, Field::Name, &mut none),
        unique(n, Field::PhotoUrl, &mut none),
    )
}

struct Case {
    rng: StdRng,
    server: ModelServer,
    clients: Vec<ModelClient>,
    history: History,
    log: Vec<String>,
    verbose: bool,
    /// How many unique values were handed out.
    values: u64,
    /// Every photo made for a save, by its id.
    photos: HashMap<String, Photo>,
}

type Checked = Result<(), String>;

macro_rules! ensure {
    ($condition:expr, $($message:tt)+) => {
        if !$condition {
            return Err(format!($($message)+));
        }
    };
}

impl Case {
    async fn new(seed: u64, verbose: bool) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut values = 0;
        let history: History = Arc::default();
        let server = ModelServer::start(history.clone()).await;
        if rng.random_bool(0.7) {
            let seed = fields(&mut values);
            server.store().seed(&seed).await.unwrap();
        }
        let first = Entry::Reset(server.current().await);
        history.lock().unwrap().push(first);
        let mut clients = Vec::new();
        for _ in 0..rng.random_range(2..=4) {
            clients.push(ModelClient::start(server.addr).await);
        }
        Self {
            rng,
            server,
            clients,
            history,
            log: Vec::new(),
            verbose,
            values,
            photos: HashMap::new(),
        }
    }

    fn note(&mut self, what: String) {
        if self.verbose {
            eprintln!("  {what}");
        }
        self.log.push(what);
    }

    async fn step(&mut self) -> Checked {
        let c = self.rng.random_range(0..self.clients.len());
        let roll = self.rng.random_range(0..100);
        match roll {
            0..=24 => self.edit(c).await,
            25..=49 => self.sync(c).await?,
            50..=54 => self.read(c).await,
            55..=59 => self.pushed(c).await,
            60..=65 => {
                let up = self.rng.random_bool(0.5);
                self.note(format!(
                    "client {c}: network {}",
                    if up { "up" } else { "down" }
                ));
                self.clients[c].proxy.set_up(up);
            }
            66..=69 => {
                let on = self.rng.random_bool(0.5);
                self.note(format!("client {c}: work offline {on}"));
                self.clients[c].repository.set_work_offline(on);
            }
            70..=76 => self.fault(c),
            77..=80 => self.resolve(c).await,
            81..=82 => {
                self.note(format!("client {c}: restarts"));
                self.clients[c].reopen().await;
            }
            83 => self.background_job(c).await,
            84..=86 => {
                self.note("server: restarts".into());
                self.server.restart().await;
            }
            87..=90 => {
                self.note("server: backup taken".into());
                self.server.snapshot().await;
            }
            91..=94 => {
                if self.server.snapshots.is_empty() {
                    return Ok(());
                }
                let k = self.rng.random_range(0..self.server.snapshots.len());
                self.note(format!("server: restored from backup {k}"));
                let from = self.server.snapshots[k].clone();
                self.server.replace(Some(from), None).await;
            }
            95..=96 => {
                self.note("server: wiped".into());
                self.server.replace(None, None).await;
            }
            _ => {
                let seed = fields(&mut self.values);
                self.note(format!("server: replaced by another one holding {seed}"));
                self.server.replace(None, Some(seed)).await;
            }
        }
        Ok(())
    }

    async fn edit(&mut self, c: usize) {
        let client = &self.clients[c];
        let current = client.repository.cached().await.unwrap().map(|p| p.fields);
        // A first profile needs a name; later edits change any field.
        let field = if current.is_none() || self.rng.random_bool(0.4) {
            Field::Name
        } else if self.rng.random_bool(0.5) {
            Field::PhotoUrl
        } else {
            Field::Photo
        };
        let optional = field != Field::Name;
        // Now and then the same value as another client's, so equal edits on two sides (and
        // an empty photo URL) happen too; those are not tracked as this client's own.
        let other = self.rng.random_range(0..self.clients.len());
        let repeated = match self.rng.random_range(0..10) {
            0 if optional => Some(String::new()),
            // Another client's photo is one this case made, so its bytes are at hand.
            1 => self.clients[other]
                .repository
                .cached()
                .await
                .unwrap()
                .map(|p| value(&p.fields, field))
                .filter(|value| optional || !value.is_empty()),
            _ => None,
        };
        let new = repeated
            .clone()
            .unwrap_or_else(|| unique(&mut self.values, field, &mut self.photos));
        let mut edited = current.unwrap_or_default();
        let photo = match field {
            Field::Name => {
                edited.name.clone_from(&new);
                PhotoEdit::Keep
            }
            Field::PhotoUrl => {
                edited.photo_url.clone_from(&new);
                PhotoEdit::Keep
            }
            Field::Photo if new.is_empty() => PhotoEdit::Remove,
            Field::Photo => PhotoEdit::Set(&self.photos[&new]),
        };
        let client = &self.clients[c];
        client
            .repository
            .save_edit(&edited.name, &edited.photo_url, photo)
            .await
            .unwrap();
        let client = &mut self.clients[c];
        // A later save of the field supersedes the earlier one, whatever its value.
        client.saved[slot(field)] = repeated.is_none().then(|| new.clone());
        self.note(format!("client {c}: saves {field} = {new:?}"));
    }

    async fn sync(&mut self, c: usize) -> Checked {
        let result = self.clients[c].repository.sync().await;
        self.note(format!("client {c}: sync -> {result:?}"));
        if let Ok(SyncOutcome::Synced) = result {
            let local = self.clients[c].repository.cached().await.unwrap();
            let server = self.server.current().await;
            let (Some(local), Some(server)) = (local, server) else {
                return Err(format!(
                    "client {c} reported synced without a profile on both sides"
                ));
            };
            ensure!(
                local.synchronized && local.fields == server.fields(),
                "client {c} reported synced holding {} while the server holds {}",
                local.fields,
                server.fields()
            );
            ensure!(
                local.base_etag().map(Etag::as_str) == Some(server.etag.as_str()),
                "client {c} reported synced but is based on {:?}, the server is at {}",
                local.base_etag(),
                server.etag
            );
        }
        Ok(())
    }

    /// The background job (`sync --background`, as the system would start it) on the client's
    /// data folder: after its window closed (a new one opens afterwards), or while the window
    /// syncs too (the two race to send the same edit, as two processes would).
    async fn background_job(&mut self, c: usize) {
        let client = &self.clients[c];
        let settings = offline_profile::session::Settings::new(client.folder.path())
            .named(Some(client.proxy.url()), Some(TOKEN.into()));
        let bound = Duration::from_millis(self.rng.random_range(1..1500));
        let alongside = self.rng.random_bool(0.5);
        let run = if alongside {
            let (run, window) = tokio::join!(
                offline_profile::background::run_job(settings, bound),
                client.repository.sync()
            );
            let window = format!("{window:?}");
            self.note(format!(
                "client {c}: window sync alongside the job -> {window:?}"
            ));
            // The window sees the job's commits as it sees any other process's: through its
            // watch on the cache's log (called here as that watch would).
            self.clients[c]
                .repository
                .take_in_what_the_cache_holds()
                .await;
            run
        } else {
            offline_profile::background::run_job(settings, bound).await
        };
        self.note(format!(
            "client {c}: background job ({}) -> {} ({})",
            if alongside {
                "window open"
            } else {
                "window closed"
            },
            run.outcome,
            run.message
        ));
        if !alongside {
            self.clients[c].reopen().await;
        }
    }

    async fn read(&mut self, c: usize) {
        let events: Vec<_> = self.clients[c].repository.read_stream().collect().await;
        let summary: Vec<_> = events
            .iter()
            .map(|e| e.as_ref().map(|_| ()).map_err(|e| e.to_string()))
            .collect();
        self.note(format!("client {c}: read -> {summary:?}"));
    }

    /// The server's current state, delivered as its event stream would.
    async fn pushed(&mut self, c: usize) {
        let Some(current) = self.server.current().await else {
            return;
        };
        let profile = profile_client::domain::ServerProfile::from_wire(
            current.clone(),
            &format!("{}/", self.clients[c].proxy.url()),
        );
        let result = self.clients[c].repository.apply_pushed(profile).await;
        self.note(format!(
            "client {c}: pushed {} ({}) -> {result:?}",
            current.fields(),
            current.etag
        ));
    }

    fn fault(&mut self, c: usize) {
        let mode = match self.rng.random_range(0..6) {
            0 => Mode::DropResponses,
            1 => Mode::CutRequest(self.rng.random_range(1..200)),
            2 => Mode::CutResponse(self.rng.random_range(1..200)),
            3 => Mode::Respond("HTTP/1.1 200 OK\r\ncontent-length: 7\r\n\r\ngarbage"),
            4 => Mode::Respond("HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n"),
            _ => Mode::Delay(Duration::from_millis(self.rng.random_range(1..30))),
        };
        self.note(format!("client {c}: network fault {mode:?}"));
        self.clients[c].proxy.set_mode(mode);
    }

    async fn resolve(&mut self, c: usize) {
        let client = &mut self.clients[c];
        let Some(conflict) = client
            .repository
            .cached()
            .await
            .unwrap()
            .and_then(|p| p.conflict)
        else {
            return;
        };
        let resolution = if self.rng.random_bool(0.5) {
            Resolution::KeepMine
        } else {
            Resolution::UseTheirs
        };
        let result = client.repository.resolve(resolution).await;
        if result.is_ok() && resolution == Resolution::UseTheirs {
            // The user chose the server's values for these fields over what they saved.
            for &field in &conflict.fields {
                client.saved[slot(field)] = None;
            }
        }
        let result = result.map(|p| p.fields.to_string());
        self.note(format!("client {c}: resolve {resolution:?} -> {result:?}"));
    }

    /// What must hold after every step.
    async fn check_state(&self) -> Checked {
        let server = self.server.current().await;
        for (c, client) in self.clients.iter().enumerate() {
            let local = client.repository.cached().await.unwrap();
            ensure!(
                client.repository.status().profile == local,
                "client {c}: the published status is not the stored profile"
            );
            let Some(local) = local else { continue };
            // A photo this client picked and still shows is in its cache (kept in the save's
            // transaction, evicted only once nothing refers to it).
            if let Some(photo) = &local.fields.photo
                && client.saved[slot(Field::Photo)].as_deref() == Some(photo.sha256.as_str())
            {
                let held = client.repository.photo(&photo.sha256).await.unwrap();
                ensure!(
                    held.is_some(),
                    "client {c} shows its own photo {} but its cache lacks it",
                    photo.sha256
                );
            }
            if local.synchronized {
                let base = local.base.as_ref();
                ensure!(
                    base.is_some_and(|base| base.fields == local.fields),
                    "client {c} is marked synchronized but differs from its base: {local:?}"
                );
                if let (Some(base), Some(server)) = (base, &server)
                    && base.etag.as_ref().map(Etag::as_str) == Some(server.etag.as_str())
                {
                    ensure!(
                        server.fields() == local.fields,
                        "client {c} is based on the server's current state but holds {}",
                        local.fields
                    );
                }
            }
        }
        Ok(())
    }

    /// Faults off, two rounds of sync, then convergence, no loss and no duplicate write.
    async fn check_end(&mut self) -> Checked {
        self.note("end: network up, work offline off, two rounds of sync".into());
        for client in &self.clients {
            client.proxy.set_up(true);
            client.repository.set_work_offline(false);
        }
        for round in 0..2 {
            for c in 0..self.clients.len() {
                let started = Instant::now();
                let result = self.clients[c].repository.sync().await;
                // How long it took tells a server that did not answer from a client that
                // gave up at once.
                self.note(format!(
                    "round {round}, client {c}: sync -> {result:?} in {} ms",
                    started.elapsed().as_millis()
                ));
                ensure!(
                    result.is_ok(),
                    "client {c}: a sync without faults failed after {} ms: {result:?}",
                    started.elapsed().as_millis()
                );
            }
        }
        let server = self.server.current().await;
        let history = self.history.lock().unwrap().clone();
        for (c, client) in self.clients.iter().enumerate() {
            let local = client.repository.cached().await.unwrap();
            // Held in a profile with an open conflict: on screen, waiting for the user's choice.
            let shown_in_conflict = |field: Field, saved: &str| {
                local
                    .as_ref()
                    .is_some_and(|p| p.conflict.is_some() && value(&p.fields, field) == saved)
            };
            match (&local, &server) {
                (Some(local), _) if local.conflict.is_some() => {}
                (Some(local), Some(server)) => ensure!(
                    local.synchronized && local.fields == server.fields(),
                    "client {c} ended with {} ({:?}) while the server holds {}",
                    local.fields,
                    local.state(),
                    server.fields()
                ),
                (None, None) => {}
                (local, server) => {
                    return Err(format!(
                        "client {c} ended with {local:?}, the server with {server:?}"
                    ));
                }
            }
            for field in Field::ALL {
                let Some(saved) = &client.saved[slot(field)] else {
                    continue;
                };
                let reached = history.iter().any(|entry| match entry {
                    Entry::Put(wire) | Entry::Reset(Some(wire)) => {
                        value(&wire.fields(), field) == *saved
                    }
                    Entry::Reset(None) => false,
                });
                ensure!(
                    reached || shown_in_conflict(field, saved),
                    "client {c} saved {field} = {saved:?}; it never reached the server and no \
                     conflict shows it (the client holds {:?})",
                    local.as_ref().map(|p| (p.fields.to_string(), p.state()))
                );
            }
        }
        check_no_duplicate_writes(&history)?;
        if let Some(server) = &server {
            let states = self.clients.iter().map(|c| c.repository.status().state());
            let synced = states.filter(|s| *s == SyncState::Synced).count();
            self.note(format!(
                "end: server holds {} ({}), {synced} client(s) synced",
                server.fields(),
                server.etag
            ));
        }
        Ok(())
    }
}

/// The server's version moves only when its content changes, and an answer without a move is
/// the current state itself.
fn check_no_duplicate_writes(history: &[Entry]) -> Checked {
    let mut last: Option<ProfileWire> = None;
    for entry in history {
        match entry {
            Entry::Reset(state) => last = state.clone(),
            Entry::Put(wire) => {
                if let Some(previous) = &last
                    && previous.store == wire.store
                {
                    if wire.version == previous.version {
                        ensure!(
                            wire == previous,
                            "an unchanged answer differs from the state: {wire:?} vs {previous:?}"
                        );
                    } else {
                        ensure!(
                            wire.version == previous.version + 1
                                && wire.fields() != previous.fields(),
                            "a write moved the version without a change: {previous:?} -> {wire:?}"
                        );
                    }
                }
                last = Some(wire.clone());
            }
        }
    }
    Ok(())
}

async fn run_case(seed: u64, steps: usize, verbose: bool) -> Result<usize, String> {
    let mut case = Case::new(seed, verbose).await;
    let outcome = async {
        for _ in 0..steps {
            tokio::time::timeout(Duration::from_secs(60), case.step())
                .await
                .map_err(|_| "a step did not finish within 60 s".to_owned())??;
            case.check_state().await?;
        }
        case.check_end().await
    }
    .await;
    case.server.stop().await;
    match outcome {
        Ok(()) => Ok(case.log.len()),
        Err(failure) => Err(format!(
            "case {seed} failed: {failure}\nsteps:\n  {}\nreplay with OFFLINE_PROFILE_MODEL_SEED={seed}",
            case.log.join("\n  ")
        )),
    }
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_sequences_of_edits_faults_and_server_changes_keep_every_invariant() {
    const STEPS: usize = 24;
    if let Some(seed) = env_number("OFFLINE_PROFILE_MODEL_SEED") {
        eprintln!("replaying case {seed}:");
        let result = run_case(seed, STEPS, true).await;
        assert!(result.is_ok(), "{}", result.unwrap_err());
        return;
    }
    let cases = env_number("OFFLINE_PROFILE_MODEL_CASES").unwrap_or(500);
    let base = env_number("OFFLINE_PROFILE_MODEL_BASE").unwrap_or(0);
    let started = Instant::now();
    let results: Vec<_> = futures::stream::iter(base..base + cases)
        .map(|seed| run_case(seed, STEPS, false))
        .buffer_unordered(4)
        .collect()
        .await;
    let failures: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    let steps: usize = results.iter().filter_map(|r| r.as_ref().ok()).sum();
    // Straight to stderr, past the test harness's capture: CI shows the count.
    let summary = format!(
        "model: {cases} cases (seeds {base}..{}), {steps} steps, {} failed, in {:.1} s\n",
        base + cases,
        failures.len(),
        started.elapsed().as_secs_f64()
    );
    std::io::Write::write_all(&mut std::io::stderr(), summary.as_bytes()).unwrap();
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed; the first:\n{}",
        failures.len(),
        failures[0]
    );
}
