//! Multinomial logistic regression over the same features as the naive
//! Bayes model, trained by `xinfang-guide train` (or at start-up when the
//! content has no model file) from the example utterances and real
//! questions. Where naive
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
    /// `examples`: (class index, distinct feature rows of the shared
    /// vocabulary); `weights`: each example's weight (examples 1, real
    /// questions as `train` weighs them); `features`: rows in the
    /// vocabulary; `k`: classes. A document's features are scaled to unit
    /// length.
    pub fn train(classes: Vec<String>, docs: &[(usize, Vec<u32>)], weights: &[f32], features: usize) -> Self {
        let k = classes.len();
        let mut weights_out = vec![0.0f32; features * k];
        let mut bias = vec![0.0f32; k];
        // Class weights so a category with many examples does not win by size.
        let mut per_class = vec![0.0f32; k];
        for ((c, _), w) in docs.iter().zip(weights) {
            per_class[*c] += w;
        }
        let n = docs.len().max(1);
        let total: f32 = per_class.iter().sum();
        let class_weight: Vec<f32> = per_class.iter().map(|&m| total / (k as f32 * m.max(1.0))).collect();
        let mut probs = vec![0.0f32; k];
        // A fixed interleaved order (a prime stride through the list) rather
        // than a shuffle: deterministic without a random generator.
        let stride = (7919 % n).max(1);
        for epoch in 0..EPOCHS {
            let rate = RATE / (1.0 + epoch as f32 * 0.1);
            let mut i = epoch % n;
            for _ in 0..docs.len() {
                let (c, ids) = &docs[i];
                let w = weights[i];
                i = (i + stride) % n;
                let scale = 1.0 / (ids.len().max(1) as f32).sqrt();
                scores(&weights_out, &bias, k, ids, scale, &mut probs);
                softmax(&mut probs);
                let cw = class_weight[*c] * rate * w;
                for (j, p) in probs.iter_mut().enumerate() {
                    *p = (*p - if j == *c { 1.0 } else { 0.0 }) * cw;
                    bias[j] -= *p;
                }
                let decay = 1.0 - rate * L2;
                for &f in ids {
                    let row = &mut weights_out[f as usize * k..(f as usize + 1) * k];
                    for (wt, g) in row.iter_mut().zip(&probs) {
                        *wt = *wt * decay - g * scale;
                    }
                }
            }
        }
        Self { classes, weights: weights_out, bias }
    }

    /// The model from its learned parts (as the model file keeps them).
    pub fn from_parts(classes: Vec<String>, weights: Vec<f32>, bias: Vec<f32>) -> Self {
        Self { classes, weights, bias }
    }

    /// One row of `classes` weights per feature, and the biases.
    pub fn parts(&self) -> (&[f32], &[f32]) {
        (&self.weights, &self.bias)
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
    use super::super::model::Vocab;
    use super::*;

    fn ex(c: &str, words: &[&str]) -> (String, Vec<String>) {
        (c.to_string(), words.iter().map(|w| w.to_string()).collect())
    }

    fn words(w: &[&str]) -> Vec<String> {
        w.iter().map(|x| x.to_string()).collect()
    }

    fn train(examples: &[(String, Vec<String>)]) -> (Vocab, LogReg) {
        let (vocab, rows) = Vocab::build(examples);
        let (classes, ids) = super::super::model::class_ids(examples);
        let docs: Vec<(usize, Vec<u32>)> = ids.into_iter().zip(rows).collect();
        let m = LogReg::train(classes, &docs, &vec![1.0; docs.len()], vocab.len());
        (vocab, m)
    }

    #[test]
    fn a_telling_word_outweighs_a_shared_one() {
        let (vocab, m) = train(&[
            ex("labor", &["公司", "工资"]),
            ex("labor", &["公司", "辞退"]),
            ex("consumer", &["公司", "退货"]),
            ex("consumer", &["商家", "退货"]),
        ]);
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
        let examples = [ex("a", &["x", "y"]), ex("b", &["y", "z"]), ex("a", &["x"])];
        let (vocab, one) = train(&examples);
        let (_, two) = train(&examples);
        let y = vocab.rows(&words(&["y"])).expect("known word");
        assert_eq!(one.rank(&y), two.rank(&y));
    }
}
