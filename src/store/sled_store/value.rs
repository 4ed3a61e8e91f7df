//! How values are laid out in the sled trees.
//!
//! A stored session or log record is JSON, optionally preceded by a binary
//! prefix:
//!
//! - `0` ‖ 16-byte log key ‖ JSON — a link: a session's newest log record,
//!   or a log record's previous record in the same conversation;
//! - `1` ‖ flags ‖ [16-byte link] ‖ [12-byte reply hash] ‖ [16-byte
//!   activity key] ‖ JSON — a log record whose reply text (`shown`) is kept
//!   once in the `shown` tree under that hash, or a session with the key of
//!   its entry in the `activity` index (flag bits 0, 1, 2: link, hash,
//!   activity key present);
//! - JSON alone (starts with `{`) — nothing to link, or written before
//!   links existed;
//! - `2` ‖ 16-byte pointer — in the `log` tree: the record (in one of the
//!   layouts above) is in a segment file (`segments`).

/// Tag of a value with only a link.
const LINK: u8 = 0;
/// Tag of a value with flags for a link and a reply hash.
const FLAGGED: u8 = 1;
const HAS_LINK: u8 = 1;
const HAS_SHOWN: u8 = 2;
const HAS_ACTIVITY: u8 = 4;
/// Tag of a `log` value that points into a segment file.
const POINTER: u8 = 2;

use super::segments::Pointer;

pub type LogKey = [u8; 16];
pub type ShownHash = [u8; 12];
/// An `activity` index key: bucket (u64 BE) ‖ sequence (u64 BE).
pub type ActivityKey = [u8; 16];

/// A stored value, taken apart.
#[derive(Debug, PartialEq)]
pub struct Parts<'a> {
    pub link: Option<LogKey>,
    pub shown: Option<ShownHash>,
    pub activity: Option<ActivityKey>,
    pub json: &'a [u8],
}

pub fn encode(link: Option<&LogKey>, shown: Option<&ShownHash>, json: &[u8]) -> Vec<u8> {
    encode_all(link, shown, None, json)
}

/// A session's value: its newest record and its activity index key.
pub fn encode_session(link: Option<&LogKey>, activity: &ActivityKey, json: &[u8]) -> Vec<u8> {
    encode_all(link, None, Some(activity), json)
}

fn encode_all(
    link: Option<&LogKey>,
    shown: Option<&ShownHash>,
    activity: Option<&ActivityKey>,
    json: &[u8],
) -> Vec<u8> {
    let mut v = Vec::with_capacity(2 + 16 + 12 + 16 + json.len());
    match (link, shown, activity) {
        (None, None, None) => {}
        (Some(l), None, None) => {
            v.push(LINK);
            v.extend_from_slice(l);
        }
        _ => {
            let flag = |present: bool, bit: u8| if present { bit } else { 0 };
            v.push(FLAGGED);
            v.push(
                flag(link.is_some(), HAS_LINK)
                    | flag(shown.is_some(), HAS_SHOWN)
                    | flag(activity.is_some(), HAS_ACTIVITY),
            );
            for part in [link.map(|l| &l[..]), shown.map(|h| &h[..]), activity.map(|a| &a[..])].into_iter().flatten() {
                v.extend_from_slice(part);
            }
        }
    }
    v.extend_from_slice(json);
    v
}

pub fn decode(value: &[u8]) -> Parts<'_> {
    let plain = Parts { link: None, shown: None, activity: None, json: value };
    match value.split_first() {
        Some((&LINK, rest)) if rest.len() >= 16 => {
            Parts { link: rest[..16].try_into().ok(), shown: None, activity: None, json: &rest[16..] }
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
            let activity = if flags & HAS_ACTIVITY != 0 { take(16).and_then(|b| b.try_into().ok()) } else { None };
            Parts { link, shown, activity, json: rest }
        }
        _ => plain,
    }
}

/// A `log` tree value pointing at a record's body in a segment.
pub fn pointer(p: Pointer) -> Vec<u8> {
    let mut v = Vec::with_capacity(1 + Pointer::BYTES);
    v.push(POINTER);
    v.extend_from_slice(&p.to_bytes());
    v
}

/// Where the record is, when the value points into a segment.
pub fn as_pointer(value: &[u8]) -> Option<Pointer> {
    match value.split_first() {
        Some((&POINTER, rest)) if rest.len() == Pointer::BYTES => Pointer::from_bytes(rest),
        _ => None,
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
            assert_eq!(
                decode(&v),
                Parts { link: link.copied(), shown: shown.copied(), activity: None, json: b"{\"a\":1}" }
            );
        }
        let a = [3u8; 16];
        let v = encode_session(Some(&l), &a, b"{}");
        assert_eq!(decode(&v), Parts { link: Some(l), shown: None, activity: Some(a), json: b"{}" });
        assert_eq!(decode(b"{}").json, b"{}", "plain JSON from before links");
        assert_eq!(decode(&[1]).json, &[1u8][..], "a cut value is not read past its end");
        let p = Pointer { segment: 3, offset: 1 << 33, len: 700 };
        assert_eq!(as_pointer(&pointer(p)), Some(p));
        assert_eq!(as_pointer(&encode(Some(&l), None, b"{}")), None);
    }
}
