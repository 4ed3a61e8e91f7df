//! Multinomial naive Bayes over tokens, trained from the example utterances
//! in content files. Uniform class prior: the examples are not a sample of
//! what people ask, so their counts say nothing about how often a category occurs.

use std::collections::HashMap;

pub struct Bayes {
    classes: Vec<String>,
    /// token → log P(token | class) per class.
    log_p: HashMap<String, Vec<f64>>,
    /// log of each class's relative prior weight (0 = 1.0).
    log_prior: Vec<f64>,
}

impl Bayes {
    pub fn train(examples: &[(String, Vec<String>)], prior: &HashMap<String, f64>) -> Self {
        let mut classes: Vec<String> = examples.iter().map(|(c, _)| c.clone()).collect();
        classes.sort();
        classes.dedup();
        let index: HashMap<&str, usize> = classes.iter().enumerate().map(|(i, c)| (c.as_str(), i)).collect();
        let mut counts: HashMap<String, Vec<f64>> = HashMap::new();
        let mut totals = vec![0.0; classes.len()];
        for (c, tokens) in examples {
            let ci = index[c.as_str()];
            for t in tokens {
                counts.entry(t.clone()).or_insert_with(|| vec![0.0; classes.len()])[ci] += 1.0;
                totals[ci] += 1.0;
            }
        }
        let vocab = counts.len() as f64;
        let alpha = 0.3;
        let denom: Vec<f64> = totals.iter().map(|t| t + alpha * vocab).collect();
        let log_p = counts
            .into_iter()
            .map(|(t, cs)| (t, cs.iter().zip(&denom).map(|(n, d)| ((n + alpha) / d).ln()).collect()))
            .collect();
        let log_prior = classes.iter().map(|c| prior.get(c).copied().unwrap_or(1.0).max(1e-6).ln()).collect();
        Self { classes, log_p, log_prior }
    }

    /// Posterior per class, best first; tokens never seen in training are
    /// ignored. Returns the number of known tokens too.
    pub fn rank(&self, tokens: &[String]) -> (Vec<(String, f64)>, usize) {
        let mut score = self.log_prior.clone();
        let mut known = 0;
        // Each feature counts once: in a long post the words repeated most
        // are the generic ones, and counting them drowns the telling ones
        // (measured: +2 points category accuracy on dev.jsonl).
        let mut seen = std::collections::HashSet::new();
        for t in tokens {
            if !seen.insert(t) {
                continue;
            }
            if let Some(lp) = self.log_p.get(t) {
                known += 1;
                for (s, l) in score.iter_mut().zip(lp) {
                    *s += l;
                }
            }
        }
        if known == 0 {
            return (Vec::new(), 0);
        }
        // Scale by length so long texts do not become absurdly certain (the
        // prior is scaled with the evidence; it only tips close calls).
        let scale = 1.0 / (known as f64).sqrt();
        let max = score.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let exp: Vec<f64> = score.iter().map(|s| ((s - max) * scale).exp()).collect();
        let sum: f64 = exp.iter().sum();
        let mut ranked: Vec<(String, f64)> = self.classes.iter().cloned().zip(exp.iter().map(|e| e / sum)).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        (ranked, known)
    }
}
