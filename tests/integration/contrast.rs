//! The desktop's contrast preference: a stand-in for the XDG desktop portal's Settings
//! interface on a D-Bus bus of the test's own answers `ReadOne("org.freedesktop.appearance",
//! "contrast")` and sends `SettingChanged` as the portal does when the user turns high contrast
//! on or off; the app's reader follows it.

use crate::netns::Bus;
use crate::support::programs_present;
use futures::StreamExt;
use offline_profile::ui::contrast::{self, HIGHER, KEY, NAMESPACE, PORTAL, PORTAL_PATH};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use zbus::object_server::SignalEmitter;
use zbus::zvariant::{OwnedValue, Value};

struct Settings {
    contrast: Arc<AtomicU32>,
}

#[zbus::interface(name = "org.freedesktop.portal.Settings")]
impl Settings {
    fn read_one(&self, namespace: String, key: String) -> zbus::fdo::Result<OwnedValue> {
        if namespace == NAMESPACE && key == KEY {
            Ok(OwnedValue::from(self.contrast.load(Ordering::SeqCst)))
        } else {
            Err(zbus::fdo::Error::Failed("no such setting".into()))
        }
    }

    #[zbus(signal)]
    async fn setting_changed(
        emitter: &SignalEmitter<'_>,
        namespace: &str,
        key: &str,
        value: Value<'_>,
    ) -> zbus::Result<()>;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_follows_the_desktop_s_contrast_preference() {
    if !programs_present(
        &["dbus-daemon"],
        "the contrast test",
        "apt-get install dbus-daemon",
    ) {
        return;
    }
    let bus = tokio::task::spawn_blocking(Bus::start).await.unwrap();
    let level = Arc::new(AtomicU32::new(HIGHER));
    let portal = zbus::connection::Builder::address(bus.address.as_str())
        .unwrap()
        .name(PORTAL)
        .unwrap()
        .serve_at(
            PORTAL_PATH,
            Settings {
                contrast: level.clone(),
            },
        )
        .unwrap()
        .build()
        .await
        .unwrap();
    let app = zbus::connection::Builder::address(bus.address.as_str())
        .unwrap()
        .build()
        .await
        .unwrap();
    assert!(contrast::higher_on(&app).await, "read at start");

    let mut changes = Box::pin(contrast::changes_on(app.clone()));
    let first = tokio::time::timeout(Duration::from_secs(10), changes.next()).await;
    assert_eq!(first.unwrap(), Some(true), "the preference at start");

    // The user turns high contrast off: the portal announces it.
    level.store(0, Ordering::SeqCst);
    let emitter = SignalEmitter::new(&portal, PORTAL_PATH).unwrap();
    // The app subscribes as its stream starts; announce until it has heard (bounded).
    let mut heard = None;
    for _ in 0..50 {
        Settings::setting_changed(&emitter, NAMESPACE, KEY, Value::from(0u32))
            .await
            .unwrap();
        if let Ok(change) = tokio::time::timeout(Duration::from_millis(200), changes.next()).await {
            heard = change;
            break;
        }
    }
    assert_eq!(heard, Some(false), "high contrast turned off");
    // A change of another setting is not a contrast change.
    Settings::setting_changed(&emitter, NAMESPACE, "color-scheme", Value::from(1u32))
        .await
        .unwrap();
    Settings::setting_changed(&emitter, NAMESPACE, KEY, Value::from(HIGHER))
        .await
        .unwrap();
    let again = tokio::time::timeout(Duration::from_secs(10), changes.next()).await;
    assert_eq!(again.unwrap(), Some(true), "on again, and nothing between");

    // No portal at all: no preference, no error.
    drop(portal);
    assert!(!contrast::higher_on(&app).await);
}
