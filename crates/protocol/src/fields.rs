//! The editable content of a profile, and the names of its fields.

use crate::PhotoRef;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The editable content of a profile: what the user types and picks, and what the server stores.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Fields {
    pub name: String,
    /// A photo on the web (the guide's `photoUrl`); empty when there is none.
    pub photo_url: String,
    /// The photo picked on a computer, kept by the server (`None`: no photo).
    #[serde(default)]
    pub photo: Option<PhotoRef>,
}

impl Fields {
    /// A name and a photo URL, without a picked photo.
    pub fn new(name: impl Into<String>, photo_url: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            photo_url: photo_url.into(),
            photo: None,
        }
    }

    /// The same fields with `photo` as the picked photo.
    pub fn with_photo(mut self, photo: Option<PhotoRef>) -> Self {
        self.photo = photo;
        self
    }

    /// `true` when `field` holds the same value here and in `other`.
    pub fn same_in(&self, other: &Fields, field: Field) -> bool {
        match field {
            Field::Name => self.name == other.name,
            Field::PhotoUrl => self.photo_url == other.photo_url,
            Field::Photo => self.photo == other.photo,
        }
    }

    /// Takes `other`'s value of `field`.
    pub fn set_from(&mut self, other: &Fields, field: Field) {
        match field {
            Field::Name => self.name.clone_from(&other.name),
            Field::PhotoUrl => self.photo_url.clone_from(&other.photo_url),
            Field::Photo => self.photo.clone_from(&other.photo),
        }
    }

    /// The value of `field` for people: the text, or the photo in a few words ("no photo").
    pub fn describe(&self, field: Field) -> String {
        match field {
            Field::Name => self.name.clone(),
            Field::PhotoUrl => self.photo_url.clone(),
            Field::Photo => self
                .photo
                .as_ref()
                .map_or_else(|| "no photo".to_owned(), PhotoRef::to_string),
        }
    }
}

impl fmt::Display for Fields {
    /// `Ada Lovelace <https://example.com/ada.png>`, or only the name when there is no photo URL;
    /// a picked photo follows in brackets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if !self.photo_url.is_empty() {
            write!(f, " <{}>", self.photo_url)?;
        }
        if let Some(photo) = &self.photo {
            write!(f, " [{photo}]")?;
        }
        Ok(())
    }
}

/// One field of a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Name,
    PhotoUrl,
    Photo,
}

impl Field {
    /// Every field, in the order they are shown.
    pub const ALL: [Field; 3] = [Field::Name, Field::Photo, Field::PhotoUrl];

    /// The field's key on the wire and in storage: `name`, `photo_url`, `photo`.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::PhotoUrl => "photo_url",
            Field::Photo => "photo",
        }
    }

    /// The field's key, parsed back (`None` for anything else).
    pub fn from_key(key: &str) -> Option<Self> {
        Field::ALL.into_iter().find(|field| field.as_str() == key)
    }

    /// The field's name for people: `Name`, `Photo URL`, `Photo`.
    pub fn label(self) -> &'static str {
        match self {
            Field::Name => "Name",
            Field::PhotoUrl => "Photo URL",
            Field::Photo => "Photo",
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
    use crate::PhotoId;

    #[test]
    fn field_keys_round_trip() {
        for field in Field::ALL {
            assert_eq!(Field::from_key(field.as_str()), Some(field));
        }
        assert_eq!(Field::from_key("avatar"), None);
    }

    #[test]
    fn fields_display_for_people() {
        assert_eq!(Fields::new("Ada", "").to_string(), "Ada");
        assert_eq!(
            Fields::new("Ada", "https://e.com/a.png").to_string(),
            "Ada <https://e.com/a.png>"
        );
        let photo = PhotoRef {
            sha256: PhotoId::of(b"x"),
            width: 512,
            height: 512,
            bytes: 1000,
        };
        let with = Fields::new("Ada", "").with_photo(Some(photo.clone()));
        assert_eq!(
            with.to_string(),
            format!("Ada [a 512 × 512 photo ({}…)]", photo.sha256.short())
        );
        assert_eq!(Fields::new("Ada", "").describe(Field::Photo), "no photo");
    }

    #[test]
    fn every_field_is_compared_and_copied() {
        let photo = PhotoRef {
            sha256: PhotoId::of(b"x"),
            width: 10,
            height: 10,
            bytes: 10,
        };
        let a = Fields::new("Ada", "https://e.com/a.png").with_photo(Some(photo));
        let b = Fields::new("Bo", "");
        for field in Field::ALL {
            assert!(!a.same_in(&b, field), "{field}");
            let mut c = b.clone();
            c.set_from(&a, field);
            assert!(c.same_in(&a, field), "{field}");
        }
    }
}
