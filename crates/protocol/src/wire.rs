//! The JSON bodies of the REST API.

use crate::Fields;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The profile as the server sends it (`GET`, `PUT` answers, events).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileWire {
    pub name: String,
    pub photo_url: String,
    /// The state's position in its store's history.
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
        Fields::new(self.name.clone(), self.photo_url.clone())
    }

    /// `true` when the profile holds exactly these fields.
    pub fn holds(&self, fields: &Fields) -> bool {
        self.name == fields.name && self.photo_url == fields.photo_url
    }
}

/// The body of a `PUT /v1/profile`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutBody {
    pub name: String,
    #[serde(default)]
    pub photo_url: String,
}

impl From<&Fields> for PutBody {
    fn from(fields: &Fields) -> Self {
        PutBody {
            name: fields.name.clone(),
            photo_url: fields.photo_url.clone(),
        }
    }
}

/// An error body: `{"error": "..."}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
}

/// The body of a `POST /v1/sessions`: signs a device in. Its `Debug` hides the password.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
pub struct Device {
    pub id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// The device the request came from.
    pub current: bool,
}

/// The answer to `GET /v1/devices`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceList {
    pub devices: Vec<Device>,
}
