//! Failures put into words, once, for the window and the command line alike: what happened and
//! what happens to the user's change. The client hands over a typed [`Failure`]; the technical
//! chain stays in the error (log, tooltip, `details:` line, `status --json`).

use profile_client::{ChangeFate, Failure, What};

/// What happened, as one sentence: "The server at 127.0.0.1:8080 isn't answering (connection
/// refused)."
pub fn what(failure: &Failure) -> String {
    let host = &failure.host;
    match &failure.what {
        What::Unreachable(cause) => format!("The server at {host} isn't answering ({cause})."),
        What::TimedOut => format!("The server at {host} didn't answer in time."),
        What::Untrusted(detail) => format!(
            "The server at {host} presented a certificate this computer doesn't trust \
             ({detail}), so nothing was sent. Check the address, or ask whoever runs the server."
        ),
        What::SignedOut => {
            format!("The server at {host} no longer accepts this computer; sign in again.")
        }
        What::ServerFailed { status, reason } => {
            format!("The server at {host} had a problem ({status}: {reason}).")
        }
        What::Refused(reason) => format!("The server at {host} refused the change: {reason}."),
        What::ServerOther(words) => {
            format!("Something went wrong with the server at {host}: {words}.")
        }
        What::Local(words) => sentence(words),
    }
}

/// What happens to the change, as a sentence; `None` when nothing was waiting to be sent.
pub fn change(fate: ChangeFate) -> Option<&'static str> {
    match fate {
        ChangeFate::NothingPending => None,
        ChangeFate::SentWhenBack => {
            Some("Your change is saved here and will be sent when it is back.")
        }
        ChangeFate::Kept => Some("Your change is saved here."),
    }
}

/// The whole failure: what happened, then what happens to the change.
pub fn failure(failure: &Failure) -> String {
    let what = what(failure);
    match change(failure.change) {
        Some(change) => format!("{what} {change}"),
        None => what,
    }
}

/// `words` as a sentence: a capital first letter and a full stop.
fn sentence(words: &str) -> String {
    let mut chars = words.chars();
    chars.next().map_or_else(String::new, |first| {
        let rest = chars.as_str().trim_end_matches('.');
        format!("{}{rest}.", first.to_uppercase())
    })
}

/// A photo to send or fetch waits because the connection is metered.
pub const PHOTOS_WAIT: &str = "The photo waits for a network that is not metered; Sync now sends \
                               it anyway (`offline-profile metered --photos send` lets photos go \
                               on metered connections).";

#[cfg(test)]
mod tests {
    use super::*;
    use profile_client::api_client::UnreachableCause;

    #[test]
    fn a_failure_says_what_happened_where_and_what_happens_to_the_change() {
        let failure = Failure {
            what: What::Unreachable(UnreachableCause::Refused),
            host: "127.0.0.1:8080".into(),
            change: ChangeFate::SentWhenBack,
        };
        assert_eq!(
            super::failure(&failure),
            "The server at 127.0.0.1:8080 isn't answering (connection refused). Your change is \
             saved here and will be sent when it is back."
        );
        let local = Failure {
            what: What::Local("the local profile disappeared".into()),
            change: ChangeFate::NothingPending,
            ..failure
        };
        assert_eq!(super::failure(&local), "The local profile disappeared.");
    }
}
