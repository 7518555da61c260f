//! The scheduler: decides when the repository syncs (the engine beside it decides how).
//!
//! It syncs at start, right after every save (the repository wakes it), when the user asks, on
//! a periodic timer, and — while the server cannot be reached or something failed — again after
//! a capped exponential backoff with full jitter, honouring `Retry-After`. Whenever the last
//! attempt failed a retry is scheduled, so pending edits never stall. It never touches data
//! itself; the repository does.

use crate::domain::SyncState;
use crate::error::RepositoryError;
use crate::power::PowerSupply;
use crate::repository::UserProfileRepository;
use futures::StreamExt;
use rand::Rng;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct SyncConfig {
    /// The periodic sync (the guide's five minutes).
    pub interval: Duration,
    /// The first retry delay's ceiling; it doubles per failed attempt.
    pub backoff_base: Duration,
    /// The ceiling while the server cannot be reached and an edit is pending: small, so a
    /// returning server is noticed within seconds.
    pub offline_cap: Duration,
    /// The ceiling after other failures (the server answered with an error), and while the
    /// server cannot be reached but nothing is pending.
    pub failure_cap: Duration,
    /// Where to read the battery state; periodic syncs are skipped on a low battery.
    pub power: PowerSupply,
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(300),
            backoff_base: Duration::from_millis(500),
            offline_cap: Duration::from_secs(2),
            failure_cap: Duration::from_secs(60),
            power: PowerSupply::default(),
        }
    }
}

impl SyncConfig {
    /// The delay before retry number `attempt` (1-based): uniformly random in
    /// `[0, min(cap, base * 2^(attempt-1))]` ("full jitter"), but never shorter than what the
    /// server asked for.
    pub fn backoff(&self, attempt: u32, urgent: bool, retry_after: Option<Duration>) -> Duration {
        let cap = if urgent {
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

/// What woke the synchronizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// Start-up.
    Start,
    /// A save, "Sync now", leaving offline mode, a reconnected event stream or a pushed change.
    Requested,
    /// The periodic timer.
    Periodic,
    /// A retry after a failure.
    Retry,
}

/// What to wait for after an attempt.
enum Next {
    Periodic(Duration),
    Retry(Duration),
    /// Working offline: only a request (turning it off) wakes us.
    WaitForRequest,
}

/// Runs the synchronizer — the sync loop and the listener for server pushes — until the task is
/// dropped or aborted.
pub async fn run(repository: Arc<UserProfileRepository>, config: SyncConfig) {
    tokio::join!(
        sync_loop(&repository, &config),
        listen(&repository, &config)
    );
}

async fn sync_loop(repository: &UserProfileRepository, config: &SyncConfig) {
    let mut failures: u32 = 0;
    let mut trigger = Trigger::Start;
    loop {
        let next = if trigger == Trigger::Periodic && config.power.is_low() {
            tracing::info!("battery low: periodic sync skipped");
            Next::Periodic(config.interval)
        } else {
            tracing::debug!(?trigger, "sync");
            match repository.sync().await {
                Ok(outcome) => {
                    failures = 0;
                    tracing::debug!(?outcome, "sync finished");
                    Next::Periodic(config.interval)
                }
                Err(RepositoryError::WorkingOffline) => Next::WaitForRequest,
                // Retrying cannot help until the user signs in again (which opens a new
                // repository); a save or "Sync now" still tries once more.
                Err(error) if error.is_signed_out() => {
                    tracing::warn!(%error, "the server no longer accepts this device; signed out");
                    Next::WaitForRequest
                }
                Err(error) => {
                    failures = failures.saturating_add(1);
                    let delay =
                        config.backoff(failures, urgent(repository, &error), error.retry_after());
                    tracing::info!(
                        %error,
                        attempt = failures,
                        delay_ms = delay.as_millis() as u64,
                        "sync will be retried"
                    );
                    repository.schedule_retry(
                        chrono::Utc::now()
                            + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX),
                    );
                    Next::Retry(delay)
                }
            }
        };
        trigger = match next {
            Next::Periodic(delay) | Next::Retry(delay) => {
                tokio::select! {
                    () = repository.sync_requested() => Trigger::Requested,
                    () = tokio::time::sleep(delay) => match next {
                        Next::Periodic(_) => Trigger::Periodic,
                        _ => Trigger::Retry,
                    },
                }
            }
            Next::WaitForRequest => {
                repository.sync_requested().await;
                Trigger::Requested
            }
        };
    }
}

/// Retry soon (the small offline cap) only when the server is unreachable and an edit is
/// waiting to be sent; with nothing pending there is no hurry, and the app stays quiet.
fn urgent(repository: &UserProfileRepository, error: &RepositoryError) -> bool {
    error.is_offline() && repository.status().state() == SyncState::Pending
}

/// Listens to the server's event stream while online, applying each pushed change, and
/// reconnects with backoff. A (re)connection after a break asks for a sync, so a returning
/// server is noticed at once and nothing said while we were away is missed.
async fn listen(repository: &UserProfileRepository, config: &SyncConfig) {
    let mut failures: u32 = 0;
    loop {
        repository.until_online().await;
        let delay = match repository.server_events().await {
            Ok(events) => {
                if failures > 0 {
                    repository.request_sync();
                }
                failures = 1;
                let mut events = std::pin::pin!(events);
                loop {
                    tokio::select! {
                        event = events.next() => match event {
                            Some(Ok(profile)) => {
                                if let Err(error) = repository.apply_pushed(profile).await {
                                    tracing::warn!(%error, "cannot apply a pushed change");
                                }
                            }
                            Some(Err(error)) => {
                                tracing::info!(%error, "event stream interrupted");
                                break;
                            }
                            None => break,
                        },
                        () = repository.until_working_offline() => break,
                    }
                }
                config.backoff(1, true, None)
            }
            Err(RepositoryError::WorkingOffline) => continue,
            Err(error) => {
                failures = failures.saturating_add(1);
                tracing::debug!(%error, attempt = failures, "event stream unavailable");
                config.backoff(failures, urgent(repository, &error), error.retry_after())
            }
        };
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = repository.until_working_offline() => {}
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
