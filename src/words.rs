//! Failures put into words, once, for the window and the command line alike: what happened and
//! what happens to the user's change. The client hands over a typed [`Failure`]; the technical
//! chain stays in the error (log, tooltip, `details:` line, `status --json`).

use profile_client::RepositoryError;
use profile_client::api_client::UnreachableCause;
use profile_client::database::StorageProblem;
use profile_client::domain::{Field, SyncState};
use profile_client::{ChangeFate, Failure, What};

/// What happened, as one sentence: "The server at 127.0.0.1:8080 isn't answering (connection
/// refused)."
pub fn what(failure: &Failure) -> String {
    let host = failure.host.as_str();
    match &failure.what {
        What::Unreachable(cause) => {
            crate::fl!(
                "failure-unreachable",
                host = host,
                cause = unreachable(cause)
            )
        }
        What::TimedOut => crate::fl!("failure-timed-out", host = host),
        What::Untrusted(detail) => {
            crate::fl!("failure-untrusted", host = host, detail = detail.as_str())
        }
        What::SignedOut => crate::fl!("failure-signed-out", host = host),
        What::ServerFailed { status, reason } => crate::fl!(
            "failure-server-failed",
            host = host,
            status = status.to_string(),
            reason = reason.as_str()
        ),
        What::Refused(reason) => {
            crate::fl!("failure-refused", host = host, reason = reason.as_str())
        }
        What::ServerOther(words) => {
            crate::fl!("failure-server-other", host = host, words = words.as_str())
        }
        What::Local(words) => sentence(words),
    }
}

/// Why a server is not answering, in a few words.
pub fn unreachable(cause: &UnreachableCause) -> String {
    match cause {
        UnreachableCause::Refused => crate::fl!("cause-refused"),
        UnreachableCause::Reset => crate::fl!("cause-reset"),
        UnreachableCause::TimedOut => crate::fl!("cause-timed-out"),
        UnreachableCause::HostUnreachable => crate::fl!("cause-host-unreachable"),
        UnreachableCause::NetworkUnreachable => crate::fl!("cause-network-unreachable"),
        UnreachableCause::NetworkDown => crate::fl!("cause-network-down"),
        UnreachableCause::Closed => crate::fl!("cause-closed"),
        UnreachableCause::Other(words) => words.clone(),
    }
}

/// What happens to the change, as a sentence; `None` when nothing was waiting to be sent.
pub fn change(fate: ChangeFate) -> Option<String> {
    match fate {
        ChangeFate::NothingPending => None,
        ChangeFate::SentWhenBack => Some(crate::fl!("change-sent-when-back")),
        ChangeFate::Kept => Some(crate::fl!("change-kept")),
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

/// A change that could not be written because the disk under the data folder is full or takes
/// no writes, in plain words (what happened, what the profile still shows — `shown`, its name
/// on screen —, what to do); `None` for any other failure.
pub fn not_saved(error: &RepositoryError, shown: Option<&str>) -> Option<String> {
    let RepositoryError::Database(database) = error else {
        return None;
    };
    let problem = database.storage_problem()?;
    let path = database.path();
    let folder = path.parent().unwrap_or(path).display().to_string();
    let (what, fix) = match problem {
        StorageProblem::Full => (
            crate::fl!("storage-full", folder = folder),
            crate::fl!("storage-full-fix"),
        ),
        StorageProblem::ReadOnly => (
            crate::fl!("storage-read-only", folder = folder),
            crate::fl!("storage-read-only-fix"),
        ),
    };
    Some(match shown.filter(|name| !name.is_empty()) {
        Some(name) => format!(
            "{what} {} {fix}",
            crate::fl!("storage-still-shows", name = name)
        ),
        None => format!("{what} {fix}"),
    })
}

/// A day, in the user's language's short form: "2 Dec 2026", "2. Dez. 2026".
pub fn date(at: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::Datelike;
    let local = at.with_timezone(&chrono::Local);
    crate::fl!(
        "date",
        day = local.day(),
        month = local.month(),
        year = local.year()
    )
}

/// Where the profile stands, as the command line's `state:` says it.
pub fn state(state: SyncState) -> String {
    match state {
        SyncState::Synced => crate::fl!("state-synced"),
        SyncState::Pending => crate::fl!("state-pending"),
        SyncState::Conflict => crate::fl!("state-conflict"),
        SyncState::Empty => crate::fl!("state-empty"),
    }
}

/// A field's name, as the window and the command line show it.
pub fn field_label(field: Field) -> String {
    match field {
        Field::Name => crate::fl!("field-name"),
        Field::PhotoUrl => crate::fl!("field-photo-url"),
        Field::Photo => crate::fl!("field-photo"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
