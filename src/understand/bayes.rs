//! Multinomial naive Bayes over tokens, trained from the example utterances
//! in content files. Uniform class prior: the examples are not a sample of
//! what people ask, so their counts say nothing about how often a category occurs.

use std::collections::HashMap;

pub struct Bayes {
    classes: Vec<String>,
    /// token → row in `log_p`.
    vocab: HashMap<String, u32>,
    /// log P(token | class), one row of `classes.len()` values per token
    /// (f32: the posterior is rounded to three digits anyway).
    log_p: Vec<f32>,
    /// log of each class's relative prior weight (0 = 1.0).
    log_prior: Vec<f64>,
}

impl Bayes {
    pub fn train(examples: &[(String, Vec<String>)], prior: &HashMap<String, f64>) -> Self {
        let (classes, ids) = super::class_ids(examples);
        let k = classes.len();
        let mut vocab: HashMap<String, u32> = HashMap::new();
        let mut counts: Vec<f64> = Vec::new();
        let mut totals = vec![0.0; k];
        for ((_, tokens), &ci) in examples.iter().zip(&ids) {
            for t in tokens {
                let row = super::intern(&mut vocab, t) as usize;
                if row * k >= counts.len() {
                    counts.resize((row + 1) * k, 0.0);
                }
                counts[row * k + ci] += 1.0;
                totals[ci] += 1.0;
            }
        }
        let alpha = 0.3;
        let denom: Vec<f64> = totals.iter().map(|t| t + alpha * vocab.len() as f64).collect();
        let log_p = counts.iter().enumerate().map(|(i, n)| ((n + alpha) / denom[i % k]).ln() as f32).collect();
        let log_prior = classes.iter().map(|c| prior.get(c).copied().unwrap_or(1.0).max(1e-6).ln()).collect();
        Self { classes, vocab, log_p, log_prior }
    }

    /// Whether the feature occurred in training.
    pub fn knows(&self, feature: &str) -> bool {
        self.vocab.contains_key(feature)
    }

    /// Posterior per class, best first; tokens never seen in training are
    /// ignored. Returns the number of known tokens too.
    pub fn rank(&self, tokens: &[String]) -> (Vec<(String, f64)>, usize) {
        let k = self.classes.len();
        let mut score = self.log_prior.clone();
        // Each feature counts once: in a long post the words repeated most
        // are the generic ones, and counting them drowns the telling ones
        // (measured: +2 points category accuracy on dev.jsonl).
        let mut rows: Vec<u32> = tokens.iter().filter_map(|t| self.vocab.get(t).copied()).collect();
        rows.sort_unstable();
        rows.dedup();
        if rows.is_empty() {
            return (Vec::new(), 0);
        }
        for &r in &rows {
            for (s, l) in score.iter_mut().zip(&self.log_p[r as usize * k..(r as usize + 1) * k]) {
                *s += f64::from(*l);
            }
        }
        // Scale by length so long texts do not become absurdly certain (the
        // prior is scaled with the evidence; it only tips close calls).
        let scale = 1.0 / (rows.len() as f64).sqrt();
        let max = score.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let exp: Vec<f64> = score.iter().map(|s| ((s - max) * scale).exp()).collect();
        let sum: f64 = exp.iter().sum();
        let mut ranked: Vec<(String, f64)> = self.classes.iter().cloned().zip(exp.iter().map(|e| e / sum)).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        (ranked, rows.len())
    }
}
