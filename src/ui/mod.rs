//! The iced user interface: the application shell and the profile screen (view model + view).

pub mod app;
pub mod fonts;
pub mod user_profile;
