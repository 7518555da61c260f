//! The view model's tasks run against a real repository and server; the view is driven and read
//! through `iced_test`'s simulator, as a user would.

use crate::support::Synchronizer;
use crate::support::ready;
use crate::support::{
    Client, Proxy, TwoClients, apply, follow_status, run, shows, spawn_server, two_synced_clients,
};
use iced_test::{selector, simulator};
use offline_profile::ui::user_profile::view::{
    NAME_INPUT, WORK_OFFLINE_SWITCH, pending_note, view,
};
use offline_profile::ui::user_profile::{Badge, Message};
use profile_client::domain::SyncState;
use profile_client::sync::SyncConfig;
use std::time::Duration;

#[tokio::test]
async fn typing_a_name_and_saving_shows_saved_locally_then_synced() {
    let server = spawn_server().await;
    let client = Client::new();
    let repository = client.repository(&server.url()).await;
    let mut view_model = ready(repository.clone()).await;
    assert_eq!(view_model.badge(), Badge::Empty);
    assert!(shows(&view_model, "No profile yet"));

    // Type a name, as a user would.
    let mut ui = simulator(view(&view_model));
    ui.click(selector::id(NAME_INPUT)).expect("the name field");
    ui.typewrite("Grace Hopper");
    let messages: Vec<_> = ui.into_messages().collect();
    apply(&mut view_model, messages).await;
    assert_eq!(view_model.name(), "Grace Hopper");
    assert!(view_model.can_save());

    // Press Save.
    let mut ui = simulator(view(&view_model));
    ui.click("Save").expect("the Save button");
    let messages: Vec<_> = ui.into_messages().collect();
    assert!(
        matches!(messages.as_slice(), [Message::Save]),
        "{messages:?}"
    );
    apply(&mut view_model, messages).await;
    assert_eq!(view_model.badge(), Badge::SavedLocally);
    assert!(
        shows(&view_model, "Saved locally"),
        "the badge reads Saved locally"
    );
    assert!(view_model.title().contains("Saved locally"));
    assert_eq!(repository.status().state(), SyncState::Pending);

    // The synchronizer pushes it; the badge turns to Synced.
    let synchronizer = Synchronizer::spawn(repository.clone(), SyncConfig::default());
    follow_status(&mut view_model, &repository, |vm| {
        matches!(vm.badge(), Badge::Synced { .. })
    })
    .await;
    assert!(
        shows(&view_model, "Synced just now"),
        "the badge reads Synced"
    );
    assert!(view_model.title().starts_with("Grace Hopper — Synced"));
    assert_eq!(
        server.store().get().await.unwrap().unwrap().name,
        "Grace Hopper"
    );
    synchronizer.abort();
}

#[tokio::test]
async fn the_form_shows_the_reason_next_to_an_invalid_field_and_disables_save() {
    let server = crate::support::seeded_server("Ada").await;
    let client = Client::new();
    let repository = client.repository(&server.url()).await;
    let mut view_model = ready(repository).await;
    assert_eq!(view_model.name(), "Ada");
    assert!(matches!(view_model.badge(), Badge::Synced { .. }));
    assert!(!view_model.can_save(), "nothing changed yet");

    let _ = view_model.update(Message::NameChanged("   ".into()));
    assert!(shows(&view_model, "the name must not be empty"));
    let _ = view_model.update(Message::NameChanged("Ada".into()));
    let _ = view_model.update(Message::PhotoUrlChanged("http://example.com/a.png".into()));
    assert!(!view_model.can_save());
    let error = view_model.photo_url_error().unwrap().to_owned();
    assert!(error.contains("https://"), "{error}");
    assert!(shows(&view_model, &error));

    // Save does nothing while the input is invalid.
    let mut ui = simulator(view(&view_model));
    let _ = ui.click("Save");
    assert_eq!(ui.into_messages().count(), 0, "Save is disabled");
}

#[tokio::test]
async fn offline_shows_offline_and_the_edit_survives_until_the_server_is_back() {
    let server = spawn_server().await;
    let proxy = Proxy::start(server.running.addr, false).await;
    let client = Client::new();
    let repository = client.repository(&proxy.url()).await;
    let mut view_model = ready(repository.clone()).await;

    let _ = view_model.update(Message::NameChanged("Offline name".into()));
    let task = view_model.update(Message::Save);
    run(&mut view_model, task).await;
    // The read already found the server away; the badge says so, and the note says the edit
    // is safe on this computer.
    assert_eq!(view_model.badge(), Badge::Offline { retry_in: None });
    assert!(shows(&view_model, &pending_note()));

    let synchronizer = Synchronizer::spawn(
        repository.clone(),
        SyncConfig {
            backoff_base: Duration::from_millis(50),
            offline_cap: Duration::from_millis(300),
            ..SyncConfig::default()
        },
    );
    follow_status(&mut view_model, &repository, |vm| {
        matches!(vm.badge(), Badge::Offline { retry_in: Some(_) })
    })
    .await;
    let label = view_model.badge().label();
    assert!(label.starts_with("Offline · retrying in"), "{label}");
    assert!(shows(&view_model, &label));
    assert_eq!(view_model.name(), "Offline name");

    proxy.set_up(true);
    follow_status(&mut view_model, &repository, |vm| {
        matches!(vm.badge(), Badge::Synced { .. })
    })
    .await;
    assert_eq!(
        server.store().get().await.unwrap().unwrap().name,
        "Offline name"
    );
    synchronizer.abort();
}

#[test]
fn keyboard_shortcuts_save_sync_and_revert() {
    use iced::keyboard::{Key, Modifiers, key::Named};
    use offline_profile::ui::user_profile::shortcut;
    let s = Key::Character("s".into());
    let r = Key::Character("r".into());
    assert!(matches!(shortcut(&s, Modifiers::CTRL), Some(Message::Save)));
    assert!(matches!(
        shortcut(&r, Modifiers::CTRL),
        Some(Message::SyncNow)
    ));
    assert!(matches!(
        shortcut(&Key::Character("o".into()), Modifiers::CTRL),
        Some(Message::ChoosePhoto)
    ));
    assert!(matches!(
        shortcut(&Key::Named(Named::Escape), Modifiers::empty()),
        Some(Message::Revert)
    ));
    assert!(
        shortcut(&s, Modifiers::empty()).is_none(),
        "plain typing is not a shortcut"
    );
}

#[tokio::test]
async fn enter_in_a_field_saves_and_esc_reverts() {
    let server = crate::support::seeded_server("Ada").await;
    let client = Client::new();
    let repository = client.repository(&server.url()).await;
    let mut view_model = ready(repository.clone()).await;

    let _ = view_model.update(Message::NameChanged("Ada K".into()));
    assert!(view_model.is_dirty());
    let _ = view_model.update(Message::Revert);
    assert_eq!(view_model.name(), "Ada");
    assert!(!view_model.is_dirty());

    let _ = view_model.update(Message::NameChanged("Ada King".into()));
    let mut ui = simulator(view(&view_model));
    ui.click(selector::id(NAME_INPUT)).unwrap();
    ui.tap_key(iced::keyboard::key::Named::Enter);
    let messages: Vec<_> = ui.into_messages().collect();
    assert!(
        matches!(messages.as_slice(), [Message::Save]),
        "{messages:?}"
    );
    apply(&mut view_model, messages).await;
    assert_eq!(
        repository.cached().await.unwrap().unwrap().name(),
        "Ada King"
    );
}

#[tokio::test]
async fn a_conflict_shows_both_values_and_keep_mine_or_use_theirs_settle_it() {
    for (button, expected) in [("Keep mine", "Bob"), ("Use theirs", "Alice")] {
        let TwoClients {
            server,
            a: repo_a,
            b: repo_b,
            dirs: _kept_alive,
        } = two_synced_clients().await;
        repo_a.save("Alice", "").await.unwrap();
        repo_a.sync().await.unwrap();
        repo_b.save("Bob", "").await.unwrap();

        let mut view_model = ready(repo_b.clone()).await;
        let task = view_model.update(Message::SyncNow);
        run(&mut view_model, task).await;
        assert_eq!(view_model.badge(), Badge::Conflict);
        assert!(view_model.title().contains("Conflict"));
        assert!(shows(&view_model, "Yours: Bob"));
        assert!(shows(&view_model, "Theirs: Alice"));

        let mut ui = simulator(view(&view_model));
        ui.click(button)
            .unwrap_or_else(|e| panic!("the {button} button: {e}"));
        let messages: Vec<_> = ui.into_messages().collect();
        apply(&mut view_model, messages).await;
        assert_ne!(view_model.badge(), Badge::Conflict);
        let task = view_model.update(Message::SyncNow);
        run(&mut view_model, task).await;
        assert!(
            matches!(view_model.badge(), Badge::Synced { .. }),
            "{:?}",
            view_model.badge()
        );
        assert_eq!(view_model.name(), expected);
        assert_eq!(server.store().get().await.unwrap().unwrap().name, expected);
    }
}

#[tokio::test]
async fn work_offline_switch_shows_working_offline_and_sync_now_is_disabled() {
    let server = crate::support::seeded_server("Ada").await;
    let client = Client::new();
    let repository = client.repository(&server.url()).await;
    let mut view_model = ready(repository.clone()).await;

    let mut ui = simulator(view(&view_model));
    ui.click(selector::id(WORK_OFFLINE_SWITCH))
        .expect("the switch");
    let messages: Vec<_> = ui.into_messages().collect();
    apply(&mut view_model, messages).await;
    assert_eq!(view_model.badge(), Badge::WorkingOffline);
    assert!(shows(&view_model, "Working offline"));
    assert!(repository.work_offline());
    let mut ui = simulator(view(&view_model));
    let _ = ui.click("Sync now");
    assert_eq!(
        ui.into_messages().count(),
        0,
        "Sync now is disabled while working offline"
    );

    let task = view_model.update(Message::WorkOffline(false));
    run(&mut view_model, task).await;
    assert!(!repository.work_offline());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_save_by_another_process_shows_in_the_running_window_at_once_and_is_synced() {
    let server = crate::support::seeded_server("Ada").await;
    let client = Client::new();
    let repository = client.repository(&server.url()).await;
    let mut view_model = ready(repository.clone()).await;
    let _synchronizer = Synchronizer::spawn(repository.clone(), SyncConfig::default());
    follow_status(&mut view_model, &repository, |vm| {
        vm.name() == "Ada" && matches!(vm.badge(), Badge::Synced { .. })
    })
    .await;

    // The command line saves on the same data folder without sending anything; the window's
    // next periodic sync is 300 s away, but it shows the new name and sends it at once.
    let saved = crate::support::offline_profile(
        client.dir.path(),
        &server.url(),
        &["--offline", "set", "--name", "From the CLI"],
    );
    assert!(saved.status.success(), "{saved:?}");
    follow_status(&mut view_model, &repository, |vm| {
        vm.name() == "From the CLI" && matches!(vm.badge(), Badge::Synced { .. })
    })
    .await;
    assert!(shows(&view_model, "Synced just now"));
    let Some(profile) = server.store().get().await.unwrap() else {
        panic!("a profile on the server");
    };
    assert_eq!(profile.name, "From the CLI");
}
