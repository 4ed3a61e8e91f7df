//! Server settings: embedded defaults (`config/server.toml`), then an
//! optional file, then `XG_<SECTION>_<KEY>` environment variables, then
//! command-line flags.

use serde::Deserialize;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// The shipped `config/server.toml`, built into the binary.
pub const DEFAULTS: &str = include_str!("../config/server.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub session: SessionSettings,
    pub limits: LimitSettings,
    pub store: StoreSettings,
    pub telegram: TelegramSettings,
    pub wechat: WechatSettings,
    pub kiosk: KioskSettings,
    pub staff: StaffSettings,
    pub metrics: MetricsSettings,
    pub alerts: AlertSettings,
    /// What loading noticed but did not refuse (an unknown `XG_` variable),
    /// for the log once it is set up.
    #[serde(skip)]
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// Scrapers allowed by socket address (IPs or CIDR networks).
    pub allow: Vec<Network>,
    /// Scrapers allowed by `Authorization: Bearer <token>`.
    pub token: Secret,
}

/// The duty webhook: a message for every new danger alert.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertSettings {
    /// The robot's URL (its key is in it). Empty: no messages.
    pub webhook_url: Secret,
    /// `wecom` (企业微信群机器人), `dingtalk` (钉钉机器人) or `json`.
    pub format: String,
    /// 钉钉 加签 secret (empty: the robot does not sign).
    pub dingtalk_secret: Secret,
    /// A proxy the server reaches the internet through (http://host:port).
    pub proxy: String,
    /// Send the masked text of the message too (off: kind, time, channel, link).
    pub include_text: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffSettings {
    /// Query-log entries older than this many days are purged (0: keep all).
    pub retention_days: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KioskSettings {
    /// Seconds without a touch before the kiosk counts down to a reset.
    pub idle_seconds: u64,
    /// Length of the visible countdown before the reset.
    pub countdown_seconds: u64,
    /// How long a "continue on your phone" QR code stays valid.
    pub transfer_minutes: i64,
    /// How long a take-away guidance link stays valid.
    pub takeaway_hours: i64,
}

/// A token or key: read from settings, never shown by `Debug` or in errors.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_set(&self) -> bool {
        !self.0.trim().is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.is_set() { "Secret(***)" } else { "Secret(unset)" })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelegramSettings {
    /// Bot token from BotFather; the channel is on only when it is set.
    pub token: Secret,
    /// Bot API base URL (tests point it at a fake server on loopback).
    pub api_url: String,
    /// `polling` or `webhook`.
    pub mode: String,
    /// Public HTTPS URL Telegram posts updates to (webhook mode), e.g.
    /// `https://bot.example.org/telegram/webhook`; its path is served here.
    pub webhook_url: String,
    /// Sent by Telegram in `X-Telegram-Bot-Api-Secret-Token`; generated when empty.
    pub webhook_secret: Secret,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WechatSettings {
    /// The Token set in the MP admin console; the channel is on only when set.
    pub token: Secret,
    /// Message encryption as set in the MP console: `plain` (明文), `compat`
    /// (兼容) or `safe` (安全); empty: safe when `aes_key` is set, else plain.
    pub mode: String,
    /// AppID, needed for compatible and safe mode.
    pub appid: String,
    /// EncodingAESKey (43 characters); set it to use safe mode (安全模式).
    pub aes_key: Secret,
    /// Requests whose timestamp is further than this from now are refused.
    pub max_clock_skew_secs: i64,
    /// Public address of the web chat, shown when a reply is too long.
    pub web_url: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub addr: String,
    /// Directory holding `dialogs/`, `faq/` and `config/directory.toml`.
    pub content_dir: PathBuf,
    /// Statute texts a reload checks citations against (empty: none).
    #[serde(default)]
    pub laws_dir: PathBuf,
    pub data_dir: PathBuf,
    /// Longest accepted message text, in characters (shared with the chat
    /// page, which counts and warns before sending); at most
    /// `engine::MAX_LOG_CHARS`, what the query log keeps.
    pub max_text_chars: usize,
    /// `text` or `json` log lines.
    pub log_format: String,
    /// Address phones use to reach this server (QR codes, take-away links),
    /// e.g. `https://xf.example.org`; empty: the request's Host header.
    pub public_url: String,
    /// Reverse proxies (IPs or CIDR networks) whose `X-Forwarded-For` names
    /// the client; from any other peer the header is ignored.
    pub trusted_proxies: Vec<Network>,
    /// Seconds a client may take to send a request's headers.
    pub header_timeout_secs: u64,
    /// Seconds a client may take to send a request's body.
    pub body_timeout_secs: u64,
    /// Seconds a keep-alive connection may wait for its next request.
    pub idle_timeout_secs: u64,
    /// Connections open at once; at the cap the quietest idle one makes room.
    pub max_connections: usize,
    /// Connections open at once from one address (not a trusted proxy); at
    /// the cap that address's quietest idle one makes room (0: no limit).
    pub max_connections_per_address: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionSettings {
    pub idle_minutes: i64,
    pub sweep_seconds: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    /// Requests per second per client IP; 0 turns the limit off.
    pub per_ip_per_second: u32,
    pub per_ip_burst: u32,
    pub per_session_per_second: u32,
    pub per_session_burst: u32,
    /// Login attempts per minute per client address; 0 turns it off.
    pub login_per_minute: u32,
    pub login_burst: u32,
    /// A refused login attempt (rate limit or a wait still running) is
    /// answered after this many milliseconds, so a flood paces itself.
    pub login_tarpit_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSettings {
    /// Empty: sled in `[server] data_dir` (one process). `postgres://…`:
    /// PostgreSQL, which several instances can share.
    pub url: Secret,
    /// PostgreSQL connections per instance.
    pub pool_size: usize,
    /// PostgreSQL: concurrent commits share one statement and transaction.
    pub batch_commits: bool,
    pub cache_mb: u64,
    /// Microseconds the flusher waits for more commits before each flush.
    pub group_commit_us: u64,
}

/// An IP network (`10.0.0.0/8`, `::1/128`; a bare address is one host).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl std::str::FromStr for Network {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not an IP address or network (e.g. 10.0.0.2 or 10.0.0.0/8)");
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s.trim(), None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|&p| p <= max).ok_or_else(bad)?,
            None => max,
        };
        Ok(Self { addr, prefix })
    }
}

impl Network {
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => prefix_eq(&n.octets(), &a.octets(), self.prefix),
            (IpAddr::V6(n), IpAddr::V6(a)) => prefix_eq(&n.octets(), &a.octets(), self.prefix),
            _ => false,
        }
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:10.0.0.2`) as IPv4.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn prefix_eq(a: &[u8], b: &[u8], bits: u8) -> bool {
    let (whole, rest) = (usize::from(bits / 8), bits % 8);
    if a[..whole] != b[..whole] {
        return false;
    }
    rest == 0 || (a[whole] ^ b[whole]) >> (8 - rest) == 0
}

impl TryFrom<String> for Network {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("environment variable {var}: {message}")]
    Env { var: String, message: String },
}

impl Settings {
    /// Defaults, the optional file, then the process environment.
    /// `file`, else the installed settings when this is the installed
    /// binary (`/etc/xinfang-guide/server.toml`, for `/usr/bin/xinfang-guide`
    /// only: a build in a checkout never reads them), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let installed = installed_config();
        Self::load_with_env(file.or(installed.as_deref()), std::env::vars())
    }

    pub fn load_with_env(
        file: Option<&Path>,
        env: impl Iterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let mut table: toml::Table = toml::from_str(DEFAULTS)
            .map_err(|e| ConfigError::File { path: "<built-in config/server.toml>".into(), message: e.to_string() })?;
        if let Some(path) = file {
            let err = |message: String| ConfigError::File { path: path.display().to_string(), message };
            let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
            let over: toml::Table = toml::from_str(&text).map_err(|e| err(e.to_string()))?;
            merge(&mut table, over);
        }
        let known = env_names(&table);
        let mut warnings = Vec::new();
        for (var, value) in env {
            if !apply_env(&mut table, &var, &value)? {
                warnings.extend(unknown_env(&var, &known));
            }
        }
        let mut s: Self = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::File { path: "settings".into(), message: e.to_string() })?;
        s.validate()?;
        s.warnings = warnings;
        Ok(s)
    }

    /// Settings where zero makes no sense are refused, by name.
    fn validate(&self) -> Result<(), ConfigError> {
        let positive = [
            ("[server] header_timeout_secs", self.server.header_timeout_secs),
            ("[server] body_timeout_secs", self.server.body_timeout_secs),
            ("[server] idle_timeout_secs", self.server.idle_timeout_secs),
            ("[server] max_connections", self.server.max_connections as u64),
            ("[server] max_text_chars", self.server.max_text_chars as u64),
            ("[store] pool_size", self.store.pool_size as u64),
            ("[session] sweep_seconds", self.session.sweep_seconds),
            ("[kiosk] idle_seconds", self.kiosk.idle_seconds),
            ("[kiosk] countdown_seconds", self.kiosk.countdown_seconds),
        ];
        // Every problem at once (newcomer trial O3), one a line.
        let mut problems: Vec<String> = Vec::new();
        if let Err(message) = self.alerts.format.parse::<crate::alerts::webhook::Format>() {
            problems.push(message);
        }
        let hook = self.alerts.webhook_url.expose().trim();
        if !(hook.is_empty() || hook.starts_with("https://") || hook.starts_with("http://")) {
            problems.push("[alerts] webhook_url must be an http(s) URL".to_string());
        }
        let proxy = self.alerts.proxy.trim();
        if !proxy.is_empty() && reqwest::Proxy::all(proxy).is_err() {
            problems.push(format!("[alerts] proxy {proxy:?} is not a proxy URL (e.g. http://10.0.0.1:3128)"));
        }
        let public = self.server.public_url.trim();
        if let Err(why) = Some(public).filter(|p| !p.is_empty()).map_or(Ok(()), check_public_url) {
            problems.push(format!(
                "[server] public_url {public:?} {why}: it goes into QR codes and links phones open, so it must be \
                 an absolute http(s) URL such as https://xf.example.org"
            ));
        }
        if self.server.max_text_chars > crate::engine::MAX_LOG_CHARS {
            problems.push(format!(
                "[server] max_text_chars must be at most {} (what the query log keeps)",
                crate::engine::MAX_LOG_CHARS
            ));
        }
        problems
            .extend(positive.iter().filter(|(_, v)| *v == 0).map(|(name, _)| format!("{name} must be more than 0")));
        match problems.is_empty() {
            true => Ok(()),
            false => Err(ConfigError::File { path: "settings".into(), message: problems.join("\n") }),
        }
    }

    /// The content directory: the setting (or `--content`, which replaces
    /// it), else the current directory when it holds `dialogs/`, else the
    /// installed place. Never the source tree the binary was built from.
    pub fn find_content(&self) -> Result<PathBuf, ContentNotFound> {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        let mut places: Vec<PathBuf> = Vec::new();
        for p in [self.server.content_dir.clone(), cwd, PathBuf::from(INSTALLED_CONTENT)] {
            if p.join("dialogs").is_dir() {
                return Ok(p);
            }
            if !places.iter().any(|q| std::fs::canonicalize(q).ok() == std::fs::canonicalize(&p).ok()) {
                places.push(p);
            }
        }
        Err(ContentNotFound { looked: places })
    }
}

/// Where the Debian package puts the shipped content.
pub const INSTALLED_CONTENT: &str = "/usr/share/xinfang-guide";

/// Where the Debian package puts the office's settings (a conffile).
pub const INSTALLED_CONFIG: &str = "/etc/xinfang-guide/server.toml";

/// The installed settings, for a binary run from `/usr` (the package's).
fn installed_config() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let path = Path::new(INSTALLED_CONFIG);
    (exe.starts_with("/usr/") && path.exists()).then(|| path.to_path_buf())
}

/// No content directory was found; where the server looked.
#[derive(Debug, thiserror::Error)]
#[error(
    "no content found (a directory holding dialogs/): looked in {}. Give it with --content DIR or [server] content_dir",
    .looked.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
)]
pub struct ContentNotFound {
    pub looked: Vec<PathBuf>,
}

/// `public_url` is an absolute http(s) URL with a host and nothing after
/// the path (links are `<public_url>/?t=…`, `<public_url>/g/…`).
pub fn check_public_url(s: &str) -> Result<(), &'static str> {
    let u = url::Url::parse(s).map_err(|_| "is not a URL")?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err("is not http or https");
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err("has no host");
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err("carries a user name or password");
    }
    if u.query().is_some() || u.fragment().is_some() {
        return Err("has a query or fragment");
    }
    Ok(())
}

fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// Every variable a setting can be set by (`XG_<SECTION>_<KEY>`).
fn env_names(table: &toml::Table) -> Vec<String> {
    let mut out = Vec::new();
    for (section, v) in table {
        if let toml::Value::Table(keys) = v {
            out.extend(keys.keys().map(|k| format!("XG_{}_{}", section, k).to_ascii_uppercase()));
        }
    }
    out
}

/// The warning for an `XG_` variable that names no setting (the benchmark
/// scripts' own `XG_BENCH_*` aside), with the closest one.
fn unknown_env(var: &str, known: &[String]) -> Option<String> {
    if !var.starts_with("XG_") || var.starts_with("XG_BENCH_") {
        return None;
    }
    let near = crate::content::near::closest(var, known.iter().map(String::as_str));
    let hint = near.map(|n| format!(" (did you mean {n}?)")).unwrap_or_default();
    Some(format!("unknown setting {var} is ignored{hint}"))
}

/// `XG_SERVER_ADDR=…` sets `[server] addr`. Only known keys are taken; the
/// value is parsed as the type the default has (`XG_TELEGRAM_API_URL` sets
/// `[telegram] api_url`: the section is the first word). Returns whether
/// the variable named a setting (other variables are left alone).
fn apply_env(table: &mut toml::Table, var: &str, value: &str) -> Result<bool, ConfigError> {
    let Some(rest) = var.strip_prefix("XG_") else {
        return Ok(true);
    };
    let lower = rest.to_ascii_lowercase();
    let Some((section, key)) = lower.split_once('_') else {
        return Ok(false);
    };
    let Some(toml::Value::Table(sec)) = table.get_mut(section) else {
        return Ok(false);
    };
    let Some(old) = sec.get(key) else {
        return Ok(false);
    };
    let err = |message: &str| ConfigError::Env { var: var.to_string(), message: message.to_string() };
    let new = match old {
        toml::Value::Integer(_) => {
            toml::Value::Integer(value.trim().parse().map_err(|_| err("expected a whole number"))?)
        }
        toml::Value::Boolean(_) => {
            toml::Value::Boolean(value.trim().parse().map_err(|_| err("expected true or false"))?)
        }
        // Lists: comma-separated (`XG_SERVER_TRUSTED_PROXIES=10.0.0.2,10.0.1.0/24`).
        toml::Value::Array(_) => toml::Value::Array(
            value.split(',').map(str::trim).filter(|v| !v.is_empty()).map(|v| toml::Value::String(v.into())).collect(),
        ),
        _ => toml::Value::String(value.to_string()),
    };
    sec.insert(key.to_string(), new);
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Iterator<Item = (String, String)> {
        pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>().into_iter()
    }

    #[test]
    fn networks_contain_their_addresses() {
        let n: Network = "10.1.0.0/16".parse().expect("net");
        assert!(n.contains("10.1.200.3".parse().expect("ip")) && !n.contains("10.2.0.1".parse().expect("ip")));
        let one: Network = "127.0.0.1".parse().expect("host");
        assert!(one.contains("::ffff:127.0.0.1".parse().expect("mapped")));
        assert!("10.0.0.0/33".parse::<Network>().is_err() && "proxy".parse::<Network>().is_err());
        assert!("fd00::/8".parse::<Network>().expect("v6").contains("fd12::1".parse().expect("ip")));
    }

    #[test]
    fn built_in_defaults_load() {
        let s = Settings::load_with_env(None, env(&[])).expect("defaults");
        assert_eq!(s.server.addr, "127.0.0.1:8080");
        assert_eq!(s.session.idle_minutes, 30);
    }

    #[test]
    fn environment_overrides_each_setting_with_its_type() {
        let s = Settings::load_with_env(
            None,
            env(&[("XG_SERVER_ADDR", "0.0.0.0:9000"), ("XG_SESSION_IDLE_MINUTES", "5"), ("XG_TELEGRAM_TOKEN", "x")]),
        )
        .expect("settings");
        assert_eq!(s.server.addr, "0.0.0.0:9000");
        assert_eq!(s.session.idle_minutes, 5);
        let s = Settings::load_with_env(None, env(&[("XG_SERVER_TRUSTED_PROXIES", "10.0.0.2, 10.0.1.0/24")]))
            .expect("settings");
        let want: Vec<Network> = vec!["10.0.0.2".parse().expect("ip"), "10.0.1.0/24".parse().expect("net")];
        assert_eq!(s.server.trusted_proxies, want);
        let e = Settings::load_with_env(None, env(&[("XG_METRICS_ALLOW", "10.0.0.0/40")])).unwrap_err();
        assert!(e.to_string().contains("10.0.0.0/40"), "{e}");
    }

    #[test]
    fn channel_variables_configure_the_channels_and_stay_secret() {
        let s = Settings::load_with_env(
            None,
            env(&[
                ("XG_TELEGRAM_TOKEN", "123:secret-tg"),
                ("XG_TELEGRAM_API_URL", "http://127.0.0.1:9/"),
                ("XG_WECHAT_TOKEN", "secret-wx"),
                ("XG_WECHAT_APPID", "wx123"),
                ("XG_WECHAT_AES_KEY", "secret-aes"),
            ]),
        )
        .expect("settings");
        assert_eq!(s.telegram.token.expose(), "123:secret-tg");
        assert_eq!(s.telegram.api_url, "http://127.0.0.1:9/");
        assert_eq!((s.wechat.token.expose(), s.wechat.appid.as_str()), ("secret-wx", "wx123"));
        assert_eq!(s.wechat.aes_key.expose(), "secret-aes");
        let shown = format!("{s:?}");
        assert!(!shown.contains("secret-"), "{shown}");
        let off = Settings::load_with_env(None, env(&[])).expect("defaults");
        assert!(!off.telegram.token.is_set() && !off.wechat.token.is_set(), "channels are off by default");
    }

    #[test]
    fn zero_where_zero_makes_no_sense_is_refused_by_name() {
        let e = Settings::load_with_env(None, env(&[("XG_KIOSK_IDLE_SECONDS", "0")])).unwrap_err();
        assert!(e.to_string().contains("[kiosk] idle_seconds"), "{e}");
        let e = Settings::load_with_env(None, env(&[("XG_SERVER_HEADER_TIMEOUT_SECS", "0")])).unwrap_err();
        assert!(e.to_string().contains("header_timeout_secs"), "{e}");
    }

    /// Newcomer trial O3: the first problem only, fix, run, the next one.
    #[test]
    fn every_problem_of_the_settings_is_listed_at_once() {
        let e = Settings::load_with_env(
            None,
            env(&[
                ("XG_SERVER_HEADER_TIMEOUT_SECS", "0"),
                ("XG_SERVER_PUBLIC_URL", "not a url"),
                ("XG_ALERTS_WEBHOOK_URL", "ftp://hook"),
            ]),
        )
        .unwrap_err()
        .to_string();
        for want in ["header_timeout_secs must be more than 0", "[server] public_url", "[alerts] webhook_url"] {
            assert!(e.contains(want), "{want} in {e}");
        }
    }

    /// Regression (review, operator 1): "not a url" started fine and every
    /// QR code pointed to `not a url/?t=…`.
    #[test]
    fn public_url_must_be_an_absolute_http_url() {
        for good in ["https://xf.example.org", "http://192.168.1.20:8080", "https://xf.example.org/guide/"] {
            let s = Settings::load_with_env(None, env(&[("XG_SERVER_PUBLIC_URL", good)]));
            assert!(s.is_ok(), "{good}: {s:?}");
        }
        for bad in [
            "not a url",
            "xf.example.org",
            "ftp://xf.example.org",
            "https://",
            "https://u:p@x.org",
            "https://x.org/?a=1",
        ] {
            let e = Settings::load_with_env(None, env(&[("XG_SERVER_PUBLIC_URL", bad)])).unwrap_err();
            assert!(e.to_string().contains("[server] public_url") && e.to_string().contains("http(s)"), "{bad}: {e}");
        }
    }

    #[test]
    fn a_misspelt_variable_is_warned_about_with_the_closest_setting() {
        let s = Settings::load_with_env(
            None,
            env(&[("XG_SERVR_ADDR", "0.0.0.0:1"), ("XG_BENCH_PORT", "1"), ("PATH", "/bin")]),
        )
        .expect("settings");
        assert_eq!(s.warnings, ["unknown setting XG_SERVR_ADDR is ignored (did you mean XG_SERVER_ADDR?)"]);
        assert_eq!(s.server.addr, "127.0.0.1:8080");
    }

    #[test]
    fn a_bad_number_in_the_environment_is_a_clear_error() {
        let e = Settings::load_with_env(None, env(&[("XG_SESSION_IDLE_MINUTES", "soon")])).unwrap_err();
        assert!(e.to_string().contains("XG_SESSION_IDLE_MINUTES"), "{e}");
    }
}
