//! `PUT` and `GET /v1/photos/{sha256}`: a user's photos over HTTP (see `photos`).

use crate::AppState;
use crate::accounts::Caller;
use crate::api::ApiError;
use crate::photos::{PhotoPut, QUOTA_BYTES, QUOTA_PHOTOS};
use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use profile_protocol::{
    ErrorBody, EtagList, PHOTO_MAX_BYTES, PHOTO_MAX_SIDE, PhotoId, parse_etags, quoted,
};

/// A photo never changes under its name, so a client may keep it as long as it likes; only its
/// owner may (`private`).
const CACHE_CONTROL: &str = "private, max-age=31536000, immutable";

fn photo_id(text: &str) -> Result<PhotoId, ApiError> {
    PhotoId::parse(text).map_err(|error| ApiError::new(StatusCode::BAD_REQUEST, error.to_string()))
}

fn no_such_photo(id: &PhotoId) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, format!("there is no photo {id}"))
}

/// `GET /v1/photos/{sha256}`: the caller's photo, `ETag` its hash; 304 when the caller names it
/// in `If-None-Match`. Another user's photo is answered as one that does not exist.
#[utoipa::path(
    get, path = "/v1/photos/{sha256}", operation_id = "get_photo", tag = "photos",
    description = "One of the caller's photos. Immutable: its ETag is its hash.",
    params(
        ("sha256" = String, Path, description = "The photo's SHA-256."),
        crate::openapi::IfNoneMatch,
    ),
    responses(
        (status = 200, description = "The JPEG.", content_type = "image/jpeg",
            body = crate::openapi::Binary, headers(
                ("ETag" = String, description = "The photo's hash, quoted."),
                ("Cache-Control" = String, description = "`private, max-age=31536000, immutable`"),
            )),
        (status = 304, description = "The caller has it already.", headers(
            ("ETag" = String, description = "The photo's hash, quoted."),
            ("Cache-Control" = String, description = "`private, max-age=31536000, immutable`"),
        )),
        (status = 404, description = "The caller has no such photo (another user's included).",
            body = ErrorBody),
    )
)]
pub(crate) async fn get_photo(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(sha256): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = PhotoId::parse(&sha256).map_err(|_| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("there is no photo {sha256:?}"),
        )
    })?;
    let Some(jpeg) = state.store.photo_of(caller.user, &id).await? else {
        return Err(no_such_photo(&id));
    };
    let etag = quoted(id.as_str());
    let known = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| parse_etags(text).ok())
        .is_some_and(|list: EtagList| list.matches(id.as_str()));
    let headers = [
        (header::ETAG, etag),
        (header::CACHE_CONTROL, CACHE_CONTROL.to_owned()),
    ];
    if known {
        return Ok((StatusCode::NOT_MODIFIED, headers).into_response());
    }
    Ok((
        StatusCode::OK,
        headers,
        [(header::CONTENT_TYPE, "image/jpeg")],
        jpeg,
    )
        .into_response())
}

/// `PUT /v1/photos/{sha256}`: keeps the body (a JPEG whose SHA-256 is the path, at most
/// 512 × 512 pixels) as one of the caller's photos. 201 when new, 200 when the caller already
/// had it (nothing stored twice), 507 over the quota.
#[utoipa::path(
    put, path = "/v1/photos/{sha256}", operation_id = "put_photo", tag = "photos",
    description = "Keeps a photo: a whole JPEG of at most 512 × 512 pixels and 1 MiB without \
                   metadata segments, whose SHA-256 is the path. Idempotent.",
    params(("sha256" = String, Path, description = "The photo's SHA-256, 64 lowercase hex digits.",
        pattern = "^[0-9a-f]{64}$")),
    request_body(content = crate::openapi::Binary, content_type = "image/jpeg"),
    responses(
        (status = 200, description = "The caller had it already.", body = profile_protocol::PhotoRef),
        (status = 201, description = "Kept.", body = profile_protocol::PhotoRef),
        (status = 400, description = "The path is not a SHA-256, or the body's is another.",
            body = ErrorBody),
        (status = 413, description = "Over 1 MiB.", body = ErrorBody),
        (status = 415, description = "Not `image/jpeg`.", body = ErrorBody),
        (status = 422, description = "Not a whole JPEG within the limits, or with metadata.",
            body = ErrorBody),
        (status = 507, description = "The caller's quota is used up, or the server's disk is full.",
            body = ErrorBody),
    )
)]
pub(crate) async fn put_photo(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(sha256): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    let id = photo_id(&sha256)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    if !content_type.eq_ignore_ascii_case("image/jpeg") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("a photo is sent as Content-Type: image/jpeg, not {content_type:?}"),
        ));
    }
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("a photo is at most {PHOTO_MAX_BYTES} bytes"),
            )
        } else {
            ApiError::new(rejection.status(), rejection.body_text())
        }
    })?;
    let actual = PhotoId::of(&body);
    if actual != id {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!(
                "the body's SHA-256 is {actual}, not the {id} its path names (was it cut short?)"
            ),
        ));
    }
    let checked = body.clone();
    let (width, height) = tokio::task::spawn_blocking(move || check_jpeg(&checked))
        .await
        .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "the photo check failed"))?
        .map_err(|reason| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, reason))?;
    match state
        .store
        .put_photo(caller.user, &body, width, height)
        .await?
    {
        PhotoPut::Created(photo) => {
            tracing::info!(user = caller.user.0, photo = %photo.sha256.short(), "photo stored");
            Ok((StatusCode::CREATED, Json(photo)).into_response())
        }
        PhotoPut::Existed(photo) => Ok((StatusCode::OK, Json(photo)).into_response()),
        PhotoPut::OverQuota { photos, bytes } => Err(ApiError::new(
            StatusCode::INSUFFICIENT_STORAGE,
            format!(
                "this account keeps {photos} photos ({bytes} bytes); at most {QUOTA_PHOTOS} \
                 photos and {QUOTA_BYTES} bytes are kept, and a photo no longer used is removed \
                 {} after it was replaced",
                crate::photos::grace_in_words(state.store.photo_grace)
            ),
        )),
    }
}

/// The size of the JPEG in `bytes`, decoded in full (so a cut or broken one is refused), within
/// the limits; otherwise why not.
fn check_jpeg(bytes: &[u8]) -> Result<(u32, u32), String> {
    use image::ImageDecoder as _;
    let not = |e: image::ImageError| format!("the body is not a readable JPEG image ({e})");
    let decoder =
        image::codecs::jpeg::JpegDecoder::new(std::io::Cursor::new(bytes)).map_err(not)?;
    if !profile_protocol::jpeg_is_complete(bytes) {
        return Err("the body is not a whole JPEG image (it is cut short, or not a JPEG)".into());
    }
    if let Some(n) = profile_protocol::jpeg_metadata_segment(bytes) {
        return Err(format!(
            "the photo carries metadata (an APP{n} segment: EXIF, XMP, ICC or IPTC); photos are \
             kept without any"
        ));
    }
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 || width > PHOTO_MAX_SIDE || height > PHOTO_MAX_SIDE {
        return Err(format!(
            "a photo is at most {PHOTO_MAX_SIDE} × {PHOTO_MAX_SIDE} pixels, not {width} × {height}"
        ));
    }
    image::DynamicImage::from_decoder(decoder).map_err(not)?;
    Ok((width, height))
}
