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

/// The question itself (the tests find the panel by it).
pub fn question() -> String {
    crate::fl!("background-question")
}

/// The question asked once when the window closes with an edit not sent.
pub fn closing_question(setting: &BackgroundSetting) -> Element<'_, Message> {
    let mut content = column![
        text(crate::fl!("background-heading")).size(22),
        text(question()),
        text(crate::fl!("background-detail")).size(14),
    ]
    .spacing(14);
    if let Some(error) = &setting.error {
        content = content.push(text(crate::fl!(
            "background-failed",
            error = error.as_str()
        )));
    }
    let yes = button(text(if setting.busy {
        crate::fl!("background-turning-on")
    } else {
        crate::fl!("background-yes")
    }))
    .on_press_maybe((!setting.busy).then_some(Message::KeepSending {
        on: true,
        closing: true,
    }));
    let not_now = button(text(crate::fl!("background-not-now")))
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
            .label(crate::fl!("background-setting"))
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
