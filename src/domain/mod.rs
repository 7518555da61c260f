//! The profile as the app understands it, and the one validation every entry point uses.
//!
//! Pure data and rules: this module never does I/O and never imports iced, sqlx or reqwest.

mod merge;
mod profile;
mod validation;

pub use merge::{MergeOutcome, merge, take_theirs};
pub use profile::{Conflict, Fields, ServerProfile, SyncState, UserProfile};
pub use validation::{
    Field, ValidationError, WebUrlError, check_web_url, is_loopback, validate, validate_name,
    validate_photo_url,
};
