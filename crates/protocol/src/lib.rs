//! What the offline-profile client and server must agree on: the profile's editable fields, the
//! one validation of them, the JSON on the wire, the ETag format, the error body and how a photo is named.
//!
//! Plain data and rules only: this crate never does I/O and depends on no HTTP, database or UI
//! crate, so both sides can use it without pulling in the other's stack.

mod etag;
mod fields;
mod photo;
mod validation;
mod wire;

pub use etag::{EtagList, ParseEtagError, new_etag, parse_etags, quoted};
pub use fields::{Field, Fields};
pub use photo::{
    PHOTO_MAX_BYTES, PHOTO_MAX_SIDE, PHOTO_MISSING, PhotoId, PhotoIdError, PhotoRef,
    jpeg_is_complete, jpeg_metadata_segment, sha256_hex,
};
pub use validation::{
    NAME_MAX_CHARS, PHOTO_URL_MAX_BYTES, ValidationError, WebUrlError, check_web_url, is_loopback,
    validate, validate_name, validate_photo_url,
};
pub use wire::{Device, DeviceList, ErrorBody, ProfileWire, PutBody, SignIn, SignedIn};
