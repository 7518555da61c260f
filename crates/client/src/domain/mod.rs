//! The profile as the app understands it. The editable fields and their one validation come from
//! the protocol crate, so the form, the CLI and the server refuse the same input alike.
//!
//! Pure data and rules: this module never does I/O.

mod merge;
mod profile;

pub use merge::{MergeOutcome, merge, take_theirs};
pub use profile::{Conflict, Etag, ServerProfile, StoreId, SyncAttempt, SyncState, UserProfile};
pub use profile_protocol::{
    Field, Fields, PhotoId, PhotoRef, ValidationError, WebUrlError, check_web_url, is_loopback,
    validate, validate_name, validate_photo_url,
};
