//! Architecture invariants that the compiler does not check.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn files_mentioning(layer: &str, needle: &str) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src")
            .join(layer),
        &mut files,
    );
    assert!(!files.is_empty(), "no sources under src/{layer}");
    files
        .into_iter()
        .filter(|file| {
            std::fs::read_to_string(file).unwrap().lines().any(|line| {
                let code = line.split("//").next().unwrap_or("");
                code.contains(needle)
            })
        })
        .map(|file| file.display().to_string())
        .collect()
}

#[test]
fn domain_and_data_never_import_iced() {
    for layer in ["domain", "data"] {
        let offenders = files_mentioning(layer, "iced");
        assert!(
            offenders.is_empty(),
            "src/{layer} must not use iced: {offenders:?}"
        );
    }
}

#[test]
fn domain_does_no_io() {
    for needle in ["sqlx", "reqwest", "tokio", "std::fs", "std::net::Tcp"] {
        let offenders = files_mentioning("domain", needle);
        assert!(
            offenders.is_empty(),
            "src/domain must not use {needle}: {offenders:?}"
        );
    }
}

#[test]
fn the_view_model_never_imports_sqlx_or_reqwest() {
    for needle in ["sqlx", "reqwest"] {
        let offenders = files_mentioning("ui", needle);
        assert!(
            offenders.is_empty(),
            "src/ui must not use {needle}: {offenders:?}"
        );
    }
}
