//! Integration tests: real SQLite files in temporary folders, the real server on 127.0.0.1:0,
//! real HTTP. One binary, so the heavy dependencies are linked once.

mod accounts;
mod avatar;
mod cli;
mod crash;
mod durability;
mod faults;
mod hardening;
mod identity;
mod layering;
mod model;
mod netns;
mod network;
mod network_manager;
mod photos;
mod repository;
mod scale;
mod server;
mod session;
mod signed_out;
mod support;
mod sync;
mod ui_accounts;
mod ui_photos;
mod ui_states;
mod view_model;
