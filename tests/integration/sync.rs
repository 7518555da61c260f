//! The sync engine end to end: push between clients, merges and conflicts, a server that goes
//! away and comes back, working offline, lost responses, and the read/write strategies.

use crate::support::Synchronizer;
use crate::support::{
    Client, Mode, Proxy, TOKEN, TwoClients, counting, counting_syncs, dead_url, event_listeners,
    eventually, spawn_server, spawn_server_with, two_synced_clients,
};
use futures::StreamExt;
use profile_client::domain::{Field, Fields, SyncState};
use profile_client::sync::SyncConfig;
use profile_client::{
    Activity, ReadEvent, ReadStrategy, RepositoryError, Resolution, Strategies, SyncOutcome,
    UserProfileRepository, WriteStrategy,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

fn quick() -> SyncConfig {
    SyncConfig {
        // Only pushes, saves and retries may cause a sync in these tests, never the timer.
        interval: Duration::from_secs(3600),
        ..SyncConfig::default()
    }
}

async fn name_on(repository: &UserProfileRepository) -> Option<String> {
    repository.status().profile.map(|p| p.fields.name)
}

#[tokio::test]
async fn a_change_saved_by_one_client_is_pushed_to_another_without_polling() {
    let server = crate::support::seeded_server("Ada").await;
    let (a, b) = (Client::new(), Client::new());
    let repo_a = a.repository(&server.url()).await;
    let repo_b = b.repository(&server.url()).await;
    let synchronizer = Synchronizer::spawn(repo_b.clone(), quick());
    eventually("B to hold the server's profile", || {
        let repo = repo_b.clone();
        async move { name_on(&repo).await.as_deref() == Some("Ada") }
    })
    .await;
    event_listeners(&server, 1).await;

    repo_a.sync().await.unwrap();
    repo_a.save("Ada from A", "").await.unwrap();
    assert_eq!(repo_a.sync().await.unwrap(), SyncOutcome::Synced);

    eventually("B to receive A's change through push", || {
        let repo = repo_b.clone();
        async move { name_on(&repo).await.as_deref() == Some("Ada from A") }
    })
    .await;
    let profile = repo_b.cached().await.unwrap().unwrap();
    assert!(profile.synchronized);
    assert_eq!(profile.base_version(), Some(2));
    synchronizer.abort();
}

#[tokio::test]
async fn edits_to_different_fields_on_two_offline_clients_are_merged() {
    let TwoClients {
        server,
        a: repo_a,
        b: repo_b,
        dirs: _kept_alive,
    } = two_synced_clients().await;

    // Both edit while offline (nothing is pushed until they sync).
    repo_a.save("Ada King", "").await.unwrap();
    repo_b
        .save("Ada", "https://example.com/b.png")
        .await
        .unwrap();

    assert_eq!(repo_a.sync().await.unwrap(), SyncOutcome::Synced);
    assert_eq!(repo_b.sync().await.unwrap(), SyncOutcome::Synced);
    assert_eq!(repo_a.sync().await.unwrap(), SyncOutcome::Synced);

    let merged = Fields::new("Ada King", "https://example.com/b.png");
    let on_server = server.store().get().await.unwrap().unwrap();
    assert_eq!(
        (on_server.name.clone(), on_server.photo_url.clone()),
        (merged.name.clone(), merged.photo_url.clone())
    );
    assert_eq!(repo_a.cached().await.unwrap().unwrap().fields, merged);
    assert_eq!(repo_b.cached().await.unwrap().unwrap().fields, merged);
    assert_eq!(on_server.version, 3);
}

/// Two clients change the name differently while offline; A's reaches the server first.
async fn conflicting_clients() -> (TwoClients, Arc<UserProfileRepository>) {
    let clients = two_synced_clients().await;
    let (repo_a, repo_b) = (clients.a.clone(), clients.b.clone());
    let server = &clients.server;
    repo_a.save("Alice", "").await.unwrap();
    repo_b
        .save("Bob", "https://example.com/bob.png")
        .await
        .unwrap();
    repo_a.sync().await.unwrap();

    assert_eq!(repo_b.sync().await.unwrap(), SyncOutcome::Conflict);
    let local = repo_b.cached().await.unwrap().unwrap();
    assert_eq!(local.state(), SyncState::Conflict);
    assert_eq!(local.name(), "Bob", "nothing is dropped");
    assert_eq!(local.photo_url(), "https://example.com/bob.png");
    let conflict = local.conflict.unwrap();
    assert_eq!(conflict.fields, vec![Field::Name]);
    assert_eq!(conflict.theirs.fields.name, "Alice");
    // Until it is resolved, nothing is pushed over the server's value.
    assert_eq!(repo_b.sync().await.unwrap(), SyncOutcome::Conflict);
    assert_eq!(server.store().get().await.unwrap().unwrap().name, "Alice");
    (clients, repo_b)
}

#[tokio::test]
async fn a_conflict_resolved_with_keep_mine_pushes_mine() {
    let (clients, repo_b) = conflicting_clients().await;
    let server = &clients.server;
    repo_b.resolve(Resolution::KeepMine).await.unwrap();
    assert_eq!(repo_b.sync().await.unwrap(), SyncOutcome::Synced);
    let on_server = server.store().get().await.unwrap().unwrap();
    assert_eq!(on_server.name, "Bob");
    assert_eq!(on_server.photo_url, "https://example.com/bob.png");
}

#[tokio::test]
async fn resolving_a_conflict_after_an_edit_made_meanwhile_is_refused_and_keeps_the_conflict() {
    let (clients, repo_b) = conflicting_clients().await;
    let seen = repo_b.cached().await.unwrap().unwrap();
    // Another window on the same folder saves while the user is deciding.
    let other_window = clients.dirs.1.repository(&clients.server.url()).await;
    other_window.save("Robert", "").await.unwrap();

    let refused = repo_b.resolve_seen(&seen, Resolution::UseTheirs).await;
    assert!(
        matches!(refused, Err(RepositoryError::EditedWhileResolving)),
        "{refused:?}"
    );
    let local = repo_b.cached().await.unwrap().unwrap();
    assert_eq!(local.name(), "Robert", "the later edit is kept");
    assert_eq!(local.state(), SyncState::Conflict, "still to be decided");
    assert_eq!(repo_b.status().profile, Some(local));

    // Deciding again, on what is there now, works.
    repo_b.resolve(Resolution::KeepMine).await.unwrap();
    assert_eq!(repo_b.sync().await.unwrap(), SyncOutcome::Synced);
    assert_eq!(
        clients.server.store().get().await.unwrap().unwrap().name,
        "Robert"
    );
}

#[tokio::test]
async fn a_conflict_resolved_with_use_theirs_takes_theirs_and_keeps_my_other_changes() {
    let (clients, repo_b) = conflicting_clients().await;
    let server = &clients.server;
    repo_b.resolve(Resolution::UseTheirs).await.unwrap();
    assert_eq!(repo_b.sync().await.unwrap(), SyncOutcome::Synced);
    let local = repo_b.cached().await.unwrap().unwrap();
    assert_eq!(local.name(), "Alice");
    assert!(local.synchronized);
    let on_server = server.store().get().await.unwrap().unwrap();
    assert_eq!(on_server.name, "Alice");
    assert_eq!(
        on_server.photo_url, "https://example.com/bob.png",
        "the non-conflicting edit"
    );
}

#[tokio::test]
async fn resolving_without_a_conflict_is_refused() {
    let server = spawn_server().await;
    let client = Client::new();
    let repository = client.repository(&server.url()).await;
    repository.save("Ada", "").await.unwrap();
    assert!(matches!(
        repository.resolve(Resolution::KeepMine).await,
        Err(RepositoryError::NoConflict)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_restarted_on_the_same_port_is_noticed_and_the_client_converges() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let running = profile_server::start(&db, TOKEN, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = running.addr;
    running
        .state
        .store
        .seed(&Fields::new("Ada", ""))
        .await
        .unwrap();
    let client = Client::new();
    let repository = client.repository(&running.url()).await;
    let synchronizer = Synchronizer::spawn(repository.clone(), SyncConfig::default());
    eventually("the first sync", || {
        let state = repository.status().state();
        async move { state == SyncState::Synced }
    })
    .await;

    running.stop().await;
    repository
        .save("Saved while the server was down", "")
        .await
        .unwrap();
    eventually("the offline state", || {
        let activity = repository.status().activity;
        async move { matches!(activity, Activity::Offline { .. }) }
    })
    .await;

    let restarted = profile_server::start(&db, TOKEN, addr).await.unwrap();
    eventually("convergence after the restart", || {
        let state = repository.status().state();
        async move { state == SyncState::Synced }
    })
    .await;
    assert_eq!(
        restarted.state.store.get().await.unwrap().unwrap().name,
        "Saved while the server was down"
    );
    synchronizer.abort();
}

#[tokio::test]
async fn working_offline_sends_no_request_until_it_is_turned_off() {
    let count = Arc::new(AtomicUsize::new(0));
    let server = spawn_server_with(counting(count.clone())).await;
    let client = Client::new();
    let db =
        profile_client::database::DatabaseService::open(&client.dir.path().join("profile.sqlite3"))
            .await
            .unwrap();
    let api = profile_client::api_client::ApiClientService::new(&server.url(), Some(TOKEN.into()))
        .unwrap();
    let repository = UserProfileRepository::new(db, api, Strategies::default(), true)
        .await
        .unwrap();
    let synchronizer = Synchronizer::spawn(repository.clone(), quick());

    repository.save("Offline on purpose", "").await.unwrap();
    repository.request_sync();
    let events: Vec<_> = repository.read_stream().collect().await;
    assert!(
        matches!(events[0], Ok(ReadEvent::Cached(Some(_)))),
        "{events:?}"
    );
    assert!(
        matches!(events[1], Err(RepositoryError::WorkingOffline)),
        "{events:?}"
    );
    assert!(matches!(
        repository.sync().await,
        Err(RepositoryError::WorkingOffline)
    ));
    // Both loops wait for the user now: from here nothing can be sent until asked.
    tokio::time::timeout(Duration::from_secs(30), repository.until_parked())
        .await
        .expect("the synchronizer waits for the user while working offline");
    assert_eq!(
        count.load(Ordering::SeqCst),
        0,
        "no request while working offline"
    );
    assert_eq!(repository.status().state(), SyncState::Pending);

    repository.set_work_offline(false);
    eventually("a sync once work offline is off", || {
        let state = repository.status().state();
        async move { state == SyncState::Synced }
    })
    .await;
    assert!(count.load(Ordering::SeqCst) > 0);
    assert_eq!(
        server.store().get().await.unwrap().unwrap().name,
        "Offline on purpose"
    );
    synchronizer.abort();
}

#[tokio::test]
async fn a_response_lost_after_the_commit_is_retried_without_a_conflict_or_a_second_bump() {
    let server = crate::support::seeded_server("Ada").await;
    let proxy = Proxy::with_mode(server.running.addr, Mode::Up).await;
    let client = Client::new();
    let repository = client.repository(&proxy.url()).await;
    repository.sync().await.unwrap();

    repository.save("Ada Lovelace", "").await.unwrap();
    proxy.set_mode(Mode::DropResponses);
    // A fresh client, so the PUT goes out on a new connection through the faulty proxy.
    let repository = client.repository(&proxy.url()).await;
    let error = repository.sync().await.unwrap_err();
    assert!(
        error.is_offline(),
        "the client saw a broken connection: {error}"
    );
    let committed = server.store().get().await.unwrap().unwrap();
    assert_eq!(
        (committed.name.as_str(), committed.version),
        ("Ada Lovelace", 2),
        "the server committed"
    );
    assert_eq!(repository.status().state(), SyncState::Pending);

    proxy.set_mode(Mode::Up);
    assert_eq!(repository.sync().await.unwrap(), SyncOutcome::Synced);
    let local = repository.cached().await.unwrap().unwrap();
    assert!(local.synchronized);
    assert!(local.conflict.is_none());
    assert_eq!(local.base_version(), Some(2));
    assert_eq!(
        server.store().get().await.unwrap().unwrap().version,
        2,
        "no second bump"
    );
}

#[tokio::test]
async fn fallback_reads_the_server_and_falls_back_to_the_cache_when_it_is_down() {
    let server = spawn_server().await;
    server
        .store()
        .seed(&Fields::new("On the server", ""))
        .await
        .unwrap();
    let proxy = Proxy::start(server.running.addr, true).await;
    let client = Client::new();
    let strategies = Strategies {
        read: ReadStrategy::Fallback,
        ..Strategies::default()
    };
    let repository = client.repository_with(&proxy.url(), strategies).await;

    let events: Vec<_> = repository.read_stream().collect().await;
    assert_eq!(events.len(), 1, "fallback answers once: {events:?}");
    assert!(matches!(&events[0], Ok(ReadEvent::Fresh(Some(p))) if p.name() == "On the server"));

    proxy.set_up(false);
    let events: Vec<_> = repository.read_stream().collect().await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(
        matches!(&events[0], Ok(ReadEvent::Cached(Some(p))) if p.name() == "On the server"),
        "the cache when the server is down: {events:?}"
    );

    // Neither has one: "no profile yet", not an error.
    let (other_server, other_client) = (spawn_server().await, Client::new());
    let empty = other_client
        .repository_with(&other_server.url(), strategies)
        .await;
    let events: Vec<_> = empty.read_stream().collect().await;
    assert!(
        matches!(events.as_slice(), [Ok(ReadEvent::Fresh(None))]),
        "{events:?}"
    );
}

#[tokio::test]
async fn local_reads_only_the_cache_and_sync_refreshes_it() {
    let count = Arc::new(AtomicUsize::new(0));
    let server = spawn_server_with(counting(count.clone())).await;
    server
        .store()
        .seed(&Fields::new("Server copy", ""))
        .await
        .unwrap();
    let client = Client::new();
    let strategies = Strategies {
        read: ReadStrategy::Local,
        ..Strategies::default()
    };
    let repository = client.repository_with(&server.url(), strategies).await;

    let events: Vec<_> = repository.read_stream().collect().await;
    assert!(
        matches!(events.as_slice(), [Ok(ReadEvent::Cached(None))]),
        "{events:?}"
    );
    assert_eq!(
        count.load(Ordering::SeqCst),
        0,
        "a local read sends nothing"
    );

    repository.sync().await.unwrap();
    let events: Vec<_> = repository.read_stream().collect().await;
    assert!(matches!(&events[..], [Ok(ReadEvent::Cached(Some(p)))] if p.name() == "Server copy"));
}

#[tokio::test]
async fn online_only_saves_nothing_locally_when_the_server_is_down() {
    let server = crate::support::seeded_server("Ada").await;
    let proxy = Proxy::start(server.running.addr, true).await;
    let client = Client::new();
    let strategies = Strategies {
        write: WriteStrategy::OnlineOnly,
        ..Strategies::default()
    };
    let repository = client.repository_with(&proxy.url(), strategies).await;
    repository.sync().await.unwrap();

    proxy.set_up(false);
    let error = repository.save("Not saved", "").await.unwrap_err();
    assert!(error.is_offline(), "{error}");
    let local = repository.cached().await.unwrap().unwrap();
    assert_eq!(local.name(), "Ada", "the local copy is unchanged");
    assert!(local.synchronized);

    proxy.set_up(true);
    let saved = repository.save("Saved online", "").await.unwrap();
    assert!(
        saved.synchronized,
        "online-only stores only what the server accepted"
    );
    assert_eq!(
        server.store().get().await.unwrap().unwrap().name,
        "Saved online"
    );
}

#[tokio::test]
async fn offline_first_saves_locally_even_when_the_server_is_down() {
    let client = Client::new();
    let repository = client.repository(&dead_url().await).await;
    let saved = repository.save("Saved anyway", "").await.unwrap();
    assert_eq!(saved.state(), SyncState::Pending);
}

#[tokio::test]
async fn a_503_with_retry_after_is_honoured_and_then_synced() {
    // The server is "overloaded" for the first two PUTs.
    let refusals = Arc::new(AtomicUsize::new(2));
    let left = refusals.clone();
    let server = spawn_server_with(move |router| {
        router.layer(axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| {
                let left = left.clone();
                async move {
                    let refuse = request.method() == axum::http::Method::PUT
                        && left
                            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                            .is_ok();
                    if refuse {
                        return axum::response::IntoResponse::into_response((
                            axum::http::StatusCode::SERVICE_UNAVAILABLE,
                            [(axum::http::header::RETRY_AFTER, "1")],
                            axum::Json(serde_json::json!({"error": "overloaded"})),
                        ));
                    }
                    next.run(request).await
                }
            },
        ))
    })
    .await;
    let client = Client::new();
    let repository = client.repository(&server.url()).await;
    repository.save("Patient", "").await.unwrap();
    let started = chrono::Utc::now();
    let synchronizer = Synchronizer::spawn(repository.clone(), quick());

    eventually("a failure with a retry at least Retry-After away", || {
        let activity = repository.status().activity;
        async move {
            matches!(activity, Activity::Failed { retry_at: Some(at), ref reason }
                if reason.contains("overloaded") && at - started >= chrono::Duration::milliseconds(900))
        }
    })
    .await;
    eventually("the profile to be synced after the server recovers", || {
        let state = repository.status().state();
        async move { state == SyncState::Synced }
    })
    .await;
    assert_eq!(refusals.load(Ordering::SeqCst), 0);
    assert_eq!(server.store().get().await.unwrap().unwrap().name, "Patient");
    synchronizer.abort();
}

#[tokio::test]
async fn an_edit_after_a_lost_response_is_not_a_conflict_with_ourselves() {
    let server = crate::support::seeded_server("Ada").await;
    let proxy = Proxy::with_mode(server.running.addr, Mode::Up).await;
    let client = Client::new();
    client.repository(&proxy.url()).await.sync().await.unwrap();

    // The first edit reaches the server, but its answer is lost.
    proxy.set_mode(Mode::DropResponses);
    let repository = client.repository(&proxy.url()).await;
    repository.save("First", "").await.unwrap();
    assert!(repository.sync().await.is_err());
    assert_eq!(server.store().get().await.unwrap().unwrap().name, "First");

    // The user edits again before anything is heard back.
    repository.save("Second", "").await.unwrap();
    proxy.set_mode(Mode::Up);
    let repository = client.repository(&proxy.url()).await;
    assert_eq!(repository.sync().await.unwrap(), SyncOutcome::Synced);
    let stored = server.store().get().await.unwrap().unwrap();
    assert_eq!((stored.name.as_str(), stored.version), ("Second", 3));
    let local = repository.cached().await.unwrap().unwrap();
    assert!(local.synchronized && local.conflict.is_none());
}

#[tokio::test]
async fn periodic_syncs_are_skipped_on_a_low_battery_but_requested_ones_run() {
    let power = tempfile::tempdir().unwrap();
    let battery = power.path().join("BAT0");
    std::fs::create_dir_all(&battery).unwrap();
    for (file, value) in [
        ("type", "Battery"),
        ("status", "Discharging"),
        ("capacity", "12"),
    ] {
        std::fs::write(battery.join(file), value).unwrap();
    }
    let count = Arc::new(AtomicUsize::new(0));
    let server = spawn_server_with(counting_syncs(count.clone())).await;
    server.store().seed(&Fields::new("Ada", "")).await.unwrap();
    let client = Client::new();
    let repository = client.repository(&server.url()).await;
    let config = SyncConfig {
        interval: Duration::from_millis(100),
        power: profile_client::power::PowerSupply::at(power.path()),
        ..SyncConfig::default()
    };
    let synchronizer = Synchronizer::spawn(repository.clone(), config);
    eventually("the start-up sync", || {
        let state = repository.status().state();
        async move { state == SyncState::Synced }
    })
    .await;
    // Once the event stream is up, only the timer could send a sync: count over ten of its
    // firings (counted by the synchronizer, so a slow machine waits longer, never less).
    event_listeners(&server, 1).await;
    let before = count.load(Ordering::SeqCst);
    let ticks = repository.timer_ticks();
    eventually("ten firings of the timer", || {
        let fired = repository.timer_ticks() - ticks;
        async move { fired >= 10 }
    })
    .await;
    assert_eq!(
        count.load(Ordering::SeqCst),
        before,
        "no periodic sync on a low battery"
    );

    // A sync the user asks for still runs.
    repository.save("Asked for", "").await.unwrap();
    eventually("the requested sync", || {
        let state = repository.status().state();
        async move { state == SyncState::Synced }
    })
    .await;
    assert_eq!(
        server.store().get().await.unwrap().unwrap().name,
        "Asked for"
    );

    // On mains power the timer syncs again.
    std::fs::write(battery.join("status"), "Charging").unwrap();
    let before = count.load(Ordering::SeqCst);
    eventually("a periodic sync once charging", || {
        let now = count.load(Ordering::SeqCst);
        async move { now > before }
    })
    .await;
    synchronizer.abort();
}

#[tokio::test]
async fn a_landed_push_is_recognised_even_after_an_earlier_push_that_never_arrived() {
    let server = crate::support::seeded_server("Ada").await;
    let proxy = Proxy::with_mode(server.running.addr, Mode::Up).await;
    let client = Client::new();
    client.repository(&proxy.url()).await.sync().await.unwrap();

    // "First" is sent but never reaches the server.
    proxy.set_mode(Mode::Down);
    let repository = client.repository(&proxy.url()).await;
    repository.save("First", "").await.unwrap();
    assert!(repository.sync().await.is_err());
    // "Second" reaches the server, but its answer is lost.
    proxy.set_mode(Mode::DropResponses);
    let repository = client.repository(&proxy.url()).await;
    repository.save("Second", "").await.unwrap();
    assert!(repository.sync().await.is_err());
    assert_eq!(server.store().get().await.unwrap().unwrap().name, "Second");

    // A third edit syncs without a conflict with ourselves.
    proxy.set_mode(Mode::Up);
    let repository = client.repository(&proxy.url()).await;
    repository.save("Third", "").await.unwrap();
    assert_eq!(repository.sync().await.unwrap(), SyncOutcome::Synced);
    let stored = server.store().get().await.unwrap().unwrap();
    assert_eq!((stored.name.as_str(), stored.version), ("Third", 3));
}
