//! Escaping for server-rendered HTML. Every piece of text that did not come
//! from this file goes through `escape`.

/// Escapes text for an element body or a double-quoted attribute. Bidi
/// override and isolate controls (U+202A–202E, U+2066–2069) become U+FFFD,
/// so text cannot display reversed or reorder what follows it.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            c if crate::stats::is_bidi_control(c) => out.push('\u{fffd}'),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The base URL for links that phones open: the configured public URL, or
/// the Host this request came to.
pub fn base_url(public_url: &str, headers: &axum::http::HeaderMap) -> String {
    if !public_url.is_empty() {
        return public_url.to_string();
    }
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b)))
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(super::escape(r#"<a href="x">'&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
        assert_eq!(super::escape("\u{202e}gnp.exe"), "\u{fffd}gnp.exe");
    }
}
