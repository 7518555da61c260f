//! Services wrap one external resource each and know nothing of each other.

pub mod api_client;
pub mod database;
