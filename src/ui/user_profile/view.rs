//! The profile screen: a pure function of the view model's state. It emits `Message`s and does
//! nothing else.

use super::view_model::{Avatar, Badge, Loading, Message, PhotoShown, UserProfileViewModel};
use iced::widget::{
    button, column, container, row, scrollable, space, text, text_input, toggler, tooltip,
};
use iced::{Alignment, Border, Element, Length, Theme};
use profile_client::Resolution;

pub const NAME_INPUT: &str = "name";
pub const PHOTO_URL_INPUT: &str = "photo_url";
pub const WORK_OFFLINE_SWITCH: &str = "work_offline";
/// The words of the photo's buttons and marks, in the user's language (the tests find them by
/// these).
pub fn change_photo() -> String {
    crate::fl!("change-photo")
}
pub fn remove_photo() -> String {
    crate::fl!("remove-photo")
}
pub fn downloading_photo() -> String {
    crate::fl!("photo-downloading")
}
pub fn unavailable_photo() -> String {
    crate::fl!("photo-unavailable")
}
/// The side of the picture beside the form, and of each picture in the conflict panel.
const PICTURE: u32 = 88;
const CONFLICT_PICTURE: u32 = 64;
/// Shown beside Save while a saved edit has not reached the server.
pub fn pending_note() -> String {
    crate::fl!("pending-note")
}

pub fn view(view_model: &UserProfileViewModel) -> Element<'_, Message> {
    let header = row![
        text(crate::fl!("profile-heading")).size(26),
        space::horizontal(),
        badge(
            &view_model.badge(),
            view_model.status().photos_wait,
            view_model.spinner_frame()
        ),
    ]
    .align_y(Alignment::Center);

    let body: Element<'_, Message> =
        if view_model.profile().is_none() && view_model.loading() != Loading::Started {
            empty_state(view_model)
        } else {
            form(view_model)
        };

    let mut content = column![header].spacing(20).max_width(560);
    if let Some(notice) = view_model.notice() {
        content = content.push(
            container(
                row![
                    text(notice.to_owned()).size(14).width(Length::Fill),
                    button(text(crate::fl!("dismiss")))
                        .on_press(Message::DismissNotice)
                        .style(button::secondary),
                ]
                .spacing(12)
                .align_y(Alignment::Center),
            )
            .padding(12)
            .style(container::rounded_box),
        );
    }
    // A conflict needs a decision before anything else, so it comes first.
    if let Some(conflict) = conflict_panel(view_model) {
        content = content.push(conflict);
    }
    content = content.push(body);
    if let Some(error) = view_model.error() {
        content = content.push(text(error.to_owned()).style(text::danger));
    }
    if let Some(last) = view_model.last_attempt() {
        let line = text(last).size(13).style(text::secondary);
        content = content.push(match view_model.last_attempt_detail() {
            Some(detail) => {
                tooltip(line, tip(detail.to_owned(), 520.0), tooltip::Position::Top).into()
            }
            None => Element::from(line),
        });
    }

    scrollable(
        container(content)
            .padding(24)
            .width(Length::Fill)
            .center_x(Length::Fill),
    )
    .height(Length::Fill)
    .into()
}

fn form(view_model: &UserProfileViewModel) -> Element<'_, Message> {
    let save_label = if view_model.is_saving() {
        crate::fl!("saving")
    } else {
        crate::fl!("save")
    };
    let pending = view_model
        .profile()
        .is_some_and(|profile| !profile.synchronized && profile.conflict.is_none());
    let marker = if view_model.is_dirty() {
        crate::fl!("unsaved-changes")
    } else if pending {
        pending_note()
    } else {
        String::new()
    };
    let on_submit = view_model.can_save().then_some(Message::Save);

    let name = field(
        crate::fl!("name-label"),
        text_input(&crate::fl!("name-placeholder"), view_model.name())
            .id(NAME_INPUT)
            .on_input(Message::NameChanged)
            .on_submit_maybe(on_submit.clone())
            .padding(8),
        view_model.name_error(),
    );
    let photo_url = field(
        crate::fl!("photo-url-label"),
        text_input("https://…", view_model.photo_url())
            .id(PHOTO_URL_INPUT)
            .on_input(Message::PhotoUrlChanged)
            .on_submit_maybe(on_submit.clone())
            .padding(8),
        view_model.photo_url_error(),
    );

    let actions = row![
        button(text(save_label))
            .on_press_maybe(on_submit)
            .padding([8, 18]),
        button(text(crate::fl!("sync-now")))
            .on_press_maybe((!view_model.status().work_offline).then_some(Message::SyncNow))
            .style(button::secondary)
            .padding([8, 18]),
        space::horizontal(),
        container(
            toggler(view_model.status().work_offline)
                .label(crate::fl!("work-offline"))
                .on_toggle(Message::WorkOffline)
        )
        .id(WORK_OFFLINE_SWITCH),
    ]
    .spacing(12)
    .align_y(Alignment::Center);

    let mut form = column![
        row![
            picture_column(view_model),
            column![name, photo_url].spacing(14)
        ]
        .spacing(20)
        .align_y(Alignment::Start),
    ]
    .spacing(18);
    if let Some(error) = view_model.photo_error() {
        form = form.push(text(error.to_owned()).size(13).style(text::danger));
    }
    form.push(column![actions, text(marker).size(13).style(text::warning)].spacing(8))
        .into()
}

/// The picture (a click on it picks another), *Change photo…*, *Remove photo*, and a mark
/// while another device's photo downloads.
fn picture_column(view_model: &UserProfileViewModel) -> Element<'_, Message> {
    let idle = !view_model.is_photo_busy();
    let picture = button(avatar(view_model))
        .padding(0)
        .style(button::text)
        .on_press_maybe(idle.then_some(Message::ChoosePhoto));
    let picture = tooltip(
        picture,
        tip(crate::fl!("photo-tip"), 240.0),
        tooltip::Position::Bottom,
    );
    let mut column = column![picture]
        .spacing(6)
        .align_x(Alignment::Center)
        .width(PICTURE + 40);
    match view_model.photo() {
        Some(PhotoShown::Downloading(_)) => {
            column = column.push(text(downloading_photo()).size(12).style(text::secondary));
        }
        Some(PhotoShown::Unavailable) => {
            column = column.push(text(unavailable_photo()).size(12).style(text::warning));
        }
        _ => {}
    }
    let label = if view_model.is_photo_busy() {
        crate::fl!("saving-photo")
    } else {
        change_photo()
    };
    column = column.push(
        button(text(label).size(13))
            .on_press_maybe(idle.then_some(Message::ChoosePhoto))
            .style(button::secondary)
            .padding([4, 8]),
    );
    if view_model.photo().is_some() {
        column = column.push(
            button(text(remove_photo()).size(13))
                .on_press_maybe(idle.then_some(Message::RemovePhoto))
                .style(button::text)
                .padding([2, 8]),
        );
    }
    column.into()
}

fn field<'a>(
    label: String,
    input: impl Into<Element<'a, Message>>,
    error: Option<&'a str>,
) -> Element<'a, Message> {
    let mut column = column![text(label).size(14), input.into()].spacing(6);
    if let Some(error) = error {
        column = column.push(text(error).size(13).style(text::danger));
    }
    column.into()
}

/// The picked photo, else the photo URL's picture, or the initials on a coloured disc when there
/// is none (or it cannot be shown). While a picked photo downloads, the picture shown before it
/// stays.
fn avatar(view_model: &UserProfileViewModel) -> Element<'_, Message> {
    match view_model.photo() {
        Some(PhotoShown::Ready(handle) | PhotoShown::Downloading(Some(handle))) => {
            return iced::widget::image(handle.clone())
                .width(PICTURE)
                .height(PICTURE)
                .into();
        }
        Some(PhotoShown::Downloading(None) | PhotoShown::Unavailable) => {
            return initials(view_model.name());
        }
        None => {}
    }
    match view_model.avatar() {
        Avatar::Ready { handle, .. } => iced::widget::image(handle.clone())
            .width(PICTURE)
            .height(PICTURE)
            .into(),
        Avatar::Unavailable { reason, .. } => tooltip(
            initials(view_model.name()),
            container(
                text(crate::fl!(
                    "photo-cannot-be-shown",
                    reason = reason.as_str()
                ))
                .size(13),
            )
            .padding(8)
            .max_width(280)
            .style(container::rounded_box),
            tooltip::Position::Bottom,
        )
        .into(),
        Avatar::None | Avatar::Loading { .. } => initials(view_model.name()),
    }
}

fn initials(name: &str) -> Element<'_, Message> {
    let initials: String = name
        .split_whitespace()
        .filter_map(|word| word.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect();
    container(text(initials).size(30))
        .width(88)
        .height(88)
        .center_x(88)
        .center_y(88)
        .style(|theme: &Theme| {
            let palette = theme.extended_palette();
            container::Style {
                background: Some(palette.primary.weak.color.into()),
                text_color: Some(palette.primary.weak.text),
                border: Border::default().rounded(44),
                ..container::Style::default()
            }
        })
        .into()
}

fn empty_state(view_model: &UserProfileViewModel) -> Element<'_, Message> {
    column![
        row![
            column![
                text(crate::fl!("badge-empty")).size(20),
                text(crate::fl!("empty-detail"))
                    .size(14)
                    .style(text::secondary),
            ]
            .spacing(4),
            space::horizontal(),
            button(text(crate::fl!("try-again")))
                .on_press(Message::Reload)
                .style(button::secondary),
        ]
        .align_y(Alignment::Center),
        form(view_model),
    ]
    .spacing(16)
    .into()
}

/// One side of a conflicting field: its words, or for the photo its picture.
fn conflict_value<'a>(
    view_model: &'a UserProfileViewModel,
    whose: Whose,
    fields: &'a profile_client::domain::Fields,
    field: profile_client::domain::Field,
) -> Element<'a, Message> {
    if field != profile_client::domain::Field::Photo {
        return text(whose.words(&fields.describe(field)))
            .width(Length::Fill)
            .into();
    }
    let picture: Element<'a, Message> = match &fields.photo {
        None => text(crate::fl!("no-photo"))
            .size(13)
            .style(text::secondary)
            .into(),
        Some(photo) => match view_model.photo_shown(&photo.sha256, None) {
            PhotoShown::Ready(handle) => iced::widget::image(handle.clone())
                .width(CONFLICT_PICTURE)
                .height(CONFLICT_PICTURE)
                .into(),
            PhotoShown::Unavailable => text(unavailable_photo())
                .size(13)
                .style(text::warning)
                .into(),
            PhotoShown::Downloading(_) => text(downloading_photo())
                .size(13)
                .style(text::secondary)
                .into(),
        },
    };
    row![text(whose.words("").trim_end().to_owned()), picture]
        .spacing(8)
        .align_y(Alignment::Center)
        .width(Length::Fill)
        .into()
}

fn conflict_panel<'a>(view_model: &'a UserProfileViewModel) -> Option<Element<'a, Message>> {
    let profile = view_model.profile()?;
    let conflict = profile.conflict.as_ref()?;
    let mut rows = column![text(crate::fl!("conflict-question")).size(16),].spacing(8);
    for &field in &conflict.fields {
        let side = |whose: Whose, fields: &'a profile_client::domain::Fields| {
            conflict_value(view_model, whose, fields, field)
        };
        rows = rows.push(
            row![
                text(crate::words::field_label(field)).size(14).width(90),
                side(Whose::Yours, &profile.fields),
                side(Whose::Theirs, &conflict.theirs.fields),
            ]
            .spacing(12),
        );
    }
    rows = rows.push(
        row![
            button(text(crate::fl!("keep-mine"))).on_press(Message::Resolve(Resolution::KeepMine)),
            button(text(crate::fl!("use-theirs")))
                .on_press(Message::Resolve(Resolution::UseTheirs))
                .style(button::secondary),
        ]
        .spacing(12),
    );
    Some(
        container(rows)
            .padding(16)
            .width(Length::Fill)
            .style(|theme: &Theme| {
                let palette = theme.extended_palette();
                container::Style {
                    background: Some(palette.warning.weak.color.scale_alpha(0.35).into()),
                    border: Border::default()
                        .rounded(8)
                        .width(1)
                        .color(palette.warning.base.color),
                    ..container::Style::default()
                }
            })
            .into(),
    )
}

/// The state badge: colour, icon and words, with a tooltip that explains it (and says when a
/// photo waits for an unmetered network).
fn badge(badge: &Badge, photos_wait: bool, frame: usize) -> Element<'static, Message> {
    const SPINNER: [&str; 4] = ["◐", "◓", "◑", "◒"];
    let (icon, tone) = match badge {
        Badge::Loading => ("…", Tone::Neutral),
        Badge::Empty => ("○", Tone::Neutral),
        Badge::Cached => ("◷", Tone::Neutral),
        Badge::SavedLocally => ("●", Tone::Pending),
        Badge::Syncing => (SPINNER[frame % SPINNER.len()], Tone::Active),
        Badge::Synced { .. } => ("✓", Tone::Good),
        Badge::Offline { .. } => ("⚡", Tone::Pending),
        Badge::WorkingOffline => ("‖", Tone::Neutral),
        Badge::Conflict => ("⚠", Tone::Bad),
        Badge::Error { .. } => ("✕", Tone::Bad),
        Badge::SignedOut { .. } => ("⊘", Tone::Bad),
    };
    let content = container(
        row![text(icon).size(15), text(badge.label()).size(15)]
            .spacing(6)
            .align_y(Alignment::Center),
    )
    .padding([5, 12])
    .style(move |theme: &Theme| tone.style(theme));
    let mut explanation = badge.explanation();
    if photos_wait {
        explanation.push(' ');
        explanation.push_str(&crate::fl!("photos-wait"));
    }
    tooltip(content, tip(explanation, 280.0), tooltip::Position::Bottom).into()
}

/// Whose value a side of the conflict panel shows.
#[derive(Clone, Copy)]
enum Whose {
    Yours,
    Theirs,
}

impl Whose {
    /// "Yours: Ada", or "Yours:" before a picture (`value` empty).
    fn words(self, value: &str) -> String {
        match self {
            Whose::Yours => crate::fl!("conflict-yours", value = value),
            Whose::Theirs => crate::fl!("conflict-theirs", value = value),
        }
    }
}

/// The panel a tooltip shows: `words`, at most `max_width` wide.
fn tip<'a>(words: String, max_width: f32) -> iced::widget::Container<'a, Message> {
    container(text(words).size(13))
        .padding(8)
        .max_width(max_width)
        .style(container::rounded_box)
}

#[derive(Clone, Copy)]
enum Tone {
    Neutral,
    Pending,
    Active,
    Good,
    Bad,
}

impl Tone {
    fn style(self, theme: &Theme) -> container::Style {
        let palette = theme.extended_palette();
        let accent = match self {
            Tone::Neutral => palette.background.strong.color,
            Tone::Pending => palette.warning.base.color,
            Tone::Active => palette.primary.base.color,
            Tone::Good => palette.success.base.color,
            Tone::Bad => palette.danger.base.color,
        };
        container::Style {
            background: Some(accent.scale_alpha(0.16).into()),
            text_color: Some(palette.background.base.text),
            border: Border::default().rounded(14).width(1.5).color(accent),
            ..container::Style::default()
        }
    }
}
