//! `xinfang-guide qr`: QR codes (PNG, SVG) that open the web chat tagged
//! with a source, and a printable A4 poster around them.

use anyhow::{Context, bail};
use askama::Template;
use std::path::{Path, PathBuf};

/// Example questions on the poster: what people at a stand ask most.
const EXAMPLES: [&str; 3] = ["老板拖欠工资，我该找哪里？", "对法院判决不服，怎么办？", "信访事项多久能办完？"];

/// National hotlines printed on every poster.
const HOTLINES: [(&str, &str); 5] = [
    ("12345", "政务服务便民热线"),
    ("12348", "公共法律服务热线（免费法律咨询）"),
    ("12333", "人力资源社会保障服务热线（工资、社保、劳动争议）"),
    ("12368", "人民法院诉讼服务热线"),
    ("110 / 120 / 119", "正在发生危险时，请先报警或呼救"),
];

/// The chat URL for a source tag.
pub fn chat_url(base: &str, src: &str) -> String {
    format!("{}/?src={src}", base.trim().trim_end_matches('/'))
}

/// Writes `qr-<src>.png`, `qr-<src>.svg` and `poster-<src>.html` into `out`.
pub fn write(src: &str, base: &str, out: &Path, deployment: &str) -> anyhow::Result<Vec<PathBuf>> {
    let Ok(Some(src)) = crate::app::source_tag(Some(src)) else {
        bail!("--src must be 1-32 letters, digits, `-` or `_` (e.g. 0509-square)");
    };
    let base = base.trim();
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        bail!("--base-url must start with http:// or https:// (the address phones will open)");
    }
    let url = chat_url(base, &src);
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let png = crate::qr::png(&url, 12)?;
    let svg = crate::qr::svg(&url, 360)?;
    let files = [
        (out.join(format!("qr-{src}.png")), png),
        (out.join(format!("qr-{src}.svg")), svg.clone().into_bytes()),
        (out.join(format!("poster-{src}.html")), poster(&url, &svg, deployment)?.into_bytes()),
    ];
    for (path, bytes) in &files {
        std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(files.into_iter().map(|(p, _)| p).collect())
}

#[derive(Template)]
#[template(path = "public/poster.html")]
struct Poster<'a> {
    url: &'a str,
    /// Generated here from the URL (`qr::svg`), not from anyone's input.
    svg: askama::filters::Safe<String>,
    examples: &'a [&'a str],
    hotlines: &'a [(&'a str, &'a str)],
    deployment: &'a str,
}

/// One A4 page: title, QR code, the link, example questions, hotlines.
pub fn poster(url: &str, svg: &str, deployment: &str) -> anyhow::Result<String> {
    let svg = svg.trim_start_matches(|c| c != '<').replacen("<?xml version=\"1.0\" standalone=\"yes\"?>", "", 1);
    let page = Poster { url, svg: askama::filters::Safe(svg), examples: &EXAMPLES, hotlines: &HOTLINES, deployment };
    page.render().context("rendering the poster")
}
