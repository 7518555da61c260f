//! The one error the repository, the sync engine and the scheduler hand to their callers.

use crate::api_client::ApiError;
use crate::avatar::AvatarError;
use crate::database::DatabaseError;
use crate::domain::ValidationError;

#[derive(Debug, Clone, thiserror::Error)]
pub enum RepositoryError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error(transparent)]
    Database(#[from] DatabaseError),
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Avatar(#[from] AvatarError),
    #[error("working offline: no request is sent until \"Work offline\" is turned off")]
    WorkingOffline,
    #[error("the profile was changed elsewhere; sync to see both versions")]
    ChangedElsewhere,
    #[error("there is no conflict to resolve")]
    NoConflict,
    #[error(
        "the profile was edited while the conflict was being resolved; look at it and resolve again"
    )]
    EditedWhileResolving,
    #[error("the profile kept changing during the sync; it will be tried again")]
    KeptChanging,
    #[error("the local profile disappeared while it was being saved")]
    Vanished,
    #[error("there is no profile yet to give a photo to; save a name first")]
    NoProfileYet,
}

impl RepositoryError {
    /// `true` when the server could not be reached at all.
    pub fn is_offline(&self) -> bool {
        matches!(self, RepositoryError::Api(error) if error.is_offline())
    }

    /// `true` when the server no longer accepts our token.
    pub fn is_signed_out(&self) -> bool {
        matches!(self, RepositoryError::Api(ApiError::SignedOut(_)))
    }

    /// How long the server asked us to wait (`Retry-After`), if it did.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            RepositoryError::Api(error) => error.retry_after(),
            _ => None,
        }
    }
}
