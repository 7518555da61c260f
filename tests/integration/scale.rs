//! Two `profile-server` instances on one PostgreSQL behind HAProxy, with real app clients (the
//! repository and its synchronizer, event streams included). One instance is killed while every
//! client is connected: they reconnect through HAProxy to the other, and none misses a change.

#[path = "../../crates/server/tests/support/postgres.rs"]
#[allow(dead_code)]
mod postgres;

#[path = "../../crates/server/tests/support/haproxy.rs"]
mod haproxy;

use crate::support::Synchronizer;
use haproxy::Haproxy;
use profile_client::api_client::ApiClientService;
use profile_client::database::DatabaseService;
use profile_client::{Strategies, SyncConfig, UserProfileRepository};
use profile_server::Store;
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Device {
    repository: Arc<UserProfileRepository>,
    _synchronizer: Synchronizer,
    _folder: tempfile::TempDir,
}

async fn device(url: &str, token: String) -> Device {
    let folder = tempfile::tempdir().unwrap();
    let db = DatabaseService::open(&folder.path().join("profile.sqlite3"))
        .await
        .unwrap();
    let api = ApiClientService::new(url, Some(token)).unwrap();
    let repository = UserProfileRepository::new(db, api, Strategies::default(), false)
        .await
        .unwrap();
    let synchronizer = Synchronizer::spawn(
        repository.clone(),
        SyncConfig {
            // Only pushes, saves and reconnections may sync here, never the timer.
            interval: Duration::from_secs(3600),
            ..SyncConfig::default()
        },
    );
    Device {
        repository,
        _synchronizer: synchronizer,
        _folder: folder,
    }
}

/// An instance (accounts only) on the PostgreSQL database at `url`, on a free port.
async fn instance(url: &str) -> profile_server::RunningServer {
    let store = Store::connect(url).await.unwrap();
    profile_server::start_with(store, "", "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

/// `count` users, each with its profile ("User <n>") and two devices (a laptop and a phone)
/// syncing through `url`.
async fn users_through(
    admin: &Store,
    url: &str,
    count: usize,
) -> (Vec<profile_server::UserId>, Vec<(Device, Device)>) {
    let (mut ids, mut users) = (Vec::new(), Vec::new());
    for n in 0..count {
        let user = admin
            .add_user(&format!("user{n}@example.com"), "correct horse battery")
            .await
            .unwrap();
        admin
            .seed_for(
                user,
                &profile_client::domain::Fields::new(format!("User {n}"), ""),
            )
            .await
            .unwrap();
        let first = admin.add_device(user, "Laptop").await.unwrap().token;
        let second = admin.add_device(user, "Phone").await.unwrap().token;
        users.push((device(url, first).await, device(url, second).await));
        ids.push(user);
    }
    (ids, users)
}

fn name_on(device: &Device) -> Option<String> {
    device.repository.status().profile.map(|p| p.fields.name)
}

/// Waits until every device shows its user's `expected` name; how long that took.
async fn converged(users: &[(Device, Device)], expected: impl Fn(usize) -> String) -> Duration {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(10);
    loop {
        let behind: Vec<_> = users
            .iter()
            .enumerate()
            .flat_map(|(n, (a, b))| [(n, a), (n, b)])
            .filter(|(n, device)| name_on(device) != Some(expected(*n)))
            .map(|(n, device)| (n, name_on(device)))
            .collect();
        if behind.is_empty() {
            return started.elapsed();
        }
        assert!(
            Instant::now() < deadline,
            "not up to date within 10 s: {behind:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_of_a_killed_instance_reconnect_through_haproxy_and_miss_no_change() {
    let Some(postgres) = postgres::Postgres::start() else {
        return;
    };
    let url = postgres.database().await;
    let (a, b) = (instance(&url).await, instance(&url).await);
    let Some(haproxy) = Haproxy::start(&[a.addr, b.addr]) else {
        return;
    };

    // Six users, each with two devices, all through the load balancer.
    const USERS: usize = 6;
    let admin = Store::connect(&url).await.unwrap();
    let (_, users) = users_through(&admin, &haproxy.url(), USERS).await;
    converged(&users, |n| format!("User {n}")).await;
    crate::support::eventually("every event stream to connect", || {
        let connected = a.state.event_listeners() + b.state.event_listeners();
        async move { connected == 2 * USERS }
    })
    .await;
    // Kill the instance that holds the most streams while everyone is connected, and change
    // every profile through the survivor.
    let (victim, survivor) = if a.state.event_listeners() >= b.state.event_listeners() {
        (a, b)
    } else {
        (b, a)
    };
    let on_victim = victim.state.event_listeners();
    let killed = Instant::now();
    victim.kill();
    for (n, (laptop, _)) in users.iter().enumerate() {
        laptop
            .repository
            .save(&format!("User {n}, after the kill"), "")
            .await
            .unwrap();
    }
    let back = converged(&users, |n| format!("User {n}, after the kill")).await;
    eprintln!(
        "an instance killed with {on_victim} of {} streams on it; every device up to date \
         {:?} after the kill ({back:?} after the last save)",
        2 * USERS,
        killed.elapsed()
    );
    crate::support::eventually("every event stream back, on the survivor", || {
        let connected = survivor.state.event_listeners();
        async move { connected == 2 * USERS }
    })
    .await;
    assert!(killed.elapsed() < Duration::from_secs(10));
    drop(haproxy);
    survivor.stop().await;
}

/// A photo uploaded through one instance is fetched through the other (both on one PostgreSQL):
/// directly, so the two instances are certain to differ, and through HAProxy with the devices'
/// synchronizers, where the other device hears of it by push.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_uploaded_through_one_instance_is_fetched_through_the_other() {
    let Some(postgres) = postgres::Postgres::start() else {
        return;
    };
    let url = postgres.database().await;
    let (a, b) = (instance(&url).await, instance(&url).await);
    let admin = Store::connect(&url).await.unwrap();
    let user = admin
        .add_user("ada@example.com", "correct horse battery")
        .await
        .unwrap();
    admin
        .seed_for(user, &profile_client::domain::Fields::new("Ada", ""))
        .await
        .unwrap();
    let token = async || admin.add_device(user, "device").await.unwrap().token;

    let on_a = device(&a.url(), token().await).await;
    let on_b = device(&b.url(), token().await).await;
    let picked = crate::photos::photo(60);
    on_a.repository
        .change_photo(profile_client::PhotoEdit::Set(&picked))
        .await
        .unwrap();
    crate::support::eventually("B to show A's photo", || {
        let repository = on_b.repository.clone();
        let id = picked.sha256.clone();
        async move { repository.photo(&id).await.unwrap().is_some() }
    })
    .await;

    let Some(haproxy) = Haproxy::start(&[a.addr, b.addr]) else {
        return;
    };
    let laptop = device(&haproxy.url(), token().await).await;
    let phone = device(&haproxy.url(), token().await).await;
    let second = crate::photos::photo(61);
    laptop
        .repository
        .change_photo(profile_client::PhotoEdit::Set(&second))
        .await
        .unwrap();
    for repository in [&phone.repository, &on_a.repository, &on_b.repository] {
        crate::support::eventually("every device to show the second photo", || {
            let repository = repository.clone();
            let id = second.sha256.clone();
            async move { repository.photo(&id).await.unwrap().is_some() }
        })
        .await;
    }
    drop(haproxy);
    a.stop().await;
    b.stop().await;
}

/// An instance stopped the way `profile-server` stops on SIGTERM (`--drain-seconds`: `/ready`
/// answers 503 first, then the stop: no new connections, streams ended, requests finished),
/// while every client is connected and saving through HAProxy (which checks `/ready`): no
/// client sees a failure, no read through the balancer fails (a kill fails some: checked by
/// hand), and none misses a change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_stopped_gracefully_behind_haproxy_costs_its_clients_no_error_and_no_change() {
    let Some(postgres) = postgres::Postgres::start() else {
        return;
    };
    let url = postgres.database().await;
    let (a, b) = (instance(&url).await, instance(&url).await);
    let Some(haproxy) = Haproxy::start(&[a.addr, b.addr]) else {
        return;
    };
    const USERS: usize = 4;
    let admin = Store::connect(&url).await.unwrap();
    let (ids, users) = users_through(&admin, &haproxy.url(), USERS).await;
    let reader = admin.add_device(ids[0], "Script").await.unwrap().token;
    converged(&users, |n| format!("User {n}")).await;
    crate::support::eventually("every event stream to connect", || {
        let connected = a.state.event_listeners() + b.state.event_listeners();
        async move { connected == 2 * USERS }
    })
    .await;

    // From now on every failure any device reports is kept.
    let failures = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut watchers = Vec::new();
    for (n, device) in users.iter().flat_map(|(a, b)| [a, b]).enumerate() {
        let mut changes = Box::pin(device.repository.changes());
        let failures = failures.clone();
        watchers.push(tokio::spawn(async move {
            while let Some(status) = futures::StreamExt::next(&mut changes).await {
                if let Some(failure) = status.last_failure {
                    failures
                        .lock()
                        .unwrap()
                        .push(format!("device {n}: {failure:?}"));
                }
            }
        }));
    }
    let (stopping, staying) = if a.state.event_listeners() >= b.state.event_listeners() {
        (a, b)
    } else {
        (b, a)
    };
    let streams_on_it = stopping.state.event_listeners();
    // Saves keep coming through the balancer during the whole stop.
    let saving = async {
        for round in 0..12 {
            for (n, (laptop, _)) in users.iter().enumerate() {
                laptop
                    .repository
                    .save(&format!("User {n}, round {round}"), "")
                    .await
                    .unwrap();
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    };
    // And reads, four at a time, back to back: some are in flight whenever the stop comes.
    let stopped = std::sync::atomic::AtomicBool::new(false);
    let refused = std::sync::Mutex::new(Vec::new());
    let reads = std::sync::atomic::AtomicUsize::new(0);
    let reading = futures::future::join_all((0..4).map(|_| async {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        while !stopped.load(std::sync::atomic::Ordering::SeqCst) {
            let answer = http
                .get(format!("{}/v1/profile", haproxy.url()))
                .bearer_auth(&reader)
                .send()
                .await;
            reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            match answer {
                Ok(answer) if answer.status() == 200 => {}
                Ok(answer) => refused.lock().unwrap().push(answer.status().to_string()),
                Err(error) => refused.lock().unwrap().push(error.to_string()),
            }
        }
    }));
    let stop = async {
        stopping.state.drain();
        // HAProxy's check (every 300 ms, down after 3 failures) takes it out of the rotation.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        stopping.stop().await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        stopped.store(true, std::sync::atomic::Ordering::SeqCst);
    };
    tokio::join!(saving, stop, reading);
    let refused = refused.into_inner().unwrap();
    assert!(
        refused.is_empty(),
        "{} of {} reads through the balancer failed during the stop: {refused:?}",
        refused.len(),
        reads.into_inner()
    );
    converged(&users, |n| format!("User {n}, round 11")).await;
    crate::support::eventually("every event stream on the instance that stayed", || {
        let connected = staying.state.event_listeners();
        async move { connected == 2 * USERS }
    })
    .await;
    for watcher in watchers {
        watcher.abort();
    }
    let failures = failures.lock().unwrap().clone();
    assert!(
        failures.is_empty(),
        "a graceful stop with {streams_on_it} streams on it: {failures:#?}"
    );
    drop(haproxy);
    staying.stop().await;
}
