//! The app's languages: every language's message file holds exactly English's messages with the
//! same variables, and the command line speaks the user's language.

#[cfg(unix)]
use crate::support::{TOKEN, dead_url, spawn_server_with};
use fluent_syntax::ast;
use offline_profile::i18n;
use std::collections::{BTreeMap, BTreeSet};

/// Each message of a file with the variables it uses.
fn messages(language: &str, source: &str) -> BTreeMap<String, BTreeSet<String>> {
    let resource = fluent_syntax::parser::parse(source)
        .unwrap_or_else(|(_, errors)| panic!("i18n/{language}: not valid Fluent: {errors:?}"));
    let mut messages = BTreeMap::new();
    for entry in resource.body {
        match entry {
            ast::Entry::Message(message) => {
                let mut variables = BTreeSet::new();
                if let Some(pattern) = &message.value {
                    pattern_variables(pattern, &mut variables);
                }
                let id = message.id.name.to_owned();
                assert!(
                    messages.insert(id.clone(), variables).is_none(),
                    "i18n/{language}: {id} twice"
                );
            }
            ast::Entry::Junk { content } => panic!("i18n/{language}: cannot read {content:?}"),
            _ => {}
        }
    }
    messages
}

fn pattern_variables(pattern: &ast::Pattern<&str>, into: &mut BTreeSet<String>) {
    for element in &pattern.elements {
        if let ast::PatternElement::Placeable { expression } = element {
            expression_variables(expression, into);
        }
    }
}

fn expression_variables(expression: &ast::Expression<&str>, into: &mut BTreeSet<String>) {
    match expression {
        ast::Expression::Select { selector, variants } => {
            inline_variables(selector, into);
            for variant in variants {
                pattern_variables(&variant.value, into);
            }
        }
        ast::Expression::Inline(inline) => inline_variables(inline, into),
    }
}

fn inline_variables(inline: &ast::InlineExpression<&str>, into: &mut BTreeSet<String>) {
    match inline {
        ast::InlineExpression::VariableReference { id } => {
            into.insert(id.name.to_owned());
        }
        ast::InlineExpression::Placeable { expression } => expression_variables(expression, into),
        ast::InlineExpression::FunctionReference { arguments, .. } => {
            for argument in &arguments.positional {
                inline_variables(argument, into);
            }
        }
        _ => {}
    }
}

#[test]
fn every_language_has_every_english_message_with_the_same_variables() {
    let languages = i18n::available();
    assert_eq!(languages[0].to_string(), i18n::FALLBACK);
    assert!(
        languages.len() >= 3,
        "English and at least two more languages: {languages:?}"
    );
    let english = messages("en", &i18n::source(&languages[0]).unwrap());
    assert!(english.len() > 100, "the English file is read whole");
    for language in &languages[1..] {
        let other = messages(&language.to_string(), &i18n::source(language).unwrap());
        let missing: Vec<_> = english
            .keys()
            .filter(|id| !other.contains_key(*id))
            .collect();
        let extra: Vec<_> = other
            .keys()
            .filter(|id| !english.contains_key(*id))
            .collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "i18n/{language}: missing {missing:?}, not in English {extra:?}"
        );
        for (id, variables) in &english {
            assert_eq!(
                &other[id], variables,
                "i18n/{language}: {id} uses other variables than English"
            );
        }
    }
}

#[test]
fn numbers_go_through_each_languages_plural_rules() {
    let days = |language: &str, days: i64| {
        i18n::in_language(language, || offline_profile::fl!("ago-days", days = days))
    };
    assert_eq!(days("en", 1), "1 day ago");
    assert_eq!(days("en", 4), "4 days ago");
    let wait = |language: &str, seconds: u64| {
        i18n::in_language(language, || {
            offline_profile::fl!("wait-seconds", seconds = seconds)
        })
    };
    assert_eq!(wait("en", 1), "1 second");
    assert_eq!(wait("en", 30), "30 seconds");
    for language in i18n::available().iter().skip(1).map(ToString::to_string) {
        let language = language.as_str();
        assert_ne!(
            days(language, 4),
            days("en", 4),
            "{language} has its own words"
        );
        assert_ne!(
            wait(language, 1).split(' ').nth(1),
            wait(language, 30).split(' ').nth(1),
            "{language}: one second and thirty seconds take different words"
        );
    }
}

/// The CLI in `language` (as `LC_ALL` sets it) on `data_dir` against `api`.
#[cfg(unix)]
fn cli_in(
    language: &str,
    data_dir: &std::path::Path,
    api: &str,
    args: &[&str],
) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_offline-profile"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--api", api])
        .args(args)
        .env("OFFLINE_PROFILE_TOKEN", TOKEN)
        .env("LC_ALL", language)
        .env_remove("RUST_LOG")
        .output()
        .expect("the binary runs")
}

// The language comes from the POSIX locale variables on Unix; on Windows from the user's
// locale (`GetUserPreferredUILanguages`), which a test cannot set for one process.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_and_sync_speak_the_users_language() {
    let dir = tempfile::tempdir().unwrap();
    let down = dead_url().await;
    let output = cli_in(
        "de_DE.UTF-8",
        dir.path(),
        &down,
        &["set", "--name", "Katherine Johnson"],
    );
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let saved = i18n::in_language("de", || {
        offline_profile::fl!("cli-saved-locally", revision = 1)
    });
    assert_ne!(
        saved,
        offline_profile::fl!("cli-saved-locally", revision = 1),
        "German has its own words"
    );
    assert!(stdout.starts_with(&saved), "{stdout}");
    let not_pushed = i18n::in_language("de", || offline_profile::fl!("cli-send-by-anything"));
    assert!(stdout.contains(&not_pushed), "{stdout}");

    let server = spawn_server_with(|router| router).await;
    let output = cli_in("de_AT.UTF-8", dir.path(), &server.url(), &["sync"]);
    assert!(output.status.success(), "{output:?}");
    let synced = i18n::in_language("de", || {
        offline_profile::fl!("cli-synced", profile = "Katherine Johnson")
    });
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), synced);

    // `show` lines up its table for the words of the language.
    let output = cli_in("de_DE.UTF-8", dir.path(), &server.url(), &["show"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let columns: BTreeSet<_> = stdout
        .lines()
        .map(|line| {
            // Where the value starts, in characters (labels like "geändert am" are not ASCII).
            let (label, value) = line.split_once(':').unwrap();
            label.chars().count() + 1 + value.chars().count() - value.trim_start().chars().count()
        })
        .collect();
    assert_eq!(columns.len(), 1, "one column of values: {stdout}");
    // The C locale and JSON stay English.
    let output = cli_in("C", dir.path(), &server.url(), &["show"]);
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("name:"));
    let output = cli_in(
        "de_DE.UTF-8",
        dir.path(),
        &server.url(),
        &["show", "--json"],
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["state"], "synced");
}
