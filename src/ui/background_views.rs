//! What the window shows about background sync: the question asked once when the window closes
//! with an edit not on the server, and the setting that changes the answer later. Pure
//! functions of the state they are given.

use iced::Element;
use iced::widget::{button, checkbox, column, container, row, space, text};

#[derive(Debug, Clone)]
pub enum Message {
    /// Turn background sync on or off; `closing`: the answer to the question asked at close.
    KeepSending { on: bool, closing: bool },
}

/// The window's view of the setting.
#[derive(Debug, Clone, Default)]
pub struct BackgroundSetting {
    /// `None` until asked.
    pub enabled: Option<bool>,
    /// Turning it on or off is under way.
    pub busy: bool,
    /// Why the last change could not be made.
    pub error: Option<String>,
}

pub const QUESTION: &str = "Your change is saved on this computer but hasn't reached the server. \
                            Keep sending it in the background?";

/// The question asked once when the window closes with an edit not sent.
pub fn closing_question(setting: &BackgroundSetting) -> Element<'_, Message> {
    let mut content = column![
        text("Before the window closes").size(22),
        text(QUESTION),
        text(
            "The system starts a short job when there is something to send, and every \
             15 minutes to fetch your other devices' changes; nothing of ours runs in between. \
             You can change this later in the window or with `offline-profile background`."
        )
        .size(14),
    ]
    .spacing(14);
    if let Some(error) = &setting.error {
        content = content.push(text(format!(
            "Background sync could not be turned on: {error}"
        )));
    }
    let yes = button(text(if setting.busy {
        "Turning it on…"
    } else {
        "Yes, keep sending"
    }))
    .on_press_maybe((!setting.busy).then_some(Message::KeepSending {
        on: true,
        closing: true,
    }));
    let not_now = button(text("Not now"))
        .on_press_maybe((!setting.busy).then_some(Message::KeepSending {
            on: false,
            closing: true,
        }))
        .style(button::secondary);
    content = content.push(row![yes, space::horizontal(), not_now].spacing(10));
    super::account_views::question_panel(content)
}

/// The setting, under the profile.
pub fn setting(setting: &BackgroundSetting) -> Element<'_, Message> {
    let on = setting.enabled == Some(true);
    let mut content = column![
        checkbox(on)
            .label("Keep sending changes while the window is closed")
            .on_toggle_maybe(
                (!setting.busy).then_some(|on| Message::KeepSending { on, closing: false })
            ),
    ]
    .spacing(4);
    if let Some(error) = &setting.error {
        content = content.push(text(error.as_str()).size(14));
    }
    container(content).padding([8, 24]).into()
}
