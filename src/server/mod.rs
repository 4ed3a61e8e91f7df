//! The HTTP server: web chat API and page, health, metrics. Built from
//! settings by `App::build`, run by `run(listener, app, shutdown)`.

pub mod admin;
pub mod chat;
pub mod conn;
pub mod kiosk;
pub mod page;
pub mod takeaway;

pub use crate::app::{AppState, ClockFn, metrics_handle, unix_now};
use crate::app::{client, limits};

use crate::channels::{telegram, wechat, wechat::Wechat};
use crate::config::{Secret, Settings};
use crate::engine::Engine;
use crate::engine::understand::Understand;
use crate::service::Bot;
use crate::store::Store;
use crate::understand::Smart;
use anyhow::Context;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use limits::Limits;
use metrics_exporter_prometheus::PrometheusHandle;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

pub use crate::app::MAX_BODY_BYTES;

pub struct App {
    pub state: AppState,
    pub settings: Settings,
    /// The WeChat Official Account channel, when `[wechat] token` is set.
    pub wechat: Option<Wechat>,
    /// The data dir this process holds (`build`), where it writes its address.
    pub data_dir: Option<std::path::PathBuf>,
}

impl App {
    /// Loads content, opens the store and wires the parts together.
    pub async fn build(mut settings: Settings) -> anyhow::Result<Self> {
        let dir = settings.find_content()?;
        tracing::info!(content = %dir.display(), "serving content");
        settings.server.content_dir = dir.clone();
        let (loaded, diags) = crate::understand::load_all(&dir);
        // Placeholders are one line with their count (`refuse_placeholders`).
        for d in diags.items.iter().filter(|d| d.kind != crate::content::Kind::Placeholder) {
            tracing::warn!("{d}");
        }
        let (content, understanding) =
            loaded.with_context(|| format!("content in {} has errors (run `xinfang-guide check`)", dir.display()))?;
        let store = crate::store::open(&settings.store, &settings.server.data_dir).await.with_context(|| {
            if crate::store::is_shared(&settings.store) {
                return "opening the PostgreSQL store ([store] url)".to_string();
            }
            // The server holding the dir wrote its address there.
            let holder = std::fs::read_to_string(settings.server.data_dir.join(crate::datadir::ADDR_FILE))
                .map(|a| format!(" (the server at http://{} holds it)", a.trim()))
                .unwrap_or_default();
            format!("opening data dir {}{holder}", settings.server.data_dir.display())
        })?;
        let token = crate::datadir::load_or_create_token(&settings.server.data_dir)
            .with_context(|| format!("admin token in {}", settings.server.data_dir.display()))?;
        let mut app = Self::with_store(settings, content, Arc::new(Smart { understanding }), store);
        app.state.admin_token = token;
        app.data_dir = Some(app.settings.server.data_dir.clone());
        app.with_channels()
    }

    /// A real deployment (`[server] public_url` set) does not start while
    /// contact details are still placeholders (`待核实`), unless allowed:
    /// citizens would be sent to offices whose address nobody has checked.
    /// Without a public URL (a trial on a LAN) they are only warned about.
    pub fn refuse_placeholders(&self, allow: bool) -> anyhow::Result<()> {
        let holes = self.state.bot.engine().content.directory.placeholders();
        if holes.is_empty() {
            return Ok(());
        }
        if self.settings.server.public_url.trim().is_empty() || allow {
            tracing::warn!(
                count = holes.len(),
                "contact details are still placeholders (待核实); cards leave them out until they are filled in (`xinfang-guide check` lists them)"
            );
            return Ok(());
        }
        anyhow::bail!(
            "[server] public_url is set (a real deployment) but {} contact details in config/directory.toml are still \
             placeholders (待核实): {}. Fill them in from the offices (`xinfang-guide check` lists them with their \
             lines), or start with --allow-placeholders to serve without them (cards then show only the national channels)",
            holes.len(),
            holes.join("; ")
        )
    }

    /// Turns on the channels configured in settings that need no network at
    /// start (WeChat); Telegram starts in `run`.
    pub fn with_channels(mut self) -> anyhow::Result<Self> {
        self.wechat = Wechat::from_settings(&self.settings.wechat, self.state.bot.clone(), self.state.clock.clone())?;
        Ok(self)
    }

    pub fn with_store(
        settings: Settings,
        content: Arc<crate::content::Content>,
        understand: Arc<dyn Understand>,
        store: Arc<dyn Store>,
    ) -> Self {
        let engine = Engine::new(content, understand, settings.session.idle_minutes * 60)
            .with_max_text_chars(settings.server.max_text_chars);
        let state = AppState {
            bot: Bot::new(Arc::new(engine), store),
            limits: Arc::new(Limits::new(&settings.limits)),
            max_text_chars: settings.server.max_text_chars,
            clock: Arc::new(unix_now),
            metrics: metrics_handle(),
            public_url: settings.server.public_url.trim().trim_end_matches('/').into(),
            kiosk: settings.kiosk.clone(),
            retention_days: settings.staff.retention_days,
            trusted_proxies: settings.server.trusted_proxies.clone().into(),
            hosts: Arc::new(client::HostPolicy::from_public_url(&settings.server.public_url)),
            admin_token: Secret::new(crate::app::new_token()),
            metrics_access: Arc::new(settings.metrics.clone()),
            heavy: Arc::default(),
            content_dir: Arc::new(settings.server.content_dir.clone()),
            laws_dir: Some(&settings.server.laws_dir)
                .filter(|p| !p.as_os_str().is_empty())
                .map(|p| Arc::new(p.clone())),
        };
        Self { state, settings, wechat: None, data_dir: None }
    }

    /// The web routes plus those of the configured channels.
    pub fn router(&self) -> Router {
        let mut r = router(self.state.clone());
        if let Some(w) = &self.wechat {
            r = r.merge(w.router());
        }
        hardened(r)
    }
}

/// Headers every response carries, whichever route answered.
pub fn hardened(r: Router) -> Router {
    r.layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    ))
}

pub fn router(state: AppState) -> Router {
    // What a browser opens or calls: answered only for known Hosts.
    // What citizens post: the per-address rate applies before the body is
    // read, so a client over it is answered at once, whatever its body does.
    let posts = Router::new()
        .route("/api/v1/chat", post(chat::chat))
        .route("/api/v1/transfer", post(kiosk::transfer))
        .route("/api/v1/claim", post(kiosk::claim))
        .route("/api/v1/takeaway", post(takeaway::create))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), per_address));
    let browser = Router::new()
        .route("/", get(page::index))
        .merge(posts)
        .route("/api/v1/transfer/{ticket}", get(kiosk::transfer_status))
        .route("/g/{ticket}", get(takeaway::page))
        .merge(crate::staff::router())
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), client::check_host));
    Router::new()
        .merge(browser)
        .route("/healthz", get(healthz))
        .route("/admin/stats", get(admin::stats))
        .route("/admin/report", get(admin::report))
        .route("/admin/backup", get(admin::backup))
        .route("/admin/staff", get(admin::list_staff).post(admin::add_staff))
        .route("/admin/staff/password", post(admin::staff_password))
        .route("/admin/staff/unlock", post(admin::staff_unlock))
        .route("/admin/conversation", get(admin::conversation))
        .route("/metrics", get(metrics))
        .route_layer(axum::middleware::from_fn(crate::app::access::log))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// The routes citizens post to, limited per client address.
const RATED: [&str; 4] = ["/api/v1/chat", "/api/v1/transfer", "/api/v1/claim", "/api/v1/takeaway"];

/// A request the connection layer has counted against its address's rate.
#[derive(Clone, Copy)]
struct RateCounted;

/// The per-address request rate, applied by the connection layer before
/// the body is read (review N2: it ran after, so trickled bodies were never
/// counted): a client over it is answered at once, whatever its body does.
fn rate_gate(app: AppState) -> conn::Gate {
    std::sync::Arc::new(move |parts: &mut axum::http::request::Parts, peer: std::net::SocketAddr| {
        if parts.method != axum::http::Method::POST || !RATED.contains(&parts.uri.path()) {
            return None;
        }
        let ip = crate::app::client::client_ip(peer.ip(), &parts.headers, &app.trusted_proxies);
        if let Err(s) = app.limits.check_ip(ip) {
            return Some(crate::app::error::AppError::RateLimited { retry_after_secs: s }.into_response());
        }
        parts.extensions.insert(RateCounted);
        None
    })
}

/// The same limit for a router served without the connection layer (tests,
/// embedding): skipped when the gate has counted the request already.
async fn per_address(
    State(app): State<AppState>,
    crate::app::client::ClientIp(ip): crate::app::client::ClientIp,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if req.extensions().get::<RateCounted>().is_some() {
        return next.run(req).await;
    }
    match app.limits.check_ip(ip) {
        Ok(()) => next.run(req).await,
        Err(s) => crate::app::error::AppError::RateLimited { retry_after_secs: s }.into_response(),
    }
}

/// 200 `{"status":"ok"}` while the store answers; 503
/// `{"status":"unavailable","store":"…"}` while it does not (PostgreSQL
/// down or restarting), so a load balancer sends people elsewhere.
async fn healthz(State(app): State<AppState>) -> axum::response::Response {
    let ping = tokio::time::timeout(Duration::from_secs(2), app.bot.store.ping()).await;
    let why = match ping {
        Ok(Ok(())) => return ([(header::CONTENT_TYPE, "application/json")], r#"{"status":"ok"}"#).into_response(),
        Ok(Err(e)) => e.to_string(),
        Err(_) => "the store did not answer within 2 s".to_string(),
    };
    tracing::warn!(error = %why, "health check: store unavailable");
    let body = serde_json::json!({ "status": "unavailable", "store": "unavailable" });
    (axum::http::StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response()
}

/// What `/metrics` and the startup log say while metrics are off.
const METRICS_OFF: &str = "metrics are off: set [metrics] allow = [\"ADDRESS\"] (the scrapers' addresses) or \
                           [metrics] token (XG_METRICS_TOKEN) and send Authorization: Bearer TOKEN";

/// `/metrics` for configured scrapers only: a socket peer in `[metrics]
/// allow`, or the bearer token. Loopback alone is not enough: behind a
/// reverse proxy on this host every client is loopback.
async fn metrics(
    State(app): State<AppState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<SocketAddr>,
    headers: header::HeaderMap,
) -> axum::response::Response {
    let access = &app.metrics_access;
    let listed = access.allow.iter().any(|n| n.contains(peer.ip()));
    let bearer =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    let token_ok =
        access.token.is_set() && bearer.is_some_and(|b| crate::app::same_secret(b.trim(), access.token.expose()));
    if !(listed || token_ok) {
        let why =
            if access.allow.is_empty() && !access.token.is_set() { METRICS_OFF } else { "not an allowed scraper" };
        return crate::app::error::AppError::Forbidden(why.into()).into_response();
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], app.metrics.render()).into_response()
}

/// Serves until `shutdown` resolves, then flushes the store. Starts the
/// Telegram channel when configured and runs the idle session sweeper
/// alongside.
pub async fn run(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let state = app.state.clone();
    let telegram = telegram::start(&app.settings.telegram, state.bot.clone(), state.clock.clone()).await?;
    let mut on = vec!["web".to_string()];
    if let Some(w) = &app.wechat {
        on.push(format!("wechat ({}, {} mode)", wechat::PATH, w.mode().as_str()));
    }
    let mut router = app.router();
    if let Some(t) = &telegram {
        on.push(format!("telegram (@{}, {})", t.username, t.mode));
        if let Some(r) = &t.router {
            router = hardened(router.merge(r.clone()));
        }
    }
    match &*state.hosts {
        client::HostPolicy::Only(h) => tracing::info!(host = %h, "browser pages answer only this Host (public_url)"),
        client::HostPolicy::LocalOrAddress => tracing::info!(
            "public_url is empty: browser pages answer Hosts that are localhost or an IP address; set [server] public_url to serve a domain name"
        ),
    }
    tracing::info!(channels = %on.join(", "), "channels on");
    let m = &app.settings.metrics;
    if m.allow.is_empty() && !m.token.is_set() {
        tracing::info!("{METRICS_OFF}");
    }
    if let Some(dir) = &app.data_dir {
        let addr = listener.local_addr().context("reading the bound address")?;
        crate::datadir::announce(dir, addr)
            .with_context(|| format!("writing the server address into {}", dir.display()))?;
    }
    let sweeper = spawn_sweeper(state.clone(), app.settings.session.clone());
    let hook = crate::alerts::run::hook(&app.settings.alerts, &state.public_url)?;
    if hook.is_some() {
        tracing::info!(format = %app.settings.alerts.format, "duty webhook on: new danger alerts are posted");
    }
    let alerts =
        crate::alerts::run::spawn(state.bot.store.clone(), hook, state.bot.alerts_wake.clone(), state.clock.clone());
    let reloader = crate::app::reload::on_sighup(state.clone());
    let upkeep = spawn_metrics_upkeep(state.metrics.clone());
    let srv = &app.settings.server;
    let limits = conn::ConnLimits {
        header_timeout: Duration::from_secs(srv.header_timeout_secs),
        idle_timeout: Duration::from_secs(srv.idle_timeout_secs),
        max_connections: srv.max_connections,
        body_timeout: Duration::from_secs(srv.body_timeout_secs),
        // Above every route's own limit (64 KB): those answer their own 413.
        max_body_bytes: 2 * MAX_BODY_BYTES,
        per_address: srv.max_connections_per_address,
        exempt: srv.trusted_proxies.clone(),
    };
    conn::serve(listener, router, limits, rate_gate(state.clone()), shutdown).await.context("serving HTTP")?;
    if let Some(t) = telegram {
        t.stop().await;
    }
    sweeper.abort();
    alerts.abort();
    upkeep.abort();
    reloader.abort();
    // Every acknowledged turn was durable before it was answered: a store
    // that cannot flush now (a full disk) loses nothing acknowledged, and
    // the shutdown is still a clean one.
    if let Err(e) = state.bot.store.flush().await {
        tracing::error!(error = %e, "the store could not be flushed at shutdown; acknowledged turns were already on disk");
    }
    if let Some(dir) = &app.data_dir {
        let _ = std::fs::remove_file(dir.join(crate::datadir::ADDR_FILE));
    }
    tracing::info!("store flushed, bye");
    Ok(())
}

/// Folds recorded latency samples into their summaries every 5 s. The
/// recorder (installed with `install_recorder`, which starts no upkeep of its
/// own) otherwise keeps every sample until the next `/metrics` scrape: with
/// no Prometheus scraping, 8 bytes more for every message, forever.
fn spawn_metrics_upkeep(handle: PrometheusHandle) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            handle.run_upkeep();
        }
    })
}

/// Removes idle sessions every `sweep_seconds`, updates the active-sessions
/// gauge and forgets idle rate-limit keys.
pub fn spawn_sweeper(state: AppState, s: crate::config::SessionSettings) -> tokio::task::JoinHandle<()> {
    tokio::spawn(sweep_loop(state, s))
}

async fn sweep_loop(state: AppState, s: crate::config::SessionSettings) {
    let mut tick = tokio::time::interval(Duration::from_secs(s.sweep_seconds.max(1)));
    let mut last_purge: Option<i64> = None;
    loop {
        tick.tick().await;
        let now = (state.clock)();
        if last_purge.is_none_or(|t| now.saturating_sub(t) >= 3600) {
            last_purge = Some(now);
            if state.retention_days > 0 {
                crate::staff::admin::purge(&state, "(scheduled)").await;
            } else if let Err(e) = crate::staff::admin::keep_daily_figures(&state, now).await {
                tracing::error!(error = %e, "keeping the daily figures failed");
            }
            if let Err(e) = crate::staff::accounts::forget_old_failures(&*state.bot.store, now).await {
                tracing::error!(error = %e, "forgetting old login failures failed");
            }
        }
        let cutoff = (state.clock)() - s.idle_minutes * 60;
        match state.bot.store.remove_idle(cutoff).await {
            Ok(swept) => {
                if swept.removed > 0 {
                    tracing::info!(removed = swept.removed, "idle sessions swept");
                }
                metrics::gauge!("xg_active_sessions").set(swept.remaining as f64);
            }
            Err(e) => tracing::error!(error = %e, "sweeping idle sessions failed"),
        }
        if let Err(e) = state.bot.store.remove_expired_tickets((state.clock)()).await {
            tracing::error!(error = %e, "removing expired links failed");
        }
        state.limits.shrink();
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
