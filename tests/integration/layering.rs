//! The layers are crates, so the compiler enforces who may import what; these tests prove the
//! dependency graph itself keeps the boundaries (`cargo tree`, normal dependencies only).

use std::collections::BTreeSet;
use std::process::Command;

/// Every package `package` depends on when it is built for use (not for its tests).
fn dependencies(package: &str, depth: Option<u32>) -> BTreeSet<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "tree",
            "--offline",
            "--locked",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .args(["--format", "{p}", "-p", package]);
    if let Some(depth) = depth {
        command.args(["--depth", &depth.to_string()]);
    }
    let output = command.output().expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo tree -p {package} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let names: BTreeSet<String> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect();
    assert!(names.contains(package), "{package} is in its own tree");
    names
}

/// Checks `package` depends on none of `forbidden` but on all of `expected` (which shows the
/// tree was read right).
fn assert_free_of(package: &str, forbidden: &[&str], expected: &[&str]) {
    let found = dependencies(package, None);
    for name in expected {
        assert!(found.contains(*name), "{package} depends on {name}");
    }
    let offenders: Vec<_> = forbidden
        .iter()
        .filter(|name| found.contains(**name))
        .collect();
    assert!(
        offenders.is_empty(),
        "{package} must not depend on {offenders:?} (directly or not)"
    );
}

#[test]
fn the_protocol_depends_on_no_io_or_ui_crate() {
    assert_free_of(
        "profile-protocol",
        &[
            "sqlx",
            "reqwest",
            "axum",
            "hyper",
            "iced",
            "tokio",
            "profile-client",
        ],
        &["serde", "url"],
    );
}

#[test]
fn the_client_core_builds_without_iced_axum_or_clap() {
    assert_free_of(
        "profile-client",
        &["iced", "axum", "clap", "profile-server"],
        &["sqlx", "reqwest", "profile-protocol"],
    );
}

#[test]
fn the_server_builds_without_iced_reqwest_or_the_client() {
    assert_free_of(
        "profile-server",
        &["iced", "reqwest", "profile-client"],
        &["axum", "sqlx", "profile-protocol"],
    );
}

#[test]
fn the_app_cannot_import_sqlx_or_reqwest() {
    // Only direct dependencies can be imported: the window and the CLI reach the database and
    // the network through the client crate's repository alone.
    let direct = dependencies("offline-profile", Some(1));
    for forbidden in ["sqlx", "reqwest", "axum"] {
        assert!(
            !direct.contains(forbidden),
            "the app must not depend on {forbidden} directly"
        );
    }
    assert!(direct.contains("profile-client"));
}
