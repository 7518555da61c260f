//! The iced user interface: the application shell and the profile screen (view model + view).

pub mod account_panel;
pub mod account_views;
pub mod app;
pub mod background_views;
pub mod contrast;
pub mod fonts;
pub mod sign_in;
pub mod user_profile;
pub mod window_state;
