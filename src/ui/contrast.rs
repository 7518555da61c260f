//! High contrast: the window follows the desktop's contrast preference where the desktop says
//! it — on Linux the XDG desktop portal's `org.freedesktop.appearance` `contrast` setting (GNOME's
//! "High Contrast", and any desktop whose portal reports it), read at start and followed while
//! the window is open — and then draws with a high-contrast theme of the light or dark mode.

use iced::Theme;
use iced::theme::Palette;

/// The portal's service, object and interface, and the setting.
pub const PORTAL: &str = "org.freedesktop.portal.Desktop";
pub const PORTAL_PATH: &str = "/org/freedesktop/portal/desktop";
pub const SETTINGS: &str = "org.freedesktop.portal.Settings";
pub const NAMESPACE: &str = "org.freedesktop.appearance";
pub const KEY: &str = "contrast";
/// `contrast`'s value for "higher contrast" (0: no preference).
pub const HIGHER: u32 = 1;

/// The high-contrast theme for a light or dark desktop: pure black and white, with colours
/// that keep at least 7:1 against the background (WCAG AAA) for the accents and the badge.
pub fn theme(dark: bool) -> Theme {
    let palette = if dark {
        Palette {
            background: iced::Color::BLACK,
            text: iced::Color::WHITE,
            primary: iced::Color::from_rgb8(0xff, 0xd6, 0x0a),
            success: iced::Color::from_rgb8(0x5c, 0xff, 0x8a),
            warning: iced::Color::from_rgb8(0xff, 0xb3, 0x47),
            danger: iced::Color::from_rgb8(0xff, 0x8a, 0x8a),
        }
    } else {
        Palette {
            background: iced::Color::WHITE,
            text: iced::Color::BLACK,
            primary: iced::Color::from_rgb8(0x00, 0x2e, 0x8a),
            success: iced::Color::from_rgb8(0x00, 0x5a, 0x1e),
            warning: iced::Color::from_rgb8(0x6b, 0x3a, 0x00),
            danger: iced::Color::from_rgb8(0x9b, 0x00, 0x00),
        }
    };
    let name = if dark {
        "High contrast (dark)"
    } else {
        "High contrast (light)"
    };
    Theme::custom_with_fn(name, palette, |palette| {
        use iced::theme::palette::{Extended, Pair};
        let mut extended = Extended::generate(palette);
        // Borders, dividers and quiet text in the text colour, not a grey between the two;
        // secondary buttons as the text colour with the background's on them.
        let strong = Pair::new(palette.text, palette.background);
        let background = &mut extended.background;
        background.neutral = strong;
        background.strong = strong;
        background.stronger = strong;
        // `strongest` stays as generated: the placeholder of an empty field must not read as a
        // value.
        extended.secondary.base = strong;
        extended.secondary.strong = strong;
        extended.secondary.weak = strong;
        extended
    })
}

/// Whether the desktop asks for higher contrast, read from the portal on `connection`; `false`
/// where there is no portal or it does not know the setting.
#[cfg(target_os = "linux")]
pub async fn higher_on(connection: &zbus::Connection) -> bool {
    let reply = connection
        .call_method(
            Some(PORTAL),
            PORTAL_PATH,
            Some(SETTINGS),
            "ReadOne",
            &(NAMESPACE, KEY),
        )
        .await;
    match reply {
        Ok(message) => message
            .body()
            .deserialize::<zbus::zvariant::OwnedValue>()
            .ok()
            .and_then(|value| u32::try_from(value).ok())
            .is_some_and(|value| value == HIGHER),
        Err(error) => {
            tracing::debug!(%error, "no contrast setting from the desktop portal");
            false
        }
    }
}

/// The desktop's contrast preference now and at every change, on `connection`.
#[cfg(target_os = "linux")]
pub fn changes_on(connection: zbus::Connection) -> impl futures::Stream<Item = bool> {
    use futures::StreamExt;
    futures::stream::once(async move {
        let now = higher_on(&connection).await;
        let rule = zbus::MatchRule::builder()
            .msg_type(zbus::message::Type::Signal)
            .interface(SETTINGS)
            .and_then(|rule| rule.member("SettingChanged"))
            .map(|rule| rule.build());
        let changes = match rule {
            Ok(rule) => zbus::MessageStream::for_match_rule(rule, &connection, None)
                .await
                .map_err(|error| tracing::debug!(%error, "contrast changes are not followed"))
                .ok(),
            Err(error) => {
                tracing::debug!(%error, "contrast changes are not followed");
                None
            }
        };
        let changes = futures::stream::iter(changes)
            .flatten()
            .filter_map(|message| async move {
                let message = message.ok()?;
                let (namespace, key, value): (String, String, zbus::zvariant::OwnedValue) =
                    message.body().deserialize().ok()?;
                (namespace == NAMESPACE && key == KEY)
                    .then(|| u32::try_from(value).is_ok_and(|value| value == HIGHER))
            });
        futures::stream::once(async move { now }).chain(changes)
    })
    .flatten()
}
