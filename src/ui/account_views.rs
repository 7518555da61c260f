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
            "On this computer only".into(),
            vec![
                action("Sign in to a server…", Message::SignIn)
                    .style(button::text)
                    .into(),
            ],
        ),
        Who::Account(account) if signed_out => (
            format!(
                "{} at {} — signed out",
                account.email,
                host(&account.server)
            ),
            vec![action("Sign in again", Message::SignIn).into()],
        ),
        Who::Account(account) => (
            format!(
                "Signed in as {} at {}",
                account.email,
                host(&account.server)
            ),
            vec![
                action("Devices", Message::ShowDevices)
                    .style(button::text)
                    .into(),
                action("Sign out", Message::AskSignOut)
                    .style(button::text)
                    .into(),
            ],
        ),
        Who::Given { server } => (
            format!("Connected to {} with a given token", host(server)),
            vec![],
        ),
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
fn action(label: &str, message: Message) -> iced::widget::Button<'_, Message> {
    button(text(label).size(14)).on_press(message)
}

/// The account's devices, each with a button that signs it out.
pub fn devices<'a>(account: &'a Account, state: &'a Devices) -> Element<'a, Message> {
    let mut content = column![
        row![
            text("Devices").size(26),
            space::horizontal(),
            button(text("Back"))
                .on_press(Message::CloseDevices)
                .style(button::secondary),
        ]
        .align_y(Alignment::Center),
        text(format!(
            "Computers signed in as {} at {}. Signing one out stops it syncing at once; its \
             changes stay on it until someone signs in there again.",
            account.email,
            host(&account.server)
        ))
        .size(14),
    ]
    .spacing(16)
    .max_width(560);
    match &state.list {
        None if state.error.is_none() => content = content.push(text("Loading…")),
        None => {}
        Some(list) => {
            for device in list {
                let added = device.created_at.format("%-d %b %Y").to_string();
                let mut details = column![text(device.name.clone())].spacing(2);
                details = details.push(
                    text(if device.current {
                        format!("This computer · added {added}")
                    } else {
                        format!("Added {added}")
                    })
                    .size(13)
                    .style(text::secondary),
                );
                let action: Element<'a, Message> = if device.current {
                    text("").into()
                } else if state.busy.contains(&device.id) {
                    text("Signing out…").size(14).into()
                } else {
                    action("Sign out", Message::SignOutDevice(device.id.clone()))
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
    let mut content = column![text(format!("Sign out of {}?", account.email)).size(22)].spacing(14);
    if unsynced {
        content = content
            .push(text(
                "Your latest change has not reached the server yet. Signing out now deletes it \
                 from this computer.",
            ))
            .push(or_cancel(row![
                button(text("Sync now")).on_press(Message::SyncFirst),
                button(text("Sign out and discard"))
                    .on_press(Message::SignOut(true))
                    .style(button::danger),
            ]));
    } else {
        content = content
            .push(text(format!(
                "This computer stops syncing with {}. {}",
                host(&account.server),
                match account.token_store {
                    TokenStore::Keyring => "Its key is removed from the system keyring.",
                    TokenStore::File => "Its key file is deleted.",
                }
            )))
            .push(
                checkbox(question.delete_data)
                    .label("Also remove this account's profile from this computer")
                    .on_toggle(Message::DeleteDataChanged),
            )
            .push(or_cancel(row![
                button(text("Sign out"))
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
            button(text("Cancel"))
                .on_press(Message::CancelSignOut)
                .style(button::secondary),
        )
        .spacing(10)
}
