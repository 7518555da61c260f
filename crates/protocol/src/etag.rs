//! The ETag of a profile state and the `If-Match` / `If-None-Match` lists that name them.
//!
//! A strong ETag `"<version>"` (RFC 9110 §8.8.3); lists are `*` or comma-separated tags.

use std::fmt;

/// The strong ETag of a version: `"7"`.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// A parsed `If-Match` / `If-None-Match` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EtagList {
    /// `*`: any current state.
    Any,
    /// These versions.
    Versions(Vec<i64>),
}

/// A header value that is neither `*` nor a list of our ETags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseEtagError;

impl fmt::Display for ParseEtagError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("must be * or a list of versions like \"7\"")
    }
}

impl std::error::Error for ParseEtagError {}

/// Parses `*` or a list of strong ETags of the form `"<version>"`.
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
                .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|t| t.parse::<i64>().ok())
                .ok_or(ParseEtagError)
        })
        .collect::<Result<Vec<_>, _>>()
        .map(EtagList::Versions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_round_trip() {
        assert_eq!(parse_etags(&etag(7)), Ok(EtagList::Versions(vec![7])));
        assert_eq!(
            parse_etags(" \"1\", \"22\" "),
            Ok(EtagList::Versions(vec![1, 22]))
        );
        assert_eq!(parse_etags("*"), Ok(EtagList::Any));
    }

    #[test]
    fn weak_or_malformed_tags_are_refused() {
        for bad in ["W/\"1\"", "1", "\"\"", "\"a\"", "", "\"1\",", "\"-1\""] {
            assert_eq!(parse_etags(bad), Err(ParseEtagError), "{bad}");
        }
    }
}
