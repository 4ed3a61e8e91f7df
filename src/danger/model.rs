//! The small learned part of the recogniser: multinomial logistic
//! regression (trained by the classifier's own trainer, [`LogReg`], and
//! kept quantized) over hashed
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

/// The learned weights as the file keeps them, quantized: per bucket a
/// scale and one i8 per class (weight = i8 × scale / 127), a third of the
/// memory of f32 weights.
pub struct Model {
    classes: Vec<String>,
    bias: Vec<f32>,
    scale: Vec<f32>,
    weights: Vec<i8>,
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

/// The distinct feature buckets of a text: its characters, pairs and
/// triples (blanks left out), and pairs of neighbouring syllables (so a
/// homophone typo keeps most of its features). Hashed as they are read,
/// nothing allocated per feature.
pub fn features(n: &Normal) -> Vec<u32> {
    let chars: Vec<char> = n.chars.iter().copied().filter(|c| !c.is_whitespace() || *c == '\n').collect();
    let mut out = Vec::with_capacity(chars.len() * 4);
    let mut buf = [0u8; 4];
    for w in 1..=3usize {
        for win in chars.windows(w) {
            let mut h = Fnv::new().byte(b'0' + w as u8);
            for c in win {
                h = h.bytes(c.encode_utf8(&mut buf).as_bytes());
            }
            out.push(h.bucket());
        }
    }
    let sounds = pinyin::sounds(&n.text());
    for pair in sounds.windows(2) {
        if let (Syllable::Full(a), Syllable::Full(b)) = (&pair[0].syllable, &pair[1].syllable) {
            out.push(Fnv::new().byte(b'p').bytes(a.as_bytes()).byte(b' ').bytes(b.as_bytes()).bucket());
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// FNV-1a, folded into the buckets.
#[derive(Clone, Copy)]
struct Fnv(u32);

impl Fnv {
    fn new() -> Self {
        Self(0x811c_9dc5)
    }

    fn byte(self, b: u8) -> Self {
        Self((self.0 ^ u32::from(b)).wrapping_mul(0x0100_0193))
    }

    fn bytes(self, bs: &[u8]) -> Self {
        bs.iter().fold(self, |h, b| h.byte(*b))
    }

    fn bucket(self) -> u32 {
        self.0 % BUCKETS
    }
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
        let (w, bias) = lr.parts();
        let k = classes.len();
        let mut scale = Vec::with_capacity(BUCKETS as usize);
        let mut q = Vec::with_capacity(w.len());
        for row in w.chunks(k) {
            let s = row.iter().fold(0.0f32, |m, w| m.max(w.abs()));
            scale.push(s);
            q.extend(row.iter().map(|w| if s > 0.0 { (w / s * 127.0).round().clamp(-127.0, 127.0) as i8 } else { 0 }));
        }
        Self { classes, bias: bias.to_vec(), scale, weights: q }
    }

    /// Probability per class (in `classes` order) for distinct features.
    fn probabilities(&self, ids: &[u32]) -> Vec<f32> {
        let k = self.classes.len();
        let mut s = self.bias.clone();
        let norm = 1.0 / (ids.len().max(1) as f32).sqrt();
        for &f in ids {
            let f = f as usize;
            let row = &self.weights[f * k..(f + 1) * k];
            let w = self.scale[f] / 127.0 * norm;
            for (o, q) in s.iter_mut().zip(row) {
                *o += f32::from(*q) * w;
            }
        }
        let max = s.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0;
        for x in &mut s {
            *x = (*x - max).exp();
            sum += *x;
        }
        s.iter_mut().for_each(|x| *x /= sum);
        s
    }

    pub fn read(&self, n: &Normal) -> Reading {
        let probs = self.probabilities(&features(n));
        let p = |id: &str| self.classes.iter().position(|c| c == id).map_or(0.0, |i| probs[i]);
        let kind = self
            .classes
            .iter()
            .zip(&probs)
            .filter_map(|(c, p)| Kind::parse(c).map(|k| (k, *p)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        Reading { danger: 1.0 - p(NONE), kind, self_harm: p(Kind::SelfHarm.id()) }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let k = self.classes.len();
        let mut out = MAGIC.to_vec();
        out.extend(BUCKETS.to_le_bytes());
        out.extend((k as u16).to_le_bytes());
        for c in &self.classes {
            out.extend((c.len() as u16).to_le_bytes());
            out.extend(c.as_bytes());
        }
        for b in &self.bias {
            out.extend(b.to_le_bytes());
        }
        for (s, row) in self.scale.iter().zip(self.weights.chunks(k)) {
            out.extend(s.to_le_bytes());
            out.extend(row.iter().map(|q| *q as u8));
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
        let mut scale = Vec::with_capacity(BUCKETS as usize);
        let mut weights = Vec::with_capacity(BUCKETS as usize * k);
        for _ in 0..BUCKETS {
            scale.push(r.f32()?);
            weights.extend(r.take(k)?.iter().map(|q| *q as i8));
        }
        if r.at != bytes.len() {
            return Err("trailing bytes after the model".into());
        }
        Ok(Self { classes, bias, scale, weights })
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
