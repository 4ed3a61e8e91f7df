//! xinfang-guide: public legal guidance on petitioning lawfully (依法信访),
//! and routing of 涉法涉诉 matters to the court or agency that can handle
//! them (诉访分离, 依法分类处理).
//!
//! # Map of the parts
//!
//! - [`content`]: dialogs (`dialogs/*.toml`), FAQ (`faq/*.toml`), the agency
//!   directory (`config/directory.toml`) and the time limits they state
//!   (`config/deadlines.toml`), read as raw TOML, then validated once into
//!   typed structures; `check` reports every problem with file:line, and with
//!   `--laws` checks citations and periods against statute texts
//!   ([`content::laws`]).
//! - [`engine`]: the pure core. `Engine::step(session, inbound, now)` returns
//!   the new session, the replies and a query-log record; no I/O, clock or
//!   randomness inside. [`engine::choice`] is the typed choice id every
//!   channel parses where a request comes in; [`engine::understand`] is the
//!   boundary that turns free text into an intent; [`engine::dates`] reads
//!   the dates people type on every channel; [`engine::render`] shows a node
//!   as the channel needs it; [`engine::card`] turns a route node into a
//!   channel card; [`engine::mask`] removes personal data before anything is
//!   logged.
//! - [`understand`]: free text → danger / FAQ entry / category (jieba tokens and
//!   character bigrams, naive Bayes over example utterances, BM25 over the FAQ,
//!   legal-fact rules), plugged into the engine as `Smart: Understand`.
//! - [`store`]: the `Store` trait (load, compare-and-swap commit with the log
//!   record, idle sweep) with the sled implementation and group commit.
//! - [`service`]: the path every channel takes: load → step → commit (retry on
//!   conflict) → replies.
//! - [`app`]: what `server`, `channels` and `staff` share, below all three
//!   (application state, clock, metrics, client address, extractors, HTML
//!   escaping, rate limits, the heavy-view pool), so none imports another.
//! - [`server`]: the axum HTTP server: web chat API, chat page, health,
//!   metrics, rate limits. [`cli`]: the command line (`check`, the terminal
//!   chat, `stats`, `report`, `staff`, `train` …), an adapter like `server`:
//!   it parses arguments, calls the library and prints; nothing else
//!   imports it. [`datadir`]: the files the server leaves in its data dir
//!   for the command line (admin token, address).
//! - [`channels`]: messaging-app adapters (Telegram through teloxide, the
//!   WeChat Official Account webhook) and the shared plain-text rendering.
//! - [`staff`]: the staff console at `/staff` (accounts with argon2, roles,
//!   CSRF, audit log; query list, transcripts, CSV export).
//! - [`stats`]: numbers for the report (people, messages, feedback, top
//!   questions) per source tag and day, folded from the query log.
//! - [`analysis`]: 研判 (early warnings, names) and the year's figures,
//!   with the daily aggregates kept in the store ([`analysis::keep`]).
//! - [`danger`]: the danger recogniser (self-harm, violence now, threats,
//!   someone else at risk), asked first about every text; [`alerts`]: the
//!   alert each danger turn opens for staff, and the duty webhook.
//! - [`config`]: server settings from `config/server.toml` and `XG_*` variables.
//!
//! # The path of one message
//!
//! `POST /api/v1/chat` (server::chat) → `Inbound` + `SessionKey` →
//! `Bot::handle` (service) → `Store::load` → `Engine::step` → `Understand`
//! (`Smart`: buttons and commands, else danger → FAQ → category) →
//! node transition → `render` (reply, card) → `Store::commit` (CAS, waits for
//! the group flush) → JSON reply.

pub mod alerts;
pub mod analysis;
pub mod app;
pub mod channels;
pub mod cli;
pub mod config;
pub mod content;
pub mod danger;
pub mod datadir;
pub mod engine;
pub mod pinyin;
pub mod qr;
pub mod server;
pub mod service;
pub mod staff;
pub mod stats;
pub mod store;
pub mod understand;
