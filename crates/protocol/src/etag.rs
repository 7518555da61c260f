//! The identity of a server's profile state, as an entity tag, and the `If-Match` /
//! `If-None-Match` lists that name them (RFC 9110 §8.8.3, §13.1).
//!
//! A state's tag is `<version>-<16 hex digits>`: the version says where it stands in its store's
//! history, the random part makes the tag name this one state. A version number can be handed
//! out again (a store restored from a backup counts on from an older number; another server
//! counts on its own), a tag cannot, so clients compare tags for equality and order versions
//! only when both come from the same store (see [`ProfileWire::store`](crate::ProfileWire)).

use std::fmt;

/// A new tag for a state at `version`; `random` is 64 random bits.
pub fn new_etag(version: i64, random: u64) -> String {
    format!("{version}-{random:016x}")
}

/// The header form of a tag: a strong entity tag, `"7-9f2c41d0a1b2c3d4"`.
pub fn quoted(etag: &str) -> String {
    format!("\"{etag}\"")
}

/// A parsed `If-Match` / `If-None-Match` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EtagList {
    /// `*`: any current state.
    Any,
    /// These tags (without their quotes).
    Tags(Vec<String>),
}

impl EtagList {
    /// `true` when the list names the state tagged `etag`.
    pub fn matches(&self, etag: &str) -> bool {
        match self {
            EtagList::Any => true,
            EtagList::Tags(tags) => tags.iter().any(|tag| tag == etag),
        }
    }
}

/// A header value that is neither `*` nor a list of strong tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseEtagError;

impl fmt::Display for ParseEtagError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("must be * or a list of strong entity tags like \"7-9f2c41d0a1b2c3d4\"")
    }
}

impl std::error::Error for ParseEtagError {}

/// Parses `*` or a comma-separated list of strong entity tags. Weak tags (`W/"…"`) never match
/// a strong comparison and are refused, as are empty tags and characters outside the tag
/// alphabet.
pub fn parse_etags(text: &str) -> Result<EtagList, ParseEtagError> {
    let text = text.trim();
    if text == "*" {
        return Ok(EtagList::Any);
    }
    text.split(',')
        .map(|tag| {
            tag.trim()
                .strip_prefix('"')
                .and_then(|t| t.strip_suffix('"'))
                .filter(|t| !t.is_empty() && t.len() <= 64)
                .filter(|t| t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
                .map(str::to_owned)
                .ok_or(ParseEtagError)
        })
        .collect::<Result<Vec<_>, _>>()
        .map(EtagList::Tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_round_trip_and_name_one_state() {
        let tag = new_etag(7, 0x9f2c_41d0_a1b2_c3d4);
        assert_eq!(tag, "7-9f2c41d0a1b2c3d4");
        let list = parse_etags(&quoted(&tag)).unwrap();
        assert!(list.matches(&tag));
        assert!(!list.matches(&new_etag(7, 1)), "same version, other state");
        assert_eq!(
            parse_etags(" \"1-a\", \"22-b\" "),
            Ok(EtagList::Tags(vec!["1-a".into(), "22-b".into()]))
        );
        assert!(parse_etags("*").unwrap().matches("anything"));
    }

    #[test]
    fn weak_or_malformed_tags_are_refused() {
        for bad in [
            "W/\"1-a\"",
            "1-a",
            "\"\"",
            "\"a b\"",
            "",
            "\"1-a\",",
            "\"a\"b\"",
        ] {
            assert_eq!(parse_etags(bad), Err(ParseEtagError), "{bad}");
        }
    }
}
