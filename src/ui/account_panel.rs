//! The account part of the profile screen: the line naming who is signed in, the devices view
//! and the sign-out question. Its own state and `update -> (Task, Option<Event>)`, as the
//! sign-in form has; what only the application can do (sync first, sign out, sign in) comes
//! back as an [`Event`]. The views are in `account_views`.

use super::account_views::{self, Devices, Message, SignOutQuestion, Who};
use crate::account::Account;
use crate::session::AccountApi;
use iced::{Element, Task};

/// What the application must do for the account panel.
#[derive(Debug, Clone)]
pub enum Event {
    /// "Sync first" in the sign-out question.
    SyncFirst,
    /// Sign `account` out; `delete_data` also deletes its data here.
    SignOut { account: Account, delete_data: bool },
    /// Sign in (again, when the token was refused; or from "this computer only").
    SignIn,
}

pub struct AccountPanel {
    who: Who,
    /// The signed-in account's own requests; `None` unless signed in.
    api: Option<AccountApi>,
    /// The devices view, while open.
    devices: Option<Devices>,
    /// The question before signing out, while asked.
    sign_out: Option<SignOutQuestion>,
}

impl AccountPanel {
    pub fn new(who: Who, api: Option<AccountApi>) -> Self {
        Self {
            who,
            api,
            devices: None,
            sign_out: None,
        }
    }

    pub fn who(&self) -> &Who {
        &self.who
    }

    /// `unsynced`: an edit has not reached the server (signing out then deletes it with the
    /// data, after the question said so).
    pub fn update(&mut self, message: Message, unsynced: bool) -> (Task<Message>, Option<Event>) {
        let none = (Task::none(), None);
        match message {
            Message::ShowDevices => {
                self.devices = Some(Devices::default());
                return (self.load_devices(), None);
            }
            Message::CloseDevices => self.devices = None,
            Message::DevicesLoaded(result) => {
                if let Some(devices) = &mut self.devices {
                    match result {
                        Ok(list) => {
                            devices.list = Some(list);
                            devices.error = None;
                        }
                        Err(error) => devices.error = Some(error),
                    }
                }
            }
            Message::SignOutDevice(id) => {
                let Some(api) = self.api.clone() else {
                    return none;
                };
                if let Some(devices) = &mut self.devices {
                    devices.busy.push(id.clone());
                }
                let task = Task::perform(
                    async move {
                        let result = api.revoke_device(&id).await.map_err(|e| e.to_string());
                        (id, result)
                    },
                    |(id, result)| Message::DeviceSignedOut(id, result),
                );
                return (task, None);
            }
            Message::DeviceSignedOut(id, result) => {
                if let Some(devices) = &mut self.devices {
                    devices.busy.retain(|busy| *busy != id);
                    if let Err(error) = result {
                        devices.error = Some(crate::fl!(
                            "device-sign-out-failed",
                            error = error.to_string()
                        ));
                    }
                }
                return (self.load_devices(), None);
            }
            Message::AskSignOut => self.sign_out = Some(SignOutQuestion::default()),
            Message::CancelSignOut => self.sign_out = None,
            Message::DeleteDataChanged(on) => {
                if let Some(question) = &mut self.sign_out {
                    question.delete_data = on;
                }
            }
            Message::SyncFirst => return (Task::none(), Some(Event::SyncFirst)),
            Message::SignOut(delete_data) => {
                let Who::Account(account) = &self.who else {
                    return none;
                };
                let event = Event::SignOut {
                    account: account.clone(),
                    // An edit that did not reach the server goes with the data.
                    delete_data: delete_data || unsynced,
                };
                return (Task::none(), Some(event));
            }
            Message::SignIn => return (Task::none(), Some(Event::SignIn)),
        }
        none
    }

    fn load_devices(&self) -> Task<Message> {
        let Some(api) = self.api.clone() else {
            return Task::none();
        };
        Task::perform(
            async move { api.devices().await.map_err(|e| e.to_string()) },
            Message::DevicesLoaded,
        )
    }

    /// The account line above the content.
    pub fn bar(&self, signed_out: bool) -> Element<'_, Message> {
        account_views::bar(&self.who, signed_out)
    }

    /// The sign-out question, while asked.
    pub fn question(&self, unsynced: bool) -> Option<Element<'_, Message>> {
        match (&self.sign_out, &self.who) {
            (Some(question), Who::Account(account)) => Some(account_views::sign_out_question(
                account, unsynced, question,
            )),
            _ => None,
        }
    }

    /// The devices view, while open: it takes the place of the profile.
    pub fn devices(&self) -> Option<Element<'_, Message>> {
        match (&self.devices, &self.who) {
            (Some(devices), Who::Account(account)) => {
                Some(account_views::devices(account, devices))
            }
            _ => None,
        }
    }
}
