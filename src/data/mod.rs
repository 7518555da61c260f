//! The data layer: services that talk to SQLite and to the REST server, the repository that
//! combines them, and the synchronizer that decides when to sync. Never imports iced.

pub mod avatar;
pub mod power;
pub mod repositories;
pub mod services;
pub mod sqlite;
pub mod sync;
