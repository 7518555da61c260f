pub mod view;
pub mod view_model;

pub use view_model::{Avatar, Badge, Message, UserProfileViewModel, shortcut};
