//! The window's size, position and maximised state, kept per data folder (`window.json`) and
//! restored at the next start.
//!
//! Written when the window is asked to close (the size and position it has then; a maximised
//! window keeps the size it had before, so un-maximising goes back to it). Where the platform
//! gives no position (Wayland) only the size is kept and the window opens where the compositor
//! puts it. The size of the screen the window was on is kept too: when the window opens on a
//! screen of another size (a monitor unplugged or replaced since), it is moved and shrunk to
//! lie on that screen.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The file, in the data folder.
pub const FILE: &str = "window.json";
/// The window's size when nothing is remembered, and its smallest.
pub const DEFAULT_SIZE: (f32, f32) = (680.0, 480.0);
pub const MIN_SIZE: (f32, f32) = (480.0, 360.0);
/// Larger than any screen: a size beyond it is a damaged file, not a window.
const MAX_SIDE: f32 = 100_000.0;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Geometry {
    pub width: f32,
    pub height: f32,
    /// The top-left corner, in logical pixels; `None` where the platform does not say.
    pub x: Option<f32>,
    pub y: Option<f32>,
    pub maximized: bool,
    /// The size of the screen the window was on.
    pub screen: Option<(f32, f32)>,
}

impl Geometry {
    /// A size and position that make sense (finite, within bounds); `None` for anything else.
    fn checked(self) -> Option<Geometry> {
        let side = |v: f32| v.is_finite() && v > 0.0 && v <= MAX_SIDE;
        let coordinate = |v: Option<f32>| v.is_none_or(|v| v.is_finite() && v.abs() <= MAX_SIDE);
        let screen = self.screen.is_none_or(|(w, h)| side(w) && side(h));
        (side(self.width)
            && side(self.height)
            && coordinate(self.x)
            && coordinate(self.y)
            && screen)
            .then_some(Geometry {
                width: self.width.max(MIN_SIZE.0),
                height: self.height.max(MIN_SIZE.1),
                ..self
            })
    }
}

pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE)
}

/// What was remembered for this data folder; nothing (and a warning in the log) when the file
/// is missing, unreadable or makes no sense — the window then opens at its default size.
pub fn load(data_dir: &Path) -> Option<Geometry> {
    let path = path(data_dir);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return None,
        Err(error) => {
            tracing::warn!(%error, path = %path.display(), "the window's size cannot be read");
            return None;
        }
    };
    let checked = serde_json::from_str::<Geometry>(&text)
        .ok()
        .and_then(Geometry::checked);
    if checked.is_none() {
        tracing::warn!(path = %path.display(), "the window's remembered size makes no sense; using the default");
    }
    checked
}

/// Writes `geometry` whole or not at all.
pub fn save(data_dir: &Path, geometry: &Geometry) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(geometry).map_err(std::io::Error::other)?;
    crate::session::replace_file(&path(data_dir), text.as_bytes())
}

/// What the window's remembered geometry becomes now that the window is open on a screen of
/// `screen`'s size: unchanged on the same screen; otherwise shrunk to the screen and moved onto
/// it (kept where it is if it lies on it whole). `None`: nothing to change.
pub fn fit(saved: &Geometry, screen: (f32, f32)) -> Option<Geometry> {
    if saved.screen == Some(screen) || saved.maximized {
        return None;
    }
    let width = saved.width.min(screen.0).max(MIN_SIZE.0.min(screen.0));
    let height = saved.height.min(screen.1).max(MIN_SIZE.1.min(screen.1));
    let place = |at: Option<f32>, size: f32, room: f32| {
        at.map(|at| {
            if at >= 0.0 && at + size <= room {
                at
            } else {
                ((room - size) / 2.0).max(0.0)
            }
        })
    };
    let fitted = Geometry {
        width,
        height,
        x: place(saved.x, width, screen.0),
        y: place(saved.y, height, screen.1),
        maximized: false,
        screen: Some(screen),
    };
    let moved = |a: Option<f32>, b: Option<f32>| a != b;
    (fitted.width != saved.width
        || fitted.height != saved.height
        || moved(fitted.x, saved.x)
        || moved(fitted.y, saved.y))
    .then_some(fitted)
}

/// The geometry to remember as the window closes: its own, or, while it is maximised, the size
/// and place it had before (so that un-maximising at the next start goes back to them).
pub fn at_close(
    before: Option<Geometry>,
    maximized: bool,
    size: (f32, f32),
    position: Option<(f32, f32)>,
    screen: Option<(f32, f32)>,
) -> Geometry {
    match (maximized, before) {
        (true, Some(before)) => Geometry {
            maximized: true,
            ..before
        },
        (true, None) => Geometry {
            width: DEFAULT_SIZE.0,
            height: DEFAULT_SIZE.1,
            x: None,
            y: None,
            maximized: true,
            screen,
        },
        (false, _) => Geometry {
            width: size.0,
            height: size.1,
            x: position.map(|p| p.0),
            y: position.map(|p| p.1),
            maximized: false,
            screen,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(x: f32, y: f32, width: f32, height: f32, screen: (f32, f32)) -> Geometry {
        Geometry {
            width,
            height,
            x: Some(x),
            y: Some(y),
            maximized: false,
            screen: Some(screen),
        }
    }

    #[test]
    fn the_same_screen_keeps_the_window_where_it_was() {
        // On a second monitor to the right: outside the first screen's rectangle, but the
        // screen is the one it was saved on.
        let saved = at(2500.0, 100.0, 700.0, 500.0, (2560.0, 1440.0));
        assert_eq!(fit(&saved, (2560.0, 1440.0)), None);
    }

    #[test]
    fn a_window_off_a_smaller_screen_is_moved_and_shrunk_onto_it() {
        let saved = at(2500.0, 900.0, 1800.0, 500.0, (2560.0, 1440.0));
        let fitted = fit(&saved, (1280.0, 800.0)).unwrap();
        assert_eq!((fitted.width, fitted.height), (1280.0, 500.0));
        assert_eq!((fitted.x, fitted.y), (Some(0.0), Some(150.0)));
        // Already on the new screen whole: the same window, the new screen noted.
        let inside = at(10.0, 20.0, 700.0, 500.0, (2560.0, 1440.0));
        assert_eq!(fit(&inside, (1280.0, 800.0)), None);
    }

    #[test]
    fn a_maximised_window_keeps_the_size_it_had_before() {
        let before = at(40.0, 30.0, 700.0, 500.0, (1920.0, 1080.0));
        let closed = at_close(Some(before), true, (1920.0, 1080.0), Some((0.0, 0.0)), None);
        assert_eq!(
            closed,
            Geometry {
                maximized: true,
                ..before
            }
        );
        let first = at_close(None, true, (1920.0, 1080.0), None, Some((1920.0, 1080.0)));
        assert_eq!((first.width, first.height), DEFAULT_SIZE);
        assert!(first.maximized);
        // Not maximised: what it is now; no position where the platform gives none (Wayland).
        let wayland = at_close(Some(before), false, (800.0, 600.0), None, None);
        assert_eq!(
            (wayland.width, wayland.height, wayland.x, wayland.y),
            (800.0, 600.0, None, None)
        );
    }

    #[test]
    fn a_damaged_or_absurd_file_gives_the_default() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()), None);
        for text in [
            "not json",
            r#"{"width": -3, "height": 400, "x": null, "y": null, "maximized": false, "screen": null}"#,
            r#"{"width": 1e30, "height": 400, "x": null, "y": null, "maximized": false, "screen": null}"#,
        ] {
            std::fs::write(path(dir.path()), text).unwrap();
            assert_eq!(load(dir.path()), None, "{text}");
        }
        let tiny = Geometry {
            width: 10.0,
            height: 10.0,
            x: None,
            y: None,
            maximized: true,
            screen: None,
        };
        save(dir.path(), &tiny).unwrap();
        let loaded = load(dir.path()).unwrap();
        assert_eq!(
            (loaded.width, loaded.height),
            MIN_SIZE,
            "never below the minimum"
        );
        assert!(loaded.maximized);
        assert!(!dir.path().join("window.json.partial").exists());
    }
}
