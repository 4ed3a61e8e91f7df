//! Command-line tools that share the library: content check and terminal chat.

pub mod chat;
pub mod check;
pub mod classify;
pub mod examples;
pub mod qr;
pub mod report;
pub mod server;
pub mod staff;
pub mod stats;
pub mod train;
pub mod transcript;
