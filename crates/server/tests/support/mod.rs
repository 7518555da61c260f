//! Helpers shared by the server's test binaries (each uses some of them).
#![allow(dead_code)]

pub mod haproxy;
pub mod postgres;
pub mod process;
pub mod slow_clients;
pub mod sse;
pub mod suite;

/// An HTTP client for tests: a total timeout, so nothing hangs.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .unwrap()
}
