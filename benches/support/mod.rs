//! What the app's benchmarks share: a repository on a folder, the median and tails of samples,
//! numbers from the environment, durations for people.
#![allow(dead_code)] // each benchmark uses some of it

use profile_client::api_client::ApiClientService;
use profile_client::database::DatabaseService;
use profile_client::{Strategies, UserProfileRepository};
use std::sync::Arc;
use std::time::Duration;

/// The benchmarks' servers' token.
pub const TOKEN: &str = "bench-token";

/// A repository over a cache in `dir`, talking to the server at `url`.
pub async fn repository(dir: &std::path::Path, url: &str) -> Arc<UserProfileRepository> {
    let db = DatabaseService::open(&dir.join("profile.sqlite3"))
        .await
        .unwrap();
    let api = ApiClientService::new(url, Some(TOKEN.into())).unwrap();
    UserProfileRepository::new(db, api, Strategies::default(), false)
        .await
        .unwrap()
}

pub struct Stats {
    pub median: Duration,
    pub p95: Duration,
    pub p99: Duration,
}

pub fn stats(mut samples: Vec<Duration>) -> Stats {
    samples.sort();
    let at = |q: usize| samples[(samples.len() * q / 100).min(samples.len() - 1)];
    Stats {
        median: at(50),
        p95: at(95),
        p99: at(99),
    }
}

pub fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Three significant digits in µs below a millisecond, in ms below a second, else in seconds.
pub fn human(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    let three = |v: f64| {
        if v >= 100.0 {
            format!("{v:.0}")
        } else if v >= 10.0 {
            format!("{v:.1}")
        } else {
            format!("{v:.2}")
        }
    };
    if us < 1000.0 {
        format!("{} µs", three(us))
    } else if us < 1e6 {
        format!("{} ms", three(us / 1000.0))
    } else {
        format!("{:.2} s", us / 1e6)
    }
}
