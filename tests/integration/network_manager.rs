//! NetworkManager's connectivity state wakes the synchronizer: a NetworkManager stand-in (the
//! real one would take over this machine's network) owns `org.freedesktop.NetworkManager` on a
//! D-Bus bus of the test's own and sends `StateChanged` as NetworkManager does; the app finds
//! the bus through `DBUS_SYSTEM_BUS_ADDRESS`, as it finds the system bus.

use crate::netns::{Bus, Namespace, free_port};
use crate::processes::{start_watch, wait_for};
use crate::support::{TOKEN, programs_present};
use profile_client::network::network_manager::{
    CONNECTED_GLOBAL, DISCONNECTED, NAME, PATH, watch_on,
};
use std::io::BufRead;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// `NM_STATE_CONNECTING` and `NM_STATE_CONNECTED_SITE`.
const CONNECTING: u32 = 40;
const CONNECTED_SITE: u32 = 60;

/// Owns NetworkManager's name on `bus`, answers its `State` property (counting the reads) and
/// sends `StateChanged`.
struct NetworkManagerStandIn {
    connection: zbus::blocking::Connection,
    state: Arc<AtomicU32>,
    reads: Arc<AtomicUsize>,
    metered: Arc<AtomicU32>,
}

struct StateProperty {
    state: Arc<AtomicU32>,
    reads: Arc<AtomicUsize>,
    metered: Arc<AtomicU32>,
}

#[zbus::interface(name = "org.freedesktop.NetworkManager")]
impl StateProperty {
    #[zbus(property)]
    fn state(&self) -> u32 {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.state.load(Ordering::SeqCst)
    }

    /// `NM_METERED_*`: 1 yes, 2 no.
    #[zbus(property)]
    fn metered(&self) -> u32 {
        self.metered.load(Ordering::SeqCst)
    }
}

/// `NM_METERED_YES` and `NM_METERED_NO`.
const METERED_YES: u32 = 1;
const METERED_NO: u32 = 2;

impl NetworkManagerStandIn {
    fn start(bus: &Bus, state: u32) -> Self {
        let state = Arc::new(AtomicU32::new(state));
        let reads = Arc::new(AtomicUsize::new(0));
        let metered = Arc::new(AtomicU32::new(METERED_NO));
        let property = StateProperty {
            state: state.clone(),
            reads: reads.clone(),
            metered: metered.clone(),
        };
        let connection = zbus::blocking::connection::Builder::address(bus.address.as_str())
            .unwrap()
            .name(NAME)
            .unwrap()
            .serve_at(PATH, property)
            .unwrap()
            .build()
            .unwrap();
        NetworkManagerStandIn {
            connection,
            state,
            reads,
            metered,
        }
    }

    /// Changes `Metered` and says so with `PropertiesChanged`, as NetworkManager does.
    fn set_metered(&self, metered: u32) {
        self.metered.store(metered, Ordering::SeqCst);
        let changed: std::collections::HashMap<&str, zbus::zvariant::Value<'_>> =
            [("Metered", zbus::zvariant::Value::from(metered))].into();
        self.connection
            .emit_signal(
                None::<()>,
                PATH,
                "org.freedesktop.DBus.Properties",
                "PropertiesChanged",
                &(NAME, changed, Vec::<String>::new()),
            )
            .unwrap();
    }

    fn change(&self, state: u32) {
        self.state.store(state, Ordering::SeqCst);
        self.connection
            .emit_signal(None::<()>, PATH, NAME, "StateChanged", &(state,))
            .unwrap();
    }

    /// Waits (bounded) until someone has read the state: the watcher reads it once it has
    /// subscribed to the changes.
    fn wait_for_a_reader(&self) {
        let started = Instant::now();
        while self.reads.load(Ordering::SeqCst) == 0 {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "nobody read NetworkManager's state"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn bus() -> Option<Bus> {
    programs_present(
        &["dbus-daemon"],
        "the NetworkManager test",
        "apt-get install dbus-daemon",
    )
    .then(Bus::start)
}

/// Waits, bounded, until the watcher has handled `handled` of NetworkManager's signals, then
/// checks that `woken` wake-ups came of them: decided by a signal, not by how long one waited.
fn after_handling(
    seen: &AtomicUsize,
    handled: usize,
    woken: &AtomicUsize,
    expected: usize,
    what: &str,
) {
    let started = Instant::now();
    while seen.load(Ordering::SeqCst) < handled {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the watcher handled {} of {handled} signals",
            seen.load(Ordering::SeqCst)
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(woken.load(Ordering::SeqCst), expected, "{what}");
}

#[test]
fn a_connected_state_better_than_the_last_wakes_the_watcher_and_nothing_else_does() {
    let Some(bus) = bus() else { return };
    let network_manager = NetworkManagerStandIn::start(&bus, CONNECTED_GLOBAL);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let woken = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(AtomicUsize::new(0));
    let watcher = {
        let woken = woken.clone();
        let seen = seen.clone();
        let address = bus.address.clone();
        runtime.spawn(async move {
            let connection = zbus::connection::Builder::address(address.as_str())
                .unwrap()
                .build()
                .await
                .unwrap();
            let on_up = move || {
                woken.fetch_add(1, Ordering::SeqCst);
            };
            let on_seen = move |_state| {
                seen.fetch_add(1, Ordering::SeqCst);
            };
            watch_on(&connection, &on_up, &on_seen).await
        })
    };
    network_manager.wait_for_a_reader();

    // Connected when the watch began; losing the connection and connecting wake nothing.
    network_manager.change(DISCONNECTED);
    network_manager.change(CONNECTING);
    after_handling(
        &seen,
        2,
        &woken,
        0,
        "disconnecting and connecting wake nothing",
    );
    // Someone else on the bus sending the same signal is not NetworkManager: the watcher never
    // sees it. NetworkManager's own next signal, sent after it, shows it was passed over.
    let impostor = zbus::blocking::connection::Builder::address(bus.address.as_str())
        .unwrap()
        .build()
        .unwrap();
    impostor
        .emit_signal(None::<()>, PATH, NAME, "StateChanged", &(CONNECTED_GLOBAL,))
        .unwrap();
    network_manager.change(CONNECTING);
    after_handling(
        &seen,
        3,
        &woken,
        0,
        "a signal from another sender wakes nothing",
    );
    // Connected again: once.
    network_manager.change(CONNECTED_GLOBAL);
    after_handling(&seen, 4, &woken, 1, "a connection wakes the watcher once");
    // A captive portal passed (site → global) is worth another try; global → site is not.
    network_manager.change(CONNECTED_SITE);
    after_handling(&seen, 5, &woken, 1, "a worse connected state wakes nothing");
    network_manager.change(CONNECTED_GLOBAL);
    after_handling(&seen, 6, &woken, 2, "site → global wakes the watcher");

    watcher.abort();
}

#[test]
fn in_a_namespace_network_manager_connecting_syncs_at_once_during_a_long_wait() {
    let Some(bus) = bus() else { return };
    // The namespace keeps this machine's own network changes (netlink) away from the app: only
    // the stand-in can wake it.
    let Some(namespace) = Namespace::create() else {
        return;
    };
    let network_manager = NetworkManagerStandIn::start(&bus, DISCONNECTED);
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let api = format!("http://127.0.0.1:{port}");
    let app = |args: &[&str]| {
        let mut command = namespace.command(env!("CARGO_BIN_EXE_offline-profile"));
        command
            .env("DBUS_SYSTEM_BUS_ADDRESS", &bus.address)
            .arg("--data-dir")
            .arg(dir.path().join("app"))
            .args(["--api", &api, "--token", TOKEN])
            .args(args);
        command
    };
    // An edit made with no server anywhere.
    assert!(
        app(&["--offline", "set", "--name", "Ada, on a train"])
            .status()
            .unwrap()
            .success()
    );
    let log_path = dir.path().join("watch.log");
    let (_watch, lines) = start_watch(
        app(&["watch", "--json"]),
        "info,profile_client::sync=debug,profile_client::network=debug",
        &log_path,
    );
    network_manager.wait_for_a_reader();

    // Past the fast half minute, a retry is scheduled 10 s or more away.
    let retries = || -> Vec<(chrono::DateTime<chrono::Utc>, u64)> {
        std::fs::read_to_string(&log_path)
            .unwrap_or_default()
            .lines()
            .filter(|line| line.contains("sync will be retried"))
            .filter_map(|line| {
                let at = chrono::DateTime::parse_from_rfc3339(line.split_whitespace().next()?)
                    .ok()?
                    .with_timezone(&chrono::Utc);
                let delay = line.split("delay_ms=").nth(1)?.split_whitespace().next()?;
                Some((at, delay.parse().ok()?))
            })
            .collect()
    };
    let started = Instant::now();
    let (scheduled_at, delay_ms) = loop {
        if let Some(&(at, delay)) = retries().last()
            && delay >= 10_000
        {
            break (at, delay);
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "no long wait within 90 s: {:?}",
            retries()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let due = scheduled_at + chrono::Duration::milliseconds(delay_ms as i64);
    let attempts = retries().len();

    // NetworkManager starts connecting: not yet a reason to try.
    network_manager.change(CONNECTING);
    let started = Instant::now();
    while !std::fs::read_to_string(&log_path)
        .unwrap_or_default()
        .lines()
        .any(|line| line.contains("nothing to try") && line.contains("state=40"))
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the app did not handle NetworkManager's connecting state"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(retries().len(), attempts, "connecting woke the app");

    // The server comes up (its first line says it listens), then NetworkManager says connected.
    let mut server = namespace.profile_server(
        port,
        TOKEN,
        &dir.path().join("server.sqlite3"),
        Stdio::piped(),
    );
    let mut first = String::new();
    std::io::BufReader::new(server.0.stdout.as_mut().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("listening"), "{first}");
    network_manager.change(CONNECTED_GLOBAL);
    let signalled = Instant::now();
    let signalled_at = chrono::Utc::now();
    let synced = wait_for(&lines, Duration::from_secs(90), "synced line", |v| {
        v["state"] == "synced" && v["name"] == "Ada, on a train"
    });
    let synced_at = chrono::Utc::now();
    let took = synced.saturating_duration_since(signalled);
    eprintln!(
        "NetworkManager connected {:.1} s before the scheduled retry → synced in {took:?}",
        (due - signalled_at).as_seconds_f64()
    );
    assert!(
        std::fs::read_to_string(&log_path)
            .unwrap()
            .contains("NetworkManager reports a connection"),
        "the app heard NetworkManager"
    );
    assert!(
        synced_at < due,
        "synced at {synced_at}, not before the retry scheduled for {due}"
    );
}

/// On a metered connection (NetworkManager's `Metered`) the profile's text syncs but a photo
/// waits; the connection turning unmetered sends it at once; a sync the user asks for sends one
/// on a metered connection too.
#[test]
fn on_a_metered_connection_the_name_syncs_and_a_photo_waits_until_it_is_not() {
    use crate::processes::{server_profile, start_profile_server};
    let Some(bus) = bus() else { return };
    let network_manager = NetworkManagerStandIn::start(&bus, CONNECTED_GLOBAL);
    network_manager.set_metered(METERED_YES);
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let _server = start_profile_server(port, TOKEN, &dir.path().join("server.sqlite3"));
    let api = format!("http://127.0.0.1:{port}");
    let app = |args: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_offline-profile"));
        command
            .env("DBUS_SYSTEM_BUS_ADDRESS", &bus.address)
            .env_remove("RUST_LOG")
            .arg("--data-dir")
            .arg(dir.path().join("app"))
            .args(["--api", &api, "--token", TOKEN])
            .args(args);
        command
    };
    let run = |args: &[&str]| {
        let output = app(args).output().unwrap();
        let said = String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr);
        (output.status.success(), said)
    };
    let picture = |name: &str, shade: u8| {
        let path = dir.path().join(name);
        image::RgbImage::from_pixel(64, 64, image::Rgb([shade, 90, 200]))
            .save(&path)
            .unwrap();
        path
    };
    let photo_on_server = || server_profile(port, TOKEN).map(|p| p["photo"].clone());

    // The name goes on a metered connection.
    let (ok, said) = run(&["set", "--name", "Ada on mobile data"]);
    assert!(ok && said.contains("pushed to the server"), "{said}");
    assert_eq!(
        server_profile(port, TOKEN).unwrap()["name"],
        "Ada on mobile data"
    );
    // A photo waits.
    let first = picture("first.png", 10);
    let (ok, said) = run(&["set", "--photo", first.to_str().unwrap()]);
    assert!(
        ok && said.contains("waits for a network that is not metered"),
        "{said}"
    );
    assert_eq!(photo_on_server(), Some(serde_json::Value::Null));

    // A running `watch` holds it too, and says so; the connection turning unmetered sends it.
    let (_watch, lines) = start_watch(
        app(&["watch", "--json"]),
        "info,profile_client::network=debug",
        &dir.path().join("watch.log"),
    );
    wait_for(&lines, Duration::from_secs(30), "photos_wait line", |v| {
        v["photos_wait"] == true && v["state"] == "pending"
    });
    assert_eq!(photo_on_server(), Some(serde_json::Value::Null));
    network_manager.set_metered(METERED_NO);
    wait_for(&lines, Duration::from_secs(30), "synced line", |v| {
        v["state"] == "synced" && v["photos_wait"] == false
    });
    let sent = photo_on_server().unwrap();
    assert!(sent["sha256"].is_string(), "{sent}");
    drop(_watch);

    // Metered again: a photo waits, but `sync` (the user asking) sends it.
    network_manager.set_metered(METERED_YES);
    let second = picture("second.png", 200);
    let (ok, said) = run(&["set", "--photo", second.to_str().unwrap()]);
    assert!(ok && said.contains("waits for a network"), "{said}");
    assert_eq!(photo_on_server().unwrap(), sent, "the first photo still");
    let (ok, said) = run(&["sync"]);
    assert!(ok && said.contains("synced"), "{said}");
    assert_ne!(photo_on_server().unwrap(), sent, "the second photo sent");
}
