//! Signed out means signed out: a device signed out elsewhere while nothing is pending hears it
//! from its event stream, says "Signed out" at once (badge, window title), and sends nothing
//! more — no timer, no retry, no network coming up — until the user saves or asks to sync.

use crate::support::{Client, Synchronizer, TestServer, eventually, follow_status, ready};
use profile_client::api_client::ApiClientService;
use profile_client::database::DatabaseService;
use profile_client::{Activity, SyncConfig, UserProfileRepository};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A schedule that retries many times a second, so a loop that kept retrying after the server
/// refused the token would be seen at once. The timer is an hour away: only the event stream
/// can tell this device it was signed out.
fn eager() -> SyncConfig {
    SyncConfig {
        interval: Duration::from_secs(3600),
        backoff_base: Duration::from_millis(20),
        offline_cap: Duration::from_millis(100),
        fast_for: Duration::from_secs(30),
        failure_cap: Duration::from_millis(200),
        ..SyncConfig::default()
    }
}

/// A server that counts the requests carrying the bearer token in `watched`.
async fn server_counting(watched: Arc<Mutex<String>>, count: Arc<AtomicUsize>) -> TestServer {
    crate::support::spawn_server_with(move |router| {
        router.layer(axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| {
                let bearer = request
                    .headers()
                    .get("authorization")
                    .and_then(|value| value.to_str().ok())
                    .and_then(|value| value.strip_prefix("Bearer "))
                    .map(str::to_owned);
                if bearer.is_some_and(|token| token == *watched.lock().unwrap()) {
                    count.fetch_add(1, Ordering::SeqCst);
                }
                next.run(request)
            },
        ))
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_signed_out_elsewhere_says_so_at_once_and_sends_nothing_until_asked() {
    let watched = Arc::new(Mutex::new(String::new()));
    let requests = Arc::new(AtomicUsize::new(0));
    let server = server_counting(watched.clone(), requests.clone()).await;
    let user = server
        .store()
        .add_user("ada@example.com", "correct horse battery")
        .await
        .unwrap();
    let this = server.store().add_device(user, "Laptop").await.unwrap();
    let other = server.store().add_device(user, "Phone").await.unwrap();
    *watched.lock().unwrap() = this.token.clone();

    let client = Client::new();
    let db = DatabaseService::open(&client.dir.path().join("profile.sqlite3"))
        .await
        .unwrap();
    let api = ApiClientService::new(&server.url(), Some(this.token.clone())).unwrap();
    let repository = UserProfileRepository::new(db, api, Default::default(), false)
        .await
        .unwrap();
    let _synchronizer = Synchronizer::spawn(repository.clone(), eager());
    repository.save("Ada", "").await.unwrap();
    let mut window = ready(repository.clone()).await;
    follow_status(&mut window, &repository, |window| {
        window.title().contains("Synced")
    })
    .await;
    crate::support::event_listeners(&server, 1).await;

    // Another device of Ada's signs this one out; nothing is pending here.
    ApiClientService::new(&server.url(), Some(other.token))
        .unwrap()
        .revoke_device(&this.device_id)
        .await
        .unwrap();
    follow_status(&mut window, &repository, |window| {
        window.title().contains("Signed out")
    })
    .await;
    let status = repository.status();
    assert!(
        matches!(status.activity, Activity::SignedOut { .. }),
        "{:?}",
        status.activity
    );
    // The event stream hears it itself: its listener waits for the user. (The sync that the
    // save asked for may still be on its way when the device is signed out — on a slow
    // machine, under wine — and hear it too, before or after.)
    eventually("the event stream's listener to hear the refusal", || {
        let waits = repository.listener_waits();
        async move { waits }
    })
    .await;

    // Both loops now wait for the user. With this schedule a loop that still retried would
    // send several requests a second; a network coming up does not count as asking either.
    tokio::time::timeout(Duration::from_secs(30), repository.until_parked())
        .await
        .expect("the sync loop and the listener stop and wait for the user");
    let parked_at = requests.load(Ordering::SeqCst);
    repository.network_up();
    tokio::time::sleep(eager().failure_cap * 10).await;
    assert_eq!(
        requests.load(Ordering::SeqCst),
        parked_at,
        "no request after the server refused the token"
    );

    // "Sync now" tries once, and is refused once.
    repository.request_sync();
    eventually("the requested attempt to be made", || {
        let seen = requests.load(Ordering::SeqCst);
        async move { seen > parked_at }
    })
    .await;
    tokio::time::timeout(Duration::from_secs(30), repository.until_parked())
        .await
        .expect("refused again, the loops wait again");
    let after_request = requests.load(Ordering::SeqCst);
    assert!(
        after_request - parked_at <= 2,
        "one sync (and at most the listener's one reconnect): {}",
        after_request - parked_at
    );
    assert!(matches!(
        repository.status().activity,
        Activity::SignedOut { .. }
    ));
    // A save is kept here, tried once, and still refused.
    repository.save("Ada, offline", "").await.unwrap();
    eventually("the save to be tried", || {
        let seen = requests.load(Ordering::SeqCst);
        async move { seen > after_request }
    })
    .await;
    assert_eq!(
        repository.cached().await.unwrap().unwrap().fields.name,
        "Ada, offline"
    );
}
