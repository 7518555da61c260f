//! The avatar cache: the profile photo as a small round PNG, downloaded once and kept in the
//! local database so it shows offline. Limits keep a hostile image from exhausting memory: the
//! download is capped, the decoder refuses huge dimensions and allocations, and only a 176×176
//! thumbnail is stored and rendered.

use crate::api_client::{ApiClientService, DownloadError};
use crate::database::{DatabaseError, DatabaseService};
use crate::domain::check_web_url;
use chrono::Utc;
use image::{ImageFormat, ImageReader, Limits};
use std::io::Cursor;

/// The most bytes downloaded for a photo.
pub const MAX_DOWNLOAD_BYTES: usize = 5 * 1024 * 1024;
/// The largest width or height accepted.
pub const MAX_DIMENSION: u32 = 8192;
/// The most memory the decoder may allocate.
const MAX_ALLOC_BYTES: u64 = 128 * 1024 * 1024;
/// The stored thumbnail's side (twice the on-screen size, for sharp high-DPI rendering).
pub const THUMBNAIL_SIDE: u32 = 176;

/// Why the photo cannot be shown.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AvatarError {
    #[error("the photo URL {0}")]
    BadUrl(String),
    #[error("the photo cannot be downloaded: {0}")]
    Download(#[from] DownloadError),
    #[error("the photo cannot be used: {0}")]
    Unusable(String),
    #[error(transparent)]
    Database(#[from] DatabaseError),
}

/// The photo at `url` as a small PNG: from the local cache when it was fetched before (so it
/// shows offline), otherwise downloaded, checked and cached. `None` for an empty URL, or when
/// `offline` and nothing is cached.
pub async fn load(
    db: &DatabaseService,
    api: &ApiClientService,
    url: &str,
    offline: bool,
) -> Result<Option<Vec<u8>>, AvatarError> {
    if url.is_empty() {
        return Ok(None);
    }
    if let Some(png) = db.load_avatar(url).await? {
        return Ok(Some(png));
    }
    if offline {
        return Ok(None);
    }
    let parsed =
        url::Url::parse(url).map_err(|e| AvatarError::BadUrl(format!("is not valid ({e})")))?;
    check_web_url(&parsed).map_err(|e| AvatarError::BadUrl(e.to_string()))?;
    let bytes = api.fetch_image(&parsed, MAX_DOWNLOAD_BYTES).await?;
    let png = tokio::task::spawn_blocking(move || thumbnail(&bytes))
        .await
        .map_err(|e| AvatarError::Unusable(e.to_string()))??;
    db.store_avatar(url, &png, Utc::now()).await?;
    Ok(Some(png))
}

/// Decodes `bytes` (PNG or JPEG) within the limits and returns a round PNG thumbnail.
pub fn thumbnail(bytes: &[u8]) -> Result<Vec<u8>, AvatarError> {
    if bytes.len() > MAX_DOWNLOAD_BYTES {
        return Err(AvatarError::Unusable(format!(
            "it is larger than {} MiB",
            MAX_DOWNLOAD_BYTES / 1024 / 1024
        )));
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| AvatarError::Unusable(e.to_string()))?;
    if !matches!(reader.format(), Some(ImageFormat::Png | ImageFormat::Jpeg)) {
        return Err(AvatarError::Unusable(
            "it is not a PNG or JPEG image".into(),
        ));
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(MAX_ALLOC_BYTES);
    reader.limits(limits);
    let image = reader
        .decode()
        .map_err(|e| AvatarError::Unusable(e.to_string()))?;
    let mut disc = image
        .resize_to_fill(
            THUMBNAIL_SIDE,
            THUMBNAIL_SIDE,
            image::imageops::FilterType::Triangle,
        )
        .to_rgba8();
    // Cut the square into a disc (with a soft one-pixel edge), so every renderer shows it round.
    let radius = THUMBNAIL_SIDE as f32 / 2.0;
    for (x, y, pixel) in disc.enumerate_pixels_mut() {
        let distance =
            ((x as f32 + 0.5 - radius).powi(2) + (y as f32 + 0.5 - radius).powi(2)).sqrt();
        let coverage = (radius - distance + 0.5).clamp(0.0, 1.0);
        pixel[3] = (pixel[3] as f32 * coverage) as u8;
    }
    let mut png = Vec::new();
    disc.write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .map_err(|e| AvatarError::Unusable(e.to_string()))?;
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = image::RgbImage::from_pixel(width, height, image::Rgb([200, 100, 50]));
        let mut bytes = Vec::new();
        image
            .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
            .unwrap();
        bytes
    }

    #[test]
    fn a_photo_becomes_a_round_thumbnail() {
        let thumb = thumbnail(&png(640, 480)).unwrap();
        let decoded = image::load_from_memory(&thumb).unwrap();
        assert_eq!(
            (decoded.width(), decoded.height()),
            (THUMBNAIL_SIDE, THUMBNAIL_SIDE)
        );
        let rgba = decoded.to_rgba8();
        assert_eq!(rgba.get_pixel(0, 0)[3], 0, "the corners are transparent");
        assert_eq!(
            rgba.get_pixel(THUMBNAIL_SIDE / 2, THUMBNAIL_SIDE / 2)[3],
            255
        );
    }

    #[test]
    fn huge_dimensions_are_refused_before_decoding() {
        // A small file that claims to be 30000×30000 pixels (a "decompression bomb").
        let bytes = include_bytes!("../../../tests/fixtures/bomb.png");
        let error = thumbnail(bytes).unwrap_err().to_string();
        assert!(
            error.contains("limit") || error.contains("dimension"),
            "{error}"
        );
    }

    #[test]
    fn non_images_and_oversized_downloads_are_refused() {
        assert!(thumbnail(b"<html>not an image</html>").is_err());
        assert!(thumbnail(&vec![0u8; MAX_DOWNLOAD_BYTES + 1]).is_err());
    }
}
