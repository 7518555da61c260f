//! Photos end to end, against the real server (through the fault proxy where a fault is the
//! point): picked and kept in one transaction, uploaded before the profile that refers to it,
//! downloaded and checked on another client, in conflicts, sent again when the server lost it,
//! and evicted when nothing refers to it.

use crate::support::{Client, Mode, Proxy, spawn_server_with, two_synced_clients};
use profile_client::domain::{Field, SyncState};
use profile_client::photo::{Photo, normalize, samples};
use profile_client::{PhotoEdit, RepositoryError, Resolution, SyncOutcome};
use profile_server::DEFAULT_USER;
use std::sync::{Arc, Mutex};

/// A normalised photo, different for every `seed`.
pub fn photo(seed: u8) -> Photo {
    let picture = image::RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([seed, (x * 4) as u8, (y * 5) as u8 ^ seed])
    });
    let mut png = Vec::new();
    picture
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    normalize(&png).unwrap()
}

/// A server that records the method and path of every request, in order.
async fn recorded() -> (crate::support::TestServer, Arc<Mutex<Vec<String>>>) {
    let log: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = log.clone();
    let server = spawn_server_with(move |router| {
        router.layer(axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| {
                let seen = seen.clone();
                async move {
                    let line = format!("{} {}", request.method(), request.uri().path());
                    let response = next.run(request).await;
                    seen.lock()
                        .unwrap()
                        .push(format!("{line} {}", response.status().as_u16()));
                    response
                }
            },
        ))
    })
    .await;
    server
        .store()
        .seed(&profile_client::domain::Fields::new("Ada", ""))
        .await
        .unwrap();
    (server, log)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_picked_photo_is_kept_at_once_sent_before_its_profile_and_shown_on_another_client() {
    let (server, log) = recorded().await;
    let (a, b) = (Client::new(), Client::new());
    let repo_a = a.repository(&server.url()).await;
    let repo_b = b.repository(&server.url()).await;
    repo_a.sync().await.unwrap();
    repo_b.sync().await.unwrap();

    let picked = photo(1);
    let saved = repo_a.change_photo(PhotoEdit::Set(&picked)).await.unwrap();
    assert_eq!(saved.fields.photo, Some(picked.reference()));
    assert_eq!((saved.name(), saved.state()), ("Ada", SyncState::Pending));
    let cached = repo_a
        .database()
        .photo(&picked.sha256)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (cached.jpeg.as_slice(), cached.uploaded),
        (picked.jpeg.as_slice(), false)
    );

    log.lock().unwrap().clear();
    assert_eq!(repo_a.sync().await.unwrap(), SyncOutcome::Synced);
    let requests = log.lock().unwrap().clone();
    let upload = format!("PUT /v1/photos/{} 201", picked.sha256);
    assert_eq!(
        requests
            .iter()
            .filter(|r| r.starts_with("PUT"))
            .cloned()
            .collect::<Vec<_>>(),
        [upload, "PUT /v1/profile 200".to_owned()],
        "the photo goes first: {requests:?}"
    );
    let on_server = server.store().get().await.unwrap().unwrap();
    assert_eq!(on_server.photo, Some(picked.reference()));
    let kept = server
        .store()
        .photo_of(DEFAULT_USER, &picked.sha256)
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some(picked.jpeg.as_slice()));
    assert!(
        repo_a
            .database()
            .photo_uploaded(&picked.sha256)
            .await
            .unwrap()
            .unwrap()
    );

    // Another client shows a downloading photo until the sync has fetched it, then holds it.
    assert_eq!(repo_b.sync().await.unwrap(), SyncOutcome::Synced);
    let on_b = repo_b.cached().await.unwrap().unwrap();
    assert_eq!(on_b.fields.photo, Some(picked.reference()));
    assert_eq!(
        repo_b.photo(&picked.sha256).await.unwrap().as_deref(),
        Some(picked.jpeg.as_slice())
    );
    assert!(repo_b.status().photos_arrived >= 1);

    // Later edits of the name keep the photo; removing it is an edit like any other.
    repo_a.save("Ada King", "").await.unwrap();
    assert_eq!(repo_a.sync().await.unwrap(), SyncOutcome::Synced);
    assert_eq!(
        server.store().get().await.unwrap().unwrap().photo,
        Some(picked.reference())
    );
    repo_a.change_photo(PhotoEdit::Remove).await.unwrap();
    assert_eq!(repo_a.sync().await.unwrap(), SyncOutcome::Synced);
    assert_eq!(server.store().get().await.unwrap().unwrap().photo, None);
    assert!(
        repo_a.database().photo_ids().await.unwrap().is_empty(),
        "nothing refers to it: evicted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_needs_a_profile_first() {
    let server = spawn_server_with(|router| router).await;
    let client = Client::new();
    let repository = client.repository(&server.url()).await;
    let error = repository
        .change_photo(PhotoEdit::Set(&photo(2)))
        .await
        .unwrap_err();
    assert!(matches!(error, RepositoryError::NoProfileYet), "{error}");
    assert!(
        repository.database().photo_ids().await.unwrap().is_empty(),
        "nothing half-kept"
    );
    // A first save may carry one.
    let first = repository
        .save_edit("Ada", "", PhotoEdit::Set(&photo(2)))
        .await
        .unwrap();
    assert_eq!(first.fields.photo, Some(photo(2).reference()));
    assert_eq!(repository.sync().await.unwrap(), SyncOutcome::Synced);
    assert_eq!(
        server.store().get().await.unwrap().unwrap().photo,
        Some(photo(2).reference())
    );
}

/// An upload cut midway is retried; the profile never arrives ahead of its photo. A download
/// cut midway keeps nothing; the next sync fetches it whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_and_downloads_cut_midway_are_retried_and_never_half_kept() {
    let two = two_synced_clients().await;
    let picked = photo(3);
    let proxy = Proxy::with_mode(two.server.running.addr, Mode::Up).await;
    let a = two.dirs.0.repository(&proxy.url()).await;
    a.change_photo(PhotoEdit::Set(&picked)).await.unwrap();

    // Past the request's headers, into the photo's bytes.
    proxy.set_mode(Mode::CutRequest(600));
    let cut = a.sync().await;
    assert!(cut.is_err(), "{cut:?}");
    let store = two.server.store();
    assert_eq!(
        store.photo_of(DEFAULT_USER, &picked.sha256).await.unwrap(),
        None
    );
    assert_eq!(
        store.get().await.unwrap().unwrap().photo,
        None,
        "no profile ahead of its photo"
    );
    assert_eq!(a.status().state(), SyncState::Pending);

    proxy.set_mode(Mode::Up);
    assert_eq!(a.sync().await.unwrap(), SyncOutcome::Synced);
    assert_eq!(
        store.get().await.unwrap().unwrap().photo,
        Some(picked.reference())
    );

    let proxy_b = Proxy::with_mode(two.server.running.addr, Mode::Up).await;
    let b = two.dirs.1.repository(&proxy_b.url()).await;
    // The profile's answer (a few hundred bytes) goes through whole; the photo's is cut in its
    // body, on the same connection or a new one.
    let profile_answer = 700;
    proxy_b.set_mode(Mode::CutAfter(profile_answer + picked.jpeg.len() / 2));
    let cut = b.sync().await;
    assert!(cut.is_err(), "{cut:?}");
    assert_eq!(
        b.cached().await.unwrap().unwrap().fields.photo,
        Some(picked.reference())
    );
    assert_eq!(
        b.photo(&picked.sha256).await.unwrap(),
        None,
        "a cut download is not kept"
    );
    proxy_b.set_mode(Mode::Up);
    assert_eq!(b.sync().await.unwrap(), SyncOutcome::Synced);
    assert_eq!(
        b.photo(&picked.sha256).await.unwrap().as_deref(),
        Some(picked.jpeg.as_slice())
    );
}

/// Two clients pick different photos: a conflict on the photo, whose panel can show both
/// pictures (the other one is downloaded with it); either choice settles it, and the photo
/// left unused is evicted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn different_photos_on_two_clients_are_a_conflict_with_both_pictures() {
    let two = two_synced_clients().await;
    let (mine, theirs) = (photo(4), photo(5));
    two.a.change_photo(PhotoEdit::Set(&theirs)).await.unwrap();
    assert_eq!(two.a.sync().await.unwrap(), SyncOutcome::Synced);
    two.b.change_photo(PhotoEdit::Set(&mine)).await.unwrap();
    assert_eq!(two.b.sync().await.unwrap(), SyncOutcome::Conflict);

    let local = two.b.cached().await.unwrap().unwrap();
    let conflict = local.conflict.clone().unwrap();
    assert_eq!(conflict.fields, [Field::Photo]);
    assert_eq!(local.fields.photo, Some(mine.reference()));
    assert_eq!(conflict.theirs.fields.photo, Some(theirs.reference()));
    for picture in [&mine, &theirs] {
        assert!(
            two.b.photo(&picture.sha256).await.unwrap().is_some(),
            "both pictures at hand"
        );
    }

    two.b.resolve(Resolution::UseTheirs).await.unwrap();
    assert_eq!(two.b.sync().await.unwrap(), SyncOutcome::Synced);
    assert_eq!(
        two.b.cached().await.unwrap().unwrap().fields.photo,
        Some(theirs.reference())
    );
    assert_eq!(
        two.b.database().photo_ids().await.unwrap(),
        std::slice::from_ref(&theirs.sha256)
    );
}

/// The server lost the photo (restored from a backup taken before it came): the client sends it
/// again and the profile lands.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_the_server_lost_is_sent_again() {
    let two = two_synced_clients().await;
    let backup = two.server.backup().await;
    let picked = photo(6);
    two.a.change_photo(PhotoEdit::Set(&picked)).await.unwrap();
    assert_eq!(two.a.sync().await.unwrap(), SyncOutcome::Synced);
    let server = two.server.replace(Some(backup.path())).await;
    assert_eq!(
        server
            .store()
            .photo_of(DEFAULT_USER, &picked.sha256)
            .await
            .unwrap(),
        None
    );

    // The server went back to before the photo: the client sends its copy again.
    assert_eq!(two.a.sync().await.unwrap(), SyncOutcome::Synced);
    let current = server.store().get().await.unwrap().unwrap();
    assert_eq!(
        (current.name.as_str(), current.photo),
        ("Ada", Some(picked.reference()))
    );
    assert!(
        server
            .store()
            .photo_of(DEFAULT_USER, &picked.sha256)
            .await
            .unwrap()
            .is_some()
    );
}

/// A picture with EXIF GPS data and a rotation, picked through `set --photo FILE`: the server's
/// copy is upright, square and carries no metadata; `show --json` describes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_sets_and_removes_a_photo_and_no_metadata_leaves_the_computer() {
    let server = crate::support::seeded_server("Ada").await;
    let client = Client::new();
    let file = client.dir.path().join("IMG 0001 (é).jpg");
    let original = samples::with_exif(&samples::halves_jpeg(300, 200), 6);
    std::fs::write(&file, &original).unwrap();
    let data = client.dir.path().join("data");
    let run = |args: &[&str]| crate::support::offline_profile(&data, &server.url(), args);

    assert!(run(&["sync"]).status.success());
    let set = run(&["set", "--photo", file.to_str().unwrap()]);
    assert!(set.status.success(), "{set:?}");
    let shown = run(&["show", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    let photo = &json["photo"];
    assert_eq!(
        (photo["width"].as_u64(), photo["height"].as_u64()),
        (Some(200), Some(200))
    );
    assert_eq!(photo["uploaded"], true, "{json}");
    let id = profile_protocol::PhotoId::parse(photo["sha256"].as_str().unwrap()).unwrap();
    let on_server = server
        .store()
        .photo_of(DEFAULT_USER, &id)
        .await
        .unwrap()
        .unwrap();
    assert!(!on_server.windows(4).any(|w| w == b"Exif"));
    assert!(
        !on_server
            .windows(9)
            .any(|w| w == &samples::CANARY.as_bytes()[..9])
    );
    assert_eq!(profile_protocol::jpeg_metadata_segment(&on_server), None);
    assert_eq!(
        std::fs::read(&file).unwrap(),
        original,
        "the picked file is not changed"
    );

    for (bad, says) in [
        (client.dir.path().join("notes.txt"), "not a picture"),
        (client.dir.path().join("missing.jpg"), "cannot be read"),
        (client.dir.path().to_path_buf(), "cannot be read"),
    ] {
        if bad.extension().is_some_and(|e| e == "txt") {
            std::fs::write(&bad, "hello").unwrap();
        }
        let refused = run(&["set", "--photo", bad.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(refused.status.code(), Some(2), "{bad:?}: {stderr}");
        assert!(stderr.contains(says), "{bad:?}: {stderr}");
    }
    let after = run(&["show", "--json"]);
    let json_after: serde_json::Value = serde_json::from_slice(&after.stdout).unwrap();
    assert_eq!(
        json_after["photo"], json["photo"],
        "a refused file changes nothing"
    );

    let removed = run(&["set", "--no-photo"]);
    assert!(removed.status.success(), "{removed:?}");
    let json: serde_json::Value = serde_json::from_slice(&run(&["show", "--json"]).stdout).unwrap();
    assert_eq!(json["photo"], serde_json::Value::Null);
    assert_eq!(server.store().get().await.unwrap().unwrap().photo, None);
}

/// Over the quota, an upload is a refusal that says why, not a failure to retry at once, and
/// the edit stays pending.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_quota_an_upload_is_refused_with_the_reason() {
    let server = crate::support::seeded_server("Ada").await;
    for n in 0..profile_server::QUOTA_PHOTOS as u8 {
        let kept = photo(100 + n);
        let put = server
            .store()
            .put_photo(DEFAULT_USER, &kept.jpeg, kept.width, kept.height)
            .await
            .unwrap();
        assert!(matches!(put, profile_server::PhotoPut::Created(_)));
    }
    let client = Client::new();
    let repository = client.repository(&server.url()).await;
    repository.sync().await.unwrap();
    repository
        .change_photo(PhotoEdit::Set(&photo(99)))
        .await
        .unwrap();
    let error = repository.sync().await.unwrap_err();
    let RepositoryError::Api(api) = &error else {
        panic!("{error}");
    };
    assert!(
        matches!(
            api,
            profile_client::api_client::ApiError::Rejected { status: 507, .. }
        ),
        "{api:?}"
    );
    assert!(
        !api.is_transient() && !error.is_offline(),
        "a refusal: {error}"
    );
    assert!(error.to_string().contains("at most 20 photos"), "{error}");
    assert_eq!(repository.status().state(), SyncState::Pending);
    assert_eq!(server.store().get().await.unwrap().unwrap().photo, None);
}

/// A photo the server has lost (its row deleted, as by a restore gone wrong) while a profile
/// still refers to it: the profile syncs, and the photo is reported unavailable, not retried
/// for ever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_the_server_cannot_serve_is_unavailable_and_the_profile_still_syncs() {
    let two = two_synced_clients().await;
    let picked = photo(80);
    two.a.change_photo(PhotoEdit::Set(&picked)).await.unwrap();
    two.a.sync().await.unwrap();
    let pool = sqlx::SqlitePool::connect_with(
        sqlx::sqlite::SqliteConnectOptions::new().filename(two.server.db()),
    )
    .await
    .unwrap();
    sqlx::query("DELETE FROM photos")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    assert_eq!(two.b.sync().await.unwrap(), SyncOutcome::Synced);
    let status = two.b.status();
    assert_eq!(
        status.photos_unavailable,
        std::slice::from_ref(&picked.sha256)
    );
    assert_eq!(two.b.photo(&picked.sha256).await.unwrap(), None);
    let view_model = crate::support::ready(two.b.clone()).await;
    assert!(crate::support::shows(
        &view_model,
        &offline_profile::ui::user_profile::view::unavailable_photo()
    ));
}

/// A server that takes the photo and then keeps saying it does not have it: the sync ends at
/// once with words for it, not after going round.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_forgets_every_photo_at_once_ends_the_sync_with_a_reason() {
    let puts = Arc::new(Mutex::new(0usize));
    let counted = puts.clone();
    let server = spawn_server_with(move |router| {
        router.layer(axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| {
                let counted = counted.clone();
                async move {
                    let profile_put = request.method() == axum::http::Method::PUT
                        && request.uri().path() == "/v1/profile";
                    if !profile_put {
                        return next.run(request).await;
                    }
                    *counted.lock().unwrap() += 1;
                    axum::response::IntoResponse::into_response((
                        axum::http::StatusCode::CONFLICT,
                        axum::Json(serde_json::json!({
                            "error": "no such photo", "code": profile_protocol::PHOTO_MISSING
                        })),
                    ))
                }
            },
        ))
    })
    .await;
    server
        .store()
        .seed(&profile_client::domain::Fields::new("Ada", ""))
        .await
        .unwrap();
    let client = Client::new();
    let repository = client.repository(&server.url()).await;
    repository.sync().await.unwrap();
    repository
        .change_photo(PhotoEdit::Set(&photo(90)))
        .await
        .unwrap();
    let error = repository.sync().await.unwrap_err();
    assert!(
        error.to_string().contains("accepted the photo, then said"),
        "{error}"
    );
    assert_eq!(*puts.lock().unwrap(), 1, "no going round");
    assert_eq!(repository.status().state(), SyncState::Pending);
}
