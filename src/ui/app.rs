//! The iced application: opens the session, then hosts the profile screen and the account
//! panel. Wiring only: the screens' behaviour lives in their own `update`s (the profile's view
//! model, the sign-in form, the account panel); what they ask of the application comes back as
//! events, and file and network work runs in tasks.

use super::account_panel::{self, AccountPanel};
use super::account_views::{self, Who};
use super::background_views::{self, BackgroundSetting};
use super::sign_in::{self, SignInForm};
use super::user_profile::{self, Badge, UserProfileViewModel};
use super::window_state::{self, Geometry};
use crate::account::{self, Choice};
use crate::session::{Connection, Session, Settings};
use iced::widget::{button, column, container, text};
use iced::{Element, Length, Subscription, Task};
use profile_client::sync;
use std::path::PathBuf;
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
        form: Box<SignInForm>,
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
    account: AccountPanel,
    /// Held while the window syncs: the background job steps aside meanwhile.
    presence: Option<crate::background::Presence>,
    background: BackgroundSetting,
    /// The window asked to close while the question about background sync is shown.
    closing: Option<iced::window::Id>,
}

#[derive(Debug, Clone)]
pub enum Message {
    Opened(Result<Arc<Session>, String>),
    Retry,
    Profile(user_profile::Message),
    UseThisComputer,
    /// "This computer only" was written down (or could not be).
    ChoseThisComputer(Result<(), String>),
    ShowSignIn,
    SignIn(sign_in::Message),
    Account(account_views::Message),
    SignedOut(Result<(), String>),
    /// A key on the welcome or sign-in screen (Tab, the arrows, Enter).
    Key(Key),
    /// The window's close button (or the system) asked to close it.
    CloseRequested(iced::window::Id),
    Background(background_views::Message),
    /// Background sync was turned on or off (its new state), or could not be; `closing`: the
    /// window closes next.
    BackgroundSet {
        result: Result<bool, String>,
        closing: bool,
    },
    /// The window is open (its remembered place is checked against the screen it is on).
    WindowOpened(iced::window::Id),
    /// The size of the screen the window opened on.
    WindowPlaced {
        id: iced::window::Id,
        screen: Option<iced::Size>,
    },
    /// The app was started again on this data folder, or its notification was clicked: the
    /// window comes to the front.
    Raise,
    /// The window gained (`true`) or lost the focus.
    Focus(bool),
    /// A notification went away: clicked (`true`), or closed or expired.
    Notified(bool),
    /// The desktop asks for higher contrast (`true`), or no longer does.
    Contrast(bool),
    /// The desktop's light or dark mode.
    Mode(iced::theme::Mode),
    /// Where the window is and how large, read as it was asked to close; then the close goes on.
    Remember {
        id: iced::window::Id,
        geometry: Geometry,
    },
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
            Ok(None) if !settings.names_a_server() => (
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
                let who = match &session.settings.connection {
                    Connection::Account(account) => Who::Account(account.clone()),
                    Connection::Local => Who::Local,
                    Connection::Token { api, .. } => Who::Given {
                        server: api.clone(),
                    },
                };
                let account = AccountPanel::new(who, session.account_api.clone());
                let data_dir = &session.settings.data_dir;
                let background = BackgroundSetting {
                    enabled: crate::background::Preferences::read(data_dir)
                        .map_err(|error| tracing::warn!(%error, "background sync's settings"))
                        .ok()
                        .and_then(|preferences| preferences.enabled),
                    ..BackgroundSetting::default()
                };
                *self = App::Ready(Box::new(Ready {
                    presence: crate::background::Presence::announce(data_dir),
                    screen,
                    session,
                    _synchronizer: handle.abort_on_drop(),
                    account,
                    background,
                    closing: None,
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
                if !matches!(self, App::Welcome { .. }) {
                    return Task::none();
                }
                // Written (and flushed) off the window's thread; meanwhile the window says it
                // is opening, so the choice cannot be made twice.
                let settings = self.settings().clone();
                let data_dir = settings.data_dir.clone();
                *self = App::Opening(settings);
                Task::perform(
                    async move {
                        tokio::task::spawn_blocking(move || {
                            account::choose(&data_dir, &Choice::Local).map_err(|e| e.to_string())
                        })
                        .await
                        .map_err(|e| e.to_string())?
                    },
                    Message::ChoseThisComputer,
                )
            }
            Message::ChoseThisComputer(chosen) => {
                if !matches!(self, App::Opening(_)) {
                    return Task::none();
                }
                let mut settings = self.settings().clone();
                if let Err(reason) = chosen {
                    *self = App::Failed { settings, reason };
                    return Task::none();
                }
                settings.connect(Connection::Local);
                *self = App::Opening(settings.clone());
                open(settings)
            }
            Message::ShowSignIn => {
                let settings = self.settings().clone();
                let form = Box::new(SignInForm::new(&settings));
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
                settings.connect(Connection::Local);
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
            // The window's place and size are the shell's (`Shell`).
            Message::WindowOpened(_)
            | Message::WindowPlaced { .. }
            | Message::Remember { .. }
            | Message::Raise
            | Message::Focus(_)
            | Message::Notified(_)
            | Message::Contrast(_)
            | Message::Mode(_) => Task::none(),
            Message::CloseRequested(id) => match self {
                // Asked once: an edit not sent, background sync possible and never chosen.
                App::Ready(ready)
                    if ready.unsynced()
                        && ready.offers_background()
                        && ready.background.enabled.is_none() =>
                {
                    ready.closing = Some(id);
                    Task::none()
                }
                _ => self.close(id),
            },
            Message::Background(background_views::Message::KeepSending { on, closing }) => {
                let App::Ready(ready) = self else {
                    return Task::none();
                };
                ready.background.busy = true;
                ready.background.error = None;
                let settings = ready.session.settings.clone();
                Task::perform(
                    async move {
                        tokio::task::spawn_blocking(move || set_background(&settings, on, closing))
                            .await
                            .map_err(|e| e.to_string())?
                    },
                    move |result| Message::BackgroundSet { result, closing },
                )
            }
            Message::BackgroundSet { result, closing } => {
                let App::Ready(ready) = self else {
                    return Task::none();
                };
                ready.background.busy = false;
                match result {
                    Ok(on) => {
                        ready.background.enabled = Some(on);
                        match ready.closing.take() {
                            Some(id) if closing => self.close(id),
                            _ => Task::none(),
                        }
                    }
                    Err(error) => {
                        tracing::warn!(%error, "background sync cannot be changed");
                        ready.background.error = Some(error);
                        Task::none()
                    }
                }
            }
        }
    }

    /// Closes the window; an edit not on the server is handed over to the background job
    /// first, when background sync is on.
    fn close(&mut self, id: iced::window::Id) -> Task<Message> {
        if let App::Ready(ready) = self {
            // The job must not find this window still syncing.
            ready.presence = None;
            if let Some(words) =
                crate::background::hand_over(&ready.session.settings.data_dir, ready.unsynced())
            {
                tracing::info!("{words}");
            }
        }
        iced::window::close(id)
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
                settings.connect(Connection::Account(signed_in));
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
        let App::Ready(ready) = self else {
            return Task::none();
        };
        let unsynced = ready.unsynced();
        let (task, event) = ready.account.update(message, unsynced);
        let task = task.map(Message::Account);
        match event {
            None => task,
            Some(account_panel::Event::SyncFirst) => ready
                .screen
                .update(user_profile::Message::SyncNow)
                .map(Message::Profile),
            Some(account_panel::Event::SignOut {
                account,
                delete_data,
            }) => {
                let settings = ready.session.settings.clone();
                // Dropping the screen (and with it the session) stops the synchronizer before
                // anything is deleted.
                *self = App::SigningOut(settings.clone());
                Task::perform(sign_out(settings, account, delete_data), Message::SignedOut)
            }
            Some(account_panel::Event::SignIn) => {
                let settings = ready.session.settings.clone();
                let form = match (ready.account.who(), ready.screen.badge()) {
                    (Who::Account(signed_in), Badge::SignedOut { reason }) => SignInForm::again(
                        &settings,
                        signed_in,
                        crate::fl!("sign-in-again-reason", reason = reason.as_str()),
                    ),
                    _ => SignInForm::new(&settings),
                };
                *self = App::SignIn {
                    settings,
                    form: Box::new(form),
                };
                iced::widget::operation::focus(sign_in::PASSWORD_INPUT)
            }
        }
    }

    /// The signed-in account's own requests, once the profile screen shows.
    pub fn account_api(&self) -> Option<&crate::session::AccountApi> {
        match self {
            App::Ready(ready) => ready.session.account_api.as_ref(),
            _ => None,
        }
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
            App::Opening(_) => container(text(crate::fl!("opening")))
                .center(Length::Fill)
                .into(),
            App::SigningOut(_) => container(text(crate::fl!("signing-out")))
                .center(Length::Fill)
                .into(),
            App::Welcome { sign_in, .. } => {
                sign_in::welcome(*sign_in, Message::UseThisComputer, Message::ShowSignIn)
            }
            App::SignIn { form, .. } => sign_in::view(form).map(Message::SignIn),
            App::Failed { reason, .. } => container(
                column![
                    text(crate::fl!("cannot-open")).size(22),
                    text(reason.as_str()),
                    button(text(crate::fl!("try-again"))).on_press(Message::Retry),
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
            App::Opening(_) => crate::fl!("title-opening"),
            App::SigningOut(_) => crate::fl!("title-signing-out"),
            App::Welcome { .. } => crate::fl!("title-welcome"),
            App::SignIn { .. } => crate::fl!("title-sign-in"),
            App::Failed { .. } => crate::fl!("title-error"),
            App::Ready(ready) => ready.screen.title(),
        }
    }

    pub fn subscription(&self) -> Subscription<Message> {
        Subscription::batch([
            self.screen_subscription(),
            iced::window::close_requests().map(Message::CloseRequested),
        ])
    }

    fn screen_subscription(&self) -> Subscription<Message> {
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

    /// Whether there is a server outside the app to send to once it is closed.
    fn offers_background(&self) -> bool {
        !matches!(self.session.settings.connection, Connection::Local)
    }

    fn view(&self) -> Element<'_, Message> {
        let signed_out = matches!(self.screen.badge(), Badge::SignedOut { .. });
        let mut content = column![self.account.bar(signed_out).map(Message::Account)];
        if self.closing.is_some() {
            return content
                .push(background_views::closing_question(&self.background).map(Message::Background))
                .into();
        }
        if let Some(question) = self.account.question(self.unsynced()) {
            content = content.push(question.map(Message::Account));
        }
        let body = match self.account.devices() {
            Some(devices) => devices.map(Message::Account),
            None => user_profile::view::view(&self.screen).map(Message::Profile),
        };
        content = content.push(body);
        if self.offers_background() && self.account.devices().is_none() {
            content =
                content.push(background_views::setting(&self.background).map(Message::Background));
        }
        content.into()
    }
}

/// Turns background sync on, or off (`closing`: "Not now" only remembers the answer); the new
/// state.
fn set_background(settings: &Settings, on: bool, closing: bool) -> Result<bool, String> {
    use crate::background::{self, Preferences};
    if on {
        let every = Preferences::read(&settings.data_dir)
            .map(|preferences| preferences.every_minutes)
            .unwrap_or(background::DEFAULT_EVERY_MINUTES);
        background::enable(settings, every).map_err(|e| e.to_string())?;
    } else if closing {
        let mut preferences = Preferences::read(&settings.data_dir).map_err(|e| e.to_string())?;
        preferences.enabled = Some(false);
        preferences
            .write(&settings.data_dir)
            .map_err(|e| e.to_string())?;
    } else {
        background::disable(settings).map_err(|e| e.to_string())?;
    }
    Ok(on)
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
/// Why no window can open here, said before the toolkit tries (it would panic): on Linux and
/// the BSDs a display server must be named by `WAYLAND_DISPLAY`, `WAYLAND_SOCKET` or
/// `DISPLAY` — over SSH, say, none is. `None` where one is named, and on other platforms.
pub fn no_display() -> Option<String> {
    if !cfg!(all(unix, not(target_os = "macos"))) {
        return None;
    }
    let named = ["WAYLAND_DISPLAY", "WAYLAND_SOCKET", "DISPLAY"]
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|value| !value.is_empty()));
    (!named).then(|| crate::fl!("no-display"))
}

/// A library the window loads when it starts, and the packages that hold it.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
struct WindowLibrary {
    file: &'static str,
    debian: &'static str,
    fedora: &'static str,
}

/// What the window loads to reach an X11 display (the toolkit opens them at run time; the same
/// list as the Debian package's dependencies).
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
const X11_LIBRARIES: &[WindowLibrary] = &[
    WindowLibrary {
        file: "libX11.so.6",
        debian: "libx11-6",
        fedora: "libX11",
    },
    WindowLibrary {
        file: "libX11-xcb.so.1",
        debian: "libx11-xcb1",
        fedora: "libX11-xcb",
    },
    WindowLibrary {
        file: "libxcb.so.1",
        debian: "libxcb1",
        fedora: "libxcb",
    },
    WindowLibrary {
        file: "libXcursor.so.1",
        debian: "libxcursor1",
        fedora: "libXcursor",
    },
    WindowLibrary {
        file: "libXi.so.6",
        debian: "libxi6",
        fedora: "libXi",
    },
    WindowLibrary {
        file: "libxkbcommon.so.0",
        debian: "libxkbcommon0",
        fedora: "libxkbcommon",
    },
    WindowLibrary {
        file: "libxkbcommon-x11.so.0",
        debian: "libxkbcommon-x11-0",
        fedora: "libxkbcommon-x11",
    },
];

/// What the window loads to reach a Wayland compositor.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
const WAYLAND_LIBRARIES: &[WindowLibrary] = &[
    WindowLibrary {
        file: "libwayland-client.so.0",
        debian: "libwayland-client0",
        fedora: "libwayland-client",
    },
    WindowLibrary {
        file: "libxkbcommon.so.0",
        debian: "libxkbcommon0",
        fedora: "libxkbcommon",
    },
];

/// Why the window could not reach the display that is named, where a library it loads at start
/// is missing (the toolkit would panic inside it): which, and the packages to install. Wayland
/// is tried first where it is named, then X11, as the toolkit does. `None` elsewhere.
pub fn missing_window_libraries() -> Option<String> {
    #[cfg(target_os = "linux")]
    {
        let named = |name: &str| std::env::var_os(name).is_some_and(|value| !value.is_empty());
        let wayland = named("WAYLAND_DISPLAY") || named("WAYLAND_SOCKET");
        let missing = |libraries: &'static [WindowLibrary]| -> Vec<&'static WindowLibrary> {
            libraries
                .iter()
                .filter(|library| !loadable(library.file))
                .collect()
        };
        let lacking = match (wayland, named("DISPLAY")) {
            (true, x11) => {
                let lacking = missing(WAYLAND_LIBRARIES);
                if lacking.is_empty() {
                    return None;
                }
                if x11 { missing(X11_LIBRARIES) } else { lacking }
            }
            (false, true) => missing(X11_LIBRARIES),
            (false, false) => return None,
        };
        if lacking.is_empty() {
            return None;
        }
        let list = |part: fn(&WindowLibrary) -> &'static str| {
            lacking
                .iter()
                .map(|library| part(library))
                .collect::<Vec<_>>()
                .join(" ")
        };
        Some(crate::fl!(
            "window-libraries-missing",
            libraries = list(|library| library.file),
            debian = list(|library| library.debian),
            fedora = list(|library| library.fedora)
        ))
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// Whether the system's loader finds and loads `file` (as the toolkit would, by name).
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn loadable(file: &str) -> bool {
    // SAFETY: these are the system's display libraries, which the window loads by the same name
    // a moment later anyway; their initialisers are what any program using them runs. The
    // library is closed again when dropped.
    unsafe { libloading::Library::new(file) }.is_ok()
}

/// The application with its window's memory (`window_state`): what the window shows and does
/// is the [`App`]'s; how large it is and where, this keeps per data folder.
pub struct Shell {
    app: App,
    data_dir: PathBuf,
    remembered: Option<Geometry>,
    /// Where later starts on the same data folder ask this window to come to the front
    /// (`single_instance`); `None` where it could not be set up (logged).
    raise: Option<Listening>,
    /// Whether the window has the focus (a notification is for a window out of sight).
    focused: bool,
    /// What needs the user now (a conflict, signed out): notified once when it begins.
    needs_you: Option<crate::notify::NeedsYou>,
    /// The desktop asks for higher contrast (`contrast`), and whether it is dark.
    high_contrast: bool,
    dark: bool,
}

/// The first window's listener, handed to its subscription once.
#[derive(Clone)]
struct Listening(Arc<std::sync::Mutex<Option<std::net::TcpListener>>>);

impl std::hash::Hash for Listening {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        "single-instance".hash(state);
    }
}

/// The desktop's contrast preference, from the portal on the session bus (none without one).
#[cfg(target_os = "linux")]
fn contrast_changes() -> impl futures::Stream<Item = Message> + use<> {
    use futures::StreamExt;
    futures::stream::once(zbus::Connection::session())
        .filter_map(|connection| async move {
            connection
                .map_err(|error| tracing::debug!(%error, "no session bus: no contrast preference"))
                .ok()
        })
        .flat_map(super::contrast::changes_on)
        .map(Message::Contrast)
}

/// `Message::Raise` for each later start that asks (see `single_instance`).
fn raise_requests(listening: &Listening) -> impl futures::Stream<Item = Message> + use<> {
    let listener = listening.0.lock().ok().and_then(|mut held| held.take());
    iced::stream::channel(
        4,
        async move |mut output: futures::channel::mpsc::Sender<Message>| {
            use futures::SinkExt;
            let Some(listener) = listener else { return };
            let listener = match listener
                .set_nonblocking(true)
                .and_then(|()| tokio::net::TcpListener::from_std(listener))
            {
                Ok(listener) => listener,
                Err(error) => {
                    tracing::warn!(%error, "later starts cannot bring this window to the front");
                    return;
                }
            };
            loop {
                match listener.accept().await {
                    Ok((stream, _)) => {
                        if crate::single_instance::answer(stream).await
                            && output.send(Message::Raise).await.is_err()
                        {
                            return;
                        }
                    }
                    Err(error) => {
                        tracing::warn!(%error, "a later start could not be answered");
                        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                    }
                }
            }
        },
    )
}

impl Shell {
    fn update(&mut self, message: Message) -> Task<Message> {
        let task = self.handle(message);
        // Something that needs the user began: a notification if the window is out of sight.
        let needs_you = match &self.app {
            App::Ready(ready) => crate::notify::NeedsYou::of_badge(&ready.screen.badge()),
            _ => None,
        };
        if needs_you == self.needs_you {
            return task;
        }
        self.needs_you = needs_you;
        match needs_you {
            Some(needs) if !self.focused => Task::batch([
                task,
                Task::perform(
                    async move {
                        tokio::task::spawn_blocking(move || {
                            crate::notify::show_and_wait(needs, crate::notify::EXPIRES)
                        })
                        .await
                        .map_err(|error| error.to_string())?
                    },
                    |shown| match shown {
                        Ok(clicked) => Message::Notified(clicked),
                        Err(error) => {
                            tracing::warn!(%error, "no notification");
                            Message::Notified(false)
                        }
                    },
                ),
            ]),
            _ => task,
        }
    }

    fn handle(&mut self, message: Message) -> Task<Message> {
        use iced::window;
        match message {
            Message::Focus(focused) => {
                self.focused = focused;
                Task::none()
            }
            Message::Contrast(higher) => {
                tracing::info!(higher, "the desktop's contrast preference");
                self.high_contrast = higher;
                Task::none()
            }
            Message::Mode(mode) => {
                self.dark = mode == iced::theme::Mode::Dark;
                Task::none()
            }
            Message::Notified(true) => self.handle(Message::Raise),
            Message::Notified(false) => Task::none(),
            Message::WindowOpened(id) if self.remembered.is_some() => {
                window::monitor_size(id).map(move |screen| Message::WindowPlaced { id, screen })
            }
            Message::WindowOpened(_) => Task::none(),
            Message::WindowPlaced {
                id,
                screen: Some(screen),
            } => {
                let Some(fitted) = self
                    .remembered
                    .and_then(|saved| window_state::fit(&saved, (screen.width, screen.height)))
                else {
                    return Task::none();
                };
                tracing::info!(
                    ?fitted,
                    "the window's remembered place is not on this screen"
                );
                self.remembered = Some(fitted);
                let resize = window::resize(id, iced::Size::new(fitted.width, fitted.height));
                match (fitted.x, fitted.y) {
                    (Some(x), Some(y)) => {
                        Task::batch([resize, window::move_to(id, iced::Point::new(x, y))])
                    }
                    _ => resize,
                }
            }
            Message::WindowPlaced { screen: None, .. } => Task::none(),
            Message::Raise => {
                tracing::info!("started again on this data folder: to the front");
                window::latest().then(|id| match id {
                    Some(id) => Task::batch([
                        window::minimize(id, false),
                        window::gain_focus(id),
                        window::request_user_attention(
                            id,
                            Some(window::UserAttention::Informational),
                        ),
                    ]),
                    None => Task::none(),
                })
            }
            Message::CloseRequested(id) => {
                let before = self.remembered;
                window::is_maximized(id).then(move |maximized| {
                    window::size(id).then(move |size| {
                        window::position(id).then(move |position| {
                            window::monitor_size(id).map(move |screen| Message::Remember {
                                id,
                                geometry: window_state::at_close(
                                    before,
                                    maximized,
                                    (size.width, size.height),
                                    position.map(|p| (p.x, p.y)),
                                    screen.map(|s| (s.width, s.height)),
                                ),
                            })
                        })
                    })
                })
            }
            Message::Remember { id, geometry } => {
                if let Err(error) = window_state::save(&self.data_dir, &geometry) {
                    tracing::warn!(%error, "the window's size cannot be kept for the next start");
                }
                self.remembered = Some(geometry);
                self.app.update(Message::CloseRequested(id))
            }
            other => self.app.update(other),
        }
    }

    fn view(&self) -> Element<'_, Message> {
        self.app.view()
    }

    fn title(&self) -> String {
        self.app.title()
    }

    /// The system's own theme, or the high-contrast one of its mode when the desktop asks.
    fn theme(&self) -> Option<iced::Theme> {
        self.high_contrast
            .then(|| super::contrast::theme(self.dark))
    }

    fn subscription(&self) -> Subscription<Message> {
        let raise = match &self.raise {
            Some(listening) => Subscription::run_with(listening.clone(), raise_requests),
            None => Subscription::none(),
        };
        let focus = iced::event::listen_with(|event, _status, _window| match event {
            iced::Event::Window(iced::window::Event::Focused) => Some(Message::Focus(true)),
            iced::Event::Window(iced::window::Event::Unfocused) => Some(Message::Focus(false)),
            _ => None,
        });
        #[cfg(target_os = "linux")]
        let contrast = Subscription::run(contrast_changes);
        #[cfg(not(target_os = "linux"))]
        let contrast = Subscription::none();
        Subscription::batch([
            self.app.subscription(),
            iced::window::open_events().map(Message::WindowOpened),
            raise,
            focus,
            contrast,
            iced::system::theme_changes().map(Message::Mode),
        ])
    }
}

/// Opens the window; `instance`: this process's hold on the data folder's window, whose
/// listener later starts on the same folder call to bring it to the front.
pub fn run(settings: Settings, instance: Option<crate::single_instance::Primary>) -> iced::Result {
    let data_dir = settings.data_dir.clone();
    // Kept for as long as the window: the lock says a window is open on the folder.
    let (hold, listener) = instance
        .map(crate::single_instance::Primary::into_parts)
        .unzip();
    let raise = listener.map(|l| Listening(Arc::new(std::sync::Mutex::new(Some(l)))));
    let remembered = window_state::load(&data_dir);
    let (width, height) = remembered.map_or(window_state::DEFAULT_SIZE, |g| (g.width, g.height));
    let position = match remembered.and_then(|g| g.x.zip(g.y)) {
        Some((x, y)) => iced::window::Position::Specific(iced::Point::new(x, y)),
        None => iced::window::Position::Centered,
    };
    let shell = move || {
        // The toolkit is up (its event loop reached the display): from here a panic is a bug,
        // not a window that cannot open.
        crate::crash::opening_window(false);
        let (app, task) = App::new(settings.clone());
        let shell = Shell {
            app,
            data_dir: data_dir.clone(),
            remembered,
            raise: raise.clone(),
            focused: true,
            needs_you: None,
            high_contrast: false,
            dark: false,
        };
        (
            shell,
            Task::batch([task, iced::system::theme().map(Message::Mode)]),
        )
    };
    let result = iced::application(shell, Shell::update, Shell::view)
        .title(Shell::title)
        .theme(Shell::theme)
        .subscription(Shell::subscription)
        .settings(super::fonts::settings())
        .window(iced::window::Settings {
            icon: icon(),
            // Closing may first ask about background sync (see `Message::CloseRequested`).
            exit_on_close_request: false,
            min_size: Some(iced::Size::new(
                window_state::MIN_SIZE.0,
                window_state::MIN_SIZE.1,
            )),
            size: iced::Size::new(width, height),
            position,
            maximized: remembered.is_some_and(|g| g.maximized),
            // Wayland's app id and X11's WM_CLASS: the desktop entry's name, so the desktop
            // shows the entry's icon and name for the window.
            #[cfg(target_os = "linux")]
            platform_specific: iced::window::settings::PlatformSpecific {
                application_id: crate::APP_ID.to_owned(),
                ..Default::default()
            },
            ..iced::window::Settings::default()
        })
        .run();
    drop(hold);
    result
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
