//! The window and background sync: closing with an edit not on the server asks once; the
//! answer is remembered; closing without one (or once answered) asks nothing.

use crate::ui_states::snapshot_element;
use futures::StreamExt;
use offline_profile::background::Preferences;
use offline_profile::session::Settings;
use offline_profile::ui::app::{App, Message};
use offline_profile::ui::background_views::{self, question};
use offline_profile::ui::user_profile;

/// Runs `task` as the iced runtime would, feeding messages back into the app; whether one of
/// the tasks asked for a window operation (closing it).
async fn run(app: &mut App, task: iced::Task<Message>) -> bool {
    let mut window_asked = false;
    let mut running = futures::stream::SelectAll::new();
    running.extend(iced_test::runtime::task::into_stream(task));
    while let Some(action) = running.next().await {
        match action {
            iced_test::runtime::Action::Output(message) => {
                // Opening's task (the read and the never-ending synchronizer) is not run.
                let opened = matches!(message, Message::Opened(Ok(_)));
                let next = app.update(message);
                if !opened {
                    running.extend(iced_test::runtime::task::into_stream(next));
                }
            }
            iced_test::runtime::Action::Window(_) => window_asked = true,
            _ => {}
        }
    }
    window_asked
}

async fn send(app: &mut App, message: Message) -> bool {
    let task = app.update(message);
    run(app, task).await
}

fn shows(app: &App, words: &str) -> bool {
    iced_test::simulator(app.view()).find(words).is_ok()
}

/// The window on a server that cannot be reached (`--api` with `--token`), with an edit
/// saved and shown as not sent.
async fn window_with_an_unsent_edit(dir: &std::path::Path) -> App {
    // A fixed address (nothing listens on the discard port), so the snapshot shows the same.
    let settings = Settings::new(dir).named(
        Some("http://127.0.0.1:9".into()),
        Some(crate::support::TOKEN.into()),
    );
    let (mut app, task) = App::new(settings);
    run(&mut app, task).await;
    let repository = app.repository().expect("the profile screen").clone();
    repository.save("Ada, offline", "").await.unwrap();
    let status = Box::new(repository.status());
    send(
        &mut app,
        Message::Profile(user_profile::Message::StatusChanged(status)),
    )
    .await;
    app
}

#[tokio::test]
async fn closing_with_an_unsent_edit_asks_once_and_remembers_not_now() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = window_with_an_unsent_edit(dir.path()).await;
    assert!(shows(
        &app,
        "Keep sending changes while the window is closed"
    ));

    let id = iced::window::Id::unique();
    let closed = send(&mut app, Message::CloseRequested(id)).await;
    assert!(!closed, "asked first");
    assert!(shows(&app, &question()));
    snapshot_element(app.view(), "close-asks-background", &iced::Theme::Light);

    let closed = send(
        &mut app,
        Message::Background(background_views::Message::KeepSending {
            on: false,
            closing: true,
        }),
    )
    .await;
    assert!(closed, "\"Not now\" closes the window");
    let preferences = Preferences::read(dir.path()).unwrap();
    assert_eq!(preferences.enabled, Some(false), "remembered");
    assert!(!preferences.on());

    // The next window, closed with an edit still unsent, does not ask again.
    drop(app);
    let mut again = window_with_an_unsent_edit(dir.path()).await;
    let closed = send(&mut again, Message::CloseRequested(id)).await;
    assert!(closed, "answered once: closes at once");
}

#[tokio::test]
async fn closing_on_this_computer_only_asks_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // This computer only: its server is inside the app, so there is nothing to offer.
    let mut settings = Settings::new(dir.path());
    settings.connect(offline_profile::session::Connection::Local);
    offline_profile::account::choose(dir.path(), &offline_profile::account::Choice::Local).unwrap();
    let (mut app, task) = App::new(settings);
    run(&mut app, task).await;
    assert!(app.repository().is_some());
    assert!(!shows(
        &app,
        "Keep sending changes while the window is closed"
    ));
    let closed = send(
        &mut app,
        Message::CloseRequested(iced::window::Id::unique()),
    )
    .await;
    assert!(closed);
    assert_eq!(Preferences::read(dir.path()).unwrap().enabled, None);
}
