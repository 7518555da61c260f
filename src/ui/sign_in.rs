//! The first-run and sign-in screens: the choice between this computer only and a server, and
//! the sign-in form whose errors stand next to the field that caused them.

use crate::account::{self, Account, SignInFailure, TokenStore};
use crate::session::Settings;
use iced::widget::{button, column, container, row, space, text, text_input};
use iced::{Alignment, Element, Length, Task};
use profile_client::api_client::SignInError;
use std::path::PathBuf;

pub const SERVER_INPUT: &str = "sign-in-server";
pub const EMAIL_INPUT: &str = "sign-in-email";
pub const PASSWORD_INPUT: &str = "sign-in-password";

#[derive(Debug, Clone)]
pub enum Message {
    ServerChanged(String),
    EmailChanged(String),
    PasswordChanged(String),
    Submit,
    Back,
    Finished(Result<Account, SignInFailure>),
}

/// What the form tells the app.
#[derive(Debug, Clone)]
pub enum Event {
    SignedIn(Account),
    Back,
}

/// The sign-in form's state.
#[derive(Debug, Clone, Default)]
pub struct SignInForm {
    data_dir: PathBuf,
    token_store: Option<TokenStore>,
    pub server: String,
    pub email: String,
    password: String,
    pub server_error: Option<String>,
    pub email_error: Option<String>,
    pub password_error: Option<String>,
    /// A failure that belongs to no one field.
    pub form_error: Option<String>,
    pub busy: bool,
    /// Shown above the form (e.g. why signing in again is needed).
    pub intro: Option<String>,
}

impl SignInForm {
    /// An empty form; the token goes where `settings` say.
    pub fn new(settings: &Settings) -> Self {
        Self {
            data_dir: settings.data_dir.clone(),
            token_store: settings.token_store,
            ..Self::default()
        }
    }

    /// The form filled in for signing in again to `account`.
    pub fn again(settings: &Settings, account: &Account, reason: String) -> Self {
        Self {
            server: account.server.clone(),
            email: account.email.clone(),
            intro: Some(reason),
            ..Self::new(settings)
        }
    }

    pub fn update(&mut self, message: Message) -> (Task<Message>, Option<Event>) {
        match message {
            Message::ServerChanged(value) => {
                self.server = value;
                self.server_error = None;
            }
            Message::EmailChanged(value) => {
                self.email = value;
                self.email_error = None;
            }
            Message::PasswordChanged(value) => {
                self.password = value;
                self.password_error = None;
            }
            Message::Back => return (Task::none(), Some(Event::Back)),
            Message::Submit if !self.busy => return (self.submit(), None),
            Message::Submit => {}
            Message::Finished(Ok(account)) => {
                self.busy = false;
                self.password.clear();
                return (Task::none(), Some(Event::SignedIn(account)));
            }
            Message::Finished(Err(failure)) => {
                self.busy = false;
                self.show(failure);
            }
        }
        (Task::none(), None)
    }

    /// Checks the fields here first (nothing is sent with an empty or insecure one), then
    /// signs in.
    fn submit(&mut self) -> Task<Message> {
        self.form_error = None;
        let server = with_scheme(self.server.trim());
        self.server_error = if server.is_empty() {
            Some(crate::fl!("enter-server"))
        } else {
            account::normalise_server(&server)
                .err()
                .map(|error| server_error(&server, &error.to_string()))
        };
        let email = self.email.trim();
        self.email_error = if email.is_empty() {
            Some(crate::fl!("enter-email"))
        } else if !email.contains('@') {
            Some(crate::fl!("not-an-email"))
        } else {
            None
        };
        self.password_error = self
            .password
            .is_empty()
            .then(|| crate::fl!("enter-password"));
        if self.server_error.is_some()
            || self.email_error.is_some()
            || self.password_error.is_some()
        {
            return Task::none();
        }
        self.busy = true;
        let (data_dir, wanted, email, password) = (
            self.data_dir.clone(),
            self.token_store,
            email.to_owned(),
            self.password.clone(),
        );
        Task::perform(
            async move { account::sign_in(&data_dir, wanted, &server, &email, &password).await },
            Message::Finished,
        )
    }

    /// Puts a failure next to the field it is about.
    fn show(&mut self, failure: SignInFailure) {
        match failure {
            SignInFailure::SignIn(SignInError::Url(error)) => {
                self.server_error = Some(server_error(&self.server, &error.to_string()));
            }
            SignInFailure::SignIn(SignInError::WrongCredentials) => {
                self.password_error = Some(crate::fl!("wrong-credentials"));
            }
            SignInFailure::SignIn(SignInError::TooManyAttempts(wait)) => {
                self.password_error = Some(crate::fl!(
                    "too-many-attempts",
                    wait = wait_words(wait.as_secs().max(1))
                ));
            }
            SignInFailure::SignIn(SignInError::Api(error)) if error.is_offline() => {
                self.server_error = Some(crate::fl!(
                    "sign-in-unreachable",
                    cause = error
                        .unreachable_cause()
                        .map_or_else(|| error.to_string(), crate::words::unreachable)
                ));
            }
            SignInFailure::SignIn(SignInError::Api(error)) => {
                self.server_error = Some(crate::fl!(
                    "not-a-profile-server",
                    error = error.to_string()
                ));
            }
            SignInFailure::SignIn(SignInError::Refused(reason)) => {
                self.form_error = Some(crate::fl!("sign-in-refused", reason = reason));
            }
            SignInFailure::Local(error) => {
                self.form_error = Some(crate::fl!("signed-in-but", error = error.to_string()));
            }
        }
    }
}

/// `profiles.example.com` means `https://profiles.example.com`.
fn with_scheme(server: &str) -> String {
    if server.is_empty() || server.contains("://") {
        server.to_owned()
    } else {
        format!("https://{server}")
    }
}

fn server_error(server: &str, reason: &str) -> String {
    if server.trim_start().starts_with("http://") {
        crate::fl!("not-https")
    } else {
        crate::fl!("not-a-server-address", reason = reason)
    }
}

fn wait_words(seconds: u64) -> String {
    match seconds {
        0..=90 => crate::fl!("wait-seconds", seconds = seconds),
        _ => crate::fl!("wait-minutes", minutes = seconds.div_ceil(60)),
    }
}

/// The first-run screen: this computer only, or a server. The highlighted choice (`sign_in`
/// or not) is the one Enter takes.
pub fn welcome<'a, M: Clone + 'a>(
    sign_in_highlighted: bool,
    use_here: M,
    sign_in: M,
) -> Element<'a, M> {
    let style = |highlighted: bool| {
        if highlighted {
            button::primary
        } else {
            button::secondary
        }
    };
    container(
        column![
            text(crate::fl!("welcome")).size(28),
            text(crate::fl!("welcome-detail")),
            column![
                button(text(crate::fl!("use-this-computer-only")))
                    .on_press(use_here)
                    .style(style(!sign_in_highlighted))
                    .width(Length::Fill),
                button(text(crate::fl!("sign-in-to-a-server")))
                    .on_press(sign_in)
                    .style(style(sign_in_highlighted))
                    .width(Length::Fill),
                text(crate::fl!("welcome-keys"))
                    .size(13)
                    .style(text::secondary),
            ]
            .spacing(10)
            .max_width(320),
        ]
        .spacing(18)
        .max_width(520),
    )
    .padding(24)
    .center(Length::Fill)
    .into()
}

/// The sign-in form.
pub fn view(form: &SignInForm) -> Element<'_, Message> {
    let field = |label: String,
                 id: &'static str,
                 placeholder: &'static str,
                 value: &str,
                 error: &Option<String>,
                 on_input: fn(String) -> Message,
                 secure: bool| {
        let mut input = text_input(placeholder, value)
            .id(id)
            .secure(secure)
            .padding(8);
        if !form.busy {
            input = input.on_input(on_input).on_submit(Message::Submit);
        }
        let mut field = column![text(label).size(14), input].spacing(4);
        if let Some(error) = error {
            field = field.push(text(error.clone()).size(13).style(text::danger));
        }
        field
    };
    let mut content = column![text(crate::fl!("sign-in-to-a-server")).size(26)].spacing(16);
    if let Some(intro) = &form.intro {
        content = content.push(text(intro.clone()));
    }
    content = content
        .push(field(
            crate::fl!("server-label"),
            SERVER_INPUT,
            "https://profiles.example.com",
            &form.server,
            &form.server_error,
            Message::ServerChanged,
            false,
        ))
        .push(field(
            crate::fl!("email-label"),
            EMAIL_INPUT,
            "you@example.com",
            &form.email,
            &form.email_error,
            Message::EmailChanged,
            false,
        ))
        .push(field(
            crate::fl!("password-label"),
            PASSWORD_INPUT,
            "",
            &form.password,
            &form.password_error,
            Message::PasswordChanged,
            true,
        ));
    if let Some(error) = &form.form_error {
        content = content.push(text(error.clone()).style(text::danger));
    }
    let submit = button(text(if form.busy {
        crate::fl!("signing-in")
    } else {
        crate::fl!("sign-in")
    }))
    .on_press_maybe((!form.busy).then_some(Message::Submit));
    content = content.push(
        row![
            button(text(crate::fl!("back")))
                .on_press(Message::Back)
                .style(button::secondary),
            space::horizontal(),
            submit,
        ]
        .align_y(Alignment::Center),
    );
    container(content.max_width(440))
        .padding(24)
        .center_x(Length::Fill)
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_host_means_https_and_waits_are_in_words() {
        assert_eq!(
            with_scheme("profiles.example.com"),
            "https://profiles.example.com"
        );
        assert_eq!(
            with_scheme("http://127.0.0.1:8080"),
            "http://127.0.0.1:8080"
        );
        assert_eq!(wait_words(1), "1 second");
        assert_eq!(wait_words(42), "42 seconds");
        assert_eq!(wait_words(600), "10 minutes");
    }
}
