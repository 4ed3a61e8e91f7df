//! The one binary: wires settings, content, store and server together.

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;
use xinfang_guide::config::Settings;
use xinfang_guide::engine::Engine;
use xinfang_guide::server::{self, App};
use xinfang_guide::understand::Smart;

// jemalloc: glibc malloc's arena locks were the largest single cost under
// load (sled's I/O threads free what request threads allocate); jemalloc
// measured ~30% more messages/s at lower p99 (README, Benchmarks).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(name = "xinfang-guide", version, about = "依法信访指引机器人 / lawful petitioning guidance bot")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (web chat, API, metrics).
    Serve {
        /// Settings file (overrides the built-in config/server.toml).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Listen address, e.g. 127.0.0.1:8080.
        #[arg(long)]
        addr: Option<String>,
        /// sled data directory.
        #[arg(long)]
        data: Option<PathBuf>,
        /// Content directory (dialogs/, faq/, config/directory.toml).
        #[arg(long)]
        content: Option<PathBuf>,
        /// Start even though [server] public_url is set and contact details
        /// are still placeholders (待核实); cards leave them out.
        #[arg(long)]
        allow_placeholders: bool,
    },
    /// Check dialogs, FAQ and directory; print every problem with file:line.
    Check {
        #[arg(long, default_value = ".")]
        content: PathBuf,
        /// A folder of statute texts (one Markdown file per law, named as
        /// cited): check every citation and time limit against them.
        #[arg(long)]
        laws: Option<PathBuf>,
    },
    /// Classify questions: JSONL (`id`, `question`) or plain lines on stdin,
    /// one JSON line per question on stdout.
    Classify {
        #[arg(long, default_value = ".")]
        content: PathBuf,
        /// k-fold cross-validation: classify the labelled questions of
        /// `--real` instead of stdin, each by a model trained without its fold.
        #[arg(long, requires = "real")]
        cv: Option<usize>,
        /// Labelled real questions (JSONL with `question` and `category`).
        #[arg(long)]
        real: Option<PathBuf>,
        /// Weight of a real question against a hand-written example.
        #[arg(long, default_value_t = xinfang_guide::understand::train::REAL_WEIGHT)]
        real_weight: f32,
        /// Texts this long or longer are judged by the examples alone (0: never).
        #[arg(long, default_value_t = xinfang_guide::understand::train::LONG_FROM_CHARS)]
        long_from_chars: usize,
    },
    /// Learn the category models from the examples (and labelled real
    /// questions) and write dialogs/understand/model.bin with its provenance
    /// (model.toml: inputs and their SHA-256).
    Train {
        #[arg(long, default_value = ".")]
        content: PathBuf,
        /// Labelled real questions (JSONL with `question` and `category`),
        /// e.g. ../shared/eval/train_real.jsonl; they are not copied.
        #[arg(long)]
        real: Option<PathBuf>,
        /// Weight of a real question against a hand-written example.
        #[arg(long, default_value_t = xinfang_guide::understand::train::REAL_WEIGHT)]
        real_weight: f32,
        /// Texts this long or longer are judged by a model of the examples
        /// alone (0: never), since the real questions are short.
        #[arg(long, default_value_t = xinfang_guide::understand::train::LONG_FROM_CHARS)]
        long_from_chars: usize,
        /// Write nothing; exit 1 unless the committed files are exactly
        /// what these inputs produce.
        #[arg(long)]
        check: bool,
    },
    /// Numbers for a source tag and date range: people served, messages,
    /// feedback, top questions. Reads the data dir, or asks the running
    /// server when it holds the data dir.
    Stats {
        /// Source tag (kiosk, campaign or poster); all sources when omitted.
        #[arg(long)]
        src: Option<String>,
        /// First day, YYYY-MM-DD (China time).
        #[arg(long)]
        from: String,
        /// Last day, YYYY-MM-DD, inclusive.
        #[arg(long)]
        to: String,
        #[arg(long, default_value = "table", value_parser = ["table", "csv", "json"])]
        format: String,
        #[command(flatten)]
        place: DataPlace,
    },
    /// The year's figures for the annual 法治政府建设情况报告: a section in
    /// Chinese and the table behind it, from the daily figures that
    /// retention keeps. Reads the data dir, or asks the running server.
    Report {
        /// The year, e.g. 2026 (China time).
        #[arg(long)]
        year: i32,
        #[arg(long, default_value = "md", value_parser = ["md", "csv", "json"])]
        format: String,
        /// Content directory, for category and channel names.
        #[arg(long, default_value = ".")]
        content: PathBuf,
        #[command(flatten)]
        place: DataPlace,
    },
    /// QR codes (PNG, SVG) opening the web chat tagged with a source, and a
    /// printable A4 poster.
    Qr {
        /// Source tag (kiosk, campaign or poster), e.g. 0509-square.
        #[arg(long)]
        src: String,
        /// The address phones open (default: the settings' public_url).
        #[arg(long)]
        base_url: Option<String>,
        #[arg(long, default_value = ".")]
        out: PathBuf,
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long, default_value = ".")]
        content: PathBuf,
    },
    /// Staff console accounts.
    Staff {
        #[command(subcommand)]
        action: StaffCommand,
    },
    /// Example utterances: merge staff annotations exported from the console.
    Examples {
        #[command(subcommand)]
        action: ExamplesCommand,
    },
    /// Chat with the bot in the terminal (no server, nothing stored).
    Chat {
        #[arg(long, default_value = ".")]
        content: PathBuf,
    },
}

#[derive(Subcommand)]
enum ExamplesCommand {
    /// Merge annotated questions (the console's /staff/annotations.toml
    /// export) into dialogs/understand/examples/annotations.toml, after
    /// checking that none comes from an evaluation set.
    Merge {
        /// The exported file (an [examples] table).
        file: PathBuf,
        #[arg(long, default_value = ".")]
        content: PathBuf,
        /// The evaluation sets to check against (every *.jsonl there).
        #[arg(long, default_value = "../shared/eval")]
        eval: PathBuf,
        /// Merge without the check (only where no evaluation set exists).
        #[arg(long)]
        no_eval_check: bool,
    },
}

#[derive(Subcommand)]
enum StaffCommand {
    /// Create an account; the password is prompted for, or read from stdin.
    Add {
        name: String,
        #[arg(long, value_parser = ["viewer", "editor", "admin"])]
        role: String,
        #[command(flatten)]
        place: DataPlace,
    },
}

/// Where a command that reads or writes data finds it: the data dir, or the
/// running server that holds it (sled admits one process per data dir).
#[derive(clap::Args)]
struct DataPlace {
    #[arg(long)]
    config: Option<PathBuf>,
    /// sled data directory (default: the settings' data_dir).
    #[arg(long)]
    data: Option<PathBuf>,
    /// The running server to ask when the data dir is in use (default: the
    /// address the server wrote into the data dir).
    #[arg(long)]
    server: Option<String>,
}

impl DataPlace {
    /// The data dir (default from the settings) and the server to ask, if given.
    fn resolve(self) -> anyhow::Result<(PathBuf, Option<String>)> {
        let data = match self.data {
            Some(d) => d,
            None => Settings::load(self.config.as_deref())?.server.data_dir,
        };
        Ok((data, self.server))
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { content, laws } => {
            let mut out = std::io::stdout().lock();
            let failed =
                xinfang_guide::cli::check::run(&content, laws.as_deref(), &mut out).context("writing the report")?;
            if failed {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Chat { content } => {
            let (loaded, diags) = xinfang_guide::understand::load_all(&content);
            let (content, understanding) = loaded.with_context(|| format!("content has errors:\n{diags}"))?;
            let engine = Engine::new(content, Arc::new(Smart { understanding }), 30 * 60);
            let stdin = std::io::stdin().lock();
            let mut out = std::io::stdout().lock();
            xinfang_guide::cli::chat::run(&engine, stdin, &mut out, server::unix_now)
        }
        Command::Stats { src, from, to, format, place } => {
            let (data, server) = place.resolve()?;
            let q = xinfang_guide::stats::query(src.as_deref(), &from, &to).map_err(anyhow::Error::msg)?;
            let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            let report = rt.block_on(xinfang_guide::cli::stats::fetch(&data, server.as_deref(), &q))?;
            print!("{}", xinfang_guide::cli::stats::render(&report, &format)?);
            Ok(())
        }
        Command::Report { year, format, content, place } => {
            let year = xinfang_guide::cli::report::check_year(year).map_err(anyhow::Error::msg)?;
            let (data, server) = place.resolve()?;
            let (loaded, _) = xinfang_guide::content::load(&content);
            let names =
                loaded.map(|c| xinfang_guide::analysis::year::Names::from_directory(&c.directory)).unwrap_or_default();
            let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            let now = server::unix_now();
            let report = rt.block_on(xinfang_guide::cli::report::fetch(&data, server.as_deref(), year, now, &names))?;
            print!("{}", xinfang_guide::cli::report::render(&report, &format)?);
            Ok(())
        }
        Command::Qr { src, base_url, out, config, content } => {
            let settings = Settings::load(config.as_deref())?;
            let Some(base) = base_url.or(Some(settings.server.public_url).filter(|u| !u.trim().is_empty())) else {
                anyhow::bail!("give --base-url (the address phones will open) or set [server] public_url");
            };
            if let Err(why) = xinfang_guide::config::check_public_url(base.trim()) {
                anyhow::bail!("--base-url {base:?} {why}: phones open it, so it must be an absolute http(s) URL");
            }
            let (loaded, _) = xinfang_guide::content::load(&content);
            let deployment = loaded.map(|c| c.directory.deployment.clone()).unwrap_or_default();
            for path in xinfang_guide::cli::qr::write(&src, &base, &out, &deployment)? {
                println!("{}", path.display());
            }
            Ok(())
        }
        Command::Staff { action: StaffCommand::Add { name, role, place } } => {
            let (data, server) = place.resolve()?;
            let role = role.parse().map_err(|e: xinfang_guide::staff::accounts::StaffError| anyhow::anyhow!("{e}"))?;
            let password = xinfang_guide::cli::staff::read_password()?;
            let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            rt.block_on(xinfang_guide::cli::staff::add(
                &data,
                server.as_deref(),
                &name,
                role,
                &password,
                server::unix_now(),
            ))?;
            println!("account {name} created");
            Ok(())
        }
        Command::Classify { content, cv: Some(k), real: Some(real), real_weight, long_from_chars } => {
            let s = xinfang_guide::understand::train::Settings { real_weight, long_from_chars };
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            xinfang_guide::cli::classify::cross_validate(&content, &real, k, &s, &mut out)
        }
        Command::Examples { action: ExamplesCommand::Merge { file, content, eval, no_eval_check } } => {
            let eval = (!no_eval_check).then_some(eval.as_path());
            let mut out = std::io::stdout().lock();
            if !xinfang_guide::cli::examples::merge(&content, &file, eval, &mut out)? {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Train { content, real, real_weight, long_from_chars, check } => {
            let s = xinfang_guide::understand::train::Settings { real_weight, long_from_chars };
            xinfang_guide::cli::train::run(&content, real.as_deref(), &s, check)
        }
        Command::Classify { content, .. } => {
            let (loaded, diags) = xinfang_guide::understand::load_all(&content);
            let (_, understanding) = loaded.with_context(|| format!("content has errors:\n{diags}"))?;
            let stdin = std::io::stdin().lock();
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            xinfang_guide::cli::classify::run(&understanding, stdin, &mut out)
        }
        Command::Serve { config, addr, data, content, allow_placeholders } => {
            let mut settings = Settings::load(config.as_deref()).context("loading settings")?;
            if let Some(a) = addr {
                settings.server.addr = a;
            }
            if let Some(d) = data {
                settings.server.data_dir = d;
            }
            if let Some(c) = content {
                settings.server.content_dir = c;
            }
            init_tracing(&settings.server.log_format);
            let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            rt.block_on(serve(settings, allow_placeholders))
        }
    }
}

async fn serve(settings: Settings, allow_placeholders: bool) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let addr = settings.server.addr.clone();
    let app = App::build(settings)?;
    app.refuse_placeholders(allow_placeholders)?;
    let listener = tokio::net::TcpListener::bind(&addr).await.with_context(|| format!("binding {addr}"))?;
    let local = listener.local_addr().context("reading the bound address")?;
    tracing::info!(addr = %local, startup_ms = started.elapsed().as_millis() as u64, "xinfang-guide listening");
    println!("listening on http://{local}");
    server::run(listener, app, server::shutdown_signal()).await
}

fn init_tracing(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=warn"));
    // Logs go to stderr; stdout carries only the "listening on" line.
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}
