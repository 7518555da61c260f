//! Notifications: a stand-in for the desktop's notification service (`org.freedesktop.
//! Notifications`) on a D-Bus session bus of the test's own records what the app sends. The
//! background job that meets a conflict says so in one notification — the app's name, icon and
//! desktop entry, an action to open it — and, clicked, opens the window on the same data
//! folder; a routine background sync sends none.

use crate::netns::Bus;
use crate::support::{TOKEN, offline_profile, programs_present, spawn_server_with};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zbus::zvariant::OwnedValue;

#[derive(Debug, Clone)]
struct Shown {
    app_name: String,
    summary: String,
    body: String,
    actions: Vec<String>,
    desktop_entry: Option<String>,
}

struct Notifications {
    shown: Arc<Mutex<Vec<Shown>>>,
    next: AtomicU32,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Notifications {
    fn get_capabilities(&self) -> Vec<String> {
        vec!["actions".into(), "body".into()]
    }

    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: String,
        _replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        actions: Vec<String>,
        hints: HashMap<String, OwnedValue>,
        _expire_timeout: i32,
    ) -> u32 {
        let desktop_entry = hints
            .get("desktop-entry")
            .and_then(|value| String::try_from(value.clone()).ok());
        self.shown.lock().unwrap().push(Shown {
            app_name,
            summary,
            body,
            actions,
            desktop_entry,
        });
        self.next.fetch_add(1, Ordering::SeqCst) + 1
    }

    fn close_notification(&self, _id: u32) {}

    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "stand-in".into(),
            "offline-profile tests".into(),
            "1".into(),
            "1.2".into(),
        )
    }
}

/// The service on `bus`; once something was shown it "clicks" it: `ActionInvoked(id,
/// "default")`, sent again every 200 ms (the app subscribes after its `Notify` returns) until
/// dropped.
struct StandIn {
    shown: Arc<Mutex<Vec<Shown>>>,
    stop: Arc<AtomicBool>,
    _connection: zbus::blocking::Connection,
}

impl StandIn {
    fn start(bus: &Bus) -> Self {
        let shown = Arc::new(Mutex::new(Vec::new()));
        let connection = zbus::blocking::connection::Builder::address(bus.address.as_str())
            .unwrap()
            .name("org.freedesktop.Notifications")
            .unwrap()
            .serve_at(
                "/org/freedesktop/Notifications",
                Notifications {
                    shown: shown.clone(),
                    next: AtomicU32::new(0),
                },
            )
            .unwrap()
            .build()
            .unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        {
            let (shown, stop, connection) = (shown.clone(), stop.clone(), connection.clone());
            std::thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(60);
                while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                    let count = u32::try_from(shown.lock().unwrap().len()).unwrap();
                    for id in 1..=count {
                        let _ = connection.emit_signal(
                            None::<&str>,
                            "/org/freedesktop/Notifications",
                            "org.freedesktop.Notifications",
                            "ActionInvoked",
                            &(id, "default"),
                        );
                    }
                    std::thread::sleep(Duration::from_millis(200));
                }
            });
        }
        StandIn {
            shown,
            stop,
            _connection: connection,
        }
    }

    fn shown(&self) -> Vec<Shown> {
        self.shown.lock().unwrap().clone()
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// `sync --background` on `dir`, with the test's session bus and no display (so the window a
/// click opens says so and ends at once).
fn background_sync(dir: &std::path::Path, api: &str, bus: &Bus) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_offline-profile"))
        .arg("--data-dir")
        .arg(dir)
        .args([
            "--api",
            api,
            "sync",
            "--background",
            "--give-up-after",
            "20",
        ])
        .env("OFFLINE_PROFILE_TOKEN", TOKEN)
        .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

#[test]
fn a_conflict_found_by_the_background_job_is_notified_and_the_click_opens_the_window() {
    if !programs_present(
        &["dbus-daemon"],
        "the notification tests",
        "apt-get install dbus-daemon",
    ) {
        return;
    }
    let bus = Bus::start();
    let stand_in = StandIn::start(&bus);
    // The server on a runtime of its own (the stand-in's blocking D-Bus connection must not be
    // made on a runtime's thread).
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(spawn_server_with(|router| router));
    let url = server.url();
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());

    let ok = |output: std::process::Output| assert!(output.status.success(), "{output:?}");
    ok(offline_profile(a.path(), &url, &["set", "--name", "Ada"]));
    // Routine: B's job brings A's profile down; nothing to say.
    ok(background_sync(b.path(), &url, &bus));
    assert_eq!(
        crate::cli::show_json(b.path(), &url)["name"],
        "Ada",
        "the routine run synced"
    );
    assert!(stand_in.shown().is_empty(), "{:?}", stand_in.shown());

    // B edits offline while A's edit reaches the server: B's background run meets a conflict.
    ok(offline_profile(a.path(), &url, &["set", "--name", "Alice"]));
    ok(offline_profile(
        b.path(),
        &url,
        &["--offline", "set", "--name", "Bob"],
    ));
    let output = background_sync(b.path(), &url, &bus);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("background sync: conflict"), "{output:?}");
    let shown = stand_in.shown();
    assert_eq!(shown.len(), 1, "one notification: {shown:?}");
    let shown = &shown[0];
    assert_eq!(shown.app_name, "Profile");
    assert!(shown.summary.contains("changed in two places"), "{shown:?}");
    assert!(shown.body.contains("choose which to keep"), "{shown:?}");
    assert!(
        shown.actions.chunks(2).any(|pair| pair[0] == "default"),
        "{shown:?}"
    );
    assert_eq!(
        shown.desktop_entry.as_deref(),
        Some(offline_profile::APP_ID),
        "the desktop shows the app's name and icon"
    );
    // Clicked: the window was started on B's folder (without a display here, it says so and
    // ends by itself).
    assert!(
        stdout.contains("background sync: opening the window"),
        "{output:?}"
    );
}
