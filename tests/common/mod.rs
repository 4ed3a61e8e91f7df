#![allow(dead_code)] // each test crate uses a part of these helpers
//! Helpers shared by the end-to-end tests: the real binary on port 0.

pub mod planted;

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
