//! What the window shows about the account: the line naming who is signed in and where, the
//! devices view, and the sign-out question. Pure functions of the state they are given.

use crate::account::{Account, TokenStore};
use iced::widget::{button, checkbox, column, container, row, scrollable, space, text};
use iced::{Alignment, Element, Length};
use profile_client::api_client::{Device, host};

/// Whose profile the window shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who {
    /// "Use on this computer only".
    Local,
    Account(Account),
    /// `--api`/`--token` from the command line.
    Given {
        server: String,
    },
}

#[derive(Debug, Clone)]
pub enum Message {
    ShowDevices,
    CloseDevices,
    DevicesLoaded(Result<Vec<Device>, String>),
    SignOutDevice(String),
    DeviceSignedOut(String, Result<(), String>),
    /// "Sign out" was pressed: ask first.
    AskSignOut,
    CancelSignOut,
    DeleteDataChanged(bool),
    /// Sign out now; `true` also deletes the account's data here.
    SignOut(bool),
    SyncFirst,
    /// Sign in again (the token was refused), or sign in from "this computer only".
    SignIn,
}

/// The devices view's state.
#[derive(Debug, Clone, Default)]
pub struct Devices {
    pub list: Option<Vec<Device>>,
    pub error: Option<String>,
    /// Devices being signed out right now.
    pub busy: Vec<String>,
}

/// The sign-out question's state.
#[derive(Debug, Clone, Default)]
pub struct SignOutQuestion {
    pub delete_data: bool,
}

/// The line above the profile: who, where, and the account's actions.
pub fn bar<'a>(who: &'a Who, signed_out: bool) -> Element<'a, Message> {
    let (words, actions): (String, Vec<Element<'a, Message>>) = match who {
        Who::Local => (
            crate::fl!("bar-local"),
            vec![
                action(crate::fl!("bar-sign-in"), Message::SignIn)
                    .style(button::text)
                    .into(),
            ],
        ),
        Who::Account(account) if signed_out => (
            crate::fl!(
                "bar-signed-out",
                email = account.email.as_str(),
                host = host(&account.server)
            ),
            vec![action(crate::fl!("sign-in-again"), Message::SignIn).into()],
        ),
        Who::Account(account) => (
            crate::fl!(
                "bar-signed-in",
                email = account.email.as_str(),
                host = host(&account.server)
            ),
            vec![
                action(crate::fl!("devices"), Message::ShowDevices)
                    .style(button::text)
                    .into(),
                action(crate::fl!("sign-out"), Message::AskSignOut)
                    .style(button::text)
                    .into(),
            ],
        ),
        Who::Given { server } => (crate::fl!("bar-given-token", host = host(server)), vec![]),
    };
    let mut line = row![
        text(words).size(14).style(text::secondary),
        space::horizontal()
    ]
    .spacing(4)
    .align_y(Alignment::Center);
    for action in actions {
        line = line.push(action);
    }
    container(line).padding([4, 24]).width(Length::Fill).into()
}

/// A small button of the account's views.
fn action<'a>(label: String, message: Message) -> iced::widget::Button<'a, Message> {
    button(text(label).size(14)).on_press(message)
}

/// The account's devices, each with a button that signs it out.
pub fn devices<'a>(account: &'a Account, state: &'a Devices) -> Element<'a, Message> {
    let mut content = column![
        row![
            text(crate::fl!("devices")).size(26),
            space::horizontal(),
            button(text(crate::fl!("back")))
                .on_press(Message::CloseDevices)
                .style(button::secondary),
        ]
        .align_y(Alignment::Center),
        text(crate::fl!(
            "devices-intro",
            email = account.email.as_str(),
            host = host(&account.server)
        ))
        .size(14),
    ]
    .spacing(16)
    .max_width(560);
    match &state.list {
        None if state.error.is_none() => content = content.push(text(crate::fl!("badge-loading"))),
        None => {}
        Some(list) => {
            for device in list {
                let added = crate::words::date(device.created_at);
                let mut details = column![text(device.name.clone())].spacing(2);
                details = details.push(
                    text(if device.current {
                        crate::fl!("device-this-added", date = added)
                    } else {
                        crate::fl!("device-added", date = added)
                    })
                    .size(13)
                    .style(text::secondary),
                );
                let action: Element<'a, Message> = if device.current {
                    text("").into()
                } else if state.busy.contains(&device.id) {
                    text(crate::fl!("signing-out")).size(14).into()
                } else {
                    action(
                        crate::fl!("sign-out"),
                        Message::SignOutDevice(device.id.clone()),
                    )
                    .style(button::danger)
                    .into()
                };
                content = content.push(
                    container(
                        row![details.width(Length::Fill), action]
                            .spacing(12)
                            .align_y(Alignment::Center),
                    )
                    .padding(12)
                    .style(container::rounded_box),
                );
            }
        }
    }
    if let Some(error) = &state.error {
        content = content.push(text(error.clone()).style(text::danger));
    }
    scrollable(container(content).padding(24).center_x(Length::Fill))
        .height(Length::Fill)
        .into()
}

/// The question before signing out. With an edit that has not reached the server the choices
/// are to sync it first, to discard it, or to stay.
pub fn sign_out_question<'a>(
    account: &'a Account,
    unsynced: bool,
    question: &SignOutQuestion,
) -> Element<'a, Message> {
    let mut content = column![
        text(crate::fl!(
            "sign-out-question",
            email = account.email.as_str()
        ))
        .size(22)
    ]
    .spacing(14);
    if unsynced {
        content = content
            .push(text(crate::fl!("sign-out-unsynced")))
            .push(or_cancel(row![
                button(text(crate::fl!("sync-now"))).on_press(Message::SyncFirst),
                button(text(crate::fl!("sign-out-discard")))
                    .on_press(Message::SignOut(true))
                    .style(button::danger),
            ]));
    } else {
        content = content
            .push(text(match account.token_store {
                TokenStore::Keyring => {
                    crate::fl!("sign-out-keyring", host = host(&account.server))
                }
                TokenStore::File => crate::fl!("sign-out-key-file", host = host(&account.server)),
            }))
            .push(
                checkbox(question.delete_data)
                    .label(crate::fl!("sign-out-delete-data"))
                    .on_toggle(Message::DeleteDataChanged),
            )
            .push(or_cancel(row![
                button(text(crate::fl!("sign-out")))
                    .on_press(Message::SignOut(question.delete_data))
                    .style(button::danger),
            ]));
    }
    question_panel(content)
}

/// A question's box, centred under the account line (the sign-out question, the one asked
/// before the window closes).
pub fn question_panel<'a, M: 'a>(content: iced::widget::Column<'a, M>) -> Element<'a, M> {
    container(
        container(content)
            .padding(16)
            .max_width(560)
            .style(container::rounded_box),
    )
    .padding([0, 24])
    .center_x(Length::Fill)
    .into()
}

/// The question's `choices`, then "Cancel" at the far end.
fn or_cancel(choices: iced::widget::Row<'_, Message>) -> iced::widget::Row<'_, Message> {
    choices
        .push(space::horizontal())
        .push(
            button(text(crate::fl!("cancel")))
                .on_press(Message::CancelSignOut)
                .style(button::secondary),
        )
        .spacing(10)
}
