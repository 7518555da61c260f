//! Every badge state and every validation message, reached through the view model and read
//! back from the rendered view; snapshots of the main states rendered with tiny-skia.
//! Run with `UPDATE_SNAPSHOTS=1` to write new snapshots after a deliberate change.

use crate::support::{
    Client, HoldingServer, Proxy, dead_url, follow_status, ready, run, shows, spawn_server,
    spawn_server_with,
};
use axum::extract::Request;
use axum::middleware::{self, Next};
use offline_profile::ui::user_profile::view::view;
use offline_profile::ui::user_profile::{Badge, Message, UserProfileViewModel};
use profile_client::domain::Fields;

/// Checks the view against `tests/snapshots/<name>-<renderer>.png`.
fn snapshot(view_model: &UserProfileViewModel, name: &str) {
    snapshot_with(view_model, name, &iced::Theme::Light);
}

fn snapshot_with(view_model: &UserProfileViewModel, name: &str, theme: &iced::Theme) {
    snapshot_element(view(view_model), name, theme);
}

/// Checks any rendered element against `tests/snapshots/<name>-<renderer>.png`; a missing
/// snapshot fails unless `UPDATE_SNAPSHOTS` is set.
pub fn snapshot_element<M>(element: iced::Element<'_, M>, name: &str, theme: &iced::Theme) {
    let mut ui = iced_test::Simulator::with_size(
        offline_profile::ui::fonts::settings(),
        (680.0, 480.0),
        element,
    );
    let snapshot = ui.snapshot(theme).unwrap();
    let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let file = base.join(format!("{name}-tiny-skia.png"));
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        let _ = std::fs::remove_file(&file);
    } else {
        assert!(
            file.exists(),
            "missing snapshot {}; run with UPDATE_SNAPSHOTS=1",
            file.display()
        );
    }
    assert!(
        snapshot
            .matches_image(base.join(format!("{name}.png")))
            .unwrap(),
        "the {name} state no longer looks like {}",
        file.display()
    );
}

fn assert_badge(view_model: &UserProfileViewModel, expected: &str) {
    let label = view_model.badge().label();
    assert!(
        label.starts_with(expected),
        "badge {label:?}, expected {expected:?}"
    );
    assert!(shows(view_model, &label), "the badge {label:?} is rendered");
    assert!(
        view_model
            .title()
            .contains(&view_model.badge().title_word())
    );
}

#[tokio::test]
async fn every_badge_state_is_reached_and_rendered() {
    // Loading: nothing read yet.
    let client = Client::new();
    let down = client.repository(&dead_url().await).await;
    let (loading, _read) = UserProfileViewModel::new(down.clone());
    assert_eq!(loading.badge(), Badge::Loading);
    assert_badge(&loading, "Loading");

    // Empty: neither side has a profile.
    let empty_server = spawn_server().await;
    let empty_client = Client::new();
    let view_model = ready(empty_client.repository(&empty_server.url()).await).await;
    assert_badge(&view_model, "No profile yet");

    // Cached: the cache was read, the server has not answered yet.
    let server = crate::support::seeded_server("Ada").await;
    let client = Client::new();
    client.repository(&server.url()).await.sync().await.unwrap();
    let (mut cached, read) = UserProfileViewModel::new(client.repository(&server.url()).await);
    let first = iced_test::runtime::task::into_stream(read).unwrap();
    let mut first = std::pin::pin!(first);
    if let Some(iced_test::runtime::Action::Output(message)) =
        futures::StreamExt::next(&mut first).await
    {
        let _ = cached.update(message);
    }
    assert_badge(&cached, "Cached");

    // Synced, Saved locally, Working offline.
    let repository = client.repository(&server.url()).await;
    let mut view_model = ready(repository.clone()).await;
    assert_badge(&view_model, "Synced just now");
    let _ = view_model.update(Message::NameChanged("Ada K".into()));
    let task = view_model.update(Message::Save);
    run(&mut view_model, task).await;
    assert_badge(&view_model, "Saved locally");
    let task = view_model.update(Message::WorkOffline(true));
    run(&mut view_model, task).await;
    assert_badge(&view_model, "Working offline");
    let task = view_model.update(Message::WorkOffline(false));
    run(&mut view_model, task).await;

    // Syncing: the server holds the PUT.
    let holding = HoldingServer::spawn().await;
    let holding_client = Client::new();
    let repository = holding_client.repository(&holding.server.url()).await;
    let mut view_model = ready(repository.clone()).await;
    repository.save("Grace", "").await.unwrap();
    let syncing = tokio::spawn({
        let repository = repository.clone();
        async move { repository.sync().await }
    });
    holding.held().await;
    follow_status(&mut view_model, &repository, |vm| {
        vm.badge() == Badge::Syncing
    })
    .await;
    assert_badge(&view_model, "Syncing");
    holding.release_one();
    syncing.await.unwrap().unwrap();

    // Offline: the server cannot be reached.
    let proxy = Proxy::start(server.running.addr, false).await;
    let offline_client = Client::new();
    let mut view_model = ready(offline_client.repository(&proxy.url()).await).await;
    let task = view_model.update(Message::SyncNow);
    run(&mut view_model, task).await;
    assert_badge(&view_model, "Offline");
    assert!(view_model.error().unwrap().contains("cannot be reached"));

    // Error: the server answers with a failure; the reason is shown.
    let failing = spawn_server_with(|router| {
        router.layer(middleware::from_fn(|_: Request, _: Next| async {
            axum::response::IntoResponse::into_response((
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                axum::Json(serde_json::json!({"error": "the disk is full"})),
            ))
        }))
    })
    .await;
    let failing_client = Client::new();
    let mut view_model = ready(failing_client.repository(&failing.url()).await).await;
    let task = view_model.update(Message::SyncNow);
    run(&mut view_model, task).await;
    assert_badge(&view_model, "Error");
    assert!(
        matches!(view_model.badge(), Badge::Error { reason } if reason.contains("the disk is full"))
    );
    assert!(
        view_model
            .badge()
            .explanation()
            .contains("the disk is full"),
        "the tooltip says why"
    );
}

#[tokio::test]
async fn every_validation_message_is_rendered_next_to_its_field() {
    let server = crate::support::seeded_server("Ada").await;
    let client = Client::new();
    let mut view_model = ready(client.repository(&server.url()).await).await;
    let long_url = format!("https://example.com/{}", "a".repeat(2100));
    let long_name = "x".repeat(101);
    let cases: Vec<(Option<&str>, Option<&str>)> = vec![
        (Some(""), None),
        (Some(&long_name), None),
        (Some("Ada\u{0007}"), None),
        (Some("Ada\u{202E}"), None),
        (None, Some("javascript:alert(1)")),
        (None, Some("http://example.com/a.png")),
        (None, Some("a.png")),
        (None, Some("https://exa mple.com/a.png")),
        (None, Some(&long_url)),
    ];
    for (name, photo_url) in cases {
        let _ = view_model.update(Message::NameChanged(name.unwrap_or("Ada").into()));
        let _ = view_model.update(Message::PhotoUrlChanged(photo_url.unwrap_or("").into()));
        let message = view_model
            .name_error()
            .or(view_model.photo_url_error())
            .expect("a reason")
            .to_owned();
        assert!(shows(&view_model, &message), "{message:?} is rendered");
        assert!(!view_model.can_save());
    }
}

#[tokio::test]
async fn snapshots_of_the_main_states() {
    let server = spawn_server().await;
    server
        .store()
        .seed(&Fields::new("Ada Lovelace", ""))
        .await
        .unwrap();
    let client = Client::new();
    let repository = client.repository(&server.url()).await;
    let mut view_model = ready(repository.clone()).await;
    snapshot(&view_model, "synced");
    // The same states in German (long words; nothing may be cut off).
    german(&view_model, "synced");
    // The window follows the system's preference; the dark theme must read as well.
    snapshot_with(&view_model, "synced-dark", &iced::Theme::Dark);
    // The desktop asks for higher contrast (light and dark).
    snapshot_with(
        &view_model,
        "synced-high-contrast",
        &offline_profile::ui::contrast::theme(false),
    );
    snapshot_with(
        &view_model,
        "synced-high-contrast-dark",
        &offline_profile::ui::contrast::theme(true),
    );

    let _ = view_model.update(Message::NameChanged("Ada King".into()));
    snapshot(&view_model, "unsaved-typing");
    let _ = view_model.update(Message::NameChanged("".into()));
    let _ = view_model.update(Message::PhotoUrlChanged("http://example.com/a.png".into()));
    snapshot(&view_model, "invalid-input");
    let _ = view_model.update(Message::Revert);

    let task = view_model.update(Message::WorkOffline(true));
    run(&mut view_model, task).await;
    let _ = view_model.update(Message::NameChanged("Ada King".into()));
    let task = view_model.update(Message::Save);
    run(&mut view_model, task).await;
    snapshot(&view_model, "working-offline-saved-locally");
    german(&view_model, "working-offline-saved-locally");

    let empty_server = spawn_server().await;
    let empty_client = Client::new();
    let view_model = ready(empty_client.repository(&empty_server.url()).await).await;
    snapshot(&view_model, "empty");
    german(&view_model, "empty");

    // A conflict: another client changed the name meanwhile.
    let other = Client::new();
    let repo_other = other.repository(&server.url()).await;
    repo_other.sync().await.unwrap();
    repo_other.save("Augusta Ada King", "").await.unwrap();
    repo_other.sync().await.unwrap();
    repository.set_work_offline(false);
    let mut view_model = ready(repository.clone()).await;
    let task = view_model.update(Message::SyncNow);
    run(&mut view_model, task).await;
    assert_eq!(view_model.badge(), Badge::Conflict);
    snapshot(&view_model, "conflict");
    german(&view_model, "conflict");
}

/// The state in German, as `<name>-de`.
fn german(view_model: &UserProfileViewModel, name: &str) {
    offline_profile::i18n::in_language("de", || snapshot(view_model, &format!("{name}-de")));
}
