//! Helpers shared by the server's test binaries (each uses some of them).
#![allow(dead_code)]

pub mod postgres;
