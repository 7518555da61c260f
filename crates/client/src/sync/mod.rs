//! Synchronizing, in two halves side by side: the engine (how one sync runs: push, pull, merge,
//! rebase) and the scheduler (when syncs run: at start, after saves, on a timer, on retries,
//! on server pushes).

mod engine;
mod quiet_log;
mod scheduler;

pub(crate) use engine::Engine;
pub use engine::{PhotoGate, Pulled, SyncOutcome};
pub use quiet_log::FailureLog;
pub(crate) use scheduler::Loop;
pub use scheduler::{Pace, SyncConfig, Trigger, run};
