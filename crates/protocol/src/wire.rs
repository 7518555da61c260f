//! The JSON bodies of the REST API.

use crate::{Fields, PhotoRef};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The profile as the server sends it (`GET`, `PUT` answers, events).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProfileWire {
    pub name: String,
    pub photo_url: String,
    /// The picked photo (absent from the bodies of servers that predate photos: none).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub photo: Option<PhotoRef>,
    /// The state's position in its store's history.
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub version: i64,
    pub updated_at: DateTime<Utc>,
    /// The state's identity, the value of its `ETag` header without the quotes.
    pub etag: String,
    /// The identity of the store that holds it, created with the store: versions of two
    /// states are comparable only when their stores are the same.
    pub store: String,
}

impl ProfileWire {
    pub fn fields(&self) -> Fields {
        Fields::new(self.name.clone(), self.photo_url.clone()).with_photo(self.photo.clone())
    }

    /// `true` when the profile holds exactly these fields.
    pub fn holds(&self, fields: &Fields) -> bool {
        self.name == fields.name && self.photo_url == fields.photo_url && self.photo == fields.photo
    }
}

/// The body of a `PUT /v1/profile`.
///
/// `photo` has three states: absent (a client that predates photos) keeps the server's photo,
/// so such a client never erases one by omitting it; `null` removes it; an object sets it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PutBody {
    /// Trimmed, 1 to 100 characters, without control or bidirectional-override characters (the
    /// pattern says exactly that; `validation::validate_name` is the rule).
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = r"^[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*([^\x00-\x20\x7f-\xa0\u061c\u1680\u2000-\u200a\u200e\u200f\u2028\u2029\u202a-\u202f\u205f\u2066-\u2069\u3000]([^\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]{0,98}[^\x00-\x20\x7f-\xa0\u061c\u1680\u2000-\u200a\u200e\u200f\u2028\u2029\u202a-\u202f\u205f\u2066-\u2069\u3000])?)[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
        )
    )]
    pub name: String,
    /// Empty, or an `https://` URL (`http://` to this computer), trimmed at most 2,048 bytes,
    /// without spaces or control characters (the pattern is the shape; `validate_photo_url` is
    /// the rule).
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = r"^[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*([Hh][Tt][Tt][Pp][Ss]?:[^\x00-\x20\x7f-\xa0\u061c\u1680\u2000-\u200a\u200e\u200f\u2028\u2029\u202a-\u202f\u205f\u2066-\u2069\u3000]*)?[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
        )
    )]
    pub photo_url: String,
    /// Absent: the photo stays; `null`: no photo; an object: the photo (uploaded first).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Option<PhotoRef>, required = false)
    )]
    pub photo: Option<Option<PhotoRef>>,
}

/// A field that is present: `null` is `Some(None)`; an absent one is `None` (`default`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

impl From<&Fields> for PutBody {
    fn from(fields: &Fields) -> Self {
        PutBody {
            name: fields.name.clone(),
            photo_url: fields.photo_url.clone(),
            photo: Some(fields.photo.clone()),
        }
    }
}

/// An error body: `{"error": "..."}`, with a `code` where a client is expected to act on it
/// (see [`PHOTO_MISSING`](crate::PHOTO_MISSING)).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PhotoId;

    #[test]
    fn a_put_body_tells_keep_remove_and_set_apart() {
        let keep: PutBody = serde_json::from_str(r#"{"name":"Ada","photo_url":""}"#).unwrap();
        assert_eq!(keep.photo, None);
        let remove: PutBody = serde_json::from_str(r#"{"name":"Ada","photo":null}"#).unwrap();
        assert_eq!(remove.photo, Some(None));
        let photo = PhotoRef {
            sha256: PhotoId::of(b"x"),
            width: 8,
            height: 8,
            bytes: 100,
        };
        let fields = Fields::new("Ada", "").with_photo(Some(photo.clone()));
        let json = serde_json::to_string(&PutBody::from(&fields)).unwrap();
        let set: PutBody = serde_json::from_str(&json).unwrap();
        assert_eq!(set.photo, Some(Some(photo)));
        let none = serde_json::to_string(&PutBody::from(&Fields::new("Ada", ""))).unwrap();
        assert!(none.contains(r#""photo":null"#), "{none}");
        assert!(
            serde_json::from_str::<PutBody>(r#"{"name":"Ada","photo":{"sha256":"x"}}"#).is_err()
        );
    }

    #[test]
    fn a_photos_sizes_are_whole_numbers_however_json_writes_them() {
        let id = PhotoId::of(b"x");
        let body = |sizes: &str| format!(r#"{{"name":"Ada","photo":{{"sha256":"{id}",{sizes}}}}}"#);
        let put: PutBody =
            serde_json::from_str(&body(r#""width":6.0,"height":8,"bytes":100.0"#)).unwrap();
        let photo = put.photo.flatten().unwrap();
        assert_eq!((photo.width, photo.height, photo.bytes), (6, 8, 100));
        for bad in [
            r#""width":6.5,"height":8,"bytes":100"#,
            r#""width":-6,"height":8,"bytes":100"#,
            r#""width":4294967296,"height":8,"bytes":100"#,
            r#""width":"6","height":8,"bytes":100"#,
        ] {
            assert!(
                serde_json::from_str::<PutBody>(&body(bad)).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_profile_from_a_server_without_photos_has_none() {
        let wire: ProfileWire = serde_json::from_str(
            r#"{"name":"Ada","photo_url":"","version":1,"updated_at":"2026-01-01T00:00:00Z",
                "etag":"1-00","store":"s"}"#,
        )
        .unwrap();
        assert_eq!(wire.photo, None);
    }
}

/// The body of a `POST /v1/sessions`: signs a device in. Its `Debug` hides the password.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignIn {
    pub email: String,
    pub password: String,
    pub device_name: String,
}

impl std::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignIn")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .field("device_name", &self.device_name)
            .finish()
    }
}

/// The answer to a sign-in (201): the new device's token and id. Its `Debug` hides the token.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignedIn {
    pub token: String,
    pub device_id: String,
}

impl std::fmt::Debug for SignedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedIn")
            .field("token", &"<redacted>")
            .field("device_id", &self.device_id)
            .finish()
    }
}

/// One of the account's signed-in devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Device {
    pub id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// The device the request came from.
    pub current: bool,
}

/// The answer to `GET /v1/devices`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceList {
    pub devices: Vec<Device>,
}
