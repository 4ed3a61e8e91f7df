//! Multinomial logistic regression over the same features as the naive
//! Bayes model, trained at start-up from the example utterances. Where naive
//! Bayes counts how often a word occurs with each category, this learns how
//! much a word tells categories apart, so a common word shared by many
//! categories ("公司", "问题") weighs little and a telling one ("建议",
//! "判几年") much. Training is deterministic: fixed example order, fixed
//! number of passes, no random initialisation.

pub struct LogReg {
    classes: Vec<String>,
    /// One row of `classes.len()` weights per feature.
    weights: Vec<f32>,
    bias: Vec<f32>,
}

/// Training settings, chosen on the development split (see the issue notes):
/// 20–80 passes and L2 from 0 to 1e-3 were within one point of each other.
const EPOCHS: usize = 20;
const RATE: f32 = 1.0;
const L2: f32 = 1e-3;

impl LogReg {
    /// `examples`: (class, feature rows of the shared vocabulary);
    /// `features`: how many rows it has. Each distinct feature counts once
    /// and a document's features are scaled to unit length.
    pub fn train(examples: &[(String, Vec<u32>)], features: usize) -> Self {
        let (classes, class_of) = super::class_ids(examples);
        let k = classes.len();
        let docs: Vec<(usize, Vec<u32>)> = examples
            .iter()
            .zip(class_of)
            .map(|((_, rows), c)| {
                let mut ids = rows.clone();
                ids.sort_unstable();
                ids.dedup();
                (c, ids)
            })
            .collect();
        let mut weights = vec![0.0f32; features * k];
        let mut bias = vec![0.0f32; k];
        // Class weights so a category with many examples does not win by size.
        let mut per_class = vec![0usize; k];
        for (c, _) in &docs {
            per_class[*c] += 1;
        }
        let n = docs.len().max(1);
        let class_weight: Vec<f32> = per_class.iter().map(|&m| n as f32 / (k as f32 * m.max(1) as f32)).collect();
        let mut probs = vec![0.0f32; k];
        // A fixed interleaved order (a prime stride through the list) rather
        // than a shuffle: deterministic without a random generator.
        let stride = (7919 % n).max(1);
        for epoch in 0..EPOCHS {
            let rate = RATE / (1.0 + epoch as f32 * 0.1);
            let mut i = epoch % n;
            for _ in 0..docs.len() {
                let (c, ids) = &docs[i];
                i = (i + stride) % n;
                let scale = 1.0 / (ids.len().max(1) as f32).sqrt();
                scores(&weights, &bias, k, ids, scale, &mut probs);
                softmax(&mut probs);
                let cw = class_weight[*c] * rate;
                for (j, p) in probs.iter_mut().enumerate() {
                    *p = (*p - if j == *c { 1.0 } else { 0.0 }) * cw;
                    bias[j] -= *p;
                }
                let decay = 1.0 - rate * L2;
                for &f in ids {
                    let row = &mut weights[f as usize * k..(f as usize + 1) * k];
                    for (w, g) in row.iter_mut().zip(&probs) {
                        *w = *w * decay - g * scale;
                    }
                }
            }
        }
        Self { classes, weights, bias }
    }

    /// Probability per class, best first, from a message's distinct known
    /// feature rows.
    pub fn rank(&self, ids: &[u32]) -> Vec<(String, f64)> {
        if ids.is_empty() {
            return Vec::new();
        }
        let k = self.classes.len();
        let mut s = vec![0.0f32; k];
        scores(&self.weights, &self.bias, k, ids, 1.0 / (ids.len() as f32).sqrt(), &mut s);
        softmax(&mut s);
        let mut ranked: Vec<(String, f64)> =
            self.classes.iter().cloned().zip(s.iter().map(|p| f64::from(*p))).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        ranked
    }
}

fn scores(weights: &[f32], bias: &[f32], k: usize, ids: &[u32], scale: f32, out: &mut [f32]) {
    out.copy_from_slice(bias);
    for &f in ids {
        let row = &weights[f as usize * k..(f as usize + 1) * k];
        for (o, w) in out.iter_mut().zip(row) {
            *o += w * scale;
        }
    }
}

fn softmax(v: &mut [f32]) {
    let max = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for x in v.iter_mut() {
        *x = (*x - max).exp();
        sum += *x;
    }
    for x in v.iter_mut() {
        *x /= sum;
    }
}

#[cfg(test)]
mod tests {
    use super::super::Vocab;
    use super::*;

    fn ex(c: &str, words: &[&str]) -> (String, Vec<String>) {
        (c.to_string(), words.iter().map(|w| w.to_string()).collect())
    }

    fn words(w: &[&str]) -> Vec<String> {
        w.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn a_telling_word_outweighs_a_shared_one() {
        let (vocab, rows) = Vocab::build(&[
            ex("labor", &["公司", "工资"]),
            ex("labor", &["公司", "辞退"]),
            ex("consumer", &["公司", "退货"]),
            ex("consumer", &["商家", "退货"]),
        ]);
        let m = LogReg::train(&rows, vocab.len());
        let known = vocab.rows(&words(&["公司", "退货", "未知"])).expect("known words");
        assert_eq!(known.len(), 2);
        let top = m.rank(&known);
        assert_eq!(top[0].0, "consumer");
        assert!((top.iter().map(|x| x.1).sum::<f64>() - 1.0).abs() < 1e-4);
        assert!(vocab.rows(&words(&["未知"])).is_none());
        assert!(m.rank(&[]).is_empty());
    }

    #[test]
    fn training_is_deterministic() {
        let (vocab, rows) = Vocab::build(&[ex("a", &["x", "y"]), ex("b", &["y", "z"]), ex("a", &["x"])]);
        let y = vocab.rows(&words(&["y"])).expect("known word");
        assert_eq!(LogReg::train(&rows, vocab.len()).rank(&y), LogReg::train(&rows, vocab.len()).rank(&y));
    }
}
