//! The editable content of a profile, and the names of its fields.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The editable content of a profile: what the user types and what the server stores.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Fields {
    pub name: String,
    pub photo_url: String,
}

impl Fields {
    pub fn new(name: impl Into<String>, photo_url: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            photo_url: photo_url.into(),
        }
    }

    /// The value of one field.
    pub fn get(&self, field: Field) -> &str {
        match field {
            Field::Name => &self.name,
            Field::PhotoUrl => &self.photo_url,
        }
    }

    /// The value of one field, to change it.
    pub fn get_mut(&mut self, field: Field) -> &mut String {
        match field {
            Field::Name => &mut self.name,
            Field::PhotoUrl => &mut self.photo_url,
        }
    }
}

impl fmt::Display for Fields {
    /// `Ada Lovelace <https://example.com/ada.png>`, or only the name when there is no photo.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.photo_url.is_empty() {
            f.write_str(&self.name)
        } else {
            write!(f, "{} <{}>", self.name, self.photo_url)
        }
    }
}

/// One field of a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Name,
    PhotoUrl,
}

impl Field {
    /// Every field, in the order they are shown.
    pub const ALL: [Field; 2] = [Field::Name, Field::PhotoUrl];

    /// The field's key on the wire and in storage: `name`, `photo_url`.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::PhotoUrl => "photo_url",
        }
    }

    /// The field's key, parsed back (`None` for anything else).
    pub fn from_key(key: &str) -> Option<Self> {
        Field::ALL.into_iter().find(|field| field.as_str() == key)
    }

    /// The field's name for people: `Name`, `Photo URL`.
    pub fn label(self) -> &'static str {
        match self {
            Field::Name => "Name",
            Field::PhotoUrl => "Photo URL",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_keys_round_trip() {
        for field in Field::ALL {
            assert_eq!(Field::from_key(field.as_str()), Some(field));
        }
        assert_eq!(Field::from_key("photo"), None);
    }

    #[test]
    fn fields_display_for_people() {
        assert_eq!(Fields::new("Ada", "").to_string(), "Ada");
        assert_eq!(
            Fields::new("Ada", "https://e.com/a.png").to_string(),
            "Ada <https://e.com/a.png>"
        );
    }
}
