//! The small learned part of the recogniser: multinomial logistic
//! regression (the classifier's own trainer, [`LogReg`]) over hashed
//! features of the normalized text — its characters, character pairs and
//! triples, and pairs of syllables (so a homophone typo keeps most of its
//! features) — into `none` and the four kinds. It finds what the rules do
//! not spell out (告别, 托付, 熬到头了); the threshold is chosen for recall.
//!
//! File layout (little-endian): `XGDANGR1`, u32 buckets, u16 classes each
//! as a u16 length and UTF-8, the biases (f32 per class), then per bucket a
//! scale (f32) and one i8 per class (weight = i8 × scale / 127).

use super::Kind;
use super::normal::Normal;
use crate::pinyin::{self, Syllable};
use crate::understand::logreg::LogReg;

const MAGIC: &[u8; 8] = b"XGDANGR1";
/// Hash buckets for features (2^16: about a third of them are used).
pub const BUCKETS: u32 = 1 << 16;
/// The class of messages that are not about danger.
pub const NONE: &str = "none";

pub struct Model {
    lr: LogReg,
    classes: Vec<String>,
}

/// The model's reading of a message.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    /// Probability that the message speaks of danger (1 − P(none)).
    pub danger: f32,
    /// The likeliest kind, and its probability.
    pub kind: Option<(Kind, f32)>,
    /// Probability of self-harm.
    pub self_harm: f32,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model").field("classes", &self.classes).finish_non_exhaustive()
    }
}

/// The distinct feature buckets of a text.
pub fn features(n: &Normal) -> Vec<u32> {
    let chars: Vec<char> = n.chars.iter().copied().filter(|c| !c.is_whitespace() || *c == '\n').collect();
    let mut out = Vec::with_capacity(chars.len() * 4);
    let mut buf = String::new();
    for w in 1..=3 {
        for win in chars.windows(w) {
            buf.clear();
            buf.push(char::from(b'0' + w as u8));
            buf.extend(win);
            out.push(bucket(&buf));
        }
    }
    let sounds = pinyin::sounds(&n.text());
    for pair in sounds.windows(2) {
        if let (Syllable::Full(a), Syllable::Full(b)) = (&pair[0].syllable, &pair[1].syllable) {
            buf.clear();
            buf.push('p');
            buf.push_str(a);
            buf.push(' ');
            buf.push_str(b);
            out.push(bucket(&buf));
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// FNV-1a, folded into the buckets.
fn bucket(s: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h % BUCKETS
}

impl Model {
    /// Trains on `(class, text, weight)`; class is a kind's id or `none`.
    pub fn train(items: &[(String, String, f32)]) -> Self {
        let mut classes: Vec<String> =
            std::iter::once(NONE.to_string()).chain(Kind::ALL.iter().map(|k| k.id().to_string())).collect();
        classes.dedup();
        let docs: Vec<(usize, Vec<u32>)> = items
            .iter()
            .map(|(c, t, _)| (classes.iter().position(|x| x == c).unwrap_or(0), features(&Normal::new(t))))
            .collect();
        let weights: Vec<f32> = items.iter().map(|(_, _, w)| *w).collect();
        let lr = LogReg::train(classes.clone(), &docs, &weights, BUCKETS as usize);
        // Through the bytes, so what runs is what a file would hold.
        let m = Self { lr, classes };
        Self::from_bytes(&m.to_bytes()).unwrap_or(m)
    }

    pub fn read(&self, n: &Normal) -> Reading {
        let ranked = self.lr.rank(&features(n));
        let p = |id: &str| ranked.iter().find(|(c, _)| c == id).map_or(0.0, |(_, p)| *p as f32);
        let kind = ranked.iter().find_map(|(c, p)| Kind::parse(c).map(|k| (k, *p as f32)));
        Reading { danger: 1.0 - p(NONE), kind, self_harm: p(Kind::SelfHarm.id()) }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let (weights, bias) = self.lr.parts();
        let k = self.classes.len();
        let mut out = MAGIC.to_vec();
        out.extend(BUCKETS.to_le_bytes());
        out.extend((k as u16).to_le_bytes());
        for c in &self.classes {
            out.extend((c.len() as u16).to_le_bytes());
            out.extend(c.as_bytes());
        }
        for b in bias {
            out.extend(b.to_le_bytes());
        }
        for row in weights.chunks(k) {
            let scale = row.iter().fold(0.0f32, |m, w| m.max(w.abs()));
            out.extend(scale.to_le_bytes());
            for w in row {
                let q = if scale > 0.0 { (w / scale * 127.0).round() } else { 0.0 };
                out.push(q.clamp(-127.0, 127.0) as i8 as u8);
            }
        }
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(MAGIC.len())? != MAGIC {
            return Err("not a danger model file (wrong magic)".into());
        }
        let buckets = r.u32()?;
        if buckets != BUCKETS {
            return Err(format!("the file has {buckets} feature buckets, this program {BUCKETS}: retrain"));
        }
        let k = usize::from(r.u16()?);
        let mut classes = Vec::with_capacity(k);
        for _ in 0..k {
            let len = usize::from(r.u16()?);
            classes.push(String::from_utf8(r.take(len)?.to_vec()).map_err(|e| e.to_string())?);
        }
        let bias: Vec<f32> = (0..k).map(|_| r.f32()).collect::<Result<_, _>>()?;
        let mut weights = Vec::with_capacity(BUCKETS as usize * k);
        for _ in 0..BUCKETS {
            let scale = r.f32()?;
            for &q in r.take(k)? {
                weights.push(f32::from(q as i8) * scale / 127.0);
            }
        }
        if r.at != bytes.len() {
            return Err("trailing bytes after the model".into());
        }
        Ok(Self { lr: LogReg::from_parts(classes.clone(), weights, bias), classes })
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len()).ok_or("the model file is cut short")?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn u16(&mut self) -> Result<u16, String> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn f32(&mut self) -> Result<f32, String> {
        Ok(f32::from_bits(self.u32()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(c: &str, t: &str) -> (String, String, f32) {
        (c.to_string(), t.to_string(), 1.0)
    }

    #[test]
    fn a_small_model_learns_and_survives_its_bytes() {
        let items = vec![
            item("self_harm", "我不想活了"),
            item("self_harm", "活着没意思不想活了"),
            item("violence_now", "他正在打我"),
            item("none", "工资不发怎么办"),
            item("none", "离婚财产怎么分"),
            item("none", "交通事故怎么赔"),
        ];
        let m = Model::train(&items);
        let r = m.read(&Normal::new("真的不想活了"));
        assert!(r.danger > 0.5, "{r:?}");
        assert_eq!(r.kind.map(|k| k.0), Some(Kind::SelfHarm));
        assert!(m.read(&Normal::new("工资怎么办")).danger < 0.5);
        let again = Model::from_bytes(&m.to_bytes()).expect("bytes");
        assert_eq!(again.read(&Normal::new("真的不想活了")), r);
        assert!(Model::from_bytes(&m.to_bytes()[..100]).is_err());
    }

    #[test]
    fn a_homophone_keeps_its_syllable_pairs() {
        let a = features(&Normal::new("不想活了"));
        let b = features(&Normal::new("不想或了"));
        assert!(a.iter().filter(|f| b.contains(f)).count() >= 4);
    }
}
