//! The one binary: wires settings, content, store and server together.

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::io::Write as _;
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
        /// sled data directory (with PostgreSQL: the admin token and address).
        #[arg(long)]
        data: Option<PathBuf>,
        /// `postgres://…` to share one database among several instances
        /// (overrides `[store] url` and XG_STORE_URL); empty: sled.
        #[arg(long)]
        store_url: Option<String>,
        /// Content directory (dialogs/, faq/, config/directory.toml).
        #[arg(long)]
        content: Option<PathBuf>,
        /// Start even though [server] public_url is set and contact details
        /// are still placeholders (待核实); cards leave them out.
        #[arg(long)]
        allow_placeholders: bool,
    },
    /// Copy a sled data dir into PostgreSQL (sessions, log, tickets,
    /// records), verify the counts; safe to run again.
    Migrate {
        /// The sled data dir (its server stopped).
        #[arg(long)]
        from_sled: PathBuf,
        /// postgres://user:password@host:port/db
        #[arg(long)]
        to: String,
    },
    /// Check dialogs, FAQ and directory; print every problem with file:line.
    Check {
        #[arg(long, default_value = ".")]
        content: PathBuf,
        /// A folder of statute texts (one Markdown file per law, named as
        /// cited): check every citation and time limit against them.
        #[arg(long)]
        laws: Option<PathBuf>,
        /// List every warning (the placeholder contacts one by one).
        #[arg(long)]
        verbose: bool,
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
        /// How much a question of dialogs/understand/real/ counts, times
        /// `--real-weight`.
        #[arg(long, default_value_t = xinfang_guide::understand::train::REPO_SCALE)]
        repo_scale: f32,
        /// Texts this long or longer are judged by the examples alone (0: never).
        #[arg(long, default_value_t = xinfang_guide::understand::train::LONG_FROM_CHARS)]
        long_from_chars: usize,
        /// With `--cv`: the share of the labelled real questions (`--real`
        /// and the repository's, dialogs/understand/real/) used, in percent,
        /// chosen by a hash of each row's id: points of a learning curve.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u8).range(1..=100))]
        use_percent: u8,
        /// With `--cv`: leave the repository's real questions out.
        #[arg(long)]
        no_repo_real: bool,
        /// With `--cv`: homophone typos (this seed) in the questions
        /// classified (see `typos`).
        #[arg(long)]
        typos: Option<u64>,
    },
    /// Homophone typos in the questions of a JSONL file (stdin → stdout), as
    /// the team injects them to measure what they cost.
    Typos {
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// The danger recogniser: assess messages, score it on labelled files,
    /// cross-validate it, train its model (dialogs/danger/).
    Danger {
        #[command(subcommand)]
        action: DangerCommand,
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
        /// How much a question of dialogs/understand/real/ counts, times
        /// `--real-weight`.
        #[arg(long, default_value_t = xinfang_guide::understand::train::REPO_SCALE)]
        repo_scale: f32,
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
        /// First day, YYYY-MM-DD (China time; default: 29 days before `--to`).
        #[arg(long)]
        from: Option<String>,
        /// Last day, YYYY-MM-DD, inclusive (default: today).
        #[arg(long)]
        to: Option<String>,
        /// Today only (China time).
        #[arg(long)]
        today: bool,
        #[arg(long, default_value = "table", value_parser = ["table", "csv", "json"])]
        format: String,
        /// CSV with English column names (for tools) instead of Chinese.
        #[arg(long)]
        en_header: bool,
        /// Content directory, for the categories' Chinese names (default:
        /// found as `serve` finds it).
        #[arg(long)]
        content: Option<PathBuf>,
        #[command(flatten)]
        place: DataPlace,
    },
    /// A backup of everything the data dir holds (sessions, the query log,
    /// accounts, audit, figures, alerts, tickets…), taken while the server
    /// runs (it is asked, like `stats`) or from a data dir nobody holds.
    /// Written as FILE.part (mode 0600), checked, then renamed to FILE.
    Backup {
        /// The backup file to write.
        #[arg(long)]
        to: PathBuf,
        #[command(flatten)]
        place: DataPlace,
    },
    /// Restores a backup into a new, empty data dir (stop the server first,
    /// or restore beside it and point the server at the new dir), then reads
    /// every record back.
    Restore {
        /// The backup file (from `backup --to`).
        file: PathBuf,
        /// The new data dir (must not exist, or be empty).
        #[arg(long)]
        data: PathBuf,
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
        /// Content directory, for category and channel names (default:
        /// found as `serve` finds it).
        #[arg(long)]
        content: Option<PathBuf>,
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
        /// Print each reply's node id and the file:line it is written at.
        #[arg(long)]
        show_ids: bool,
    },
    /// Run transcript scripts (tests/transcripts/*.txt format) on the content:
    /// every failed expectation with file:line; exit 1 when any fails.
    Transcript {
        #[arg(long, default_value = ".")]
        content: PathBuf,
        /// Script files; default: every tests/transcripts/*.txt under the content dir.
        files: Vec<PathBuf>,
    },
    /// The dialog trees as a picture: node ids and kinds, choices, cards
    /// with their channel.
    Graph {
        #[arg(long, default_value = ".")]
        content: PathBuf,
        #[arg(long, default_value = "dot", value_parser = ["dot", "svg", "mermaid"])]
        format: String,
        /// A node id (what can be reached from it) or a dialog file's name
        /// (e.g. route_work); default: every tree.
        #[arg(long)]
        tree: Option<String>,
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

/// What the danger model learns from: the content's written examples and
/// labelled files.
#[derive(clap::Args)]
struct DangerData {
    #[arg(long, default_value = ".")]
    content: PathBuf,
    /// Labelled danger messages (crisis_dev.jsonl; judged in the folds by `cv`).
    #[arg(long)]
    dev: Vec<PathBuf>,
    /// Ordinary questions always trained on (train_real.jsonl).
    #[arg(long)]
    also: Vec<PathBuf>,
}

#[derive(Subcommand)]
enum DangerCommand {
    /// One JSON line per message read on stdin: kind, level, the rule that fired.
    Assess {
        #[arg(long, default_value = ".")]
        content: PathBuf,
    },
    /// The shipped recogniser on labelled JSONL files (`text`, `crisis`,
    /// `kind`; or ordinary `question`s).
    Score {
        files: Vec<PathBuf>,
        #[arg(long, default_value = ".")]
        content: PathBuf,
        /// List every message missed or answered wrongly.
        #[arg(long)]
        errors: bool,
    },
    /// k-fold cross-validation over the written examples and `--dev`.
    Cv {
        #[command(flatten)]
        data: DangerData,
        #[arg(long, default_value_t = 5)]
        k: usize,
        #[arg(long)]
        errors: bool,
        /// Cross-validate over a grid of the model's thresholds instead.
        #[arg(long)]
        sweep: bool,
    },
    /// Train dialogs/danger/model.bin from the examples and the given files.
    Train {
        #[command(flatten)]
        data: DangerData,
        /// Write nothing; fail unless the committed files are what these inputs give.
        #[arg(long)]
        check: bool,
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
    /// List the accounts: name, role, created, failed logins.
    List {
        #[command(flatten)]
        place: DataPlace,
    },
    /// Set a new password (prompted for, or read from stdin).
    Passwd {
        name: String,
        #[command(flatten)]
        place: DataPlace,
    },
    /// Clear the failed logins counted for a name, so it can log in at once.
    Unlock {
        name: String,
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
    /// `postgres://…`: read the shared database (as `serve --store-url`;
    /// default `[store] url`, XG_STORE_URL).
    #[arg(long)]
    store_url: Option<String>,
}

impl DataPlace {
    /// Where the data is: the store settings (`--store-url` applied), the
    /// data dir (default from the settings) and the server to ask, if given.
    fn resolve(self) -> anyhow::Result<xinfang_guide::cli::Place> {
        let settings = Settings::load(self.config.as_deref())?;
        let mut store = settings.store;
        if let Some(u) = self.store_url {
            store.url = xinfang_guide::config::Secret::new(u);
        }
        Ok(xinfang_guide::cli::Place {
            store,
            data: self.data.unwrap_or(settings.server.data_dir),
            server: self.server,
        })
    }
}

/// The content a command reads names from: `--content`, else where `serve`
/// would find it (the setting, the current dir, the installed place), else
/// the current dir (ids are printed when it holds none).
fn names_from(content: Option<PathBuf>, config: Option<&std::path::Path>) -> PathBuf {
    content
        .or_else(|| Settings::load(config).ok().and_then(|s| s.find_content().ok()))
        .unwrap_or_else(|| PathBuf::from("."))
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Migrate { from_sled, to } => {
            let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            let mut out = std::io::stdout().lock();
            rt.block_on(xinfang_guide::cli::migrate::run(&from_sled, &to, &mut out))?;
            Ok(())
        }
        Command::Check { content, laws, verbose } => {
            let mut out = std::io::stdout().lock();
            let failed = xinfang_guide::cli::check::run(&content, laws.as_deref(), verbose, &mut out)
                .context("writing the report")?;
            if failed {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Graph { content, format, tree } => {
            let (loaded, diags) = xinfang_guide::content::load(&content);
            let c = loaded.with_context(|| format!("content has errors:\n{diags}"))?;
            print!("{}", xinfang_guide::cli::graph::render(&c, &format, tree.as_deref())?);
            Ok(())
        }
        Command::Transcript { content, files } => {
            let (loaded, diags) = xinfang_guide::understand::load_all(&content);
            let (loaded_content, understanding) = loaded.with_context(|| format!("content has errors:\n{diags}"))?;
            let engine = Engine::new(loaded_content, Arc::new(Smart { understanding }), 30 * 60);
            let files = if files.is_empty() {
                xinfang_guide::cli::transcript::files(&content.join("tests/transcripts"))
                    .context("reading tests/transcripts")?
            } else {
                files
            };
            let mut failed = 0;
            let mut out = std::io::stdout().lock();
            for f in &files {
                let script = std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
                for fail in xinfang_guide::cli::transcript::run(&engine, &script) {
                    failed += 1;
                    writeln!(out, "{}:{}: {}\n", f.display(), fail.line, fail.message)?;
                }
            }
            writeln!(out, "{} script(s), {failed} failed expectation(s)", files.len())?;
            if failed > 0 {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Chat { content, show_ids } => {
            let (loaded, diags) = xinfang_guide::understand::load_all(&content);
            let (loaded_content, understanding) = loaded.with_context(|| format!("content has errors:\n{diags}"))?;
            let engine = Engine::new(loaded_content, Arc::new(Smart { understanding }), 30 * 60);
            let stdin = std::io::stdin().lock();
            let mut out = std::io::stdout().lock();
            let ids = show_ids.then_some(content.as_path());
            xinfang_guide::cli::chat::run(&engine, stdin, &mut out, server::unix_now, ids)
        }
        Command::Stats { src, from, to, today, format, en_header, content, place } => {
            use xinfang_guide::cli::stats;
            let content = names_from(content, place.config.as_deref());
            let place = place.resolve()?;
            let (from, to) = stats::days(from.as_deref(), to.as_deref(), today, server::unix_now())?;
            let q = xinfang_guide::stats::query(src.as_deref(), &from, &to).map_err(anyhow::Error::msg)?;
            let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            let report = rt.block_on(stats::fetch(&place, &q))?;
            print!("{}", stats::render(&report, &format, &stats::category_names(&content), en_header)?);
            Ok(())
        }
        Command::Backup { to, place } => {
            let place = place.resolve()?;
            let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            let summary = rt.block_on(xinfang_guide::cli::backup::backup(&place, &to, server::unix_now()))?;
            println!("backup written to {}: {}", to.display(), xinfang_guide::cli::backup::describe(&summary));
            Ok(())
        }
        Command::Restore { file, data } => {
            let r = xinfang_guide::cli::backup::restore(&file, &data)?;
            println!(
                "restored {} into {} (a backup of version {}): {} sessions, {} log records readable; {}",
                file.display(),
                data.display(),
                r.header.version,
                r.sessions,
                r.log,
                xinfang_guide::cli::backup::describe(&r.summary)
            );
            if r.unanswered > 0 {
                println!(
                    "{} log records of turns still being answered while the backup ran were left out, as after a crash",
                    r.unanswered
                );
            }
            Ok(())
        }
        Command::Report { year, format, content, place } => {
            let content = names_from(content, place.config.as_deref());
            let year = xinfang_guide::analysis::keep::check_year(year).map_err(anyhow::Error::msg)?;
            let place = place.resolve()?;
            let (loaded, _) = xinfang_guide::content::load(&content);
            let names =
                loaded.map(|c| xinfang_guide::analysis::year::Names::from_directory(&c.directory)).unwrap_or_default();
            let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            let now = server::unix_now();
            let report = rt.block_on(xinfang_guide::cli::report::fetch(&place, year, now, &names))?;
            print!("{}", xinfang_guide::analysis::year::render(&report, &format)?);
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
            let place = place.resolve()?;
            let role = role.parse().map_err(|e: xinfang_guide::staff::accounts::StaffError| anyhow::anyhow!("{e}"))?;
            let password = xinfang_guide::cli::staff::read_password()?;
            let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            rt.block_on(xinfang_guide::cli::staff::add(&place, &name, role, &password, server::unix_now()))?;
            println!("account {name} created");
            Ok(())
        }
        Command::Staff { action: StaffCommand::List { place } } => {
            let place = place.resolve()?;
            let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            let list = rt.block_on(xinfang_guide::cli::staff::list(&place, server::unix_now()))?;
            print!("{}", xinfang_guide::cli::staff::list_table(&list));
            Ok(())
        }
        Command::Staff { action: StaffCommand::Passwd { name, place } } => {
            use xinfang_guide::cli::staff::{change, read_password};
            use xinfang_guide::staff::manage::Change;
            let place = place.resolve()?;
            let password = read_password()?;
            let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            let now = server::unix_now();
            rt.block_on(change(&place, &name, Change::Password(password), now))?;
            println!("password of {name} changed");
            Ok(())
        }
        Command::Staff { action: StaffCommand::Unlock { name, place } } => {
            use xinfang_guide::cli::staff::change;
            use xinfang_guide::staff::manage::Change;
            let place = place.resolve()?;
            let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            rt.block_on(change(&place, &name, Change::Unlock, server::unix_now()))?;
            println!("{name} unlocked: failed logins cleared");
            Ok(())
        }
        Command::Classify {
            content,
            cv: Some(k),
            real: Some(real),
            real_weight,
            repo_scale,
            long_from_chars,
            use_percent,
            no_repo_real,
            typos,
        } => {
            let s = xinfang_guide::understand::train::Settings { real_weight, repo_scale, long_from_chars };
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let data = xinfang_guide::cli::classify::CvData { percent: use_percent, repo_real: !no_repo_real, typos };
            xinfang_guide::cli::classify::cross_validate(&content, &real, k, &s, data, &mut out)
        }
        Command::Typos { seed } => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            xinfang_guide::cli::typos::run(seed, std::io::stdin().lock(), &mut out)
        }
        Command::Examples { action: ExamplesCommand::Merge { file, content, eval, no_eval_check } } => {
            let eval = (!no_eval_check).then_some(eval.as_path());
            let mut out = std::io::stdout().lock();
            if !xinfang_guide::cli::examples::merge(&content, &file, eval, &mut out)? {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Danger { action } => {
            use xinfang_guide::cli::danger;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            match action {
                DangerCommand::Assess { content } => {
                    danger::assess(&danger::recognizer(&content)?, std::io::stdin().lock(), &mut out)
                }
                DangerCommand::Score { files, content, errors } => danger::score(&content, &files, errors, &mut out),
                DangerCommand::Cv { data, k, errors, sweep } => {
                    danger::cv(&data.content, &data.dev, &data.also, k, errors, sweep, &mut out)
                }
                DangerCommand::Train { data, check } => {
                    danger::train_model(&data.content, &data.dev, &data.also, check)
                }
            }
        }
        Command::Train { content, real, real_weight, repo_scale, long_from_chars, check } => {
            let s = xinfang_guide::understand::train::Settings { real_weight, repo_scale, long_from_chars };
            xinfang_guide::cli::train::run(&content, real.as_deref(), &s, check)
        }
        Command::Classify { content, .. } => {
            let (loaded, diags) = xinfang_guide::understand::load_all(&content);
            let (_, understanding) = loaded.with_context(|| format!("content has errors:\n{diags}"))?;
            let stdin = std::io::stdin().lock();
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            xinfang_guide::cli::classify::run(&understanding, stdin, &mut out)
        }
        Command::Serve { config, addr, data, store_url, content, allow_placeholders } => {
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
            if let Some(u) = store_url {
                settings.store.url = xinfang_guide::config::Secret::new(u);
            }
            init_tracing(&settings.server.log_format);
            for w in &settings.warnings {
                tracing::warn!("{w}");
            }
            let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            rt.block_on(serve(settings, allow_placeholders))
        }
    }
}

async fn serve(settings: Settings, allow_placeholders: bool) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let addr = settings.server.addr.clone();
    let app = App::build(settings).await?;
    app.refuse_placeholders(allow_placeholders)?;
    let listener = tokio::net::TcpListener::bind(&addr).await.map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::AddrInUse {
            " — another program (perhaps another xinfang-guide) listens there: stop it, or choose another \
             address with --addr HOST:PORT ([server] addr)"
        } else {
            ""
        };
        anyhow::Error::new(e).context(format!("binding {addr}{hint}"))
    })?;
    let local = listener.local_addr().context("reading the bound address")?;
    tracing::info!(addr = %local, startup_ms = started.elapsed().as_millis() as u64, "xinfang-guide listening");
    println!("listening on http://{local}");
    server::run(listener, app, server::shutdown_signal()).await
}

fn init_tracing(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=warn"));
    // Logs go to stderr; stdout carries only the "listening on" line. No
    // colour codes when stderr is a file or a pipe (journald, docker logs).
    use std::io::IsTerminal as _;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}
