//! Content as data: dialogs, FAQ and the agency directory, read from TOML
//! files (`raw`), validated once with file:line diagnostics (`compile`,
//! `graph`) into typed structures (`model`) that the engine reads.

pub mod citations;
pub mod compile;
pub mod diag;
pub mod graph;
pub mod laws;
pub mod load;
pub mod model;
pub mod near;
pub mod periods;
pub mod raw;

pub use compile::load;
pub use diag::{Diagnostic, Diagnostics, Kind, Severity};
pub use model::*;
