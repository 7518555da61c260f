//! Photos through real HTTP: upload (`PUT /v1/photos/{sha256}`) with every refusal, download
//! with its cache headers, owner-only access, the profile's reference to them (missing photos
//! refused with `photo_missing`, clients from before photos unable to erase one), the quota, and
//! the deletion of photos out of use after the grace period. On SQLite and on a throwaway
//! PostgreSQL.

mod support;

use profile_protocol::{PHOTO_MISSING, PhotoId, PhotoRef};
use profile_server::{QUOTA_PHOTOS, Store};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use support::http;

/// A small JPEG, different for every `seed`, of `side` × `side` pixels.
fn jpeg(seed: u32, side: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(side, side, |x, y| {
        image::Rgb([(seed * 37 % 256) as u8, (x * 7 + seed) as u8, (y * 5) as u8])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&image)
        .unwrap();
    out
}

struct Server {
    running: profile_server::RunningServer,
    ada: String,
    bo: String,
}

impl Server {
    async fn start(db: &str, grace: Duration) -> Self {
        let store = Store::connect(db).await.unwrap().with_photo_grace(grace);
        let ada = store
            .add_user("ada@example.com", "correct horse")
            .await
            .unwrap();
        let bo = store
            .add_user("bo@example.com", "correct horse")
            .await
            .unwrap();
        let ada = store.add_device(ada, "laptop").await.unwrap().token;
        let bo = store.add_device(bo, "phone").await.unwrap().token;
        let running = profile_server::start_with(store, "", "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        Self { running, ada, bo }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.url())
    }

    async fn upload_as(
        &self,
        token: &str,
        id: &str,
        body: Vec<u8>,
        kind: &str,
    ) -> (StatusCode, Value) {
        let response = http()
            .put(self.url(&format!("/v1/photos/{id}")))
            .bearer_auth(token)
            .header("content-type", kind)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn upload(&self, body: Vec<u8>) -> (StatusCode, Value) {
        let id = PhotoId::of(&body);
        self.upload_as(&self.ada, id.as_str(), body, "image/jpeg")
            .await
    }

    async fn download(&self, token: &str, id: &str) -> reqwest::Response {
        http()
            .get(self.url(&format!("/v1/photos/{id}")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// `PUT /v1/profile` of `body` over whatever Ada's profile is now.
    async fn put_profile(&self, body: Value) -> (StatusCode, Value) {
        let current = http()
            .get(self.url("/v1/profile"))
            .bearer_auth(&self.ada)
            .send()
            .await
            .unwrap();
        let request = http().put(self.url("/v1/profile")).bearer_auth(&self.ada);
        let request = match current.headers().get("etag") {
            Some(etag) => request.header("if-match", etag.clone()),
            None => request.header("if-none-match", "*"),
        };
        let response = request.json(&body).send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap())
    }
}

fn reference(body: &[u8], side: u32) -> Value {
    json!({"sha256": PhotoId::of(body), "width": side, "height": side, "bytes": body.len()})
}

/// Every refusal of an upload says what is wrong and stores nothing; a good one is 201, the
/// same bytes again 200 (one copy); downloads are the owner's only, immutable, and verified by
/// their hash.
async fn uploads_are_checked_and_downloads_are_the_owners(db: String) {
    let server = Server::start(&db, profile_server::PHOTO_GRACE).await;
    let photo = jpeg(1, 64);
    let id = PhotoId::of(&photo);

    let refusals = [
        (
            id.to_string(),
            photo.clone(),
            "image/png",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "image/jpeg",
        ),
        (
            PhotoId::of(b"other").to_string(),
            photo.clone(),
            "image/jpeg",
            StatusCode::BAD_REQUEST,
            "SHA-256",
        ),
        (
            "not-a-hash".into(),
            photo.clone(),
            "image/jpeg",
            StatusCode::BAD_REQUEST,
            "64 lowercase",
        ),
        (
            PhotoId::of(b"%PDF-1.4").to_string(),
            b"%PDF-1.4".to_vec(),
            "image/jpeg",
            StatusCode::UNPROCESSABLE_ENTITY,
            "not a readable JPEG",
        ),
        (
            PhotoId::of(&photo[..photo.len() / 2]).to_string(),
            photo[..photo.len() / 2].to_vec(),
            "image/jpeg",
            StatusCode::UNPROCESSABLE_ENTITY,
            "cut short",
        ),
        (
            PhotoId::of(&jpeg(2, 600)).to_string(),
            jpeg(2, 600),
            "image/jpeg",
            StatusCode::UNPROCESSABLE_ENTITY,
            "600 × 600",
        ),
        (
            PhotoId::of(&vec![0u8; 1024 * 1024 + 1]).to_string(),
            vec![0u8; 1024 * 1024 + 1],
            "image/jpeg",
            StatusCode::PAYLOAD_TOO_LARGE,
            "at most",
        ),
    ];
    for (path, body, kind, status, says) in refusals {
        let (got, error) = server.upload_as(&server.ada, &path, body, kind).await;
        assert_eq!(got, status, "{path} {kind}: {error}");
        let error = error["error"].as_str().unwrap_or_default();
        assert!(
            error.contains(says),
            "{path}: {error:?} should say {says:?}"
        );
    }

    let (status, stored) = server.upload(photo.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{stored}");
    assert_eq!(stored, reference(&photo, 64));
    let (status, again) = server.upload(photo.clone()).await;
    assert_eq!((status, again), (StatusCode::OK, stored));

    let response = server.download(&server.ada, id.as_str()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "image/jpeg");
    assert_eq!(headers["etag"], format!("\"{id}\"").as_str());
    assert!(
        headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let body = response.bytes().await.unwrap();
    assert_eq!(PhotoId::of(&body), id, "what comes back is what went up");
    let revalidated = http()
        .get(server.url(&format!("/v1/photos/{id}")))
        .bearer_auth(&server.ada)
        .header("if-none-match", format!("\"{id}\""))
        .send()
        .await
        .unwrap();
    assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);

    // Bo sees no photo of Ada's, exactly as one that does not exist.
    let theirs = server.download(&server.bo, id.as_str()).await;
    let nothing = server
        .download(&server.bo, PhotoId::of(b"nothing").as_str())
        .await;
    assert_eq!(
        (theirs.status(), nothing.status()),
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
    );
    assert_eq!(
        server.download(&server.ada, "../profile").await.status(),
        StatusCode::NOT_FOUND
    );
    let anonymous = http()
        .get(server.url(&format!("/v1/photos/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

/// A profile refers to an uploaded photo only: a missing one is refused with `photo_missing`.
/// A body without `photo` (a client from before photos) keeps it; `null` removes it.
async fn a_profile_refers_only_to_uploaded_photos_and_old_clients_keep_them(db: String) {
    let server = Server::start(&db, profile_server::PHOTO_GRACE).await;
    let photo = jpeg(3, 128);
    let with_photo = json!({"name": "Ada", "photo_url": "", "photo": reference(&photo, 128)});

    let (status, error) = server.put_profile(with_photo.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert_eq!(error["code"], PHOTO_MISSING);
    assert!(
        error["error"]
            .as_str()
            .unwrap()
            .contains(PhotoId::of(&photo).as_str())
    );

    assert_eq!(server.upload(photo.clone()).await.0, StatusCode::CREATED);
    let (status, profile) = server.put_profile(with_photo).await;
    assert_eq!(status, StatusCode::CREATED, "{profile}");
    assert_eq!(profile["photo"], reference(&photo, 128));

    let (status, profile) = server
        .put_profile(json!({"name": "Ada King", "photo_url": ""}))
        .await;
    assert_eq!(status, StatusCode::OK, "{profile}");
    assert_eq!(
        (profile["name"].as_str(), &profile["photo"]),
        (Some("Ada King"), &reference(&photo, 128)),
        "a body without a photo leaves the photo alone"
    );

    // Sizes come from what was uploaded, not from what the profile claims.
    let lying = json!({"name": "Ada King", "photo": {"sha256": PhotoId::of(&photo), "width": 1, "height": 1, "bytes": 1}});
    let (_, profile) = server.put_profile(lying).await;
    assert_eq!(profile["photo"], reference(&photo, 128));
    let (status, error) = server
        .put_profile(json!({"name": "Ada King", "photo": {"sha256": PhotoId::of(&photo), "width": 0, "height": 1, "bytes": 1}}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");

    let (status, profile) = server
        .put_profile(json!({"name": "Ada King", "photo": null}))
        .await;
    assert_eq!((status, &profile["photo"]), (StatusCode::OK, &Value::Null));
}

/// At most 20 photos are kept per user; the 21st is refused with 507 and a reason, and another
/// user's quota is their own.
async fn the_quota_is_per_user(db: String) {
    let server = Server::start(&db, profile_server::PHOTO_GRACE).await;
    for n in 0..QUOTA_PHOTOS as u32 {
        let (status, body) = server.upload(jpeg(100 + n, 16)).await;
        assert_eq!(status, StatusCode::CREATED, "photo {n}: {body}");
    }
    let (status, error) = server.upload(jpeg(999, 16)).await;
    assert_eq!(status, StatusCode::INSUFFICIENT_STORAGE, "{error}");
    assert!(
        error["error"]
            .as_str()
            .unwrap()
            .contains("at most 20 photos"),
        "{error}"
    );
    assert_eq!(
        server.upload(jpeg(100, 16)).await.0,
        StatusCode::OK,
        "one already kept is fine"
    );
    let bos = jpeg(999, 16);
    let (status, _) = server
        .upload_as(&server.bo, PhotoId::of(&bos).as_str(), bos, "image/jpeg")
        .await;
    assert_eq!(status, StatusCode::CREATED);
}

/// A photo out of use (replaced, or uploaded and never referred to) is deleted once its grace
/// period is over; the one in use never is. A profile then referring to a deleted photo is
/// refused with `photo_missing`, and uploading it again makes it land.
async fn photos_out_of_use_are_deleted_after_the_grace_period(db: String) {
    let grace = Duration::from_secs(2);
    let server = Server::start(&db, grace).await;
    let (first, second, orphan) = (jpeg(7, 32), jpeg(8, 32), jpeg(9, 32));
    for photo in [&first, &second, &orphan] {
        assert_eq!(server.upload(photo.clone()).await.0, StatusCode::CREATED);
    }
    let (status, _) = server
        .put_profile(json!({"name": "Ada", "photo": reference(&first, 32)}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = server
        .put_profile(json!({"name": "Ada", "photo": reference(&second, 32)}))
        .await;
    assert_eq!(status, StatusCode::OK);

    // Within the grace period everything is still there.
    for photo in [&first, &second, &orphan] {
        let response = server
            .download(&server.ada, PhotoId::of(photo).as_str())
            .await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    tokio::time::sleep(grace + Duration::from_millis(500)).await;
    // The next upload collects the user's expired photos before it counts the quota.
    assert_eq!(server.upload(jpeg(10, 32)).await.0, StatusCode::CREATED);
    let status_of = async |photo: &[u8]| {
        server
            .download(&server.ada, PhotoId::of(photo).as_str())
            .await
            .status()
    };
    assert_eq!(
        status_of(&first).await,
        StatusCode::NOT_FOUND,
        "replaced, then out of use for longer than the grace"
    );
    assert_eq!(
        status_of(&orphan).await,
        StatusCode::NOT_FOUND,
        "never used"
    );
    assert_eq!(
        status_of(&second).await,
        StatusCode::OK,
        "the photo in use is kept"
    );

    let (status, error) = server
        .put_profile(json!({"name": "Ada", "photo": reference(&orphan, 32)}))
        .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::CONFLICT, Some(PHOTO_MISSING))
    );
    assert_eq!(server.upload(orphan.clone()).await.0, StatusCode::CREATED);
    let (status, profile) = server
        .put_profile(json!({"name": "Ada", "photo": reference(&orphan, 32)}))
        .await;
    assert_eq!(
        (status, &profile["photo"]),
        (StatusCode::OK, &reference(&orphan, 32))
    );

    let _: PhotoRef =
        serde_json::from_value(profile["photo"].clone()).expect("the wire type reads it");
}

use support::suite::Case;

fn cases() -> Vec<(&'static str, Case)> {
    vec![
        ("uploads and downloads", |db| {
            Box::pin(uploads_are_checked_and_downloads_are_the_owners(db))
        }),
        ("references", |db| {
            Box::pin(a_profile_refers_only_to_uploaded_photos_and_old_clients_keep_them(db))
        }),
        ("quota", |db| Box::pin(the_quota_is_per_user(db))),
        ("grace period", |db| {
            Box::pin(photos_out_of_use_are_deleted_after_the_grace_period(db))
        }),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_photo_suite_on_sqlite() {
    support::suite::on_sqlite(cases()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_photo_suite_on_postgres() {
    support::suite::on_postgres(cases()).await;
}
