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
        let base = base.map(|b| b.get(field));
        let (mine, theirs) = (mine.get(field), theirs.get(field));
        if mine == theirs || base == Some(theirs) {
            // Unchanged on their side (or the same change): ours stands.
        } else if base == Some(mine) {
            *merged.get_mut(field) = theirs.to_owned();
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
        *result.get_mut(field) = theirs.get(field).to_owned();
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
