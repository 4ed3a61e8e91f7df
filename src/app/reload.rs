//! Content changes without a restart: `SIGHUP` (and the editors' and
//! admins' button in the console) reads dialogs, FAQ, directory and the
//! understanding's files again, validates them as `check` does (with
//! `[server] laws_dir` set, as `check --laws` does: every citation and time
//! limit against the statute texts), and only when nothing is
//! wrong puts the new engine in place. A broken edit is refused with its
//! errors and the content in use stays. Messages in progress finish on the
//! engine they started with.

use super::AppState;
use crate::engine::Engine;
use crate::understand::Smart;
use std::sync::Arc;

/// What a successful reload put in place.
#[derive(Debug, Clone, PartialEq)]
pub struct Reloaded {
    pub nodes: usize,
    pub faq: usize,
    pub warnings: usize,
}

/// Why a reload was refused: the problems found, one a line (file:line).
#[derive(Debug, Clone, PartialEq)]
pub struct Refused {
    pub errors: Vec<String>,
}

/// Reads and validates the content directory; on success the bot uses it
/// for every later message. Blocking (reads files, builds the tokenizer):
/// call it off the request workers.
pub fn reload_now(state: &AppState) -> Result<Reloaded, Refused> {
    let dir = state.content_dir.as_path();
    let (loaded, mut diags) = crate::understand::load_all(dir);
    if let Some(laws) = &state.laws_dir {
        match crate::content::laws::Laws::load(laws) {
            Ok(laws) => {
                let raw = crate::content::load::read_dir(dir, &mut crate::content::Diagnostics::default());
                crate::content::citations::check(&raw, &laws, &mut diags);
                crate::content::periods::check_against(&raw, &laws, &mut diags);
            }
            Err(e) => diags.error(
                laws.as_path(),
                1,
                crate::content::Kind::Syntax,
                format!("cannot read the statute folder: {e}"),
            ),
        }
    }
    let Some((content, understanding)) = loaded.filter(|_| !diags.has_errors()) else {
        let mut errors: Vec<String> = diags.errors().map(ToString::to_string).collect();
        if errors.is_empty() {
            errors.push(format!("{}: content could not be read", dir.display()));
        }
        return Err(Refused { errors });
    };
    let old = state.bot.engine();
    let done = Reloaded { nodes: content.nodes.len(), faq: content.faq.len(), warnings: diags.items.len() };
    let engine =
        Engine::new(content, Arc::new(Smart { understanding }), old.idle_secs).with_max_text_chars(old.max_text_chars);
    state.bot.replace_engine(engine);
    Ok(done)
}

/// `reload_now` on the blocking pool, logged.
pub async fn reload(state: &AppState) -> Result<Reloaded, Refused> {
    let s = state.clone();
    let result = tokio::task::spawn_blocking(move || reload_now(&s))
        .await
        .unwrap_or_else(|e| Err(Refused { errors: vec![format!("reload failed: {e}")] }));
    match &result {
        Ok(r) => tracing::info!(nodes = r.nodes, faq = r.faq, warnings = r.warnings, "content reloaded"),
        Err(r) => tracing::error!(
            errors = r.errors.len(),
            first = %r.errors.first().map(String::as_str).unwrap_or_default(),
            "content reload refused: the content in use stays (run `xinfang-guide check`)"
        ),
    }
    metrics::counter!("xg_content_reloads_total", "result" => if result.is_ok() { "ok" } else { "refused" })
        .increment(1);
    result
}

/// Reloads on every `SIGHUP` (Unix) until aborted.
pub fn on_sighup(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let Ok(mut hup) = signal(SignalKind::hangup()) else {
                tracing::warn!("cannot listen for SIGHUP: content reload only from the console");
                return;
            };
            while hup.recv().await.is_some() {
                let _ = reload(&state).await;
            }
        }
        #[cfg(not(unix))]
        drop(state);
    })
}
