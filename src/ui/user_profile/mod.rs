pub mod view;
pub mod view_model;

pub use view_model::{Action, Avatar, Badge, Message, PhotoShown, UserProfileViewModel, shortcut};
