//! The photo in the window, through the view model and the rendered view: choosing a file (as
//! the file dialog returns it), dropping one, a file that cannot be the photo, removing it,
//! another device's photo while it downloads, and a conflict that shows both pictures;
//! snapshots of those states rendered with tiny-skia.

use crate::photos::photo;
use crate::support::{Client, Mode, Proxy, follow_status, ready, run, shows, two_synced_clients};
use crate::ui_states::snapshot_element;
use offline_profile::ui::user_profile::view::{
    change_photo, downloading_photo, remove_photo, view,
};
use offline_profile::ui::user_profile::{Badge, Message, PhotoShown, UserProfileViewModel};
use profile_client::PhotoEdit;
use profile_client::domain::SyncState;
use profile_client::photo::samples;

fn snapshot(view_model: &UserProfileViewModel, name: &str) {
    snapshot_element(view(view_model), name, &iced::Theme::Light);
}

async fn send(view_model: &mut UserProfileViewModel, message: Message) {
    let task = view_model.update(message);
    run(view_model, task).await;
}

fn ready_photo(view_model: &UserProfileViewModel) -> bool {
    matches!(view_model.photo(), Some(PhotoShown::Ready(_)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chosen_or_dropped_picture_shows_at_once_and_syncs_and_a_bad_file_says_why() {
    let server = crate::support::seeded_server("Ada Lovelace").await;
    let client = Client::new();
    let repository = client.repository(&server.url()).await;
    let mut view_model = ready(repository.clone()).await;
    assert!(shows(&view_model, &change_photo()));
    assert!(
        !shows(&view_model, &remove_photo()),
        "no photo to remove yet"
    );
    assert!(view_model.photo().is_none());

    // What the file dialog hands back: a camera's JPEG with EXIF (turned on its side).
    let file = client.dir.path().join("camera.jpg");
    std::fs::write(
        &file,
        samples::with_exif(&samples::halves_jpeg(400, 300), 6),
    )
    .unwrap();
    send(&mut view_model, Message::PhotoChosen(Some(file))).await;
    assert!(ready_photo(&view_model), "shown at once");
    assert_eq!(view_model.badge(), Badge::SavedLocally);
    assert!(shows(&view_model, &remove_photo()));
    snapshot(&view_model, "photo-chosen");
    send(&mut view_model, Message::SyncNow).await;
    assert!(matches!(view_model.badge(), Badge::Synced { .. }));
    let on_server = server.store().get().await.unwrap().unwrap().photo.unwrap();
    assert_eq!((on_server.width, on_server.height), (300, 300));

    // A file dropped on the window does the same.
    let dropped = client.dir.path().join("dropped.png");
    let picture = image::RgbImage::from_fn(50, 80, |x, _| image::Rgb([0, (x * 5) as u8, 200]));
    picture.save(&dropped).unwrap();
    send(&mut view_model, Message::FileDropped(dropped)).await;
    let current = repository.cached().await.unwrap().unwrap();
    assert_eq!(current.fields.photo.as_ref().map(|p| p.width), Some(50));
    assert!(ready_photo(&view_model));

    // The first picture again: shown again at once (it was read again from the cache).
    let camera = client.dir.path().join("camera.jpg");
    send(&mut view_model, Message::PhotoChosen(Some(camera))).await;
    assert!(ready_photo(&view_model), "a photo shown before shows again");
    let dropped = client.dir.path().join("dropped.png");
    send(&mut view_model, Message::FileDropped(dropped)).await;
    assert!(ready_photo(&view_model));

    // Not a picture: the reason shows beside the photo and nothing changes.
    let text = client.dir.path().join("notes.txt");
    std::fs::write(&text, "not a picture").unwrap();
    send(&mut view_model, Message::FileDropped(text)).await;
    let reason = view_model.photo_error().expect("a reason").to_owned();
    assert!(reason.contains("not a picture"), "{reason}");
    assert!(shows(&view_model, &reason));
    assert_eq!(
        repository.cached().await.unwrap().unwrap().fields.photo,
        current.fields.photo
    );
    snapshot(&view_model, "photo-refused");

    // Removed: the initials again, and the server follows.
    send(&mut view_model, Message::RemovePhoto).await;
    assert!(view_model.photo().is_none());
    assert!(
        view_model.photo_error().is_none(),
        "a new change clears the old reason"
    );
    send(&mut view_model, Message::SyncNow).await;
    assert_eq!(server.store().get().await.unwrap().unwrap().photo, None);
}

/// Another device's new photo: until it has downloaded the old picture stays, marked; then the
/// new one shows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_devices_photo_shows_a_downloading_mark_until_it_arrives() {
    let two = two_synced_clients().await;
    let (old, new) = (photo(40), photo(41));
    two.a.change_photo(PhotoEdit::Set(&old)).await.unwrap();
    two.a.sync().await.unwrap();
    let proxy = Proxy::with_mode(two.server.running.addr, Mode::Up).await;
    let b = two.dirs.1.repository(&proxy.url()).await;
    b.sync().await.unwrap();
    let mut view_model = ready(b.clone()).await;
    assert!(ready_photo(&view_model));

    two.a.change_photo(PhotoEdit::Set(&new)).await.unwrap();
    two.a.sync().await.unwrap();
    // The new profile arrives by push while the network goes away: its photo cannot follow.
    proxy.set_up(false);
    let current = two.server.store().get().await.unwrap().unwrap();
    let pushed = profile_client::domain::ServerProfile::from_wire(current, &proxy.url());
    b.apply_pushed(pushed).await.unwrap();
    follow_status(&mut view_model, &b, |vm| {
        matches!(vm.photo(), Some(PhotoShown::Downloading(_)))
    })
    .await;
    assert_eq!(b.status().state(), SyncState::Synced);
    assert!(
        matches!(view_model.photo(), Some(PhotoShown::Downloading(Some(_)))),
        "the old picture stays"
    );
    assert!(shows(&view_model, &downloading_photo()));
    snapshot(&view_model, "photo-downloading");

    // A download cut midway is a connection that ended, not a server that failed.
    proxy.set_mode(Mode::CutAfter(700 + new.jpeg.len() / 2));
    let cut = b.sync().await.unwrap_err();
    assert!(cut.is_offline(), "{cut}");
    assert_eq!(b.photo(&new.sha256).await.unwrap(), None);

    proxy.set_mode(Mode::Up);
    let syncing = tokio::spawn({
        let b = b.clone();
        async move { b.sync().await }
    });
    follow_status(&mut view_model, &b, ready_photo).await;
    syncing.await.unwrap().unwrap();
    assert!(!shows(&view_model, &downloading_photo()));
}

/// Two devices chose different photos: the conflict panel shows both pictures, and *Use theirs*
/// takes the other one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_conflict_shows_both_pictures() {
    let two = two_synced_clients().await;
    let (mine, theirs) = (photo(50), photo(52));
    two.a
        .change_photo(PhotoEdit::Set(&photo(51)))
        .await
        .unwrap();
    two.a.sync().await.unwrap();
    let mut view_model = ready(two.b.clone()).await;
    let before = two.b.cached().await.unwrap();
    send(&mut view_model, Message::PhotoChosen(None)).await; // the dialog was cancelled
    assert_eq!(
        two.b.cached().await.unwrap(),
        before,
        "cancelling changes nothing"
    );
    // B is offline while it chooses its own photo, so it does not see A's first.
    two.b.set_work_offline(true);
    two.a
        .change_photo(PhotoEdit::Set(&photo(52)))
        .await
        .unwrap();
    two.a.sync().await.unwrap();
    two.b.change_photo(PhotoEdit::Set(&mine)).await.unwrap();
    two.b.set_work_offline(false);
    send(&mut view_model, Message::SyncNow).await;
    assert_eq!(view_model.badge(), Badge::Conflict);
    assert!(view_model.photo_handle(&mine.sha256).is_some());
    assert!(view_model.photo_handle(&theirs.sha256).is_some());
    assert!(shows(&view_model, "Theirs:"));
    snapshot(&view_model, "photo-conflict");

    send(
        &mut view_model,
        Message::Resolve(profile_client::Resolution::UseTheirs),
    )
    .await;
    let local = two.b.cached().await.unwrap().unwrap();
    assert_eq!(local.fields.photo, Some(theirs.reference()));
}
