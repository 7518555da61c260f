//! Three-way merge of a local edit with a newer server copy, field by field, against the server
//! version the edit was based on. Versions decide; clocks are never compared.

use super::Fields;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeOutcome {
    /// Every field was changed on at most one side (or identically on both): the merged fields.
    Merged(Fields),
    /// Some fields were changed differently on both sides; the merge of the others is given so
    /// nothing is dropped while the user decides.
    Conflict {
        /// The merge with the local value in each conflicting field.
        mine: Fields,
        fields: Vec<&'static str>,
    },
}

/// Merges `mine` and `theirs`, both descended from `base` (`None` when the edit was made before
/// the first sync, so every differing field counts as changed on both sides).
pub fn merge(base: Option<&Fields>, mine: &Fields, theirs: &Fields) -> MergeOutcome {
    let mut conflicts = Vec::new();
    let name = merge_field(
        "name",
        base.map(|b| &b.name),
        &mine.name,
        &theirs.name,
        &mut conflicts,
    );
    let photo_url = merge_field(
        "photo_url",
        base.map(|b| &b.photo_url),
        &mine.photo_url,
        &theirs.photo_url,
        &mut conflicts,
    );
    if conflicts.is_empty() {
        MergeOutcome::Merged(Fields { name, photo_url })
    } else {
        MergeOutcome::Conflict {
            mine: Fields { name, photo_url },
            fields: conflicts,
        }
    }
}

fn merge_field(
    label: &'static str,
    base: Option<&String>,
    mine: &String,
    theirs: &String,
    conflicts: &mut Vec<&'static str>,
) -> String {
    if mine == theirs || base == Some(theirs) {
        mine.clone()
    } else if base == Some(mine) {
        theirs.clone()
    } else {
        conflicts.push(label);
        mine.clone()
    }
}

/// Settles a conflict in favour of the server: its value in each conflicting field, the merge
/// elsewhere.
pub fn take_theirs(mine: &Fields, theirs: &Fields, fields: &[&str]) -> Fields {
    let mut result = mine.clone();
    for field in fields {
        match *field {
            "name" => result.name = theirs.name.clone(),
            "photo_url" => result.photo_url = theirs.photo_url.clone(),
            _ => {}
        }
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
                fields: vec!["name"]
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
                fields: vec!["name"]
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
                fields: vec!["name"]
            }
        );
    }
}
