//! `xinfang-guide qr`: QR codes (PNG, SVG) that open the web chat tagged
//! with a source, and a printable A4 poster around them.

use crate::app::html::escape;
use anyhow::{Context, bail};
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
        (out.join(format!("poster-{src}.html")), poster(&url, &svg, deployment).into_bytes()),
    ];
    for (path, bytes) in &files {
        std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(files.into_iter().map(|(p, _)| p).collect())
}

/// One A4 page: title, QR code, the link, example questions, hotlines.
pub fn poster(url: &str, svg: &str, deployment: &str) -> String {
    let examples: String = EXAMPLES.iter().map(|q| format!("<li>{}</li>", escape(q))).collect();
    let hotlines: String =
        HOTLINES.iter().map(|(n, what)| format!("<li><b>{}</b> {}</li>", escape(n), escape(what))).collect();
    // The SVG is generated here from the URL, not taken from anyone's input.
    let svg = svg.trim_start_matches(|c| c != '<').replacen("<?xml version=\"1.0\" standalone=\"yes\"?>", "", 1);
    format!(
        r#"<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>依法信访 扫码咨询</title>
<style>
@page {{ size: A4; margin: 15mm; }}
* {{ box-sizing: border-box; }}
body {{ margin: 0; font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; color: #111; }}
.page {{ width: 180mm; min-height: 260mm; margin: 0 auto; display: flex; flex-direction: column; align-items: center; text-align: center; }}
h1 {{ font-size: 34pt; color: #1d4f91; margin: 8mm 0 2mm; letter-spacing: 2pt; }}
.sub {{ font-size: 16pt; margin: 0 0 6mm; }}
.qr svg {{ width: 95mm; height: 95mm; }}
.url {{ font-size: 11pt; color: #444; word-break: break-all; margin: 2mm 0 6mm; }}
.box {{ width: 100%; text-align: left; border: 1.5pt solid #1d4f91; border-radius: 4mm; padding: 4mm 6mm; margin-bottom: 5mm; font-size: 13pt; }}
.box h2 {{ font-size: 14pt; margin: 0 0 2mm; color: #1d4f91; }}
.box ul {{ margin: 0; padding-left: 6mm; }}
.foot {{ font-size: 10pt; color: #555; margin-top: auto; }}
</style></head>
<body><div class="page">
<h1>依法信访 · 扫码咨询</h1>
<p class="sub">手机扫码，问问您的事该找哪里、怎么办、有没有期限</p>
<div class="qr">{svg}</div>
<div class="url">{url}</div>
<div class="box"><h2>可以这样问</h2><ul>{examples}</ul></div>
<div class="box"><h2>全国统一热线</h2><ul>{hotlines}</ul></div>
<p class="foot">{deployment} · 本指引为一般程序说明，不代表对具体案件的判断或处理结果</p>
</div></body></html>
"#,
        url = escape(url),
        deployment = escape(deployment),
    )
}
