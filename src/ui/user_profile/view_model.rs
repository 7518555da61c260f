//! UserProfileViewModel: the profile screen's state, its messages and how they change it.
//!
//! It drives the repository only through `Task`s and `Subscription`s and never imports sqlx or
//! reqwest; every result comes back as a `Message` and lands in plain state the view reads.

use chrono::{DateTime, Utc};
use iced::keyboard::{self, key};
use iced::widget::image;
use iced::{Subscription, Task, event};
use profile_client::domain::{
    Fields, PhotoId, SyncState, UserProfile, validate_name, validate_photo_url,
};
use profile_client::{
    Activity, PhotoEdit, ReadEvent, RepositoryError, Resolution, Status, UserProfileRepository,
};
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone)]
pub enum Message {
    NameChanged(String),
    PhotoUrlChanged(String),
    /// Save the form (button, Enter, Ctrl+S).
    Save,
    /// One step of the read (cached, then fresh), with the status after it.
    Read(Result<Box<ReadEvent>, RepositoryError>, Box<Status>),
    /// The repository's status changed.
    StatusChanged(Box<Status>),
    /// Sync at once (button, Ctrl+R).
    SyncNow,
    /// Throw away unsaved typing (Esc).
    Revert,
    WorkOffline(bool),
    Resolve(Resolution),
    /// A save, sync or resolution finished, with the status after it.
    Finished(Action, Result<(), RepositoryError>, Box<Status>),
    /// Read the profile again (the empty state's Retry).
    Reload,
    /// Time passed: relative times and countdowns move on.
    Tick,
    /// Close the notice banner.
    DismissNotice,
    /// The photo for this URL was read from the cache or downloaded (a small PNG), or not.
    AvatarLoaded(String, Result<Option<Vec<u8>>, RepositoryError>),
    /// Move the keyboard focus to the next (Tab) or previous (Shift+Tab) field.
    FocusNext,
    FocusPrevious,
    /// Open the file dialog to pick a photo (*Change photo…*, or a click on the photo).
    ChoosePhoto,
    /// The file dialog closed: the file picked, or none.
    PhotoChosen(Option<PathBuf>),
    /// A file was dropped on the window.
    FileDropped(PathBuf),
    /// *Remove photo*.
    RemovePhoto,
    /// A photo change finished: why it was refused (in words), or nothing; the status after it.
    PhotoChanged(Result<(), String>, Box<Status>),
    /// A photo's bytes were read from the cache (`None`: still downloading).
    PhotoLoaded(PhotoId, Result<Option<Vec<u8>>, RepositoryError>),
}

/// A repository call the user started and waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Save,
    Sync,
    Resolve(Resolution),
}

impl Action {
    /// What the user is told when it fails with `error`.
    fn failure(self, error: &RepositoryError) -> String {
        let error = error.to_string();
        match self {
            Action::Save => crate::fl!("action-not-saved", error = error),
            Action::Sync => crate::fl!("action-sync-failed", error = error),
            Action::Resolve(_) => crate::fl!("action-not-resolved", error = error),
        }
    }

    /// The user's own change succeeded: the form shows the stored values (normalised), even
    /// over what was typed.
    fn refills_form(self) -> bool {
        matches!(self, Action::Save | Action::Resolve(_))
    }
}

/// The photo beside the form.
#[derive(Debug, Clone)]
pub enum Avatar {
    /// No photo URL: the initials are shown.
    None,
    Loading {
        url: String,
    },
    Ready {
        url: String,
        handle: image::Handle,
    },
    /// The photo cannot be shown (offline and never fetched, not an image, too large...).
    Unavailable {
        url: String,
        reason: String,
    },
}

impl Avatar {
    fn url(&self) -> Option<&str> {
        match self {
            Avatar::None => None,
            Avatar::Loading { url }
            | Avatar::Ready { url, .. }
            | Avatar::Unavailable { url, .. } => Some(url),
        }
    }
}

/// Whether the first read has produced anything yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loading {
    /// Nothing read yet.
    Started,
    /// The cache was read (it may have been empty); the server may still answer.
    Cached,
    /// The read is complete.
    Done,
}

/// What the badge says about the data on screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Badge {
    Loading,
    Empty,
    Cached,
    SavedLocally,
    Syncing,
    Synced {
        ago: Option<Ago>,
    },
    Offline {
        retry_in: Option<u64>,
    },
    WorkingOffline,
    Conflict,
    Error {
        reason: String,
    },
    /// The server no longer accepts this device: edits stay here until the user signs in.
    SignedOut {
        reason: String,
    },
}

impl Badge {
    /// The words on the badge.
    pub fn label(&self) -> String {
        match self {
            Badge::Loading => crate::fl!("badge-loading"),
            Badge::Empty => crate::fl!("badge-empty"),
            Badge::Cached => crate::fl!("badge-cached"),
            Badge::SavedLocally => crate::fl!("badge-saved-locally"),
            Badge::Syncing => crate::fl!("badge-syncing"),
            Badge::Synced { ago: Some(ago) } => crate::fl!("badge-synced-ago", ago = ago.words()),
            Badge::Synced { ago: None } => crate::fl!("badge-synced"),
            Badge::Offline {
                retry_in: Some(seconds),
            } => crate::fl!("badge-offline-retrying", seconds = (*seconds)),
            Badge::Offline { retry_in: None } => crate::fl!("badge-offline"),
            Badge::WorkingOffline => crate::fl!("badge-working-offline"),
            Badge::Conflict => crate::fl!("badge-conflict"),
            Badge::Error { .. } => crate::fl!("badge-error"),
            Badge::SignedOut { .. } => crate::fl!("badge-signed-out"),
        }
    }

    /// A short word for the window title.
    pub fn title_word(&self) -> String {
        match self {
            Badge::Loading => crate::fl!("title-loading"),
            Badge::Empty => crate::fl!("title-empty"),
            Badge::Cached => crate::fl!("badge-cached"),
            Badge::SavedLocally => crate::fl!("badge-saved-locally"),
            Badge::Syncing => crate::fl!("title-syncing"),
            Badge::Synced { .. } => crate::fl!("badge-synced"),
            Badge::Offline { .. } => crate::fl!("badge-offline"),
            Badge::WorkingOffline => crate::fl!("badge-working-offline"),
            Badge::Conflict => crate::fl!("badge-conflict"),
            Badge::Error { .. } => crate::fl!("badge-error"),
            Badge::SignedOut { .. } => crate::fl!("badge-signed-out"),
        }
    }

    /// What the state means, for the tooltip.
    pub fn explanation(&self) -> String {
        match self {
            Badge::Loading => crate::fl!("explain-loading"),
            Badge::Empty => crate::fl!("explain-empty"),
            Badge::Cached => crate::fl!("explain-cached"),
            Badge::SavedLocally => crate::fl!("explain-saved-locally"),
            Badge::Syncing => crate::fl!("explain-syncing"),
            Badge::Synced { .. } => crate::fl!("explain-synced"),
            Badge::Offline { .. } => crate::fl!("explain-offline"),
            Badge::WorkingOffline => crate::fl!("explain-working-offline"),
            Badge::Conflict => crate::fl!("explain-conflict"),
            Badge::Error { reason } => crate::fl!("explain-error", reason = reason.as_str()),
            Badge::SignedOut { reason } => {
                crate::fl!("explain-signed-out", reason = reason.as_str())
            }
        }
    }
}

/// The identity of the status subscription: one per repository.
#[derive(Clone)]
struct RepositoryKey(Arc<UserProfileRepository>);

impl Hash for RepositoryKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (Arc::as_ptr(&self.0) as usize).hash(state);
    }
}

pub struct UserProfileViewModel {
    repository: Arc<UserProfileRepository>,
    status: Status,
    loading: Loading,
    name: String,
    photo_url: String,
    /// The values the form was filled from; the form is dirty when it differs from them.
    pristine: Fields,
    name_error: Option<String>,
    photo_url_error: Option<String>,
    saving: bool,
    /// The last action that failed, with its reason (shown under the form).
    error: Option<String>,
    avatar: Avatar,
    /// The picked photos on screen (the profile's, a conflict's server copy's), decoded.
    photos: HashMap<PhotoId, image::Handle>,
    /// Photos read or being read from the cache and not there (still downloading): read again
    /// once the status says a photo arrived.
    photos_asked: HashSet<PhotoId>,
    /// `Status::photos_arrived` when `photos_asked` was last cleared.
    photos_seen: u64,
    /// The picture shown last beside the form, kept on screen while the next one downloads.
    last_photo: Option<image::Handle>,
    /// A photo is being read, made fit or saved.
    photo_busy: bool,
    /// Why the last photo picked could not be used.
    photo_error: Option<String>,
    /// The file dialog is open.
    choosing: bool,
    now: DateTime<Utc>,
}

impl UserProfileViewModel {
    /// A view model over `repository`, and the task that reads the profile.
    pub fn new(repository: Arc<UserProfileRepository>) -> (Self, Task<Message>) {
        let status = repository.status();
        let mut view_model = Self {
            repository,
            status: Status::default(),
            loading: Loading::Started,
            name: String::new(),
            photo_url: String::new(),
            pristine: Fields::default(),
            name_error: None,
            photo_url_error: None,
            saving: false,
            error: None,
            avatar: Avatar::None,
            photos: HashMap::new(),
            photos_asked: HashSet::new(),
            photos_seen: 0,
            last_photo: None,
            photo_busy: false,
            photo_error: None,
            choosing: false,
            now: Utc::now(),
        };
        view_model.apply_status(status);
        let task = Task::batch([
            view_model.read(),
            view_model.avatar_task(),
            view_model.photos_task(),
        ]);
        (view_model, task)
    }

    /// The picked photos the screen shows: the profile's and a conflict's server copy's.
    fn photos_on_screen(&self) -> Vec<PhotoId> {
        let Some(profile) = self.profile() else {
            return Vec::new();
        };
        let theirs = profile
            .conflict
            .as_ref()
            .and_then(|conflict| conflict.theirs.fields.photo.as_ref());
        [profile.fields.photo.as_ref(), theirs]
            .into_iter()
            .flatten()
            .map(|photo| photo.sha256.clone())
            .collect()
    }

    /// Reads the photos on screen that are not decoded yet from the cache; one still
    /// downloading is read again when the status says a photo arrived.
    fn photos_task(&mut self) -> Task<Message> {
        if self.status.photos_arrived != self.photos_seen {
            self.photos_seen = self.status.photos_arrived;
            self.photos_asked.clear();
        }
        let wanted = self.photos_on_screen();
        self.photos.retain(|id, _| wanted.contains(id));
        // A photo off screen is read again when it comes back (its picture was dropped).
        self.photos_asked.retain(|id| wanted.contains(id));
        let mut tasks = Vec::new();
        for id in wanted {
            if self.photos.contains_key(&id) || !self.photos_asked.insert(id.clone()) {
                continue;
            }
            let repository = self.repository.clone();
            tasks.push(Task::perform(
                async move {
                    let result = repository.photo(&id).await;
                    (id, result)
                },
                |(id, result)| Message::PhotoLoaded(id, result),
            ));
        }
        Task::batch(tasks)
    }

    fn photo_loaded(&mut self, id: PhotoId, result: Result<Option<Vec<u8>>, RepositoryError>) {
        match result {
            Ok(Some(jpeg)) => {
                let handle = image::Handle::from_bytes(jpeg);
                let current = self.profile().and_then(|p| p.fields.photo.as_ref());
                if current.is_some_and(|photo| photo.sha256 == id) {
                    self.last_photo = Some(handle.clone());
                }
                self.photos.insert(id, handle);
            }
            // Still downloading: asked again when a photo arrives.
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "the photo cannot be read from the cache"),
        }
    }

    /// Makes the file at `path` the photo: read and made fit off the UI thread, then saved.
    fn use_photo_file(&mut self, path: PathBuf) -> Task<Message> {
        self.photo_busy = true;
        self.photo_error = None;
        let repository = self.repository.clone();
        Task::future(async move {
            // The file's name: its folder is the user's own business (and a test's is random).
            let shown = path.file_name().map_or_else(
                || path.display().to_string(),
                |name| name.to_string_lossy().into_owned(),
            );
            let normalised =
                tokio::task::spawn_blocking(move || profile_client::photo::normalize_file(&path))
                    .await;
            let result = match normalised {
                Ok(Ok(photo)) => repository
                    .change_photo(PhotoEdit::Set(&photo))
                    .await
                    .map(drop)
                    .map_err(|error| {
                        crate::words::not_saved(&error, None).unwrap_or_else(|| {
                            crate::fl!("photo-not-saved", error = error.to_string())
                        })
                    }),
                Ok(Err(error)) => Err(match error {
                    profile_client::photo::PhotoError::Unreadable { reason, .. } => {
                        crate::fl!("photo-file-unreadable", file = shown, reason = reason)
                    }
                    _ => crate::fl!(
                        "photo-file-refused",
                        file = shown,
                        error = error.to_string()
                    ),
                }),
                Err(error) => Err(crate::fl!("photo-unreadable", error = error.to_string())),
            };
            Message::PhotoChanged(result, Box::new(repository.status()))
        })
    }

    /// Loads the saved profile's photo when it changed.
    fn avatar_task(&mut self) -> Task<Message> {
        let url = self
            .profile()
            .map(|profile| profile.photo_url().to_owned())
            .unwrap_or_default();
        if self.avatar.url().unwrap_or_default() == url {
            return Task::none();
        }
        if url.is_empty() {
            self.avatar = Avatar::None;
            return Task::none();
        }
        self.avatar = Avatar::Loading { url: url.clone() };
        let repository = self.repository.clone();
        Task::perform(
            async move {
                let result = repository.avatar(&url).await;
                (url, result)
            },
            |(url, result)| Message::AvatarLoaded(url, result),
        )
    }

    fn read(&self) -> Task<Message> {
        use futures::StreamExt;
        let repository = self.repository.clone();
        let events = self
            .repository
            .read_stream()
            .map(move |event| (event, Box::new(repository.status())));
        Task::run(events, |(event, status)| {
            Message::Read(event.map(Box::new), status)
        })
    }

    /// Runs `action` on the repository; its outcome comes back as [`Message::Finished`].
    fn start(&mut self, action: Action) -> Task<Message> {
        self.error = None;
        let repository = self.repository.clone();
        let (name, photo_url) = (self.name.clone(), self.photo_url.clone());
        // A resolution applies to the conflict on screen, not to whatever is stored by then.
        let seen = self.status.profile.clone();
        Task::future(async move {
            let result = match (action, seen) {
                (Action::Save, _) => repository.save(&name, &photo_url).await.map(drop),
                // The user's own "Sync now": photos go on a metered connection too.
                (Action::Sync, _) => repository.sync_now().await.map(drop),
                (Action::Resolve(resolution), Some(seen)) => {
                    repository.resolve_seen(&seen, resolution).await.map(drop)
                }
                (Action::Resolve(_), None) => Err(RepositoryError::NoConflict),
            };
            // The attempt changed the status whatever its outcome (it is recorded there).
            Message::Finished(action, result, Box::new(repository.status()))
        })
    }

    /// Runs a repository call that has no outcome to wait for; the status after it comes back.
    fn effect(&self, call: impl FnOnce(&UserProfileRepository) + Send + 'static) -> Task<Message> {
        let repository = self.repository.clone();
        Task::future(async move {
            call(&repository);
            Message::StatusChanged(Box::new(repository.status()))
        })
    }

    pub fn update(&mut self, message: Message) -> Task<Message> {
        let task = self.handle(message);
        Task::batch([task, self.avatar_task(), self.photos_task()])
    }

    fn handle(&mut self, message: Message) -> Task<Message> {
        match message {
            Message::NameChanged(name) => {
                self.name_error = validate_name(&name).err();
                self.name = name;
            }
            Message::PhotoUrlChanged(url) => {
                self.photo_url_error = validate_photo_url(&url).err();
                self.photo_url = url;
            }
            Message::Save if self.can_save() => {
                self.saving = true;
                return self.start(Action::Save);
            }
            Message::Save => {}
            Message::SyncNow => return self.start(Action::Sync),
            Message::Resolve(resolution) => return self.start(Action::Resolve(resolution)),
            Message::Finished(action, result, status) => self.finished(action, result, *status),
            Message::Read(result, status) => self.read_step(result.map(|event| *event), *status),
            Message::StatusChanged(status) => self.apply_status(*status),
            Message::Revert => {
                self.fill_form();
                self.error = None;
            }
            Message::WorkOffline(on) => return self.effect(move |r| r.set_work_offline(on)),
            Message::DismissNotice => return self.effect(UserProfileRepository::dismiss_notice),
            Message::Reload => {
                self.error = None;
                return Task::batch([
                    self.effect(UserProfileRepository::request_sync),
                    self.read(),
                ]);
            }
            Message::Tick => self.now = Utc::now(),
            Message::AvatarLoaded(url, result) => self.avatar_loaded(url, result),
            Message::FocusNext => return iced::widget::operation::focus_next(),
            Message::FocusPrevious => return iced::widget::operation::focus_previous(),
            Message::ChoosePhoto if !self.choosing && !self.photo_busy => {
                self.choosing = true;
                return Task::perform(pick_photo_file(), Message::PhotoChosen);
            }
            Message::ChoosePhoto => {}
            Message::PhotoChosen(path) => {
                self.choosing = false;
                if let Some(path) = path {
                    return self.use_photo_file(path);
                }
            }
            Message::FileDropped(path) if !self.photo_busy => return self.use_photo_file(path),
            Message::FileDropped(_) => {}
            Message::RemovePhoto if !self.photo_busy => {
                self.photo_busy = true;
                self.photo_error = None;
                let repository = self.repository.clone();
                return Task::future(async move {
                    let result = repository
                        .change_photo(PhotoEdit::Remove)
                        .await
                        .map(drop)
                        .map_err(|error| {
                            crate::words::not_saved(&error, None).unwrap_or_else(|| {
                                crate::fl!("photo-not-removed", error = error.to_string())
                            })
                        });
                    Message::PhotoChanged(result, Box::new(repository.status()))
                });
            }
            Message::RemovePhoto => {}
            Message::PhotoChanged(result, status) => {
                self.photo_busy = false;
                self.apply_status(*status);
                if let Err(reason) = result {
                    tracing::warn!(%reason, "photo not changed");
                    self.photo_error = Some(reason);
                }
            }
            Message::PhotoLoaded(id, result) => self.photo_loaded(id, result),
        }
        Task::none()
    }

    fn finished(&mut self, action: Action, result: Result<(), RepositoryError>, status: Status) {
        if action == Action::Save {
            self.saving = false;
        }
        self.apply_status(status);
        match result {
            Ok(()) if action.refills_form() => self.fill_form(),
            Ok(()) => {}
            Err(error) => {
                tracing::warn!(%error, ?action, "the action failed");
                // A full (or read-only) disk is said in plain words; the typed text stays.
                let shown = self.status.profile.as_ref().map(|p| p.fields.name.as_str());
                self.error = Some(
                    crate::words::not_saved(&error, shown)
                        .unwrap_or_else(|| action.failure(&error)),
                );
            }
        }
    }

    fn read_step(&mut self, result: Result<ReadEvent, RepositoryError>, status: Status) {
        match result {
            Ok(ReadEvent::Cached(_)) => {
                if self.loading == Loading::Started {
                    self.loading = Loading::Cached;
                }
            }
            Ok(ReadEvent::Fresh(_)) => self.loading = Loading::Done,
            Err(error) => {
                self.loading = Loading::Done;
                tracing::warn!(%error, "reading the profile failed");
                // Offline, working offline and signed out are on the badge already.
                if !error.is_offline()
                    && !error.is_signed_out()
                    && !matches!(error, RepositoryError::WorkingOffline)
                {
                    self.error = Some(crate::fl!("read-failed", error = error.to_string()));
                }
            }
        }
        self.apply_status(status);
    }

    fn avatar_loaded(&mut self, url: String, result: Result<Option<Vec<u8>>, RepositoryError>) {
        if self.avatar.url() != Some(url.as_str()) {
            return; // A newer photo is being loaded.
        }
        self.avatar = match result {
            Ok(Some(png)) => Avatar::Ready {
                url,
                handle: image::Handle::from_bytes(png),
            },
            Ok(None) => Avatar::Unavailable {
                url,
                reason: crate::fl!("photo-not-downloaded-offline"),
            },
            Err(error) => {
                tracing::warn!(%error, "the photo cannot be shown");
                Avatar::Unavailable {
                    url,
                    reason: error.to_string(),
                }
            }
        };
    }

    /// Takes the repository's status as it is. The form follows the profile unless the user is
    /// typing.
    fn apply_status(&mut self, status: Status) {
        let typing = self.is_dirty();
        self.now = Utc::now();
        self.status = status;
        if let Some(profile) = &self.status.profile {
            self.pristine = profile.fields.clone();
            if self.loading == Loading::Started {
                self.loading = Loading::Cached;
            }
            if !typing {
                self.fill_form();
            }
        }
    }

    /// Fills the form from the profile, dropping what was typed.
    fn fill_form(&mut self) {
        self.name = self.pristine.name.clone();
        self.photo_url = self.pristine.photo_url.clone();
        self.name_error = None;
        self.photo_url_error = None;
    }

    pub fn subscription(&self) -> Subscription<Message> {
        let status = Subscription::run_with(RepositoryKey(self.repository.clone()), |key| {
            key.0.changes()
        })
        .map(|status| Message::StatusChanged(Box::new(status)));
        // Shortcuts work while a text field has focus too, so every key press is seen.
        let keys = event::listen_with(|event, _status, _window| match event {
            iced::Event::Keyboard(keyboard::Event::KeyPressed { key, modifiers, .. }) => {
                shortcut(&key, modifiers)
            }
            iced::Event::Window(iced::window::Event::FileDropped(path)) => {
                Some(Message::FileDropped(path))
            }
            _ => None,
        });
        // The activity indicator turns while syncing; a countdown needs a tick a second;
        // "synced 2 min ago" needs one every 30 s at most. Otherwise nothing wakes the app.
        let every = match self.badge() {
            Badge::Syncing => Some(SPINNER_FRAME),
            Badge::Offline { retry_in: Some(_) } => Some(Duration::from_secs(1)),
            Badge::Synced { .. } => Some(Duration::from_secs(30)),
            _ => None,
        };
        let tick = every.map_or_else(Subscription::none, |every| {
            iced::time::every(every).map(|_| Message::Tick)
        });
        Subscription::batch([status, keys, tick])
    }

    // --- What the view reads -------------------------------------------------------------

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn photo_url(&self) -> &str {
        &self.photo_url
    }

    pub fn name_error(&self) -> Option<&str> {
        self.name_error.as_deref()
    }

    pub fn photo_url_error(&self) -> Option<&str> {
        self.photo_url_error.as_deref()
    }

    pub fn avatar(&self) -> &Avatar {
        &self.avatar
    }

    /// The picked photo beside the form: `None` when the profile has none (the photo URL's
    /// picture or the initials show); otherwise what to show.
    pub fn photo(&self) -> Option<PhotoShown<'_>> {
        let photo = self.profile()?.fields.photo.as_ref()?;
        Some(self.photo_shown(&photo.sha256, self.last_photo.as_ref()))
    }

    /// How the photo `id` on screen shows: decoded, still downloading (`meanwhile` in its
    /// place), or not on the server.
    pub fn photo_shown<'a>(
        &'a self,
        id: &PhotoId,
        meanwhile: Option<&'a image::Handle>,
    ) -> PhotoShown<'a> {
        match self.photos.get(id) {
            Some(handle) => PhotoShown::Ready(handle),
            None if self.status.photos_unavailable.contains(id) => PhotoShown::Unavailable,
            None => PhotoShown::Downloading(meanwhile),
        }
    }

    /// The decoded photo `id`, when it is on screen and in the cache.
    pub fn photo_handle(&self, id: &PhotoId) -> Option<&image::Handle> {
        self.photos.get(id)
    }

    /// Why the last photo picked or dropped could not be used.
    pub fn photo_error(&self) -> Option<&str> {
        self.photo_error.as_deref()
    }

    /// A photo is being read, made fit or saved.
    pub fn is_photo_busy(&self) -> bool {
        self.photo_busy
    }

    pub fn notice(&self) -> Option<&str> {
        self.status.notice.as_deref()
    }

    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    pub fn status(&self) -> &Status {
        &self.status
    }

    pub fn profile(&self) -> Option<&UserProfile> {
        self.status.profile.as_ref()
    }

    pub fn loading(&self) -> Loading {
        self.loading
    }

    pub fn is_saving(&self) -> bool {
        self.saving
    }

    /// The form differs from what it was filled from.
    pub fn is_dirty(&self) -> bool {
        self.name != self.pristine.name || self.photo_url != self.pristine.photo_url
    }

    /// Save is possible: something changed, the input is valid and no save is running.
    pub fn can_save(&self) -> bool {
        !self.saving
            && self.is_dirty()
            && validate_name(&self.name).is_ok()
            && validate_photo_url(&self.photo_url).is_ok()
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Which frame of the syncing indicator to show.
    pub fn spinner_frame(&self) -> usize {
        let millis = self.now.timestamp_millis().unsigned_abs();
        (millis / SPINNER_FRAME.as_millis() as u64 % 4) as usize
    }

    pub fn badge(&self) -> Badge {
        let status = &self.status;
        if status.state() == SyncState::Conflict {
            return Badge::Conflict;
        }
        if status.work_offline {
            return Badge::WorkingOffline;
        }
        match &status.activity {
            Activity::Syncing => return Badge::Syncing,
            Activity::Offline { retry_at, .. } => {
                return Badge::Offline {
                    retry_in: retry_at.map(|at| (at - self.now).num_seconds().max(0) as u64 + 1),
                };
            }
            Activity::Failed { reason, .. } => {
                return Badge::Error {
                    reason: reason.clone(),
                };
            }
            Activity::SignedOut { reason } => {
                return Badge::SignedOut {
                    reason: reason.clone(),
                };
            }
            Activity::Idle => {}
        }
        match status.profile.as_ref() {
            None if self.loading == Loading::Started => Badge::Loading,
            None => Badge::Empty,
            Some(profile) if !profile.synchronized => Badge::SavedLocally,
            Some(_) if !status.server_answered => Badge::Cached,
            Some(profile) => Badge::Synced {
                ago: profile.synced_at.map(|at| relative_time(at, self.now)),
            },
        }
    }

    /// The technical reason of the last failed attempt, for the footer's tooltip.
    pub fn last_attempt_detail(&self) -> Option<&str> {
        self.status
            .last_attempt
            .as_ref()
            .filter(|attempt| !attempt.ok)
            .map(|attempt| attempt.message.as_str())
    }

    /// The window title: the name and where it stands.
    pub fn title(&self) -> String {
        let badge = self.badge();
        match self.profile() {
            Some(profile) => crate::fl!(
                "title-named",
                name = profile.name(),
                state = badge.title_word()
            ),
            None => crate::fl!("title-unnamed", state = badge.title_word()),
        }
    }

    /// The outcome of the last sync attempt, for the footer: in plain words when it failed
    /// (the technical reason is in [`last_attempt_detail`](Self::last_attempt_detail)).
    pub fn last_attempt(&self) -> Option<String> {
        self.status.last_attempt.as_ref().map(|attempt| {
            let outcome = match (&self.status.last_failure, attempt.ok) {
                (_, true) => crate::fl!("last-attempt-succeeded"),
                (Some(failure), false) => crate::words::failure(failure),
                (None, false) => attempt.message.clone(),
            };
            crate::fl!(
                "last-attempt",
                ago = relative_time(attempt.at, self.now).words(),
                outcome = outcome
            )
        })
    }
}

/// What the picked photo beside the form looks like now.
#[derive(Debug, Clone, Copy)]
pub enum PhotoShown<'a> {
    Ready(&'a image::Handle),
    /// Another device chose it and it is still downloading: the picture shown before it (or
    /// the initials, `None`) stays, marked.
    Downloading(Option<&'a image::Handle>),
    /// The server does not have it (the initials show, marked).
    Unavailable,
}

/// Asks for a picture through the system's file dialog (the XDG desktop portal, or zenity
/// where there is none, on Linux; the native dialog elsewhere).
async fn pick_photo_file() -> Option<PathBuf> {
    rfd::AsyncFileDialog::new()
        .set_title(crate::fl!("photo-dialog-title"))
        .add_filter(
            crate::fl!("photo-dialog-filter"),
            &["jpg", "jpeg", "png", "JPG", "JPEG", "PNG"],
        )
        .pick_file()
        .await
        .map(|file| file.path().to_path_buf())
}

/// How long each frame of the syncing indicator shows.
pub const SPINNER_FRAME: Duration = Duration::from_millis(125);

/// The keyboard shortcuts: Ctrl+S saves, Ctrl+R syncs, Ctrl+O chooses a photo, Esc reverts
/// unsaved typing, Tab and Shift+Tab move between the fields.
pub fn shortcut(key: &keyboard::Key, modifiers: keyboard::Modifiers) -> Option<Message> {
    match key.as_ref() {
        keyboard::Key::Character("s") if modifiers.command() => Some(Message::Save),
        keyboard::Key::Character("r") if modifiers.command() => Some(Message::SyncNow),
        keyboard::Key::Character("o") if modifiers.command() => Some(Message::ChoosePhoto),
        keyboard::Key::Named(key::Named::Escape) => Some(Message::Revert),
        keyboard::Key::Named(key::Named::Tab) if modifiers.shift() => Some(Message::FocusPrevious),
        keyboard::Key::Named(key::Named::Tab) => Some(Message::FocusNext),
        _ => None,
    }
}

/// How long ago something happened, to the unit a person would say: "just now" (under 10 s),
/// "less than a minute ago", "2 min ago", "3 h ago", "yesterday", "4 days ago".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ago {
    JustNow,
    UnderAMinute,
    Minutes(i64),
    Hours(i64),
    Yesterday,
    Days(i64),
}

impl Ago {
    /// The words in the user's language, through its plural rules.
    pub fn words(self) -> String {
        match self {
            Ago::JustNow => crate::fl!("ago-just-now"),
            Ago::UnderAMinute => crate::fl!("ago-under-a-minute"),
            Ago::Minutes(minutes) => crate::fl!("ago-minutes", minutes = minutes),
            Ago::Hours(hours) => crate::fl!("ago-hours", hours = hours),
            Ago::Yesterday => crate::fl!("ago-yesterday"),
            Ago::Days(days) => crate::fl!("ago-days", days = days),
        }
    }
}

/// How long before `now` the moment `at` was (a moment after `now` counts as now).
pub fn relative_time(at: DateTime<Utc>, now: DateTime<Utc>) -> Ago {
    let seconds = (now - at).num_seconds().max(0);
    match seconds {
        0..=9 => Ago::JustNow,
        10..=59 => Ago::UnderAMinute,
        60..=3599 => Ago::Minutes(seconds / 60),
        3600..=86_399 => Ago::Hours(seconds / 3600),
        _ => match seconds / 86_400 {
            1 => Ago::Yesterday,
            days => Ago::Days(days),
        },
    }
}
