//! A word when something needs the user: a desktop notification when a conflict arrives or the
//! device is signed out while the window is not in front — or while it is closed, from the
//! background job. Never for routine syncs. Clicking it brings the window (the conflict panel,
//! the sign-in) to the front, or opens it when it is closed.
//!
//! On Linux through the freedesktop notification service on the session bus (`notify-rust`);
//! elsewhere nothing is shown yet (the badge and the background job's status still say it).

use std::ffi::OsString;
use std::time::Duration;

/// What needs the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NeedsYou {
    Conflict,
    SignedOut,
}

/// How long a notification may wait for a click before the server lets it go (and the job that
/// showed it ends).
pub const EXPIRES: Duration = Duration::from_secs(10 * 60);

impl NeedsYou {
    pub fn of_badge(badge: &crate::ui::user_profile::Badge) -> Option<Self> {
        use crate::ui::user_profile::Badge;
        match badge {
            Badge::Conflict => Some(NeedsYou::Conflict),
            Badge::SignedOut { .. } => Some(NeedsYou::SignedOut),
            _ => None,
        }
    }

    /// From a background run's outcome (`LastRun::outcome`).
    pub fn of_outcome(outcome: &str) -> Option<Self> {
        match outcome {
            "conflict" => Some(NeedsYou::Conflict),
            "signed_out" => Some(NeedsYou::SignedOut),
            _ => None,
        }
    }

    pub fn summary(self) -> String {
        match self {
            NeedsYou::Conflict => crate::fl!("notify-conflict"),
            NeedsYou::SignedOut => crate::fl!("notify-signed-out"),
        }
    }

    pub fn body(self) -> String {
        match self {
            NeedsYou::Conflict => crate::fl!("notify-conflict-body"),
            NeedsYou::SignedOut => crate::fl!("notify-signed-out-body"),
        }
    }
}

/// Shows the notification and waits until it is clicked (`Ok(true)`), closed or expired
/// (`Ok(false)`), for at most `bound`. Blocking: call it off the async threads.
pub fn show_and_wait(needs: NeedsYou, bound: Duration) -> Result<bool, String> {
    #[cfg(target_os = "linux")]
    {
        let handle = notify_rust::Notification::new()
            .appname("Profile")
            .summary(&needs.summary())
            .body(&needs.body())
            .icon(crate::APP_ID)
            .hint(notify_rust::Hint::DesktopEntry(crate::APP_ID.to_owned()))
            .action("default", &crate::fl!("notify-open"))
            .timeout(notify_rust::Timeout::Milliseconds(
                u32::try_from(EXPIRES.as_millis()).unwrap_or(u32::MAX),
            ))
            .show()
            .map_err(|error| format!("cannot show a notification: {error}"))?;
        let (clicked, waited) = std::sync::mpsc::channel();
        // The wait has no bound of its own: a thread that is left behind if the server keeps the
        // notification longer.
        std::thread::spawn(move || {
            handle.wait_for_action(|action| {
                let _ = clicked.send(action == "default");
            });
        });
        Ok(waited.recv_timeout(bound).unwrap_or(false))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (needs, bound);
        Ok(false)
    }
}

/// The background job's command line turned into the window's: the same options, without
/// `sync --background` and its own options (the job's command is ours: see `background::Job`).
pub fn window_args(job_args: &[OsString]) -> Vec<OsString> {
    let at = job_args
        .windows(2)
        .rposition(|pair| pair[0] == "sync" && pair[1] == "--background");
    match at {
        Some(at) => job_args[..at].to_vec(),
        None => job_args.to_vec(),
    }
}

/// From the background job, whose window is closed: shows the notification and, if it is
/// clicked, opens the window on the same data folder and account.
pub fn from_job(needs: NeedsYou) {
    match show_and_wait(needs, EXPIRES) {
        Ok(true) => {
            let args: Vec<OsString> = std::env::args_os().skip(1).collect();
            let program = std::env::current_exe();
            match program.and_then(|program| {
                std::process::Command::new(program)
                    .args(window_args(&args))
                    .spawn()
            }) {
                Ok(child) => println!(
                    "background sync: opening the window (process {})",
                    child.id()
                ),
                Err(error) => eprintln!("background sync: cannot open the window: {error}"),
            }
        }
        Ok(false) => {}
        Err(error) => tracing::warn!(%error, "no notification"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_needs_the_user_is_notified() {
        use crate::ui::user_profile::Badge;
        assert_eq!(
            NeedsYou::of_badge(&Badge::Conflict),
            Some(NeedsYou::Conflict)
        );
        assert_eq!(
            NeedsYou::of_badge(&Badge::SignedOut {
                reason: "revoked".into()
            }),
            Some(NeedsYou::SignedOut)
        );
        for routine in [
            Badge::Synced { ago: None },
            Badge::SavedLocally,
            Badge::Syncing,
            Badge::Offline { retry_in: Some(5) },
            Badge::Error {
                reason: "500".into(),
            },
        ] {
            assert_eq!(NeedsYou::of_badge(&routine), None, "{routine:?}");
        }
        assert_eq!(NeedsYou::of_outcome("conflict"), Some(NeedsYou::Conflict));
        assert_eq!(
            NeedsYou::of_outcome("signed_out"),
            Some(NeedsYou::SignedOut)
        );
        for routine in ["sent", "up_to_date", "unreachable", "held", "failed"] {
            assert_eq!(NeedsYou::of_outcome(routine), None, "{routine}");
        }
    }

    #[test]
    fn the_window_opens_with_the_job_s_options_and_not_its_command() {
        let job: Vec<OsString> = [
            "--data-dir",
            "/home/ada/sync --background",
            "--api",
            "https://p.example/",
            "sync",
            "--background",
            "--give-up-after",
            "60",
        ]
        .into_iter()
        .map(OsString::from)
        .collect();
        let window: Vec<OsString> = [
            "--data-dir",
            "/home/ada/sync --background",
            "--api",
            "https://p.example/",
        ]
        .into_iter()
        .map(OsString::from)
        .collect();
        assert_eq!(window_args(&job), window);
    }
}
