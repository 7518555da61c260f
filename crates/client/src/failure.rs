//! A failed attempt as the user must hear of it: what happened, at which server, and what
//! happens to their change. Typed here; the app puts it into words once, for the window and the
//! command line alike (the technical chain stays in the error's `Display` for logs and details).

use crate::api_client::{ApiError, UnreachableCause, host};
use crate::error::RepositoryError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub what: What,
    /// The server's host (and port), as people read it: `profiles.example.com`.
    pub host: String,
    pub change: ChangeFate,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    /// The server is not answering, for this reason.
    Unreachable(UnreachableCause),
    /// It did not answer in time.
    TimedOut,
    /// Its certificate is not trusted by this computer (the detail says why).
    Untrusted(String),
    /// It no longer accepts this computer's token.
    SignedOut,
    /// It failed (a 5xx, or too many requests).
    ServerFailed { status: u16, reason: String },
    /// It refused the change, for this reason.
    Refused(String),
    /// Something else went wrong with the server (the error's own words).
    ServerOther(String),
    /// Something went wrong here (the error's own words).
    Local(String),
}

/// What happens to the user's change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeFate {
    /// Nothing was waiting to be sent.
    NothingPending,
    /// It is saved here and will be sent when the server is back.
    SentWhenBack,
    /// It is saved here (retrying alone will not send it).
    Kept,
}

impl Failure {
    /// The failure `error` of an attempt against the server at `server` (its base URL);
    /// `pending`: an edit is waiting to be sent.
    pub fn of(error: &RepositoryError, server: &str, pending: bool) -> Self {
        let what = match error {
            RepositoryError::Api(api) => match api {
                ApiError::Unreachable { cause, .. } => What::Unreachable(cause.clone()),
                ApiError::Timeout => What::TimedOut,
                ApiError::Untrusted(detail) => What::Untrusted(detail.clone()),
                ApiError::SignedOut(_) => What::SignedOut,
                ApiError::ServerFailure { status, reason, .. } => What::ServerFailed {
                    status: *status,
                    reason: reason.clone(),
                },
                ApiError::Rejected { reason, .. } => What::Refused(reason.clone()),
                other => What::ServerOther(other.to_string()),
            },
            other => What::Local(other.to_string()),
        };
        let change = if !pending {
            ChangeFate::NothingPending
        } else if error.is_offline() {
            ChangeFate::SentWhenBack
        } else {
            ChangeFate::Kept
        };
        Failure {
            what,
            host: host(server).to_owned(),
            change,
        }
    }
}
