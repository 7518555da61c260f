//! The user's language. Every word the window and the command line show a person comes from the
//! Fluent message files in `i18n/` (embedded in the binary), through [`fl!`](crate::fl): English
//! is complete by construction (the macro refuses, at compile time, a message or a variable the
//! English file lacks) and every other language falls back to English message by message. JSON
//! output and log lines stay English.
//!
//! The language follows the system: on Unix the POSIX locale variables (`LC_ALL`, then
//! `LC_MESSAGES`, then `LANG`) with GNU's `LANGUAGE` list before them, as gettext reads them; the
//! user's locale on Windows and macOS. [`init`] chooses it once at start; until then (in tests,
//! say) everything is English.

use std::cell::RefCell;
use std::sync::{LazyLock, OnceLock};

use i18n_embed::LanguageLoader;
use i18n_embed::fluent::{FluentLanguageLoader, NegotiationStrategy};
use rust_embed::RustEmbed;
use unic_langid::LanguageIdentifier;

/// The message files, `i18n/<language>/offline-profile.ftl`.
#[derive(RustEmbed)]
#[folder = "i18n/"]
struct Messages;

/// The language every message exists in.
pub const FALLBACK: &str = "en";

/// Every language, loaded once.
static ALL: LazyLock<FluentLanguageLoader> = LazyLock::new(|| {
    let fallback: LanguageIdentifier = FALLBACK.parse().expect("a language identifier");
    let loader = FluentLanguageLoader::new("offline-profile", fallback);
    loader
        .load_available_languages(&Messages)
        .expect("the embedded message files parse (a test reads each one)");
    // No Unicode isolation marks around variables: names already render right to left where
    // they are written so, and the marks would show as boxes in some fonts and in terminals.
    loader.set_use_isolating(false);
    loader
});

/// The language chosen at start ([`init`]).
static CHOSEN: OnceLock<FluentLanguageLoader> = OnceLock::new();

thread_local! {
    /// A language for this thread only (a test rendering the window in German).
    static THIS_THREAD: RefCell<Option<FluentLanguageLoader>> = const { RefCell::new(None) };
}

/// Chooses the language from the system's settings; later calls keep the first choice.
pub fn init() {
    CHOSEN.get_or_init(|| select(&requested_languages()));
}

/// The languages there are messages for, English first.
pub fn available() -> Vec<LanguageIdentifier> {
    let mut languages = ALL
        .available_languages(&Messages)
        .expect("the embedded message files are listed");
    languages.sort_by_key(|language| {
        let name = language.to_string();
        (name != FALLBACK, name)
    });
    languages
}

/// The text of the message file for `language` (for the test that compares them).
pub fn source(language: &LanguageIdentifier) -> Option<String> {
    let file = Messages::get(&format!("{language}/offline-profile.ftl"))?;
    String::from_utf8(file.data.into_owned()).ok()
}

/// Runs `f` with this thread's messages in `language` (`"de"`, `"es-MX"`…; English where it
/// has none).
pub fn in_language<R>(language: &str, f: impl FnOnce() -> R) -> R {
    let requested: Vec<LanguageIdentifier> = language.parse().into_iter().collect();
    let previous = THIS_THREAD.with(|slot| slot.replace(Some(select(&requested))));
    let result = f();
    THIS_THREAD.with(|slot| *slot.borrow_mut() = previous);
    result
}

/// The language messages come in now, e.g. `de`.
pub fn current() -> LanguageIdentifier {
    with_loader(|loader| loader.current_language())
}

/// The message `id` (one without variables) in this thread's language, looked up at run time:
/// prefer [`fl!`](crate::fl), which is checked when it compiles.
pub fn message(id: &str) -> String {
    with_loader(|loader| loader.get(id))
}

/// Calls `f` with the loader for this thread's language.
#[doc(hidden)]
pub fn with_loader<R>(f: impl FnOnce(&FluentLanguageLoader) -> R) -> R {
    THIS_THREAD.with(|slot| match &*slot.borrow() {
        Some(loader) => f(loader),
        None => f(CHOSEN.get().unwrap_or(&ALL_FALLBACK)),
    })
}

/// English only: before [`init`].
static ALL_FALLBACK: LazyLock<FluentLanguageLoader> = LazyLock::new(|| {
    let english: LanguageIdentifier = FALLBACK.parse().expect("a language identifier");
    ALL.select_languages(&[english])
});

/// The best of the languages there are for `requested`, most wanted first, then English.
fn select(requested: &[LanguageIdentifier]) -> FluentLanguageLoader {
    ALL.select_languages_negotiate(requested, NegotiationStrategy::Filtering)
}

/// The languages the user asked the system for, most wanted first.
fn requested_languages() -> Vec<LanguageIdentifier> {
    #[cfg(unix)]
    let names = posix_languages(|name| std::env::var(name).ok());
    #[cfg(not(unix))]
    let names: Vec<String> = sys_locale::get_locales().collect();
    names.iter().filter_map(|name| name.parse().ok()).collect()
}

/// The languages POSIX locale variables ask for, as gettext reads them: the messages locale is
/// the first set of `LC_ALL`, `LC_MESSAGES`, `LANG`; "C" or "POSIX" there means untranslated
/// (English) whatever else is set; otherwise GNU's `LANGUAGE` list comes first. `de_AT.UTF-8@euro`
/// becomes `de-AT`.
pub fn posix_languages(var: impl Fn(&str) -> Option<String>) -> Vec<String> {
    let set = |name: &str| var(name).filter(|value| !value.is_empty());
    let locale = set("LC_ALL")
        .or_else(|| set("LC_MESSAGES"))
        .or_else(|| set("LANG"));
    let tag = |posix: &str| {
        let language = posix.split(['.', '@']).next().unwrap_or_default();
        language.replace('_', "-")
    };
    match locale.as_deref() {
        Some("C" | "POSIX") => vec![FALLBACK.to_owned()],
        Some(name) if name.starts_with("C.") => vec![FALLBACK.to_owned()],
        _ => {
            let mut languages: Vec<String> = set("LANGUAGE")
                .map(|list| list.split(':').map(tag).collect())
                .unwrap_or_default();
            languages.extend(locale.as_deref().map(tag));
            languages.retain(|language| !language.is_empty());
            languages
        }
    }
}

/// A message in the user's language: `fl!("badge-synced")`, `fl!("retry-in", seconds = 5)`.
/// The message and its variables are checked against the English file when this compiles.
#[macro_export]
macro_rules! fl {
    ($message_id:literal) => {{
        $crate::i18n::with_loader(|loader| i18n_embed_fl::fl!(loader, $message_id))
    }};
    ($message_id:literal, $($args:tt)*) => {{
        $crate::i18n::with_loader(|loader| i18n_embed_fl::fl!(loader, $message_id, $($args)*))
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        }
    }

    #[test]
    fn the_posix_variables_are_read_as_gettext_reads_them() {
        assert_eq!(posix_languages(env(&[("LANG", "de_DE.UTF-8")])), ["de-DE"]);
        assert_eq!(
            posix_languages(env(&[("LANG", "de_DE.UTF-8"), ("LC_MESSAGES", "es_ES")])),
            ["es-ES"],
            "LC_MESSAGES is more specific than LANG"
        );
        assert_eq!(
            posix_languages(env(&[
                ("LC_ALL", "C.UTF-8"),
                ("LANGUAGE", "de"),
                ("LANG", "es")
            ])),
            ["en"],
            "the C locale is untranslated whatever LANGUAGE says"
        );
        assert_eq!(
            posix_languages(env(&[
                ("LANGUAGE", "es_MX:de"),
                ("LANG", "de_AT.UTF-8@euro")
            ])),
            ["es-MX", "de", "de-AT"]
        );
        assert!(posix_languages(env(&[])).is_empty());
    }

    #[test]
    fn a_language_without_messages_falls_back_to_english_and_a_region_to_its_language() {
        assert_eq!(in_language("fr-FR", current).to_string(), "en");
        assert_eq!(in_language("de-AT", current).to_string(), "de");
        assert_eq!(in_language("es-MX", current).to_string(), "es");
        assert_eq!(current().to_string(), "en", "other threads are untouched");
    }
}
