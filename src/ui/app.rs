//! The iced application: opens the session, then hosts the profile screen. Wiring only; the
//! screen's behaviour lives in its view model.

use super::account_views::{self, Devices, SignOutQuestion, Who};
use super::sign_in::{self, SignInForm};
use super::user_profile::{self, Badge, UserProfileViewModel};
use crate::account::{self, Choice};
use crate::session::{Session, Settings};
use iced::widget::{button, column, container, text};
use iced::{Element, Length, Subscription, Task};
use profile_client::sync;
use std::sync::Arc;

pub enum App {
    Opening(Settings),
    /// The first run: this computer only, or a server (`sign_in`: the highlighted choice, which
    /// Tab and the arrow keys move and Enter takes).
    Welcome {
        settings: Settings,
        sign_in: bool,
    },
    SignIn {
        settings: Settings,
        form: SignInForm,
    },
    Failed {
        settings: Settings,
        reason: String,
    },
    Ready(Box<Ready>),
    SigningOut(Settings),
}

pub struct Ready {
    screen: UserProfileViewModel,
    /// The settings it was opened with; holding it also keeps the embedded server (if any)
    /// running for as long as the window.
    session: Arc<Session>,
    /// The background synchronizer; aborted when the window goes away.
    _synchronizer: iced::task::Handle,
    who: Who,
    /// The devices view, while open.
    devices: Option<Devices>,
    /// The question before signing out, while asked.
    sign_out: Option<SignOutQuestion>,
}

#[derive(Debug, Clone)]
pub enum Message {
    Opened(Result<Arc<Session>, String>),
    Retry,
    Profile(user_profile::Message),
    UseThisComputer,
    ShowSignIn,
    SignIn(sign_in::Message),
    Account(account_views::Message),
    SignedOut(Result<(), String>),
    /// A key on the welcome or sign-in screen (Tab, the arrows, Enter).
    Key(Key),
}

/// Keys the welcome and sign-in screens act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Next,
    Previous,
    Enter,
}

impl App {
    pub fn new(mut settings: Settings) -> (Self, Task<Message>) {
        match settings.with_account() {
            Err(error) => (
                App::Failed {
                    settings,
                    reason: error.to_string(),
                },
                Task::none(),
            ),
            // Nothing chosen yet and no server named on the command line: ask.
            Ok(None) if settings.api.is_none() && settings.token.is_none() => (
                App::Welcome {
                    settings,
                    sign_in: false,
                },
                Task::none(),
            ),
            Ok(_) => {
                let task = open(settings.clone());
                (App::Opening(settings), task)
            }
        }
    }

    pub fn update(&mut self, message: Message) -> Task<Message> {
        match message {
            Message::Opened(Ok(session)) => {
                let (screen, read) = UserProfileViewModel::new(session.repository.clone());
                // The next frame shows the profile screen, with the cached profile if there is
                // one (the start-up benchmark measures the time to this line).
                tracing::info!(cached = screen.profile().is_some(), "profile screen ready");
                let (synchronizer, handle) = Task::future(sync::run(
                    session.repository.clone(),
                    session.settings.sync_config(),
                ))
                .discard()
                .abortable();
                let who = match (&session.settings.account, &session.settings.api) {
                    (Some(account), _) => Who::Account(account.clone()),
                    (None, None) => Who::Local,
                    (None, Some(server)) => Who::Given {
                        server: server.clone(),
                    },
                };
                *self = App::Ready(Box::new(Ready {
                    screen,
                    session,
                    _synchronizer: handle.abort_on_drop(),
                    who,
                    devices: None,
                    sign_out: None,
                }));
                Task::batch([read.map(Message::Profile), synchronizer])
            }
            Message::Opened(Err(reason)) => {
                tracing::error!(%reason, "cannot open the profile");
                let settings = self.settings().clone();
                *self = App::Failed { settings, reason };
                Task::none()
            }
            Message::Retry => {
                let (app, task) = App::new(self.settings().clone());
                *self = app;
                task
            }
            Message::Profile(message) => match self {
                App::Ready(ready) => ready.screen.update(message).map(Message::Profile),
                _ => Task::none(),
            },
            Message::UseThisComputer => {
                let mut settings = self.settings().clone();
                if let Err(error) = account::choose(&settings.data_dir, &Choice::Local) {
                    *self = App::Failed {
                        settings,
                        reason: error.to_string(),
                    };
                    return Task::none();
                }
                settings.account = None;
                settings.api = None;
                *self = App::Opening(settings.clone());
                open(settings)
            }
            Message::ShowSignIn => {
                let settings = self.settings().clone();
                let form = SignInForm::new(&settings);
                *self = App::SignIn { settings, form };
                iced::widget::operation::focus(sign_in::SERVER_INPUT)
            }
            Message::SignIn(message) => self.sign_in(message),
            Message::Key(key) => match self {
                App::Welcome { sign_in, .. } => match key {
                    Key::Next | Key::Previous => {
                        *sign_in = !*sign_in;
                        Task::none()
                    }
                    Key::Enter if *sign_in => self.update(Message::ShowSignIn),
                    Key::Enter => self.update(Message::UseThisComputer),
                },
                App::SignIn { .. } => match key {
                    Key::Next => iced::widget::operation::focus_next(),
                    Key::Previous => iced::widget::operation::focus_previous(),
                    // Enter in a field submits the form (the field's own on_submit).
                    Key::Enter => Task::none(),
                },
                _ => Task::none(),
            },
            Message::Account(message) => self.account(message),
            Message::SignedOut(Ok(())) => {
                let mut settings = self.settings().clone();
                settings.account = None;
                settings.api = None;
                settings.token = None;
                *self = App::Welcome {
                    settings,
                    sign_in: false,
                };
                Task::none()
            }
            Message::SignedOut(Err(reason)) => {
                let settings = self.settings().clone();
                *self = App::Failed { settings, reason };
                Task::none()
            }
        }
    }

    fn sign_in(&mut self, message: sign_in::Message) -> Task<Message> {
        let App::SignIn { settings, form } = self else {
            return Task::none();
        };
        let (task, event) = form.update(message);
        match event {
            None => task.map(Message::SignIn),
            Some(sign_in::Event::SignedIn(signed_in)) => {
                let mut settings = settings.clone();
                settings.api = Some(signed_in.server.clone());
                settings.token = None;
                settings.account = Some(signed_in);
                *self = App::Opening(settings.clone());
                open(settings)
            }
            Some(sign_in::Event::Back) => {
                let (app, task) = App::new(settings.clone());
                *self = app;
                task
            }
        }
    }

    fn account(&mut self, message: account_views::Message) -> Task<Message> {
        use account_views::Message as M;
        let App::Ready(ready) = self else {
            return Task::none();
        };
        let api = || ready.session.repository.api().clone();
        match message {
            M::ShowDevices => {
                ready.devices = Some(Devices::default());
                return load_devices(api());
            }
            M::CloseDevices => ready.devices = None,
            M::DevicesLoaded(result) => {
                if let Some(devices) = &mut ready.devices {
                    match result {
                        Ok(list) => {
                            devices.list = Some(list);
                            devices.error = None;
                        }
                        Err(error) => devices.error = Some(error),
                    }
                }
            }
            M::SignOutDevice(id) => {
                if let Some(devices) = &mut ready.devices {
                    devices.busy.push(id.clone());
                }
                let api = api();
                return Task::perform(
                    async move {
                        let result = api.revoke_device(&id).await.map_err(|e| e.to_string());
                        (id, result)
                    },
                    |(id, result)| Message::Account(M::DeviceSignedOut(id, result)),
                );
            }
            M::DeviceSignedOut(id, result) => {
                if let Some(devices) = &mut ready.devices {
                    devices.busy.retain(|busy| *busy != id);
                    if let Err(error) = result {
                        devices.error = Some(format!("Could not sign that device out: {error}"));
                    }
                }
                return load_devices(api());
            }
            M::AskSignOut => ready.sign_out = Some(SignOutQuestion::default()),
            M::CancelSignOut => ready.sign_out = None,
            M::DeleteDataChanged(on) => {
                if let Some(question) = &mut ready.sign_out {
                    question.delete_data = on;
                }
            }
            M::SyncFirst => {
                return ready
                    .screen
                    .update(user_profile::Message::SyncNow)
                    .map(Message::Profile);
            }
            M::SignOut(delete_data) => {
                let Who::Account(signed_in) = ready.who.clone() else {
                    return Task::none();
                };
                // An edit that did not reach the server goes with the data.
                let delete_data = delete_data || ready.unsynced();
                let settings = ready.session.settings.clone();
                // Dropping the screen (and with it the session) stops the synchronizer before
                // anything is deleted.
                *self = App::SigningOut(settings.clone());
                return Task::perform(
                    sign_out(settings, signed_in, delete_data),
                    Message::SignedOut,
                );
            }
            M::SignIn => {
                let settings = ready.session.settings.clone();
                let form = match (&ready.who, ready.screen.badge()) {
                    (Who::Account(signed_in), Badge::SignedOut { reason }) => SignInForm::again(
                        &settings,
                        signed_in,
                        format!(
                            "The server no longer accepts this computer ({reason}). Sign in again; \
                             your changes are kept and sent once you are back."
                        ),
                    ),
                    _ => SignInForm::new(&settings),
                };
                *self = App::SignIn { settings, form };
                return iced::widget::operation::focus(sign_in::PASSWORD_INPUT);
            }
        }
        Task::none()
    }

    /// The open profile's repository, once the profile screen shows.
    pub fn repository(&self) -> Option<&Arc<profile_client::UserProfileRepository>> {
        match self {
            App::Ready(ready) => Some(&ready.session.repository),
            _ => None,
        }
    }

    fn settings(&self) -> &Settings {
        match self {
            App::Opening(settings)
            | App::Welcome { settings, .. }
            | App::SigningOut(settings)
            | App::SignIn { settings, .. }
            | App::Failed { settings, .. } => settings,
            App::Ready(ready) => &ready.session.settings,
        }
    }

    pub fn view(&self) -> Element<'_, Message> {
        match self {
            App::Opening(_) => container(text("Opening your profile…"))
                .center(Length::Fill)
                .into(),
            App::SigningOut(_) => container(text("Signing out…")).center(Length::Fill).into(),
            App::Welcome { sign_in, .. } => {
                sign_in::welcome(*sign_in, Message::UseThisComputer, Message::ShowSignIn)
            }
            App::SignIn { form, .. } => sign_in::view(form).map(Message::SignIn),
            App::Failed { reason, .. } => container(
                column![
                    text("The profile cannot be opened").size(22),
                    text(reason.as_str()),
                    button(text("Try again")).on_press(Message::Retry),
                ]
                .spacing(12)
                .max_width(520),
            )
            .center(Length::Fill)
            .into(),
            App::Ready(ready) => ready.view(),
        }
    }

    pub fn title(&self) -> String {
        match self {
            App::Opening(_) => "Opening — Profile".into(),
            App::SigningOut(_) => "Signing out — Profile".into(),
            App::Welcome { .. } => "Welcome — Profile".into(),
            App::SignIn { .. } => "Sign in — Profile".into(),
            App::Failed { .. } => "Error — Profile".into(),
            App::Ready(ready) => ready.screen.title(),
        }
    }

    pub fn subscription(&self) -> Subscription<Message> {
        match self {
            App::Ready(ready) => ready.screen.subscription().map(Message::Profile),
            App::Welcome { .. } | App::SignIn { .. } => {
                iced::event::listen_with(|event, _status, _window| match event {
                    iced::Event::Keyboard(iced::keyboard::Event::KeyPressed {
                        key: iced::keyboard::Key::Named(named),
                        modifiers,
                        ..
                    }) => {
                        use iced::keyboard::key::Named;
                        match named {
                            Named::Tab if modifiers.shift() => Some(Message::Key(Key::Previous)),
                            Named::Tab | Named::ArrowDown => Some(Message::Key(Key::Next)),
                            Named::ArrowUp => Some(Message::Key(Key::Previous)),
                            Named::Enter => Some(Message::Key(Key::Enter)),
                            _ => None,
                        }
                    }
                    _ => None,
                })
            }
            _ => Subscription::none(),
        }
    }
}

impl Ready {
    /// An edit has not reached the server.
    fn unsynced(&self) -> bool {
        self.screen
            .profile()
            .is_some_and(|profile| !profile.synchronized)
    }

    fn view(&self) -> Element<'_, Message> {
        let signed_out = matches!(self.screen.badge(), Badge::SignedOut { .. });
        let bar = account_views::bar(&self.who, signed_out).map(Message::Account);
        let mut content = column![bar];
        if let (Some(question), Who::Account(signed_in)) = (&self.sign_out, &self.who) {
            content = content.push(
                account_views::sign_out_question(signed_in, self.unsynced(), question)
                    .map(Message::Account),
            );
        }
        let body = match (&self.devices, &self.who) {
            (Some(devices), Who::Account(signed_in)) => {
                account_views::devices(signed_in, devices).map(Message::Account)
            }
            _ => user_profile::view::view(&self.screen).map(Message::Profile),
        };
        content.push(body).into()
    }
}

fn load_devices(api: profile_client::api_client::ApiClientService) -> Task<Message> {
    Task::perform(
        async move { api.devices().await.map_err(|e| e.to_string()) },
        |result| Message::Account(account_views::Message::DevicesLoaded(result)),
    )
}

/// Signs this computer out (see [`account::sign_out`]); the next start asks again.
async fn sign_out(
    settings: Settings,
    signed_in: account::Account,
    delete_data: bool,
) -> Result<(), String> {
    let not_told = account::sign_out(&settings.data_dir, &signed_in, false, delete_data)
        .await
        .map_err(|e| e.to_string())?;
    if let Some(error) = not_told {
        tracing::warn!(%error, "the server was not told about the sign-out; the device stays listed there");
    }
    Ok(())
}

fn open(settings: Settings) -> Task<Message> {
    Task::perform(
        async move {
            Session::open(settings)
                .await
                .map(Arc::new)
                .map_err(|e| e.to_string())
        },
        Message::Opened,
    )
}

/// Opens the window and runs until it is closed.
pub fn run(settings: Settings) -> iced::Result {
    iced::application(move || App::new(settings.clone()), App::update, App::view)
        .title(App::title)
        .subscription(App::subscription)
        .settings(super::fonts::settings())
        .window(iced::window::Settings {
            icon: icon(),
            min_size: Some(iced::Size::new(480.0, 360.0)),
            ..iced::window::Settings::default()
        })
        .window_size((680.0, 480.0))
        .centered()
        .run()
}

/// The window icon, decoded from the PNG built into the binary.
fn icon() -> Option<iced::window::Icon> {
    const PNG: &[u8] = include_bytes!("../../assets/icon-64.png");
    let decoded = image::load_from_memory_with_format(PNG, image::ImageFormat::Png)
        .map_err(|error| tracing::warn!(%error, "the window icon cannot be decoded"))
        .ok()?
        .to_rgba8();
    let (width, height) = decoded.dimensions();
    iced::window::icon::from_rgba(decoded.into_raw(), width, height)
        .map_err(|error| tracing::warn!(%error, "the window icon is invalid"))
        .ok()
}
