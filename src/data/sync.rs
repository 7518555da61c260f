//! Synchronizer: decides when the repository syncs.
//!
//! It syncs at start, right after every save (the repository wakes it), when the user asks, on
//! a periodic timer, and — while the server cannot be reached or something failed — again after
//! a capped exponential backoff with full jitter, honouring `Retry-After`. Whenever the last
//! attempt failed a retry is scheduled, so pending edits never stall. It never touches data
//! itself; the repository does.

use crate::data::repositories::user_profile::{RepositoryError, UserProfileRepository};
use rand::Rng;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy)]
pub struct SyncConfig {
    /// The periodic sync (the guide's five minutes).
    pub interval: Duration,
    /// The first retry delay's ceiling; it doubles per failed attempt.
    pub backoff_base: Duration,
    /// The ceiling while the server cannot be reached at all: small, so a returning server is
    /// noticed within seconds.
    pub offline_cap: Duration,
    /// The ceiling after other failures (the server answered with an error).
    pub failure_cap: Duration,
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(300),
            backoff_base: Duration::from_millis(500),
            offline_cap: Duration::from_secs(2),
            failure_cap: Duration::from_secs(60),
        }
    }
}

impl SyncConfig {
    /// The delay before retry number `attempt` (1-based): uniformly random in
    /// `[0, min(cap, base * 2^(attempt-1))]` ("full jitter"), but never shorter than what the
    /// server asked for.
    pub fn backoff(&self, attempt: u32, offline: bool, retry_after: Option<Duration>) -> Duration {
        let cap = if offline {
            self.offline_cap
        } else {
            self.failure_cap
        };
        let ceiling = self
            .backoff_base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20))
            .min(cap);
        let jittered =
            Duration::from_secs_f64(rand::rng().random_range(0.0..=ceiling.as_secs_f64()));
        // A floor keeps a refused connection from turning into a busy loop.
        let jittered = jittered.max(Duration::from_millis(50));
        retry_after.map_or(jittered, |wait| jittered.max(wait))
    }
}

/// Runs the synchronizer until the task is dropped or aborted.
pub async fn run(repository: Arc<UserProfileRepository>, config: SyncConfig) {
    let mut failures: u32 = 0;
    loop {
        let delay = match repository.sync().await {
            Ok(outcome) => {
                failures = 0;
                tracing::debug!(?outcome, "sync finished");
                Some(config.interval)
            }
            Err(RepositoryError::WorkingOffline) => None,
            Err(error) => {
                failures = failures.saturating_add(1);
                let retry_after = match &error {
                    RepositoryError::Api(api) => api.retry_after(),
                    _ => None,
                };
                let delay = config.backoff(failures, error.is_offline(), retry_after);
                tracing::info!(%error, attempt = failures, delay_ms = delay.as_millis() as u64, "sync will be retried");
                repository.schedule_retry(
                    chrono::Utc::now()
                        + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX),
                );
                Some(delay)
            }
        };
        match delay {
            Some(delay) => {
                tokio::select! {
                    () = repository.sync_requested() => {}
                    () = tokio::time::sleep(delay) => {}
                }
            }
            None => repository.sync_requested().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_jittered_below_a_doubling_capped_ceiling() {
        let config = SyncConfig::default();
        for attempt in 1..=12 {
            let ceiling = config
                .backoff_base
                .saturating_mul(1 << (attempt - 1))
                .min(config.offline_cap);
            for _ in 0..200 {
                let delay = config.backoff(attempt, true, None);
                assert!(
                    delay <= ceiling.max(Duration::from_millis(50)),
                    "{delay:?} > {ceiling:?}"
                );
            }
        }
        // Jitter really spreads the retries (not all at the ceiling).
        let delays: Vec<_> = (0..100).map(|_| config.backoff(8, false, None)).collect();
        assert!(delays.iter().any(|d| *d < config.failure_cap / 2));
        assert!(delays.iter().all(|d| *d <= config.failure_cap));
    }

    #[test]
    fn backoff_honours_retry_after() {
        let config = SyncConfig::default();
        for _ in 0..100 {
            assert!(
                config.backoff(1, false, Some(Duration::from_secs(7))) >= Duration::from_secs(7)
            );
        }
    }
}
