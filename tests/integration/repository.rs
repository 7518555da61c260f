//! The repository against a real SQLite file and a real server.

use crate::support::Synchronizer;
use crate::support::{Client, HoldingServer, Proxy, dead_url, eventually, spawn_server};
use futures::StreamExt;
use profile_client::domain::{Fields, SyncState};
use profile_client::sync::SyncConfig;
use profile_client::{ReadEvent, RepositoryError, SyncOutcome};
use std::sync::Arc;
use std::time::Duration;

async fn read_all(
    repository: &Arc<profile_client::UserProfileRepository>,
) -> Vec<Result<ReadEvent, RepositoryError>> {
    repository.read_stream().collect().await
}

#[tokio::test]
async fn read_emits_the_cached_copy_then_the_servers() {
    let server = spawn_server().await;
    server
        .store()
        .seed(&Fields::new("Old name", ""))
        .await
        .unwrap();
    let client = Client::new();
    let repository = client.repository(&server.url()).await;
    assert_eq!(repository.sync().await.unwrap(), SyncOutcome::Synced);

    // Someone else changes the profile on the server.
    server
        .client()
        .put_profile(
            &Fields::new("New name", ""),
            crate::support::current_state(&server).await,
        )
        .await
        .unwrap();

    let events = read_all(&repository).await;
    assert_eq!(events.len(), 2, "{events:?}");
    match &events[0] {
        Ok(ReadEvent::Cached(Some(profile))) => assert_eq!(profile.name(), "Old name"),
        other => panic!("expected the cached copy first, got {other:?}"),
    }
    match &events[1] {
        Ok(ReadEvent::Fresh(Some(profile))) => {
            assert_eq!(profile.name(), "New name");
            assert!(profile.synchronized);
            assert_eq!(profile.base_version(), Some(2));
        }
        other => panic!("expected the server's copy second, got {other:?}"),
    }
}

#[tokio::test]
async fn fetched_data_is_stored_as_synchronized() {
    let server = crate::support::seeded_server("Ada").await;
    let client = Client::new();
    let repository = client.repository(&server.url()).await;

    let events = read_all(&repository).await;
    assert!(
        matches!(events[0], Ok(ReadEvent::Cached(None))),
        "{events:?}"
    );

    let row = repository.database().load_profile().await.unwrap().unwrap();
    assert_eq!(row.name(), "Ada");
    assert!(
        row.synchronized,
        "data that came from the server must be stored as synchronized"
    );
    assert_eq!(row.base_version(), Some(1));
    assert_eq!(repository.status().state(), SyncState::Synced);
}

#[tokio::test]
async fn save_with_the_server_down_is_pending_and_a_later_sync_flips_it() {
    let server = spawn_server().await;
    let proxy = Proxy::start(server.running.addr, false).await;
    let client = Client::new();
    let repository = client.repository(&proxy.url()).await;

    let saved = repository.save("  Grace Hopper ", "").await.unwrap();
    assert_eq!(saved.name(), "Grace Hopper", "input is normalised");
    assert!(!saved.synchronized);
    assert_eq!(saved.state(), SyncState::Pending);

    let error = repository.sync().await.unwrap_err();
    assert!(error.is_offline(), "{error}");
    let row = repository.database().load_profile().await.unwrap().unwrap();
    assert!(!row.synchronized);
    assert_eq!(row.name(), "Grace Hopper");

    proxy.set_up(true);
    assert_eq!(repository.sync().await.unwrap(), SyncOutcome::Synced);
    let row = repository.database().load_profile().await.unwrap().unwrap();
    assert!(row.synchronized);
    assert_eq!(
        server.store().get().await.unwrap().unwrap().name,
        "Grace Hopper"
    );
}

#[tokio::test]
async fn an_edit_made_while_a_put_is_in_flight_is_not_lost() {
    let holding = HoldingServer::spawn().await;
    let server = &holding.server;
    let client = Client::new();
    let repository = client.repository(&server.url()).await;

    repository.save("First", "").await.unwrap();
    let syncing = tokio::spawn({
        let repository = repository.clone();
        async move { repository.sync().await }
    });
    holding.held().await;

    // The PUT carrying "First" is at the server; the user edits again.
    let second = repository.save("Second", "").await.unwrap();
    holding.release_one();
    // The sync goes on to push "Second" too; let that through as well.
    holding.held().await;
    let row = repository.database().load_profile().await.unwrap().unwrap();
    assert_eq!(row.name(), "Second", "the edit made during the PUT is kept");
    assert!(
        !row.synchronized,
        "and it is not marked synced by the first PUT"
    );
    assert_eq!(row.revision, second.revision);
    assert_eq!(
        row.base_version(),
        Some(1),
        "rebased onto what the server accepted"
    );
    holding.release_one();

    assert_eq!(syncing.await.unwrap().unwrap(), SyncOutcome::Synced);
    let row = repository.database().load_profile().await.unwrap().unwrap();
    assert_eq!(row.name(), "Second");
    assert!(row.synchronized);
    let on_server = server.store().get().await.unwrap().unwrap();
    assert_eq!(on_server.name, "Second");
    assert_eq!(on_server.version, 2);
}

#[tokio::test]
async fn a_server_copy_does_not_overwrite_a_pending_edit() {
    let server = spawn_server().await;
    server
        .store()
        .seed(&Fields::new("Server", ""))
        .await
        .unwrap();
    let client = Client::new();
    let repository = client.repository(&server.url()).await;
    repository.sync().await.unwrap();

    // Edited while "offline" (nothing is pushed before the read below).
    let proxy_less = client.repository(&dead_url().await).await;
    proxy_less.save("Mine", "").await.unwrap();
    // Meanwhile the server moves on.
    server
        .client()
        .put_profile(
            &Fields::new("Theirs", ""),
            crate::support::current_state(&server).await,
        )
        .await
        .unwrap();

    let events = read_all(&repository).await;
    match events.last() {
        Some(Ok(ReadEvent::Fresh(Some(profile)))) => {
            assert_eq!(profile.name(), "Mine");
            assert!(!profile.synchronized);
        }
        other => panic!("unexpected read result {other:?}"),
    }
    let row = repository.database().load_profile().await.unwrap().unwrap();
    assert_eq!(row.name(), "Mine");
    assert_eq!(row.base_version(), Some(1));
}

#[tokio::test]
async fn the_synchronizer_retries_until_the_server_is_back() {
    let server = spawn_server().await;
    let proxy = Proxy::start(server.running.addr, false).await;
    let client = Client::new();
    let repository = client.repository(&proxy.url()).await;
    let synchronizer = Synchronizer::spawn(
        repository.clone(),
        SyncConfig {
            backoff_base: Duration::from_millis(50),
            offline_cap: Duration::from_millis(200),
            ..SyncConfig::default()
        },
    );

    repository.save("Offline edit", "").await.unwrap();
    eventually("an offline state with a scheduled retry", || {
        let status = repository.status();
        async move {
            matches!(
                status.activity,
                profile_client::Activity::Offline {
                    retry_at: Some(_),
                    ..
                }
            )
        }
    })
    .await;
    assert_eq!(repository.status().state(), SyncState::Pending);

    proxy.set_up(true);
    eventually("the profile to be synced", || {
        let state = repository.status().state();
        async move { state == SyncState::Synced }
    })
    .await;
    assert_eq!(
        server.store().get().await.unwrap().unwrap().name,
        "Offline edit"
    );
    synchronizer.abort();
}

#[tokio::test]
async fn invalid_input_never_reaches_the_database() {
    let server = spawn_server().await;
    let client = Client::new();
    let repository = client.repository(&server.url()).await;
    let error = repository.save("   ", "").await.unwrap_err();
    assert!(matches!(error, RepositoryError::Invalid(_)), "{error}");
    let error = repository
        .save("Ada", "javascript:alert(1)")
        .await
        .unwrap_err();
    assert!(error.to_string().contains("photo_url"), "{error}");
    assert!(
        repository
            .database()
            .load_profile()
            .await
            .unwrap()
            .is_none()
    );
}
