//! How values are laid out in the sled trees.
//!
//! A stored session or log record is JSON, optionally preceded by a binary
//! prefix:
//!
//! - `0` ‖ 16-byte log key ‖ JSON — a link: a session's newest log record,
//!   or a log record's previous record in the same conversation;
//! - `1` ‖ flags ‖ [16-byte link] ‖ [12-byte reply hash] ‖ JSON — a log
//!   record whose reply text (`shown`) is kept once in the `shown` tree under
//!   that hash (flag bit 0: link present; bit 1: hash present);
//! - JSON alone (starts with `{`) — nothing to link, or written before
//!   links existed.

/// Tag of a value with only a link.
const LINK: u8 = 0;
/// Tag of a value with flags for a link and a reply hash.
const FLAGGED: u8 = 1;
const HAS_LINK: u8 = 1;
const HAS_SHOWN: u8 = 2;

pub type LogKey = [u8; 16];
pub type ShownHash = [u8; 12];

/// A stored value, taken apart.
#[derive(Debug, PartialEq)]
pub struct Parts<'a> {
    pub link: Option<LogKey>,
    pub shown: Option<ShownHash>,
    pub json: &'a [u8],
}

pub fn encode(link: Option<&LogKey>, shown: Option<&ShownHash>, json: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(2 + 16 + 12 + json.len());
    match (link, shown) {
        (None, None) => {}
        (Some(l), None) => {
            v.push(LINK);
            v.extend_from_slice(l);
        }
        (link, shown) => {
            v.push(FLAGGED);
            v.push(if link.is_some() { HAS_LINK } else { 0 } | if shown.is_some() { HAS_SHOWN } else { 0 });
            if let Some(l) = link {
                v.extend_from_slice(l);
            }
            if let Some(h) = shown {
                v.extend_from_slice(h);
            }
        }
    }
    v.extend_from_slice(json);
    v
}

pub fn decode(value: &[u8]) -> Parts<'_> {
    let plain = Parts { link: None, shown: None, json: value };
    match value.split_first() {
        Some((&LINK, rest)) if rest.len() >= 16 => {
            Parts { link: rest[..16].try_into().ok(), shown: None, json: &rest[16..] }
        }
        Some((&FLAGGED, rest)) => {
            let Some((&flags, mut rest)) = rest.split_first() else { return plain };
            let mut take = |n: usize| -> Option<&[u8]> {
                let (a, b) = (rest.get(..n)?, rest.get(n..)?);
                rest = b;
                Some(a)
            };
            let link = if flags & HAS_LINK != 0 { take(16).and_then(|b| b.try_into().ok()) } else { None };
            let shown = if flags & HAS_SHOWN != 0 { take(12).and_then(|b| b.try_into().ok()) } else { None };
            Parts { link, shown, json: rest }
        }
        _ => plain,
    }
}

/// The key a reply text is kept under: the first 12 bytes of its SHA-1.
pub fn shown_hash(text: &str) -> ShownHash {
    use sha1::{Digest, Sha1};
    let d = Sha1::digest(text.as_bytes());
    let mut h = [0u8; 12];
    h.copy_from_slice(&d[..12]);
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_layout_reads_back() {
        let (l, h) = ([7u8; 16], [9u8; 12]);
        for (link, shown) in [(None, None), (Some(&l), None), (None, Some(&h)), (Some(&l), Some(&h))] {
            let v = encode(link, shown, b"{\"a\":1}");
            assert_eq!(decode(&v), Parts { link: link.copied(), shown: shown.copied(), json: b"{\"a\":1}" });
        }
        assert_eq!(decode(b"{}").json, b"{}", "plain JSON from before links");
        assert_eq!(decode(&[1]).json, &[1u8][..], "a cut value is not read past its end");
    }
}
