//! Quiet logs: a failure that repeats itself is logged when it starts, then summarised at most
//! once a minute (how many times, first and last), and once more when it ends. A laptop offline
//! for a three-hour flight writes a handful of lines, not thousands.

use chrono::{DateTime, SecondsFormat, Utc};
use std::time::{Duration, Instant};

/// How often a repeating failure is summarised.
pub const SUMMARY_EVERY: Duration = Duration::from_secs(60);

/// A run of identical failures.
#[derive(Debug)]
struct Run {
    message: String,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    count: u64,
    /// Attempts since the last line about this run.
    unreported: u64,
    reported_at: Instant,
}

/// What to log about failures; kept by whoever sees every attempt end.
#[derive(Debug, Default)]
pub struct FailureLog {
    run: Option<Run>,
}

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl FailureLog {
    /// An attempt (`what`: "sync", "read", ...) failed with `message`.
    pub fn failed(&mut self, what: &str, message: &str) {
        let now = Utc::now();
        match &mut self.run {
            Some(run) if run.message == message => {
                run.count += 1;
                run.unreported += 1;
                run.last = now;
                if run.reported_at.elapsed() >= SUMMARY_EVERY {
                    tracing::info!(
                        failures = run.count,
                        since = %time(run.first),
                        last = %time(run.last),
                        "{what} still failing ({} more times since the last report): {message}",
                        run.unreported
                    );
                    run.unreported = 0;
                    run.reported_at = Instant::now();
                }
            }
            _ => {
                self.ended("another failure");
                tracing::warn!("{what} failed: {message}");
                self.run = Some(Run {
                    message: message.to_owned(),
                    first: now,
                    last: now,
                    count: 1,
                    unreported: 0,
                    reported_at: Instant::now(),
                });
            }
        }
    }

    /// An attempt succeeded: a run of failures, if any, ended.
    pub fn succeeded(&mut self) {
        self.ended("success");
    }

    fn ended(&mut self, by: &str) {
        if let Some(run) = self.run.take() {
            tracing::info!(
                failures = run.count,
                since = %time(run.first),
                last = %time(run.last),
                "failures ended by {by} after {} attempts: {}",
                run.count,
                run.message
            );
        }
    }

    /// How many times the current failure happened in a row (0 when none).
    pub fn repeats(&self) -> u64 {
        self.run.as_ref().map_or(0, |run| run.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_failure_is_one_run_and_another_message_starts_a_new_one() {
        let mut log = FailureLog::default();
        for _ in 0..100 {
            log.failed("sync", "the server cannot be reached");
        }
        assert_eq!(log.repeats(), 100);
        log.failed("sync", "the server failed (500)");
        assert_eq!(log.repeats(), 1);
        log.succeeded();
        assert_eq!(log.repeats(), 0);
    }
}
