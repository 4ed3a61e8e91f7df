//! Multinomial naive Bayes over features, trained from the example utterances
//! in content files. Uniform class prior: the examples are not a sample of
//! what people ask, so their counts say nothing about how often a category occurs.
//! Features are rows of the shared `Vocab` (see `super::Vocab`).

use std::collections::HashMap;

pub struct Bayes {
    classes: Vec<String>,
    /// log P(feature | class), one row of `classes.len()` values per feature
    /// (f32: the posterior is rounded to three digits anyway).
    log_p: Vec<f32>,
    /// log of each class's relative prior weight (0 = 1.0).
    log_prior: Vec<f64>,
}

impl Bayes {
    /// `examples`: (class, feature rows, repeats counted); `features`: how
    /// many rows the vocabulary has.
    pub fn train(examples: &[(String, Vec<u32>)], features: usize, prior: &HashMap<String, f64>) -> Self {
        let (classes, ids) = super::class_ids(examples);
        let k = classes.len();
        let mut counts = vec![0.0f64; features * k];
        let mut totals = vec![0.0; k];
        for ((_, rows), &ci) in examples.iter().zip(&ids) {
            for &row in rows {
                counts[row as usize * k + ci] += 1.0;
                totals[ci] += 1.0;
            }
        }
        let alpha = 0.3;
        let denom: Vec<f64> = totals.iter().map(|t| t + alpha * features as f64).collect();
        let log_p = counts.iter().enumerate().map(|(i, n)| ((n + alpha) / denom[i % k]).ln() as f32).collect();
        let log_prior = classes.iter().map(|c| prior.get(c).copied().unwrap_or(1.0).max(1e-6).ln()).collect();
        Self { classes, log_p, log_prior }
    }

    /// Posterior per class, best first, from a message's distinct known
    /// feature rows. Each feature counts once: in a long post the words
    /// repeated most are the generic ones, and counting them drowns the
    /// telling ones (measured: +2 points category accuracy on dev.jsonl).
    pub fn rank(&self, rows: &[u32]) -> Vec<(String, f64)> {
        let k = self.classes.len();
        let mut score = self.log_prior.clone();
        if rows.is_empty() {
            return Vec::new();
        }
        for &r in rows {
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
        ranked
    }
}
