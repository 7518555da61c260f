//! offline-profile: the desktop app — its iced window, its command line, and the composition
//! root that wires the client crate (`profile-client`) to a server, embedded or remote.
//!
//! The layers below the app are crates, so the compiler keeps them apart: `profile-protocol`
//! (what client and server agree on), `profile-client` (no UI), `profile-server` (no client).

pub mod account;
pub mod background;
pub mod cli;
pub mod crash;
pub mod i18n;
pub mod notify;
pub mod session;
pub mod single_instance;
pub mod ui;
pub mod words;

/// The app's identifier on the desktop: the name of its desktop entry, icon and AppStream
/// metadata (`packaging/app/`), and the window's Wayland app id and X11 class.
pub const APP_ID: &str = "io.github.offline_profile.OfflineProfile";
