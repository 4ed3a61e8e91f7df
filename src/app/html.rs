//! Escaping for server-rendered HTML. Every piece of text that did not come
//! from this file goes through `escape`.

/// Escapes text for an element body or a double-quoted attribute. Bidi
/// override and isolate controls and direction marks (`stats::is_bidi_control`) become U+FFFD,
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

/// The escaper of every template (`askama.toml`): what `escape` does, so a
/// template cannot forget it and bidi controls are neutralized there too.
#[derive(Debug, Clone, Copy)]
pub struct Html;

impl askama::filters::Escaper for Html {
    fn write_escaped_str<W: std::fmt::Write>(&self, mut dest: W, s: &str) -> std::fmt::Result {
        dest.write_str(&escape(s))
    }
}

/// Escapes `s` like `escape`, with phone numbers as `tel:` links (see
/// `phone_at`; the chat page applies the same rule in its script).
pub fn escape_with_phones(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 16);
    let mut i = 0;
    while i < chars.len() {
        if let Some(end) = phone_at(&chars, i) {
            let number: String = chars[i..end].iter().collect();
            let digits: String = number.chars().filter(char::is_ascii_digit).collect();
            out.push_str(&format!(r#"<a href="tel:{digits}">{}</a>"#, escape(&number)));
            i = end;
        } else {
            out.push_str(&escape(&chars[i].to_string()));
            i += 1;
        }
    }
    out
}

/// Text for a template with phone numbers as `tel:` links: escaped here
/// (`escape_with_phones`), so the template shows it as it is.
pub fn phoned(s: &str) -> askama::filters::Safe<String> {
    askama::filters::Safe(escape_with_phones(s))
}

/// If a phone number starts at `i`, where it ends. A number is a whole run
/// of digits (single `-` inside allowed) not glued to other digits, `.`,
/// `第` before or a unit after (日 天 月 年 元 条 …), that is a national
/// hotline or emergency number (110, 119, 120, 122, five digits 12xxx), a
/// mobile number (11 digits from 13 to 19), a 400/800 number or a landline
/// with its area code (0 and 10-12 digits). Dates (2026-05-20), amounts and
/// periods are not.
pub fn phone_at(chars: &[char], i: usize) -> Option<usize> {
    let before = i.checked_sub(1).map(|j| chars[j]);
    if !chars.get(i)?.is_ascii_digit() || before.is_some_and(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '第')) {
        return None;
    }
    let mut end = i;
    while end < chars.len()
        && (chars[end].is_ascii_digit()
            || (chars[end] == '-'
                && chars.get(end + 1).is_some_and(char::is_ascii_digit)
                && chars[end - 1].is_ascii_digit()))
    {
        end += 1;
    }
    if chars.get(end).is_some_and(|c| "日天月年元岁条款项号个万千百%.".contains(*c)) {
        return None;
    }
    let digits: String = chars[i..end].iter().filter(|c| c.is_ascii_digit()).collect();
    let d = digits.as_bytes();
    let phone = match d.len() {
        3 => ["110", "119", "120", "122"].contains(&digits.as_str()),
        5 => d[0] == b'1' && d[1] == b'2',
        10 => digits.starts_with("400") || digits.starts_with("800") || d[0] == b'0',
        11 => (d[0] == b'1' && (b'3'..=b'9').contains(&d[1])) || d[0] == b'0',
        12 => d[0] == b'0',
        _ => false,
    };
    phone.then_some(end)
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
    fn phone_numbers_become_tel_links_and_dates_periods_and_amounts_do_not() {
        let s = super::escape_with_phones(
            "拨打12333或 12348；急救120，报警110；0571-87654321、13912345678、400-123-4567。\
             2026-05-20前，60日内，15天，第12345条，12345元，2026年，1.5，<b>",
        );
        for n in ["12333", "12348", "120", "110", "0571-87654321", "13912345678", "400-123-4567"] {
            let digits: String = n.chars().filter(char::is_ascii_digit).collect();
            assert!(s.contains(&format!(r#"<a href="tel:{digits}">{n}</a>"#)), "{n}: {s}");
        }
        assert_eq!(s.matches("<a ").count(), 7, "{s}");
        assert!(s.contains("&lt;b&gt;"));
    }

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(super::escape(r#"<a href="x">'&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
        assert_eq!(super::escape("\u{202e}gnp.exe"), "\u{fffd}gnp.exe");
    }
}
