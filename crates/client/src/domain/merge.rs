//! Three-way merge of a local edit with a newer server copy, field by field, against the server
//! version the edit was based on. Versions decide; clocks are never compared.

use profile_protocol::{Field, Fields};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeOutcome {
    /// Every field was changed on at most one side (or identically on both): the merged fields.
    Merged(Fields),
    /// Some fields were changed differently on both sides; the merge of the others is given so
    /// nothing is dropped while the user decides.
    Conflict {
        /// The merge with the local value in each conflicting field.
        mine: Fields,
        fields: Vec<Field>,
    },
}

/// Merges `mine` and `theirs`, both descended from `base` (`None` when the edit was made before
/// the first sync, so every differing field counts as changed on both sides).
pub fn merge(base: Option<&Fields>, mine: &Fields, theirs: &Fields) -> MergeOutcome {
    let mut merged = mine.clone();
    let mut conflicts = Vec::new();
    for field in Field::ALL {
        let base_is = |side: &Fields| base.is_some_and(|base| base.same_in(side, field));
        if mine.same_in(theirs, field) || base_is(theirs) {
            // Unchanged on their side (or the same change): ours stands.
        } else if base_is(mine) {
            merged.set_from(theirs, field);
        } else {
            conflicts.push(field);
        }
    }
    if conflicts.is_empty() {
        MergeOutcome::Merged(merged)
    } else {
        MergeOutcome::Conflict {
            mine: merged,
            fields: conflicts,
        }
    }
}

/// Settles a conflict in favour of the server: its value in each conflicting field, the merge
/// elsewhere.
pub fn take_theirs(mine: &Fields, theirs: &Fields, fields: &[Field]) -> Fields {
    let mut result = mine.clone();
    for &field in fields {
        result.set_from(theirs, field);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(name: &str, photo: &str) -> Fields {
        Fields::new(name, photo)
    }

    #[test]
    fn one_sided_changes_are_combined() {
        let base = f("Ada", "");
        let mine = f("Ada Lovelace", "");
        let theirs = f("Ada", "https://example.com/a.png");
        assert_eq!(
            merge(Some(&base), &mine, &theirs),
            MergeOutcome::Merged(f("Ada Lovelace", "https://example.com/a.png"))
        );
    }

    #[test]
    fn same_field_changed_differently_is_a_conflict() {
        let base = f("Ada", "");
        assert_eq!(
            merge(Some(&base), &f("Grace", ""), &f("Alan", "")),
            MergeOutcome::Conflict {
                mine: f("Grace", ""),
                fields: vec![Field::Name]
            }
        );
    }

    #[test]
    fn conflicts_keep_the_other_sides_one_sided_changes() {
        let base = f("Ada", "");
        assert_eq!(
            merge(
                Some(&base),
                &f("Grace", ""),
                &f("Alan", "https://example.com/a.png")
            ),
            MergeOutcome::Conflict {
                mine: f("Grace", "https://example.com/a.png"),
                fields: vec![Field::Name]
            }
        );
    }

    #[test]
    fn identical_changes_are_not_a_conflict() {
        let base = f("Ada", "");
        assert_eq!(
            merge(Some(&base), &f("Grace", ""), &f("Grace", "")),
            MergeOutcome::Merged(f("Grace", ""))
        );
    }

    /// The photo is a field like the others: one side's new photo is taken, two different new
    /// photos are a conflict, and a photo removed on one side stays removed.
    #[test]
    fn photos_merge_as_a_field() {
        use profile_protocol::{PhotoId, PhotoRef};
        let photo = |seed: &[u8]| {
            Some(PhotoRef {
                sha256: PhotoId::of(seed),
                width: 512,
                height: 512,
                bytes: 1000,
            })
        };
        let base = f("Ada", "").with_photo(photo(b"old"));
        let mine = f("Ada King", "").with_photo(photo(b"old"));
        let theirs = f("Ada", "").with_photo(photo(b"new"));
        assert_eq!(
            merge(Some(&base), &mine, &theirs),
            MergeOutcome::Merged(f("Ada King", "").with_photo(photo(b"new")))
        );
        let removed = f("Ada", "");
        assert_eq!(
            merge(Some(&base), &mine, &removed),
            MergeOutcome::Merged(f("Ada King", ""))
        );
        let mine = f("Ada", "").with_photo(photo(b"mine"));
        assert_eq!(
            merge(Some(&base), &mine, &theirs),
            MergeOutcome::Conflict {
                mine: mine.clone(),
                fields: vec![Field::Photo]
            }
        );
        assert_eq!(
            take_theirs(&mine, &theirs, &[Field::Photo]),
            f("Ada", "").with_photo(photo(b"new"))
        );
    }

    #[test]
    fn without_a_base_every_difference_is_a_conflict() {
        assert_eq!(
            merge(None, &f("Grace", "x"), &f("Alan", "x")),
            MergeOutcome::Conflict {
                mine: f("Grace", "x"),
                fields: vec![Field::Name]
            }
        );
    }
}
