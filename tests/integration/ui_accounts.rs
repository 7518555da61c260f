//! The window's account screens, driven headless through the app's messages against a real
//! server: the first run, the sign-in form and its errors, the account line, the devices view,
//! the sign-out question and a revoked device. Snapshots of the first-run, sign-in (with errors),
//! devices and sign-out screens.
//!
//! The background synchronizer is not started here (its task never ends); the tests sync
//! through the repository and hand the window the status, as the synchronizer would.

use crate::support::{dead_url, spawn_server};
use crate::ui_states::snapshot_element;
use offline_profile::account::{self, Account, Choice, TokenStore};
use offline_profile::session::Settings;
use offline_profile::ui::account_views::{self, Devices, SignOutQuestion};
use offline_profile::ui::app::{App, Key, Message};
use offline_profile::ui::sign_in::Message as Form;
use offline_profile::ui::user_profile;
use profile_client::api_client::{ApiClientService, Device, Fetched};

const PASSWORD: &str = "correct horse battery";

/// Runs `task`, feeding every message back into the app as the iced runtime would. The task
/// that opening returns (the read and the never-ending synchronizer) is not run.
async fn run(app: &mut App, task: iced::Task<Message>) {
    crate::support::drive(task, |message| {
        let opened = matches!(message, Message::Opened(Ok(_)));
        let next = app.update(message);
        (!opened).then_some(next)
    })
    .await;
}

async fn send(app: &mut App, message: Message) {
    let task = app.update(message);
    run(app, task).await;
}

/// Hands the repository's current status to the window, as its subscription would.
async fn show_status(app: &mut App, repository: &profile_client::UserProfileRepository) {
    let status = Box::new(repository.status());
    send(
        app,
        Message::Profile(user_profile::Message::StatusChanged(status)),
    )
    .await;
}

fn shows(app: &App, words: &str) -> bool {
    let mut ui = iced_test::simulator(app.view());
    ui.find(words).is_ok()
}

/// The window's settings on `dir`; tokens go to the private file, so these tests never touch
/// a keyring that may run on the machine (the keyring has its own test).
fn settings(dir: &std::path::Path) -> Settings {
    let mut settings = Settings::new(dir);
    settings.token_store = Some(offline_profile::account::TokenStore::File);
    settings
}

async fn sign_in(app: &mut App, server: &str, email: &str, password: &str) {
    send(app, Message::SignIn(Form::ServerChanged(server.into()))).await;
    send(app, Message::SignIn(Form::EmailChanged(email.into()))).await;
    send(app, Message::SignIn(Form::PasswordChanged(password.into()))).await;
    send(app, Message::SignIn(Form::Submit)).await;
}

/// The window on a fresh data folder, signed in as Ada through the form.
async fn signed_in_app(server: &crate::support::TestServer, dir: &std::path::Path) -> App {
    let (mut app, _) = App::new(settings(dir));
    send(&mut app, Message::ShowSignIn).await;
    sign_in(&mut app, &server.url(), "ada@example.com", PASSWORD).await;
    assert!(app.repository().is_some(), "signed in");
    app
}

async fn user(server: &crate::support::TestServer, email: &str) -> (i64, ApiClientService) {
    let id = server.store().add_user(email, PASSWORD).await.unwrap();
    let issued = server.store().add_device(id, "Ada's phone").await.unwrap();
    (
        id.0,
        ApiClientService::new(&server.url(), Some(issued.token)).unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_run_offers_this_computer_or_a_server() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, task) = App::new(settings(dir.path()));
    run(&mut app, task).await;
    assert_eq!(app.title(), "Welcome — Profile");
    assert!(shows(&app, "Use on this computer only"));
    assert!(shows(&app, "Sign in to a server"));
    snapshot_element(app.view(), "first-run", &iced::Theme::Light);

    // The keyboard: Tab moves to "Sign in to a server", Enter takes it; Back returns.
    send(&mut app, Message::Key(Key::Next)).await;
    send(&mut app, Message::Key(Key::Enter)).await;
    assert_eq!(app.title(), "Sign in — Profile");
    send(&mut app, Message::SignIn(Form::Back)).await;
    assert_eq!(app.title(), "Welcome — Profile");

    // "Use on this computer only": the embedded server, remembered for the next start.
    send(&mut app, Message::UseThisComputer).await;
    assert!(app.repository().is_some(), "the profile screen shows");
    assert!(shows(&app, "On this computer only"));
    assert_eq!(account::current(dir.path()).unwrap(), Some(Choice::Local));
    drop(app);
    let (app, _task) = App::new(settings(dir.path()));
    assert_eq!(
        app.title(),
        "Opening — Profile",
        "no question on the second start"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_errors_stand_next_to_the_field_that_caused_them() {
    let server = spawn_server().await;
    user(&server, "ada@example.com").await;
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _) = App::new(settings(dir.path()));
    send(&mut app, Message::ShowSignIn).await;

    // Nothing typed: each field says what it needs.
    send(&mut app, Message::SignIn(Form::Submit)).await;
    for words in [
        "Enter the server's address.",
        "Enter your email address.",
        "Enter your password.",
    ] {
        assert!(shows(&app, words), "{words}");
    }

    // Not https, not an email: refused here, nothing sent.
    sign_in(&mut app, "http://profiles.example.com", "ada", "x").await;
    assert!(shows(
        &app,
        "Not https: use https:// so your password travels encrypted (http:// is allowed only for this computer)."
    ));
    assert!(shows(&app, "This is not an email address."));
    snapshot_element(app.view(), "sign-in-errors", &iced::Theme::Light);

    // A server that does not answer: under the server field.
    sign_in(&mut app, &dead_url().await, "ada@example.com", PASSWORD).await;
    assert!(
        shows(&app, "The server cannot be reached (connection refused)."),
        "the reason in words"
    );

    // A wrong password: under the password field; too many: the wait.
    sign_in(&mut app, &server.url(), "ada@example.com", "wrong password").await;
    assert!(shows(&app, "The email or the password is wrong."));
    for _ in 0..4 {
        sign_in(&mut app, &server.url(), "ada@example.com", "wrong password").await;
    }
    sign_in(&mut app, &server.url(), "ada@example.com", PASSWORD).await;
    let mut ui = iced_test::simulator(app.view());
    assert!(
        (1..=60).any(|s| {
            ui.find(format!("Too many attempts. Try again in {s} seconds."))
                .is_ok()
        }),
        "the wait is shown"
    );
    assert_eq!(app.title(), "Sign in — Profile");
    assert_eq!(account::current(dir.path()).unwrap(), None, "nothing kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_in_the_window_names_the_account_lists_its_devices_and_signs_one_out() {
    let server = spawn_server().await;
    let (_, phone) = user(&server, "ada@example.com").await;
    let dir = tempfile::tempdir().unwrap();
    let mut app = signed_in_app(&server, dir.path()).await;
    assert!(app.repository().is_some(), "the profile screen shows");
    let host = profile_client::api_client::host(&server.url()).to_owned();
    assert!(shows(
        &app,
        &format!("Signed in as ada@example.com at {host}")
    ));

    send(
        &mut app,
        Message::Account(account_views::Message::ShowDevices),
    )
    .await;
    assert!(shows(&app, "Ada's phone"), "the other device is listed");
    let devices = app.account_api().unwrap().devices().await.unwrap();
    let this = devices.iter().find(|d| d.current).unwrap();
    assert!(shows(&app, &this.name));
    let phone_id = devices.iter().find(|d| !d.current).unwrap().id.clone();

    send(
        &mut app,
        Message::Account(account_views::Message::SignOutDevice(phone_id)),
    )
    .await;
    assert!(!shows(&app, "Ada's phone"), "gone from the list");
    assert!(
        phone.get_profile(None).await.is_err(),
        "its token is refused"
    );
    send(
        &mut app,
        Message::Account(account_views::Message::CloseDevices),
    )
    .await;
    assert!(shows(&app, "Profile"));

    // The devices view, with fixed data so the picture does not change with the date.
    let account = fixed_account();
    let state = Devices {
        list: Some(vec![
            device("d1", "offline-profile on ada-desktop", true),
            device("d2", "offline-profile on ada-laptop", false),
            device("d3", "Ada's phone", false),
        ]),
        error: None,
        busy: vec!["d3".into()],
    };
    snapshot_element(
        account_views::devices(&account, &state),
        "devices",
        &iced::Theme::Light,
    );
}

fn fixed_account() -> Account {
    Account {
        server: "https://profiles.example.com/".into(),
        email: "ada@example.com".into(),
        device_id: "d1".into(),
        token_store: TokenStore::Keyring,
    }
}

fn device(id: &str, name: &str, current: bool) -> Device {
    Device {
        id: id.into(),
        name: name.into(),
        created_at: "2026-11-02T09:30:00Z".parse().unwrap(),
        current,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_asks_first_when_an_edit_has_not_reached_the_server() {
    let server = spawn_server().await;
    let (_, ada) = user(&server, "ada@example.com").await;
    let dir = tempfile::tempdir().unwrap();
    let mut app = signed_in_app(&server, dir.path()).await;
    let repository = app.repository().unwrap().clone();

    // An edit that stays here.
    repository.set_work_offline(true);
    repository.save("Ada, unsent", "").await.unwrap();
    show_status(&mut app, &repository).await;
    send(
        &mut app,
        Message::Account(account_views::Message::AskSignOut),
    )
    .await;
    for words in ["Sync now", "Sign out and discard", "Cancel"] {
        assert!(shows(&app, words), "{words}");
    }
    snapshot_element(
        account_views::sign_out_question(&fixed_account(), true, &SignOutQuestion::default()),
        "sign-out-unsynced",
        &iced::Theme::Light,
    );
    send(
        &mut app,
        Message::Account(account_views::Message::CancelSignOut),
    )
    .await;
    assert!(!shows(&app, "Sign out and discard"));

    // "Sync now" from the question: once synced, it offers a plain sign-out.
    repository.set_work_offline(false);
    send(
        &mut app,
        Message::Account(account_views::Message::AskSignOut),
    )
    .await;
    send(
        &mut app,
        Message::Account(account_views::Message::SyncFirst),
    )
    .await;
    assert!(matches!(
        ada.get_profile(None).await.unwrap(),
        Fetched::Profile(p) if p.fields.name == "Ada, unsent"
    ));
    assert!(shows(
        &app,
        "Also remove this account's profile from this computer"
    ));
    assert!(!shows(&app, "Sign out and discard"));

    let Some(Choice::Server(signed_in)) = account::current(dir.path()).unwrap() else {
        panic!("signed in");
    };
    send(
        &mut app,
        Message::Account(account_views::Message::SignOut(false)),
    )
    .await;
    assert_eq!(app.title(), "Welcome — Profile");
    assert_eq!(account::current(dir.path()).unwrap(), None);
    assert!(
        account::load_token(dir.path(), &signed_in).is_err(),
        "the token is gone"
    );
    assert!(
        signed_in.dir(dir.path()).join("profile.sqlite3").exists(),
        "the profile stays (not asked to delete it)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_device_shows_signed_out_keeps_the_edit_and_syncs_it_after_signing_in_again() {
    let server = spawn_server().await;
    let (_, other_device) = user(&server, "ada@example.com").await;
    let dir = tempfile::tempdir().unwrap();
    let mut app = signed_in_app(&server, dir.path()).await;
    let repository = app.repository().unwrap().clone();
    let this = app
        .account_api()
        .unwrap()
        .devices()
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.current)
        .unwrap();

    // Revoked from the other device; then an edit here.
    other_device.revoke_device(&this.id).await.unwrap();
    repository.save("Ada, edited after", "").await.unwrap();
    assert!(repository.sync().await.is_err());
    show_status(&mut app, &repository).await;
    assert!(app.title().contains("Signed out"), "{}", app.title());
    assert!(shows(&app, "Signed out"), "the badge");
    assert!(shows(&app, "Sign in again"));
    assert!(shows(&app, "Saved on this computer, not yet on the server"));

    // Sign in again: the form knows the server and the email; the edit then goes through.
    send(&mut app, Message::Account(account_views::Message::SignIn)).await;
    assert_eq!(app.title(), "Sign in — Profile");
    send(
        &mut app,
        Message::SignIn(Form::PasswordChanged(PASSWORD.into())),
    )
    .await;
    send(&mut app, Message::SignIn(Form::Submit)).await;
    let repository = app.repository().expect("signed in again").clone();
    assert_eq!(
        repository.cached().await.unwrap().unwrap().name(),
        "Ada, edited after",
        "the same account's cache, with the edit"
    );
    repository.sync().await.unwrap();
    show_status(&mut app, &repository).await;
    assert!(app.title().contains("Synced"), "{}", app.title());
    assert!(matches!(
        other_device.get_profile(None).await.unwrap(),
        Fetched::Profile(p) if p.fields.name == "Ada, edited after"
    ));
}
