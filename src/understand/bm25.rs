//! BM25 over token lists (FAQ questions and their alternative phrasings).

use std::collections::HashMap;

pub struct Bm25 {
    docs: Vec<(usize, HashMap<String, f64>, f64)>,
    idf: HashMap<String, f64>,
    avg_len: f64,
}

const K1: f64 = 1.2;
const B: f64 = 0.75;

impl Bm25 {
    /// `docs`: (owner id, tokens); several docs may share an owner.
    pub fn new(docs: Vec<(usize, Vec<String>)>) -> Self {
        let n = docs.len().max(1) as f64;
        let mut df: HashMap<String, f64> = HashMap::new();
        let mut out = Vec::new();
        let mut total = 0.0;
        for (owner, tokens) in docs {
            let mut tf: HashMap<String, f64> = HashMap::new();
            for t in &tokens {
                *tf.entry(t.clone()).or_default() += 1.0;
            }
            for t in tf.keys() {
                *df.entry(t.clone()).or_default() += 1.0;
            }
            total += tokens.len() as f64;
            out.push((owner, tf, tokens.len() as f64));
        }
        let idf = df.into_iter().map(|(t, d)| (t, ((n - d + 0.5) / (d + 0.5) + 1.0).ln())).collect();
        Self { avg_len: (total / n).max(1.0), docs: out, idf }
    }

    /// Best owner and its score as a share of what the query's known tokens
    /// could score (about 1.0 for a document that is the query), if any matched.
    pub fn best_share(&self, query: &[String]) -> Option<(usize, f64)> {
        let ceiling: f64 = query.iter().filter_map(|q| self.idf.get(q)).sum();
        let (owner, s) = self.best(query)?;
        Some((owner, if ceiling > 0.0 { s / ceiling } else { 0.0 }))
    }

    /// Best owner and its score, if any token matched.
    pub fn best(&self, query: &[String]) -> Option<(usize, f64)> {
        let mut best: Option<(usize, f64)> = None;
        for (owner, tf, len) in &self.docs {
            let mut s = 0.0;
            for q in query {
                if let (Some(f), Some(idf)) = (tf.get(q), self.idf.get(q)) {
                    s += idf * f * (K1 + 1.0) / (f + K1 * (1.0 - B + B * len / self.avg_len));
                }
            }
            if s > 0.0 && best.is_none_or(|(_, b)| s > b) {
                best = Some((*owner, s));
            }
        }
        best
    }
}
