//! The text as the recogniser reads it: full-width letters and digits
//! folded to half-width, lower case, blanks between characters dropped
//! ("想 去 死 了", "轻 生") except between two latin words ("wo zhen de"),
//! invisible characters removed. Each character remembers where it came
//! from, so what the recogniser finds can be cut out of the original.

use std::ops::Range;

/// A normalized text and, per character, its byte range in the original.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normal {
    pub chars: Vec<char>,
    pub from: Vec<Range<usize>>,
}

/// Characters that end a sentence (a rule's gap never crosses one).
pub const SENTENCE_END: &[char] = &['。', '!', '?', ';', '\n', '！', '？', '；'];

impl Normal {
    pub fn new(text: &str) -> Self {
        let mut chars = Vec::new();
        let mut from: Vec<Range<usize>> = Vec::new();
        let mut blank: Option<Range<usize>> = None;
        for (at, c) in text.char_indices() {
            let r = at..at + c.len_utf8();
            let c = fold(c);
            if c == '\n' {
                blank = None;
                chars.push('\n');
                from.push(r);
                continue;
            }
            if c.is_whitespace() {
                blank.get_or_insert(r);
                continue;
            }
            if is_invisible(c) {
                continue;
            }
            if let Some(b) = blank.take() {
                // A blank between two latin words separates them; others go.
                if c.is_ascii_alphanumeric() && chars.last().is_some_and(char::is_ascii_alphanumeric) {
                    chars.push(' ');
                    from.push(b);
                }
            }
            for lower in c.to_lowercase() {
                chars.push(lower);
                from.push(r.clone());
            }
        }
        Self { chars, from }
    }

    pub fn text(&self) -> String {
        self.chars.iter().collect()
    }

    /// The byte range in the original text of the characters `chars`.
    pub fn original(&self, chars: Range<usize>) -> Range<usize> {
        match (self.from.get(chars.start), chars.end.checked_sub(1).and_then(|e| self.from.get(e))) {
            (Some(a), Some(b)) if chars.start < chars.end => a.start..b.end,
            _ => 0..0,
        }
    }

    /// Char index of each byte offset of `self.text()` (for regex matches).
    pub fn char_starts(&self) -> Vec<usize> {
        let mut out = Vec::with_capacity(self.chars.len() * 3 + 1);
        for (i, c) in self.chars.iter().enumerate() {
            out.extend(std::iter::repeat_n(i, c.len_utf8()));
        }
        out.push(self.chars.len());
        out
    }

    /// The same text with `chars` replaced by `with`, each new character
    /// coming from the whole of what it replaces.
    pub fn replaced(&self, chars: Range<usize>, with: &str) -> Self {
        let whole = self.from.get(chars.start).map_or(0, |a| a.start)
            ..chars.end.checked_sub(1).and_then(|e| self.from.get(e)).map_or(0, |b| b.end);
        let mut out = Self { chars: self.chars[..chars.start].to_vec(), from: self.from[..chars.start].to_vec() };
        for c in with.chars() {
            out.chars.push(c);
            out.from.push(whole.clone());
        }
        out.chars.extend_from_slice(&self.chars[chars.end..]);
        out.from.extend_from_slice(&self.from[chars.end..]);
        out
    }
}

fn fold(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        '\r' => ' ',
        _ => c,
    }
}

fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanks_between_characters_go_but_latin_words_stay_apart() {
        assert_eq!(Normal::new("想 去 死 了").text(), "想去死了");
        assert_eq!(Normal::new("我有轻 生 的想法").text(), "我有轻生的想法");
        assert_eq!(Normal::new("wo zhen de  huo").text(), "wo zhen de huo");
        assert_eq!(Normal::new("z s 的念头").text(), "z s的念头");
        assert_eq!(Normal::new("ＳＯＳ！救\u{200B}命").text(), "sos!救命");
    }

    #[test]
    fn each_character_knows_where_it_came_from() {
        let text = "我 想 si 了";
        let n = Normal::new(text);
        assert_eq!(n.text(), "我想si了");
        let r = n.original(2..4);
        assert_eq!(&text[r], "si");
        let m = n.replaced(2..4, "死");
        assert_eq!(m.text(), "我想死了");
        assert_eq!(&text[m.original(2..3)], "si");
    }
}
