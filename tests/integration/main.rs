//! Integration tests: real SQLite files in temporary folders, the real server on 127.0.0.1:0,
//! real HTTP. One binary, so the heavy dependencies are linked once.
//!
//! The same binary is built for Windows and run under wine (.ci/windows-tests); the modules
//! that need what only Linux has are left out there, each saying why.

/// The app's words come in the system's language; every process these tests start reads them
/// in English, whatever this computer's language is (a test that wants another language sets it
/// on its own command). Set before `main`, when no other thread exists to read the environment.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
#[used]
#[unsafe(link_section = ".init_array")]
static ENGLISH: extern "C" fn() = {
    extern "C" fn english() {
        // SAFETY: runs before `main`: this process has one thread, so nothing reads the
        // environment while it changes.
        unsafe {
            std::env::set_var("LC_ALL", "C.UTF-8");
            std::env::remove_var("LANGUAGE");
        }
    }
    english
};

mod accounts;
mod avatar;
mod background;
mod cli;
// The desktop portal's contrast setting, played on a D-Bus bus of the test's own.
#[cfg(target_os = "linux")]
mod contrast;
// Hundreds of processes killed at random moments: under wine, process creation that fast fails
// now and then (ERROR_INTERNAL_ERROR) and TerminateProcess is wine's emulation of a kill; what
// the test proves — SQLite's commit survives a kill — is the same on every platform.
#[cfg(not(windows))]
mod crash;
// strace, attached to this process through /proc.
#[cfg(target_os = "linux")]
mod durability;
mod faults;
mod hardening;
mod identity;
mod languages;
// Runs `cargo tree`; the graph it checks does not depend on the platform the tests run on
// (and under wine there is no cargo to run).
#[cfg(not(windows))]
mod layering;
mod model;
// Network namespaces (`unshare -n`, `nsenter`, `ip link`) and a private D-Bus daemon.
#[cfg(target_os = "linux")]
mod netns;
mod network;
// NetworkManager's D-Bus interface, played by a service on a private bus.
#[cfg(target_os = "linux")]
mod network_manager;
// A notification service played on a D-Bus session bus of the test's own.
#[cfg(target_os = "linux")]
mod notifications;
mod packaging;
mod photos;
mod processes;
mod repository;
// PostgreSQL and HAProxy, started from this machine's Linux binaries.
#[cfg(target_os = "linux")]
mod scale;
mod server;
mod session;
mod signed_out;
mod support;
mod sync;
// A systemd user manager (systemd, unshare, nsenter).
#[cfg(target_os = "linux")]
mod systemd;
// Mount namespaces (a hidden library, a tiny tmpfs) and the Linux display libraries.
#[cfg(target_os = "linux")]
mod troubleshooting;
mod ui_accounts;
mod ui_background;
mod ui_photos;
mod ui_states;
mod view_model;
