//! The photo: downloaded once, kept as a small PNG in the cache, shown offline, and hostile
//! images refused.

use crate::support::ready;
use crate::support::{Client, Proxy, spawn_server, spawn_server_with};
use offline_profile::ui::user_profile::Avatar;
use profile_client::domain::Fields;
use profile_server::SAMPLE_AVATAR_PATH;

#[tokio::test]
async fn the_photo_is_cached_and_shown_offline() {
    let server = spawn_server().await;
    let proxy = Proxy::start(server.running.addr, true).await;
    let url = format!("{}{SAMPLE_AVATAR_PATH}", proxy.url());
    server
        .store()
        .seed(&Fields::new("Ada", url.clone()))
        .await
        .unwrap();
    let client = Client::new();
    let repository = client.repository(&proxy.url()).await;
    repository.sync().await.unwrap();

    let png = repository.avatar(&url).await.unwrap().expect("a photo");
    let decoded = image::load_from_memory(&png).unwrap();
    assert_eq!(decoded.width(), profile_client::avatar::THUMBNAIL_SIDE);

    // The network goes away; a new session still shows the photo, from the cache.
    proxy.set_up(false);
    let offline = client.repository(&proxy.url()).await;
    assert_eq!(offline.avatar(&url).await.unwrap(), Some(png));
    let view_model = ready(offline).await;
    assert!(
        matches!(view_model.avatar(), Avatar::Ready { .. }),
        "{:?}",
        view_model.avatar()
    );
}

#[tokio::test]
async fn a_hostile_or_broken_photo_shows_the_placeholder_with_the_reason() {
    let server = spawn_server_with(|router| {
        router
            .route(
                "/bomb.png",
                // A small, valid PNG claiming 30000×30000 pixels.
                axum::routing::get(|| async { include_bytes!("../fixtures/bomb.png").to_vec() }),
            )
            .route(
                "/huge.png",
                axum::routing::get(|| async { vec![0u8; 6 * 1024 * 1024] }),
            )
            .route(
                "/page.png",
                axum::routing::get(|| async { "<html>nope</html>" }),
            )
    })
    .await;
    let client = Client::new();
    let repository = client.repository(&server.url()).await;
    for (path, reason) in [
        ("/bomb.png", "cannot be used"),
        ("/huge.png", "larger than"),
        ("/page.png", "not a PNG or JPEG"),
        ("/missing.png", "404"),
    ] {
        let url = format!("{}{path}", server.url());
        let error = repository.avatar(&url).await.unwrap_err();
        assert!(error.to_string().contains(reason), "{path}: {error}");
        assert!(
            repository
                .database()
                .load_avatar(&url)
                .await
                .unwrap()
                .is_none()
        );
    }

    server
        .store()
        .seed(&Fields::new("Ada", format!("{}/bomb.png", server.url())))
        .await
        .unwrap();
    repository.sync().await.unwrap();
    let view_model = ready(repository).await;
    assert!(
        matches!(view_model.avatar(), Avatar::Unavailable { .. }),
        "{:?}",
        view_model.avatar()
    );
    let mut ui = iced_test::simulator(offline_profile::ui::user_profile::view::view(&view_model));
    assert!(ui.find("A").is_ok(), "the initials are shown instead");
}
