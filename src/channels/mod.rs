//! Messaging-channel adapters. Each one only translates its wire format to
//! the engine's `Inbound` and a `SessionKey` (channel + user), hands it to
//! `service::Bot`, and renders the replies back; no channel has branches in
//! the engine.
//!
//! - [`text`]: replies as plain text with numbered choices (shared).
//! - [`telegram`]: teloxide, long polling or a webhook on the axum server.
//! - [`wechat`]: the Official Account webhook at `/wechat` (XML, signatures,
//!   safe-mode encryption, re-delivery).

pub mod lease;
pub mod telegram;
pub mod text;
pub mod wechat;
