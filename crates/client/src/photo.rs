//! A photo picked from this computer, made fit to leave it: decoded here, turned upright by its
//! EXIF orientation, centre-cropped square, scaled to at most [`MAX_SIDE`] pixels a side and
//! encoded again as a JPEG that carries no metadata at all (no EXIF, GPS, camera serials, XMP
//! or colour profile). The original file is only read, never changed. The normalised bytes'
//! SHA-256 is the photo's identity.
//!
//! Bad input is refused with a reason a person can act on, before anything is kept: an empty
//! file, one over [`MAX_FILE_BYTES`], an SVG drawing, anything that is not a PNG or JPEG, a
//! picture claiming more than [`MAX_DIMENSION`] pixels a side (a "decompression bomb" is refused
//! from its header, before its pixels are allocated), and a damaged or cut-short file. An
//! animated PNG gives its first frame.

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use profile_protocol::{PhotoId, PhotoRef, jpeg_is_complete};
use std::io::Cursor;
use std::path::Path;

/// The largest file accepted.
pub const MAX_FILE_BYTES: u64 = 25 * 1024 * 1024;
/// The longest side accepted (a 48-megapixel camera's pictures are 8,000 × 6,000).
pub const MAX_DIMENSION: u32 = 12_000;
/// The most the decoder may allocate: a 12,000 × 12,000 RGB picture and a little more.
const MAX_ALLOC_BYTES: u64 = 512 * 1024 * 1024;
/// The normalised photo's side, at most.
pub const MAX_SIDE: u32 = profile_protocol::PHOTO_MAX_SIDE;
/// The JPEG quality of the normalised photo.
const QUALITY: u8 = 85;

/// A normalised photo, ready to be kept and sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Photo {
    /// The JPEG, without metadata.
    pub jpeg: Vec<u8>,
    /// The SHA-256 of `jpeg`: the photo's identity.
    pub sha256: PhotoId,
    pub width: u32,
    pub height: u32,
}

impl Photo {
    /// What a profile says of this photo.
    pub fn reference(&self) -> PhotoRef {
        PhotoRef {
            sha256: self.sha256.clone(),
            width: self.width,
            height: self.height,
            bytes: self.jpeg.len() as u64,
        }
    }
}

/// Why a picked file cannot be the photo; nothing was kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    #[error("{path} cannot be read: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("the file is empty")]
    Empty,
    #[error("the file is {mib} MiB; a photo can be at most {} MiB", MAX_FILE_BYTES / 1024 / 1024)]
    TooLarge { mib: u64 },
    #[error("an SVG drawing cannot be a photo; pick a PNG or JPEG picture")]
    Svg,
    #[error("this is not a picture this app can read; pick a PNG or JPEG file")]
    NotAnImage,
    #[error(
        "the picture claims to be {width} × {height} pixels; at most {MAX_DIMENSION} a side can be used"
    )]
    TooManyPixels { width: u32, height: u32 },
    #[error("the picture is damaged or cut short ({0})")]
    Damaged(String),
}

/// Reads the file at `path` and normalises it (see the module's documentation).
pub fn normalize_file(path: &Path) -> Result<Photo, PhotoError> {
    let unreadable = |reason: String| PhotoError::Unreadable {
        path: path.display().to_string(),
        reason,
    };
    let meta = std::fs::metadata(path).map_err(|e| unreadable(e.to_string()))?;
    if meta.is_dir() {
        return Err(unreadable("it is a folder, not a file".into()));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(PhotoError::TooLarge {
            mib: meta.len().div_ceil(1024 * 1024),
        });
    }
    let bytes = std::fs::read(path).map_err(|e| unreadable(e.to_string()))?;
    normalize(&bytes)
}

/// Normalises the bytes of a picked picture (see the module's documentation).
pub fn normalize(bytes: &[u8]) -> Result<Photo, PhotoError> {
    if bytes.is_empty() {
        return Err(PhotoError::Empty);
    }
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(PhotoError::TooLarge {
            mib: (bytes.len() as u64).div_ceil(1024 * 1024),
        });
    }
    if looks_like_svg(bytes) {
        return Err(PhotoError::Svg);
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| PhotoError::NotAnImage)?;
    match reader.format() {
        Some(ImageFormat::Png) => {}
        // The JPEG decoder fills a cut-short picture with grey rather than fail: look first.
        Some(ImageFormat::Jpeg) if !jpeg_is_complete(bytes) => {
            return Err(PhotoError::Damaged(
                "the file ends before the picture does".into(),
            ));
        }
        Some(ImageFormat::Jpeg) => {}
        _ => return Err(PhotoError::NotAnImage),
    }
    reader.no_limits();
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| PhotoError::Damaged(e.to_string()))?;
    let (width, height) = decoder.dimensions();
    if width > MAX_DIMENSION || height > MAX_DIMENSION {
        return Err(PhotoError::TooManyPixels { width, height });
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(MAX_ALLOC_BYTES);
    decoder
        .set_limits(limits)
        .map_err(|e| PhotoError::Damaged(e.to_string()))?;
    // A picture whose orientation cannot be read is shown as stored.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let picture =
        DynamicImage::from_decoder(decoder).map_err(|e| PhotoError::Damaged(e.to_string()))?;
    Ok(encode(&square(picture, orientation)))
}

/// The centre square of `picture`, scaled down to at most [`MAX_SIDE`], turned upright as
/// `orientation` says, on white where it was transparent.
///
/// The square is cut and scaled before it is turned (the centre square of a turned picture is
/// the turned centre square), so only the small result is turned, and the cut is a view, not a
/// copy: beyond the decoded picture, a pick holds little more than the scaler's buffer.
fn square(picture: DynamicImage, orientation: image::metadata::Orientation) -> image::RgbImage {
    let mut small = match picture {
        // A JPEG, the common case: scaled as it was decoded.
        DynamicImage::ImageRgb8(rgb) => DynamicImage::ImageRgb8(centre_square(&rgb)),
        other => {
            let rgba = other.to_rgba8();
            drop(other);
            DynamicImage::ImageRgba8(centre_square(&rgba))
        }
    };
    small.apply_orientation(orientation);
    match small {
        DynamicImage::ImageRgb8(rgb) => rgb,
        other => {
            let rgba = other.to_rgba8();
            image::RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
                let [r, g, b, a] = rgba.get_pixel(x, y).0;
                let over_white = |c: u8| {
                    ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8
                };
                image::Rgb([over_white(r), over_white(g), over_white(b)])
            })
        }
    }
}

/// The centre square of `picture`, scaled down to at most [`MAX_SIDE`] (never up).
fn centre_square<P: image::Pixel<Subpixel = u8> + 'static>(
    picture: &image::ImageBuffer<P, Vec<u8>>,
) -> image::ImageBuffer<P, Vec<u8>> {
    let (width, height) = picture.dimensions();
    let side = width.min(height);
    let view =
        image::imageops::crop_imm(picture, (width - side) / 2, (height - side) / 2, side, side);
    let target = side.min(MAX_SIDE);
    if target == side {
        view.to_image()
    } else {
        image::imageops::resize(
            &*view,
            target,
            target,
            image::imageops::FilterType::Lanczos3,
        )
    }
}

fn encode(picture: &image::RgbImage) -> Photo {
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, QUALITY)
        .encode_image(picture)
        .expect("encoding an RGB picture into memory cannot fail");
    let sha256 = PhotoId::of(&jpeg);
    Photo {
        jpeg,
        sha256,
        width: picture.width(),
        height: picture.height(),
    }
}

/// Whether `bytes` start like an SVG document (XML text naming an `svg` element early on).
fn looks_like_svg(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).to_ascii_lowercase();
    let text = head.trim_start_matches('\u{feff}').trim_start();
    (text.starts_with("<?xml") || text.starts_with("<svg") || text.starts_with("<!doctype svg"))
        && text.contains("<svg")
}

/// Pictures as cameras and phones make them, for tests, demos and benchmarks: made here, so
/// nothing depends on a file that could change.
pub mod samples {
    /// Stands for the GPS position and camera serial an EXIF block carries: found in a picked
    /// file, it must not be found in what leaves the computer.
    pub const CANARY: &str = "GPS 51.5007N 0.1246W serial 12345";

    /// A JPEG of `width` × `height`, its left half red and right half blue.
    pub fn halves_jpeg(width: u32, height: u32) -> Vec<u8> {
        let picture = image::RgbImage::from_fn(width, height, |x, _| {
            if x < width / 2 {
                image::Rgb([255, 0, 0])
            } else {
                image::Rgb([0, 0, 255])
            }
        });
        let mut bytes = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 95)
            .encode_image(&picture)
            .unwrap();
        bytes
    }

    /// `jpeg` with an EXIF block right after its start: orientation `orientation` and an
    /// image description holding [`CANARY`] (standing for GPS and camera data).
    pub fn with_exif(jpeg: &[u8], orientation: u16) -> Vec<u8> {
        let mut tiff = Vec::new();
        tiff.extend_from_slice(b"II\x2a\x00\x08\x00\x00\x00"); // little-endian, IFD0 at 8
        tiff.extend_from_slice(&2u16.to_le_bytes()); // two entries
        // Orientation: SHORT, one value.
        tiff.extend_from_slice(&0x0112u16.to_le_bytes());
        tiff.extend_from_slice(&3u16.to_le_bytes());
        tiff.extend_from_slice(&1u32.to_le_bytes());
        tiff.extend_from_slice(&orientation.to_le_bytes());
        tiff.extend_from_slice(&[0, 0]);
        // ImageDescription: ASCII, at the offset right after the IFD.
        let text = format!("{CANARY}\0");
        tiff.extend_from_slice(&0x010Eu16.to_le_bytes());
        tiff.extend_from_slice(&2u16.to_le_bytes());
        tiff.extend_from_slice(&(text.len() as u32).to_le_bytes());
        tiff.extend_from_slice(&(8u32 + 2 + 2 * 12 + 4).to_le_bytes());
        tiff.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
        tiff.extend_from_slice(text.as_bytes());
        let mut segment = b"Exif\0\0".to_vec();
        segment.extend_from_slice(&tiff);
        let mut out = jpeg[..2].to_vec(); // SOI
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&((segment.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(&segment);
        out.extend_from_slice(&jpeg[2..]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::samples::{CANARY, halves_jpeg, with_exif};

    fn is_red(pixel: &image::Rgb<u8>) -> bool {
        pixel[0] > 200 && pixel[2] < 60
    }

    fn is_blue(pixel: &image::Rgb<u8>) -> bool {
        pixel[2] > 200 && pixel[0] < 60
    }

    #[test]
    fn a_photo_is_turned_upright_cropped_square_and_leaves_its_metadata_behind() {
        let original = with_exif(&halves_jpeg(200, 100), 6); // "rotate 90° clockwise to show"
        assert!(
            original
                .windows(CANARY.len())
                .any(|w| w == CANARY.as_bytes())
        );
        let photo = normalize(&original).unwrap();
        assert_eq!((photo.width, photo.height), (100, 100));
        // Upright, the red left half is on top; unturned, the crop's right side would be blue.
        let shown = image::load_from_memory(&photo.jpeg).unwrap().to_rgb8();
        assert!(
            is_red(shown.get_pixel(75, 5)),
            "{:?}",
            shown.get_pixel(75, 5)
        );
        assert!(
            is_blue(shown.get_pixel(75, 95)),
            "{:?}",
            shown.get_pixel(75, 95)
        );
        // Nothing of the original's metadata is in what leaves the computer.
        assert!(!photo.jpeg.windows(4).any(|w| w == b"Exif"));
        assert!(!photo.jpeg.windows(9).any(|w| w == &CANARY.as_bytes()[..9]));
        let mut decoder = ImageReader::new(Cursor::new(&photo.jpeg))
            .with_guessed_format()
            .unwrap()
            .into_decoder()
            .unwrap();
        assert_eq!(decoder.exif_metadata().unwrap(), None);
        assert_eq!(decoder.icc_profile().unwrap(), None);
    }

    #[test]
    fn without_an_orientation_the_picture_stays_as_stored() {
        let photo = normalize(&halves_jpeg(200, 100)).unwrap();
        let shown = image::load_from_memory(&photo.jpeg).unwrap().to_rgb8();
        assert!(is_red(shown.get_pixel(5, 50)));
        assert!(is_blue(shown.get_pixel(95, 50)));
    }

    #[test]
    fn a_large_photo_is_scaled_to_at_most_512_and_its_identity_is_its_hash() {
        let photo = normalize(&halves_jpeg(1200, 800)).unwrap();
        assert_eq!((photo.width, photo.height), (MAX_SIDE, MAX_SIDE));
        use sha2::Digest;
        let hash: String = sha2::Sha256::digest(&photo.jpeg)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(photo.sha256.as_str(), hash);
        assert_eq!(photo.reference().bytes, photo.jpeg.len() as u64);
        // The same picture gives the same photo, byte for byte.
        assert_eq!(normalize(&halves_jpeg(1200, 800)).unwrap(), photo);
    }

    #[test]
    fn a_transparent_png_is_put_on_white() {
        let picture = image::RgbaImage::from_pixel(64, 64, image::Rgba([0, 0, 0, 0]));
        let mut png = Vec::new();
        picture
            .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
            .unwrap();
        let photo = normalize(&png).unwrap();
        let shown = image::load_from_memory(&photo.jpeg).unwrap().to_rgb8();
        assert!(shown.get_pixel(32, 32).0.iter().all(|&c| c > 240));
    }

    #[test]
    fn bad_input_is_refused_with_its_reason() {
        assert_eq!(normalize(b""), Err(PhotoError::Empty));
        assert_eq!(
            normalize(b"Dear diary, today I picked the wrong file."),
            Err(PhotoError::NotAnImage)
        );
        assert_eq!(
            normalize(b"%PDF-1.7\n%\xe2\xe3"),
            Err(PhotoError::NotAnImage)
        );
        assert_eq!(
            normalize(b"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>"),
            Err(PhotoError::Svg)
        );
        let jpeg = halves_jpeg(300, 200);
        assert!(matches!(
            normalize(&jpeg[..jpeg.len() / 3]),
            Err(PhotoError::Damaged(_))
        ));
        let big = vec![0u8; MAX_FILE_BYTES as usize + 1];
        assert_eq!(normalize(&big), Err(PhotoError::TooLarge { mib: 26 }));
        // Each says what is wrong.
        assert_eq!(
            PhotoError::Svg.to_string(),
            "an SVG drawing cannot be a photo; pick a PNG or JPEG picture"
        );
    }

    /// An animated PNG (red, then blue) gives its first frame.
    #[test]
    fn an_animated_png_gives_its_first_frame() {
        let mut apng = Vec::new();
        {
            let mut encoder = png::Encoder::new(&mut apng, 32, 32);
            encoder.set_color(png::ColorType::Rgb);
            encoder.set_depth(png::BitDepth::Eight);
            encoder.set_animated(2, 0).unwrap();
            let mut writer = encoder.write_header().unwrap();
            for colour in [[255u8, 0, 0], [0, 0, 255]] {
                let frame: Vec<u8> = colour.iter().copied().cycle().take(32 * 32 * 3).collect();
                writer.write_image_data(&frame).unwrap();
            }
            writer.finish().unwrap();
        }
        assert!(apng.windows(4).any(|w| w == b"acTL"), "an animated PNG");
        let photo = normalize(&apng).unwrap();
        let shown = image::load_from_memory(&photo.jpeg).unwrap().to_rgb8();
        assert!(
            is_red(shown.get_pixel(16, 16)),
            "{:?}",
            shown.get_pixel(16, 16)
        );
    }

    #[test]
    fn a_decompression_bomb_is_refused_from_its_header() {
        // A small PNG (a few KiB) that claims to be 30,000 × 30,000 pixels.
        let bomb = include_bytes!("../../../tests/fixtures/bomb.png");
        assert!(bomb.len() < 1024 * 1024);
        assert_eq!(
            normalize(bomb),
            Err(PhotoError::TooManyPixels {
                width: 30_000,
                height: 30_000
            })
        );
    }

    #[test]
    fn a_folder_or_a_missing_file_cannot_be_read() {
        let dir = tempfile::tempdir().unwrap();
        let folder = normalize_file(dir.path()).unwrap_err();
        assert!(folder.to_string().contains("it is a folder"), "{folder}");
        let missing = normalize_file(&dir.path().join("gone.jpg")).unwrap_err();
        assert!(
            matches!(missing, PhotoError::Unreadable { .. }),
            "{missing}"
        );
        let file = dir.path().join("photo.jpg");
        std::fs::write(&file, halves_jpeg(40, 40)).unwrap();
        let before = std::fs::read(&file).unwrap();
        assert_eq!(normalize_file(&file).unwrap().width, 40);
        assert_eq!(
            std::fs::read(&file).unwrap(),
            before,
            "the original is never changed"
        );
    }
}
