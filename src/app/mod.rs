//! What the HTTP routes (`server`), the messaging channels (`channels`) and
//! the staff console (`staff`) share, below all three: the application
//! state, the clock, metrics, the client address, error and form extractors,
//! HTML escaping, rate limits and the pool for heavy console views. Nothing
//! here imports `server`, `channels` or `staff`.

pub mod access;
pub mod client;
pub mod error;
pub mod heavy;
pub mod html;
pub mod limits;
pub mod reload;

use crate::config::{MetricsSettings, Network, Secret};
use crate::service::Bot;
use error::AppError;
use limits::Limits;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::{Arc, OnceLock};

/// Request bodies larger than this are refused before parsing (413).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub type ClockFn = Arc<dyn Fn() -> i64 + Send + Sync>;

#[derive(Clone)]
pub struct AppState {
    pub bot: Bot,
    pub limits: Arc<Limits>,
    /// Longest message text, in characters (the page counts the same way).
    pub max_text_chars: usize,
    pub clock: ClockFn,
    pub metrics: PrometheusHandle,
    /// `[server] public_url`, for QR codes and links ("" = request Host).
    pub public_url: Arc<str>,
    pub kiosk: crate::config::KioskSettings,
    pub retention_days: i64,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Arc<[Network]>,
    /// Which Host headers browser-facing routes answer.
    pub hosts: Arc<client::HostPolicy>,
    /// The command line's authority for `/admin/*` (the token file in the
    /// data dir; random per process when there is no data dir).
    pub admin_token: Secret,
    pub metrics_access: Arc<MetricsSettings>,
    /// Console views that read many records, off the request workers.
    pub heavy: Arc<heavy::Heavy>,
    /// Where dialogs, FAQ and directory are read from (for a reload).
    pub content_dir: Arc<std::path::PathBuf>,
    /// Statute texts a reload checks citations against, when set.
    pub laws_dir: Option<Arc<std::path::PathBuf>>,
}

pub fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// The process-wide Prometheus recorder (installed once; tests build many apps).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            // Seconds for latencies; counts for the flush batch (replies per fsync).
            let counts = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];
            let builder = PrometheusBuilder::new()
                .set_buckets(&[0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0])
                .and_then(|b| b.set_buckets_for_metric(Matcher::Full("xg_store_flush_batch".into()), &counts))
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let handle = match builder.install_recorder() {
                Ok(h) => h,
                // Another recorder is installed (tests): render from a private one.
                Err(_) => PrometheusBuilder::new().build_recorder().handle(),
            };
            describe_metrics();
            handle
        })
        .clone()
}

/// `# HELP` for every metric the server records.
fn describe_metrics() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!("xg_messages_total", "Messages answered, per channel");
    describe_counter!("xg_not_understood_total", "Citizens' typed questions the bot did not understand, per channel");
    describe_counter!(
        "xg_danger_turns_total",
        "Messages that spoke of danger (self-harm, violence, fire, medical), per kind"
    );
    describe_counter!("xg_send_failures_total", "Replies not delivered, per channel");
    describe_counter!("xg_http_responses_total", "HTTP responses, per route template and status");
    describe_counter!("xg_rate_limited_total", "Requests refused with 429 by a rate limit, per route template");
    describe_counter!("xg_commit_conflicts_total", "Session commits that lost a compare-and-swap race (re-run)");
    describe_counter!("xg_redeliveries_total", "Messages a channel delivered again, answered from the receipt");
    describe_counter!("xg_connections_evicted_total", "Idle connections closed to make room at the connection cap");
    describe_counter!("xg_connections_refused_total", "Connections refused at the connection cap");
    describe_counter!("xg_content_reloads_total", "Content reloads (SIGHUP or console), per result");
    describe_gauge!("xg_active_sessions", "Sessions in the store after the last idle sweep");
    describe_gauge!("xg_open_connections", "Open HTTP connections");
    describe_histogram!("xg_reply_seconds", "Time to answer a web chat message, in seconds");
    describe_histogram!("xg_store_flush_seconds", "Time of one group flush (fdatasync), in seconds");
    describe_histogram!("xg_store_flush_batch", "Commits made durable by one group flush (count)");
}

/// Source tags: 1-32 ASCII letters, digits, `-` or `_`.
pub fn source_tag(src: Option<&str>) -> Result<Option<String>, AppError> {
    match src {
        None | Some("") => Ok(None),
        Some(s) if s.len() <= 32 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') => {
            Ok(Some(s.to_string()))
        }
        Some(_) => Err(AppError::BadRequest("`src` must be 1-32 letters, digits, `-` or `_`".into())),
    }
}

/// 128 random bits as 32 hex digits.
pub fn new_token() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A token `new_token` could have made.
pub fn is_token(t: &str) -> bool {
    t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
