//! A profile photo as both sides name it: by the SHA-256 of its bytes (a normalised JPEG), with
//! its size. The bytes travel on their own (`PUT`/`GET /v1/photos/{sha256}`); a profile only
//! refers to them.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

/// A photo's side is at most this many pixels (the client scales down to it; the server refuses
/// larger).
pub const PHOTO_MAX_SIDE: u32 = 512;
/// A photo's bytes are at most this long. A normalised 512 × 512 JPEG is far smaller (about
/// 30–120 KB); the bound is for the server.
pub const PHOTO_MAX_BYTES: usize = 1024 * 1024;
/// The error code (`"code"` of the error body) of a profile `PUT` that refers to a photo the
/// server does not have: the client answers it by uploading the photo.
pub const PHOTO_MISSING: &str = "photo_missing";

/// The lowercase hexadecimal SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for byte in digest {
        use fmt::Write as _;
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// A photo's identity: the SHA-256 of its bytes, 64 lowercase hexadecimal digits. Only a valid
/// one can be made, so a path or a column holding one is never checked twice.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhotoId(String);

/// Why a text is not a photo id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a photo id is the SHA-256 of the photo as 64 lowercase hexadecimal digits, not {0:?}")]
pub struct PhotoIdError(String);

impl PhotoId {
    /// The id of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        PhotoId(sha256_hex(bytes))
    }

    pub fn parse(text: &str) -> Result<Self, PhotoIdError> {
        let valid =
            text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if valid {
            Ok(PhotoId(text.to_owned()))
        } else {
            let shown: String = text.chars().take(80).collect();
            Err(PhotoIdError(shown))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 12 digits, enough to tell photos apart in messages and logs.
    pub fn short(&self) -> &str {
        &self.0[..12]
    }
}

impl TryFrom<String> for PhotoId {
    type Error = PhotoIdError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        PhotoId::parse(&text)
    }
}

impl From<PhotoId> for String {
    fn from(id: PhotoId) -> Self {
        id.0
    }
}

impl fmt::Display for PhotoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a profile says of its photo: which one, and its size.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhotoRef {
    /// The SHA-256 of the JPEG, 64 lowercase hexadecimal digits.
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = String, pattern = "^[0-9a-f]{64}$")
    )]
    pub sha256: PhotoId,
    #[serde(deserialize_with = "whole")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 512))]
    pub width: u32,
    #[serde(deserialize_with = "whole")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 512))]
    pub height: u32,
    /// The length of the JPEG.
    #[serde(deserialize_with = "whole")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1048576))]
    pub bytes: u64,
}

/// A whole number as JSON has it: `6` or `6.0` (JSON, and JSON Schema's `integer`, do not tell
/// them apart), never `6.5` or one out of `T`'s range.
fn whole<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<u64>,
{
    struct Whole;
    impl serde::de::Visitor<'_> for Whole {
        type Value = u64;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a whole number")
        }
        fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<u64, E> {
            Ok(value)
        }
        fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<u64, E> {
            u64::try_from(value).map_err(|_| E::custom(format!("{value} is negative")))
        }
        fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<u64, E> {
            // Exact below 2^53, far beyond any size here.
            if value.fract() == 0.0 && (0.0..9_007_199_254_740_992.0).contains(&value) {
                Ok(value as u64)
            } else {
                Err(E::custom(format!("{value} is not a whole number")))
            }
        }
    }
    let value = deserializer.deserialize_any(Whole)?;
    T::try_from(value).map_err(|_| serde::de::Error::custom(format!("{value} is too large")))
}

impl PhotoRef {
    /// Refuses a reference no photo can have (no pixels, larger than the limits).
    pub fn check(&self) -> Result<(), String> {
        let (w, h) = (self.width, self.height);
        if w == 0 || h == 0 || w > PHOTO_MAX_SIDE || h > PHOTO_MAX_SIDE {
            return Err(format!(
                "a photo is 1 to {PHOTO_MAX_SIDE} pixels on each side, not {w} × {h}"
            ));
        }
        if self.bytes == 0 || self.bytes > PHOTO_MAX_BYTES as u64 {
            return Err(format!(
                "a photo is 1 to {PHOTO_MAX_BYTES} bytes long, not {}",
                self.bytes
            ));
        }
        Ok(())
    }
}

impl fmt::Display for PhotoRef {
    /// `a 512 × 512 photo (3f2a9c01b7e4…)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a {} × {} photo ({}…)",
            self.width,
            self.height,
            self.sha256.short()
        )
    }
}

/// The segment markers of a JPEG before its first scan, stepped over by their lengths, and
/// whether its end marker follows that scan.
fn jpeg_segments(bytes: &[u8]) -> (Vec<u8>, bool) {
    let mut markers = Vec::new();
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return (markers, false);
    }
    let mut at = 2; // after the start marker
    while at + 4 <= bytes.len() {
        if bytes[at] != 0xFF {
            return (markers, false);
        }
        match bytes[at + 1] {
            0xFF => at += 1, // fill byte
            0xDA => {
                let ended = bytes[at..].windows(2).any(|pair| pair == [0xFF, 0xD9]);
                return (markers, ended);
            }
            marker => {
                markers.push(marker);
                let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
                at += 2 + length;
            }
        }
    }
    (markers, false)
}

/// Whether the JPEG in `bytes` has its end marker after its picture data: the segments before
/// the first scan are stepped over by their lengths (an EXIF thumbnail inside them has an end
/// marker of its own), and the end marker must follow that scan. Data after the end (a phone's
/// "motion photo") is allowed. Decoders fill a cut-short picture in silently; this does not.
pub fn jpeg_is_complete(bytes: &[u8]) -> bool {
    jpeg_segments(bytes).1
}

/// The first application segment of the JPEG in `bytes` that may carry metadata (EXIF, XMP, ICC,
/// IPTC: APP1 to APP15), as its marker's number (`1` for APP1); `None` when there is none (a
/// JFIF header, APP0, is only the format's).
pub fn jpeg_metadata_segment(bytes: &[u8]) -> Option<u8> {
    jpeg_segments(bytes)
        .0
        .into_iter()
        .find(|marker| (0xE1..=0xEF).contains(marker))
        .map(|marker| marker - 0xE0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_the_hash_and_nothing_else_parses() {
        let id = PhotoId::of(b"abc");
        assert_eq!(
            id.as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(PhotoId::parse(id.as_str()), Ok(id.clone()));
        for bad in [
            "",
            "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
            "../../etc/passwd",
            &id.as_str()[1..],
            &format!("{id}0"),
        ] {
            assert!(PhotoId::parse(bad).is_err(), "{bad:?}");
        }
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(serde_json::from_str::<PhotoId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<PhotoId>("\"xyz\"").is_err());
    }

    #[test]
    fn references_outside_the_limits_are_refused() {
        let good = PhotoRef {
            sha256: PhotoId::of(b"x"),
            width: 512,
            height: 384,
            bytes: 40_000,
        };
        assert!(good.check().is_ok());
        for bad in [
            PhotoRef {
                width: 0,
                ..good.clone()
            },
            PhotoRef {
                height: 513,
                ..good.clone()
            },
            PhotoRef {
                bytes: 0,
                ..good.clone()
            },
            PhotoRef {
                bytes: PHOTO_MAX_BYTES as u64 + 1,
                ..good.clone()
            },
        ] {
            assert!(bad.check().is_err(), "{bad:?}");
        }
    }
}
