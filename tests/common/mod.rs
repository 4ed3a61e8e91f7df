#![allow(dead_code)] // each test crate uses a part of these helpers
//! Helpers shared by the end-to-end tests: the real binary on port 0.

pub mod console;
pub mod planted;
pub mod telegram;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn spawn(data: &Path) -> Server {
    spawn_with(data, &[], Stdio::inherit())
}

/// Like `spawn`, with extra environment variables and stderr routed as given.
pub fn spawn_with(data: &Path, envs: &[(&str, &str)], stderr: Stdio) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_xinfang-guide"))
        .args(["serve", "--addr", "127.0.0.1:0", "--data"])
        .arg(data)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("RUST_LOG", if std::env::var_os("TEST_LOG").is_some() { "info" } else { "error" })
        // Tests click faster than people: limits are tested in tests/http.rs.
        .env("XG_LIMITS_PER_IP_PER_SECOND", "0")
        .env("XG_LIMITS_PER_SESSION_PER_SECOND", "0")
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("start server");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("read first line");
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    Server { child, base }
}

/// Every QR code found in a PNG (screenshot or generated), decoded by rqrr.
pub fn decode_qr_png(bytes: &[u8]) -> Vec<String> {
    let mut dec = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().expect("png header");
    let mut buf = vec![0; dec.output_buffer_size().expect("size")];
    let info = dec.next_frame(&mut buf).expect("png frame");
    let (w, h) = (info.width as usize, info.height as usize);
    let channels = info.color_type.samples() * usize::from(info.bit_depth as u8).div_ceil(8);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        let i = (y * w + x) * channels;
        match channels {
            1 | 2 => buf[i],
            _ => ((u32::from(buf[i]) + u32::from(buf[i + 1]) + u32::from(buf[i + 2])) / 3) as u8,
        }
    });
    img.detect_grids().into_iter().filter_map(|g| g.decode().ok().map(|(_, s)| s)).collect()
}

/// A new, empty database on the test PostgreSQL server named by
/// `XG_TEST_PG_URL` (see `.ci/pg.sh`), as a URL; None, with a note that the
/// test was skipped, when no server is given. Under CI a missing server
/// fails the test instead.
pub async fn pg_database(test: &str) -> Option<String> {
    let Ok(base) = std::env::var("XG_TEST_PG_URL") else {
        assert!(std::env::var_os("CI").is_none(), "{test}: XG_TEST_PG_URL is needed in CI (.ci/pg.sh start)");
        eprintln!("skipped {test}: no PostgreSQL (set XG_TEST_PG_URL, e.g. eval \"$(.ci/pg.sh start)\")");
        return None;
    };
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = format!(
        "xg_{}_{}_{n}",
        test.chars().filter(char::is_ascii_alphanumeric).take(30).collect::<String>(),
        std::process::id()
    );
    let (client, conn) =
        tokio_postgres::connect(&base, tokio_postgres::NoTls).await.expect("connect to XG_TEST_PG_URL");
    tokio::spawn(conn);
    client.batch_execute(&format!("DROP DATABASE IF EXISTS {name}")).await.expect("drop database");
    client.batch_execute(&format!("CREATE DATABASE {name}")).await.expect("create database");
    let mut url = url::Url::parse(&base).expect("XG_TEST_PG_URL is a URL");
    url.set_path(&format!("/{name}"));
    Some(url.to_string())
}

/// `pg_database` for tests without a runtime of their own.
pub fn pg_database_blocking(test: &str) -> Option<String> {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime").block_on(pg_database(test))
}

/// The id of the button whose label contains `label` in a chat reply.
pub fn choice_id(v: &serde_json::Value, label: &str) -> String {
    v["replies"]
        .as_array()
        .expect("replies")
        .iter()
        .flat_map(|r| r["choices"].as_array().cloned().unwrap_or_default())
        .find(|c| c["label"].as_str().is_some_and(|l| l.contains(label)))
        .and_then(|c| c["id"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("no `{label}` in {v}"))
}
