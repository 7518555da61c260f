//! The fonts the window draws with, built into the binary so it renders the same on every
//! machine, with or without system fonts: Fira Sans (iced's `fira-sans` feature) for text, and
//! DejaVu Sans (free, Bitstream Vera licence: `assets/fonts/LICENSE-DejaVu.txt`) for the badge's
//! symbols (✓ ⚠ ✕ ◐ …) and the scripts Fira Sans lacks.

/// DejaVu Sans, unmodified.
pub const DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// The text font, named explicitly: the generic sans-serif family would resolve to whatever
/// the machine prefers.
pub const TEXT: iced::Font = iced::Font::with_name("Fira Sans");

/// iced settings with the bundled fonts loaded, for the window and for headless rendering.
pub fn settings() -> iced::Settings {
    iced::Settings {
        fonts: vec![DEJAVU_SANS.into()],
        default_font: TEXT,
        ..iced::Settings::default()
    }
}
