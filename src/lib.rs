//! offline-profile: an offline-first profile editor and the REST server it syncs against.
//!
//! Layers, from the inside out: `domain` (plain data and rules), `data` (services, repository,
//! synchronizer; no iced), `ui` (the iced view model and view), `server` (axum), `cli`.

pub mod cli;
pub mod data;
pub mod domain;
pub mod server;
pub mod session;
pub mod ui;
