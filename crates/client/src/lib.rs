//! The offline-first profile client, without a UI: the domain, the local SQLite cache, the REST
//! client, the repository that combines them, and the synchronizer (its engine — how to sync —
//! and its scheduler — when).
//!
//! Never depends on iced, clap or axum: the window, the command line and the tests all drive the
//! same repository.

pub mod api_client;
pub mod avatar;
pub mod database;
pub mod domain;
mod error;
pub mod failure;
pub mod network;
pub mod photo;
pub mod power;
pub mod repository;
pub mod status;
pub mod sync;
#[cfg(windows)]
pub mod windows;

pub use database::PhotoEdit;
pub use error::RepositoryError;
pub use failure::{ChangeFate, Failure, What};
pub use repository::{
    ReadEvent, ReadStrategy, Resolution, Strategies, UserProfileRepository, WriteStrategy,
};
pub use status::{Activity, Status};
pub use sync::{SyncConfig, SyncOutcome};
