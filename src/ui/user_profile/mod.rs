pub mod view;
pub mod view_model;

pub use view_model::{Badge, Message, UserProfileViewModel, shortcut};
