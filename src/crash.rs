//! What a person sees when the app meets a bug (a panic): one short paragraph saying what
//! failed, where the full report was written and how to report it, and a non-zero exit — not a
//! backtrace. The report (the message, the place, the thread and the whole backtrace) goes to
//! `crash.log` in the data folder; the backtrace reaches the terminal too only where
//! `RUST_BACKTRACE` asks for it. While the window is being opened, a panic of the toolkit's (a
//! display that does not answer, a graphics driver that fails) is said as the window not opening,
//! with what to use instead, and exit 1.
//!
//! The paragraph is in English, like log lines: it is written for a bug report, and it must not
//! depend on anything that may be what failed (the message files among them).

use std::io::Write;
use std::panic::PanicHookInfo;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

/// Where reports go, once the data folder is known.
static LOG: OnceLock<PathBuf> = OnceLock::new();

/// Set while the toolkit starts the window.
static OPENING_WINDOW: AtomicBool = AtomicBool::new(false);

/// The exit code after a bug (Rust's own for a panic).
pub const BUG_EXIT: i32 = 101;

/// The report file in `data_dir`.
pub fn log_path(data_dir: &Path) -> PathBuf {
    data_dir.join("crash.log")
}

/// Replaces the default panic output with [`report`]; for the app's `main` only.
pub fn install() {
    std::panic::set_hook(Box::new(report));
}

/// From now on, reports are written to `crash.log` in `data_dir` (the first call decides).
pub fn log_in(data_dir: &Path) {
    let _ = LOG.set(log_path(data_dir));
}

/// Marks the toolkit's start of the window (`true`) and its end (`false`).
pub fn opening_window(opening: bool) {
    OPENING_WINDOW.store(opening, Ordering::SeqCst);
}

/// The panic hook: the report to the log, the paragraph to the terminal, then the exit.
fn report(info: &PanicHookInfo<'_>) {
    let what = info
        .payload()
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| info.payload().downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned());
    let place = info.location().map_or_else(
        || "an unknown place".to_owned(),
        |l| format!("{}:{}", l.file(), l.line()),
    );
    let thread = std::thread::current()
        .name()
        .unwrap_or("unnamed")
        .to_owned();
    let backtrace = std::backtrace::Backtrace::force_capture();
    let written = LOG.get().filter(|path| {
        write_report(path, &what, &place, &thread, &backtrace)
            .map_err(|error| eprintln!("offline-profile: cannot write {}: {error}", path.display()))
            .is_ok()
    });
    let opening = OPENING_WINDOW.load(Ordering::SeqCst);
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(
        stderr,
        "{}",
        paragraph(&what, &place, written.map(PathBuf::as_path), opening)
    );
    if std::env::var_os("RUST_BACKTRACE").is_some_and(|value| value != "0") {
        let _ = writeln!(stderr, "\n{backtrace}");
    }
    let _ = stderr.flush();
    drop(stderr);
    std::process::exit(if opening { 1 } else { BUG_EXIT });
}

/// What the terminal shows.
pub fn paragraph(what: &str, place: &str, log: Option<&Path>, opening_window: bool) -> String {
    let log = match log {
        Some(path) => format!("The full report is in {}.", path.display()),
        None => "No report could be written.".to_owned(),
    };
    if opening_window {
        let what = window_cause(what);
        format!(
            "offline-profile: the window cannot open: {what}.\n\
             The display or its graphics did not start; the command line works without them: \
             `offline-profile show`, `set`, `sync`, `watch` (`offline-profile --help` lists \
             them). {log}"
        )
    } else {
        format!(
            "offline-profile stopped because of a bug: {what} (at {place}). Your saved changes \
             are safe: every save is written to disk before it is reported. {log} Please report \
             it at {}/issues with that file attached (it holds no token or password; look it \
             over first). Set RUST_BACKTRACE=1 to see the backtrace here too.",
            env!("CARGO_PKG_REPOSITORY")
        )
    }
}

/// The toolkit's reason the window could not open, in words where it is a known one (the
/// whole message is in the report).
fn window_cause(what: &str) -> String {
    let display = |name| std::env::var(name).unwrap_or_default();
    if what.contains("XOpenDisplayFailed") || what.contains("XNotSupported") {
        format!(
            "the X display \"{}\" does not answer (is an X server running there, and may this \
             user use it?)",
            display("DISPLAY")
        )
    } else if what.contains("Wayland") {
        format!(
            "the Wayland compositor \"{}\" does not answer",
            display("WAYLAND_DISPLAY")
        )
    } else {
        what.to_owned()
    }
}

/// Appends one report to `path` (readable by the owner only).
fn write_report(
    path: &Path,
    what: &str,
    place: &str,
    thread: &str,
    backtrace: &std::backtrace::Backtrace,
) -> std::io::Result<()> {
    if let Some(folder) = path.parent() {
        crate::session::private_dir(folder)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    writeln!(
        file,
        "--- {} offline-profile {} ({} {})\npanicked at {place} in thread '{thread}': {what}\n\
         stack backtrace:\n{backtrace}",
        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH,
    )?;
    file.sync_all()
}
