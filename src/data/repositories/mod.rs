pub mod user_profile;
