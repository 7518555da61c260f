//! The embedded default: no `--api` starts the server in-process on loopback.

use offline_profile::session::{Session, Settings};
use profile_client::domain::SyncState;

#[tokio::test]
async fn without_an_api_the_embedded_server_is_started_seeded_and_guarded_by_a_private_token() {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings::new(dir.path());
    let session = Session::open(settings.clone()).await.unwrap();
    let server = session.server.as_ref().expect("an embedded server");
    assert!(server.addr.ip().is_loopback());

    session.repository.sync().await.unwrap();
    let profile = session.repository.cached().await.unwrap().unwrap();
    assert_eq!(
        profile.name(),
        "Ada Lovelace",
        "seeded with the demo profile"
    );
    assert_eq!(profile.state(), SyncState::Synced);

    let token = std::fs::read_to_string(settings.token_path()).unwrap();
    assert_eq!(token.len(), 64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(settings.token_path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "the token is readable by the owner only"
        );
    }
    let response = reqwest::get(format!("{}/v1/profile", server.url()))
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::UNAUTHORIZED);

    // The same token is used the next time.
    drop(session);
    let again = Session::open(settings.clone()).await.unwrap();
    assert_eq!(
        std::fs::read_to_string(settings.token_path()).unwrap(),
        token
    );
    again.repository.save("Changed", "").await.unwrap();
    again.repository.sync().await.unwrap();
    let on_server = again
        .server
        .as_ref()
        .unwrap()
        .state
        .store
        .get()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(on_server.name, "Changed");
}
