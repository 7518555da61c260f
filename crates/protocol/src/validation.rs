//! The single validation of profile input, used by the form, the CLI and the server, so each of
//! them refuses the same input with the same reason.

use crate::{Field, Fields};
use std::fmt;
use std::net::IpAddr;

pub const NAME_MAX_CHARS: usize = 100;
pub const PHOTO_URL_MAX_BYTES: usize = 2048;

/// Why an input was refused, and which field it concerns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ValidationError {
    pub field: Field,
    pub reason: String,
}

/// Validates both fields and returns them normalised (trimmed).
pub fn validate(name: &str, photo_url: &str) -> Result<Fields, ValidationError> {
    let name = validate_name(name).map_err(|reason| ValidationError {
        field: Field::Name,
        reason,
    })?;
    let photo_url = validate_photo_url(photo_url).map_err(|reason| ValidationError {
        field: Field::PhotoUrl,
        reason,
    })?;
    Ok(Fields::new(name, photo_url))
}

/// A name is trimmed, 1 to 100 characters, without control or bidirectional-override characters.
pub fn validate_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("the name must not be empty".into());
    }
    let chars = name.chars().count();
    if chars > NAME_MAX_CHARS {
        return Err(format!(
            "the name is {chars} characters long; at most {NAME_MAX_CHARS} are allowed"
        ));
    }
    if let Some(c) = name.chars().find(|&c| is_forbidden(c)) {
        return Err(format!(
            "the name contains the invisible control character U+{:04X}",
            c as u32
        ));
    }
    Ok(name.to_owned())
}

/// A photo URL is empty, or an absolute `https://` URL, or `http://` to a loopback host; at most
/// 2,048 bytes.
pub fn validate_photo_url(url: &str) -> Result<String, String> {
    let url = url.trim();
    if url.is_empty() {
        return Ok(String::new());
    }
    if url.len() > PHOTO_URL_MAX_BYTES {
        return Err(format!(
            "the photo URL is {} bytes long; at most {PHOTO_URL_MAX_BYTES} are allowed",
            url.len()
        ));
    }
    if let Some(c) = url.chars().find(|&c| is_forbidden(c) || c.is_whitespace()) {
        return Err(format!(
            "the photo URL contains the character U+{:04X}, which is not allowed",
            c as u32
        ));
    }
    let parsed = url::Url::parse(url)
        .map_err(|error| format!("the photo URL is not an absolute URL ({error})"))?;
    check_web_url(&parsed).map_err(|reason| format!("the photo URL {reason}"))?;
    Ok(url.to_owned())
}

/// Accepts `https://` URLs, and `http://` only to a loopback host (so nothing leaves the machine
/// in clear text). Shared by the photo URL and the server URL.
pub fn check_web_url(url: &url::Url) -> Result<(), WebUrlError> {
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(WebUrlError::PlainHttp),
        "https" => Err(WebUrlError::NoHost),
        scheme => Err(WebUrlError::Scheme(scheme.to_owned())),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebUrlError {
    PlainHttp,
    NoHost,
    Scheme(String),
}

impl fmt::Display for WebUrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WebUrlError::PlainHttp => f.write_str(
                "uses http:// to a host that is not this computer; use https:// (http:// is \
                 allowed only for 127.0.0.1, ::1 and localhost)",
            ),
            WebUrlError::NoHost => f.write_str("has no host"),
            WebUrlError::Scheme(scheme) => write!(
                f,
                "uses the scheme \"{scheme}:\"; only https:// (or http:// to this computer) is allowed"
            ),
        }
    }
}

/// `true` when the URL's host is this computer: `localhost`, 127.0.0.0/8 or `::1`.
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

fn is_forbidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(validate_name("  Ada  ").unwrap(), "Ada");
        assert!(validate_name("   ").is_err());
        assert!(validate_name(&"é".repeat(100)).is_ok());
        assert!(validate_name(&"é".repeat(101)).unwrap_err().contains("101"));
        assert!(validate_name("Ada\u{7}").is_err());
        assert!(validate_name("Ada\u{202E}evil").is_err());
    }

    #[test]
    fn photo_urls_are_https_or_loopback_http() {
        assert_eq!(validate_photo_url("").unwrap(), "");
        assert!(validate_photo_url("https://example.com/a.png").is_ok());
        assert!(validate_photo_url("http://127.0.0.1:8080/a.png").is_ok());
        assert!(validate_photo_url("http://localhost/a.png").is_ok());
        assert!(validate_photo_url("http://[::1]/a.png").is_ok());
        assert!(validate_photo_url("http://example.com/a.png").is_err());
        assert!(validate_photo_url("javascript:alert(1)").is_err());
        assert!(validate_photo_url("file:///etc/passwd").is_err());
        assert!(validate_photo_url("a.png").is_err());
        let long = format!("https://example.com/{}", "a".repeat(2048));
        assert!(validate_photo_url(&long).unwrap_err().contains("2048"));
    }

    #[test]
    fn validate_names_the_field() {
        assert_eq!(validate("", "").unwrap_err().field, Field::Name);
        assert_eq!(
            validate("Ada", "ftp://x").unwrap_err().field,
            Field::PhotoUrl
        );
    }
}
