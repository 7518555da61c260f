//! The scheduler: decides when the repository syncs (the engine beside it decides how).
//!
//! It syncs at start, right after every save (the repository wakes it), when the user asks, when
//! the operating system says a network came up, on a periodic timer, and — while the server
//! cannot be reached or something failed — again after a backoff. Whenever the last attempt
//! failed a retry is scheduled, so pending edits never stall.
//!
//! The backoff grows while nothing changes: with an edit waiting and the server unreachable,
//! retries stay at most `fast_cap` apart for the first `fast_for` after the server was lost (a
//! restarting server is noticed within seconds); after that the wait grows with the time away,
//! up to `failure_cap`. A save, "Sync now" or a network coming up starts again from the fast
//! end. The event-stream listener follows the same schedule. It never touches data itself; the
//! repository does.

use crate::domain::SyncState;
use crate::error::RepositoryError;
use crate::power::PowerSupply;
use crate::repository::UserProfileRepository;
use futures::StreamExt;
use rand::Rng;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct SyncConfig {
    /// The periodic sync (the guide's five minutes).
    pub interval: Duration,
    /// The first retry delay's ceiling; it doubles per failed attempt.
    pub backoff_base: Duration,
    /// The ceiling while the server has been unreachable for less than `fast_for` and an edit
    /// is pending: small, so a returning server is noticed within seconds.
    pub offline_cap: Duration,
    /// How long after the server was lost retries stay fast.
    pub fast_for: Duration,
    /// The ceiling after other failures (the server answered with an error), and the longest
    /// wait while the server stays unreachable.
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
            fast_for: Duration::from_secs(30),
            failure_cap: Duration::from_secs(60),
            power: PowerSupply::default(),
        }
    }
}

/// How a failed attempt failed, for the schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// The server cannot be reached and an edit is waiting: fast at first, then growing.
    Waiting,
    /// The server cannot be reached, nothing is waiting: no hurry.
    Idle,
    /// The server answered with an error.
    Refused,
}

impl SyncConfig {
    /// The delay before retry number `attempt` (1-based) of a run of failures that started
    /// `away_for` ago, never shorter than what the server asked for (`retry_after`).
    ///
    /// - `Waiting`, for the first `fast_for`: uniformly random in
    ///   `[0, min(offline_cap, base * 2^(attempt-1))]` ("full jitter").
    /// - `Waiting` after that, and `Idle`: uniformly random in `[c/2, c]` where `c` is the time
    ///   away clamped to `[offline_cap, failure_cap]`: the longer away, the rarer the attempts.
    /// - `Refused`: full jitter below `min(failure_cap, base * 2^(attempt-1))`.
    pub fn backoff(
        &self,
        attempt: u32,
        away_for: Duration,
        pace: Pace,
        retry_after: Option<Duration>,
    ) -> Duration {
        let doubling = |cap: Duration| {
            self.backoff_base
                .saturating_mul(1u32 << attempt.saturating_sub(1).min(20))
                .min(cap)
        };
        let mut rng = rand::rng();
        let delay = match pace {
            Pace::Waiting if away_for < self.fast_for => Duration::from_secs_f64(
                rng.random_range(0.0..=doubling(self.offline_cap).as_secs_f64()),
            ),
            Pace::Waiting | Pace::Idle => {
                let ceiling = away_for.clamp(self.offline_cap, self.failure_cap);
                Duration::from_secs_f64(
                    rng.random_range(ceiling.as_secs_f64() / 2.0..=ceiling.as_secs_f64()),
                )
            }
            Pace::Refused => Duration::from_secs_f64(
                rng.random_range(0.0..=doubling(self.failure_cap).as_secs_f64()),
            ),
        };
        // A floor keeps a refused connection from turning into a busy loop.
        let delay = delay.max(Duration::from_millis(50));
        retry_after.map_or(delay, |wait| delay.max(wait))
    }
}

/// A run of failures: how many, and since when.
#[derive(Debug, Default)]
struct Backoff {
    failures: u32,
    since: Option<Instant>,
}

impl Backoff {
    /// Something changed (a save, "Sync now", a network came up, a success): start again.
    fn reset(&mut self) {
        *self = Backoff::default();
    }

    /// A working connection broke: reconnect soon, and count a failure to reconnect as the
    /// first of a run that starts now.
    fn broken(&mut self, config: &SyncConfig) -> Duration {
        self.failures = 1;
        self.since = Some(Instant::now());
        config.backoff(1, Duration::ZERO, Pace::Waiting, None)
    }

    /// One more failure, of an attempt that `started` then; the wait before the next attempt.
    /// The run counts from the start of its first attempt (which may have waited out a
    /// timeout), so "the first 30 s" are 30 s of the server being away.
    fn next(
        &mut self,
        config: &SyncConfig,
        repository: &UserProfileRepository,
        error: &RepositoryError,
        started: Instant,
    ) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let since = *self.since.get_or_insert(started);
        config.backoff(
            self.failures,
            since.elapsed(),
            pace(repository, error),
            error.retry_after(),
        )
    }
}

impl Backoff {
    /// What follows a failed attempt — the one rule for the sync loop and the listener alike.
    /// Working offline or signed out (the server refused this device's token), retrying cannot
    /// help: nothing is sent until the user asks (a save, "Sync now", turning "Work offline"
    /// off). Any other failure is retried on the schedule.
    fn after_failure(
        &mut self,
        config: &SyncConfig,
        repository: &UserProfileRepository,
        error: &RepositoryError,
        started: Instant,
    ) -> Next {
        if matches!(error, RepositoryError::WorkingOffline) || error.is_signed_out() {
            Next::WaitForRequest
        } else {
            Next::Retry(self.next(config, repository, error, started))
        }
    }
}

/// The synchronizer's two loops, for [`UserProfileRepository::until_parked`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Loop {
    /// The sync loop.
    Sync,
    /// The event-stream listener.
    Listener,
}

/// What woke the synchronizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// Start-up.
    Start,
    /// A save, "Sync now", leaving offline mode, a reconnected event stream, a pushed change or
    /// a network that came up.
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
    /// Working offline or signed out: only a request wakes us.
    WaitForRequest,
}

/// Runs the synchronizer — the sync loop, the listener for server pushes and the watcher of
/// the operating system's network changes — until the task is dropped or aborted.
pub async fn run(repository: Arc<UserProfileRepository>, config: SyncConfig) {
    tokio::join!(
        sync_loop(&repository, &config),
        listen(&repository, &config),
        crate::network::watch(&repository),
        repository.watch_other_processes(),
    );
}

async fn sync_loop(repository: &UserProfileRepository, config: &SyncConfig) {
    let mut backoff = Backoff::default();
    let mut trigger = Trigger::Start;
    loop {
        match trigger {
            Trigger::Requested => backoff.reset(),
            Trigger::Periodic => repository.timer_fired(),
            Trigger::Start | Trigger::Retry => {}
        }
        let next = if trigger == Trigger::Periodic && config.power.is_low() {
            tracing::info!("battery low: periodic sync skipped");
            Next::Periodic(config.interval)
        } else {
            tracing::debug!(?trigger, "sync");
            let started = Instant::now();
            // An attempt stuck on a network that just came back (waiting out a connect or
            // request timeout) is dropped and made again at once; an interrupted sync is safe,
            // as after a crash.
            let attempt = tokio::select! {
                result = repository.sync() => Some(result),
                () = repository.network_came_up() => None,
            };
            let Some(attempt) = attempt else {
                tracing::debug!("a network came up during an attempt; trying again now");
                trigger = Trigger::Requested;
                continue;
            };
            match attempt {
                Ok(outcome) => {
                    backoff.reset();
                    tracing::debug!(?outcome, "sync finished");
                    Next::Periodic(config.interval)
                }
                Err(error) => {
                    let next = backoff.after_failure(config, repository, &error, started);
                    if let Next::Retry(delay) = next {
                        // The failure itself is logged (quietly) where the attempt is recorded.
                        tracing::debug!(
                            %error,
                            attempt = backoff.failures,
                            delay_ms = delay.as_millis() as u64,
                            "sync will be retried"
                        );
                        repository.schedule_retry(
                            chrono::Utc::now()
                                + chrono::Duration::from_std(delay)
                                    .unwrap_or(chrono::Duration::MAX),
                        );
                    }
                    next
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
                    // The listener heard the server refuse the token, or "Work offline" was
                    // turned on: no timer fires until the user asks.
                    () = repository.until_signed_out() => wait_for_request(repository).await,
                    () = repository.until_working_offline() => wait_for_request(repository).await,
                }
            }
            Next::WaitForRequest => wait_for_request(repository).await,
        };
    }
}

/// Parks the sync loop until a save, "Sync now" or leaving offline mode asks for a sync.
async fn wait_for_request(repository: &UserProfileRepository) -> Trigger {
    repository
        .parked_while(Loop::Sync, repository.sync_requested())
        .await;
    Trigger::Requested
}

/// The schedule for `error`: an unreachable server with an edit waiting is urgent at first;
/// with nothing pending there is no hurry, and the app stays quiet.
fn pace(repository: &UserProfileRepository, error: &RepositoryError) -> Pace {
    match (error.is_offline(), repository.status().state()) {
        (true, SyncState::Pending) => Pace::Waiting,
        (true, _) => Pace::Idle,
        (false, _) => Pace::Refused,
    }
}

/// Listens to the server's event stream while online, applying each pushed change, and
/// reconnects on the sync loop's schedule — at once when a network comes up. A (re)connection
/// after a break asks for a sync, so a returning server is noticed at once and nothing said
/// while we were away is missed.
async fn listen(repository: &UserProfileRepository, config: &SyncConfig) {
    let mut backoff = Backoff::default();
    loop {
        if repository.work_offline() {
            repository
                .parked_while(Loop::Listener, repository.until_online())
                .await;
        }
        let started = Instant::now();
        let delay = match repository.server_events().await {
            Ok(events) => {
                if backoff.failures > 0 {
                    repository.request_sync();
                }
                backoff.reset();
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
                        // The connection may have died with the old network: connect anew.
                        () = repository.network_came_up() => break,
                    }
                }
                backoff.broken(config)
            }
            Err(error) => match backoff.after_failure(config, repository, &error, started) {
                Next::Retry(delay) => {
                    tracing::debug!(%error, attempt = backoff.failures, "event stream unavailable");
                    delay
                }
                _ => {
                    if error.is_signed_out() {
                        // The badge says so at once, not at the next sync.
                        repository.listener_failed(&error).await;
                    }
                    // Until the user asks and it gets through, nothing is sent from here.
                    repository
                        .parked_while(Loop::Listener, repository.until_accepted())
                        .await;
                    backoff.reset();
                    continue;
                }
            },
        };
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = repository.until_working_offline() => {}
            () = repository.network_came_up() => backoff.reset(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_stay_fast_for_the_first_half_minute_then_grow_to_the_cap() {
        let config = SyncConfig::default();
        for attempt in 1..=30 {
            for away in [0, 5, 15, 29] {
                let delay = config.backoff(attempt, Duration::from_secs(away), Pace::Waiting, None);
                assert!(delay <= config.offline_cap, "{delay:?} at {away} s");
            }
        }
        // After a minute away: between half the cap and the cap, so at most two attempts a
        // minute from then on.
        for away in [60, 120, 3600, 3 * 3600] {
            for _ in 0..200 {
                let delay = config.backoff(40, Duration::from_secs(away), Pace::Waiting, None);
                assert!(
                    delay >= config.failure_cap / 2 && delay <= config.failure_cap,
                    "{delay:?}"
                );
            }
        }
        // In between, the wait grows with the time away.
        let at = |away| config.backoff(10, Duration::from_secs(away), Pace::Waiting, None);
        assert!(at(40) >= Duration::from_secs(20) && at(40) <= Duration::from_secs(40));
        // Nothing pending: never fast.
        assert!(config.backoff(1, Duration::ZERO, Pace::Idle, None) >= config.offline_cap / 2);
    }

    #[test]
    fn refusals_back_off_with_full_jitter_below_the_cap() {
        let config = SyncConfig::default();
        let delays: Vec<_> = (0..100)
            .map(|_| config.backoff(8, Duration::from_secs(100), Pace::Refused, None))
            .collect();
        assert!(delays.iter().any(|d| *d < config.failure_cap / 2));
        assert!(delays.iter().all(|d| *d <= config.failure_cap));
    }

    #[test]
    fn backoff_honours_retry_after() {
        let config = SyncConfig::default();
        for pace in [Pace::Waiting, Pace::Idle, Pace::Refused] {
            let delay = config.backoff(1, Duration::ZERO, pace, Some(Duration::from_secs(7)));
            assert!(delay >= Duration::from_secs(7));
        }
    }
}
