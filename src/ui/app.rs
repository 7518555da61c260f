//! The iced application: opens the session, then hosts the profile screen. Wiring only; the
//! screen's behaviour lives in its view model.

use super::user_profile::{self, UserProfileViewModel};
use crate::session::{Session, Settings};
use iced::widget::{button, column, container, text};
use iced::{Element, Length, Subscription, Task};
use profile_client::sync;
use std::sync::Arc;

pub enum App {
    Opening(Settings),
    Failed { settings: Settings, reason: String },
    Ready(Box<Ready>),
}

pub struct Ready {
    screen: UserProfileViewModel,
    /// The settings it was opened with; holding it also keeps the embedded server (if any)
    /// running for as long as the window.
    session: Arc<Session>,
    /// The background synchronizer; aborted when the window goes away.
    _synchronizer: iced::task::Handle,
}

#[derive(Debug, Clone)]
pub enum Message {
    Opened(Result<Arc<Session>, String>),
    Retry,
    Profile(user_profile::Message),
}

impl App {
    pub fn new(settings: Settings) -> (Self, Task<Message>) {
        let task = open(settings.clone());
        (App::Opening(settings), task)
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
                *self = App::Ready(Box::new(Ready {
                    screen,
                    session,
                    _synchronizer: handle.abort_on_drop(),
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
                let settings = self.settings().clone();
                *self = App::Opening(settings.clone());
                open(settings)
            }
            Message::Profile(message) => match self {
                App::Ready(ready) => ready.screen.update(message).map(Message::Profile),
                _ => Task::none(),
            },
        }
    }

    fn settings(&self) -> &Settings {
        match self {
            App::Opening(settings) | App::Failed { settings, .. } => settings,
            App::Ready(ready) => &ready.session.settings,
        }
    }

    pub fn view(&self) -> Element<'_, Message> {
        match self {
            App::Opening(_) => container(text("Opening your profile…"))
                .center(Length::Fill)
                .into(),
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
            App::Ready(ready) => user_profile::view::view(&ready.screen).map(Message::Profile),
        }
    }

    pub fn title(&self) -> String {
        match self {
            App::Opening(_) => "Opening — Profile".into(),
            App::Failed { .. } => "Error — Profile".into(),
            App::Ready(ready) => ready.screen.title(),
        }
    }

    pub fn subscription(&self) -> Subscription<Message> {
        match self {
            App::Ready(ready) => ready.screen.subscription().map(Message::Profile),
            _ => Subscription::none(),
        }
    }
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
