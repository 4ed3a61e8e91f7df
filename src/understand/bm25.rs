//! BM25 over token lists (FAQ questions and their alternative phrasings),
//! with an inverted index so a query touches only documents sharing a token.

use std::collections::{HashMap, HashSet};

pub struct Bm25 {
    /// token → (document, term frequency), and the token's idf.
    postings: HashMap<String, (f64, Vec<(u32, f64)>)>,
    owner: Vec<usize>,
    len: Vec<f64>,
    avg_len: f64,
}

const K1: f64 = 1.2;
const B: f64 = 0.75;

impl Bm25 {
    /// `docs`: (owner id, tokens); several docs may share an owner.
    pub fn new(docs: Vec<(usize, Vec<String>)>) -> Self {
        let n = docs.len().max(1) as f64;
        let mut postings: HashMap<String, (f64, Vec<(u32, f64)>)> = HashMap::new();
        let (mut owner, mut len) = (Vec::new(), Vec::new());
        for (d, (o, tokens)) in docs.into_iter().enumerate() {
            let mut tf: HashMap<String, f64> = HashMap::new();
            for t in &tokens {
                *tf.entry(t.clone()).or_default() += 1.0;
            }
            for (t, f) in tf {
                postings.entry(t).or_default().1.push((d as u32, f));
            }
            owner.push(o);
            len.push(tokens.len() as f64);
        }
        for (idf, list) in postings.values_mut() {
            let df = list.len() as f64;
            *idf = ((n - df + 0.5) / (df + 0.5) + 1.0).ln();
        }
        let avg_len = (len.iter().sum::<f64>() / n).max(1.0);
        Self { postings, owner, len, avg_len }
    }

    /// Best owner and its score as a share of what the query's known tokens
    /// could score (about 1.0 for a document that is the query), if any matched.
    pub fn best_share(&self, query: &[String]) -> Option<(usize, f64)> {
        self.best_share_where(query, |_| true)
    }

    /// Like `best_share`, among the owners `keep` accepts (the FAQ entries
    /// about the kind of matter the question was understood to be).
    pub fn best_share_where(&self, query: &[String], keep: impl Fn(usize) -> bool) -> Option<(usize, f64)> {
        let unique: HashSet<&String> = query.iter().collect();
        let ceiling: f64 = unique.iter().filter_map(|q| self.postings.get(*q).map(|p| p.0)).sum();
        let (owner, s, shared) = self.best_with_shared(&unique, &keep)?;
        // Sharing only single characters (找, 谁) is no match when the
        // question has words of its own: "房子的问题找谁" is not
        // "紧急情况找谁".
        let has_words = unique.iter().any(|q| q.chars().count() >= 2);
        if has_words && shared == 0 {
            return Some((owner, 0.0));
        }
        Some((owner, if ceiling > 0.0 { s / ceiling } else { 0.0 }))
    }

    /// Best owner and its score, if any token matched.
    pub fn best(&self, query: &[String]) -> Option<(usize, f64)> {
        self.best_of(&query.iter().collect())
    }

    /// Best owner, its score, and how many distinct query tokens its best document shares.
    fn best_with_shared(&self, unique: &HashSet<&String>, keep: &dyn Fn(usize) -> bool) -> Option<(usize, f64, usize)> {
        let mut scores = vec![(0.0f64, 0usize); self.owner.len()];
        for q in unique {
            let Some((idf, list)) = self.postings.get(*q) else { continue };
            for &(d, f) in list {
                let norm = K1 * (1.0 - B + B * self.len[d as usize] / self.avg_len);
                let e = &mut scores[d as usize];
                e.0 += idf * f * (K1 + 1.0) / (f + norm);
                // Single characters (的, 找, 谁) are too common to count as shared words.
                e.1 += usize::from(q.chars().count() >= 2);
            }
        }
        let (d, (s, shared)) = scores
            .iter()
            .enumerate()
            .filter(|(d, _)| keep(self.owner[*d]))
            .fold((0, (0.0, 0)), |best, (d, &e)| if e.0 > best.1.0 { (d, e) } else { best });
        (s > 0.0).then(|| (self.owner[d], s, shared))
    }

    fn best_of(&self, unique: &HashSet<&String>) -> Option<(usize, f64)> {
        let mut scores = vec![0.0f64; self.owner.len()];
        for q in unique {
            let Some((idf, list)) = self.postings.get(*q) else { continue };
            for &(d, f) in list {
                let norm = K1 * (1.0 - B + B * self.len[d as usize] / self.avg_len);
                scores[d as usize] += idf * f * (K1 + 1.0) / (f + norm);
            }
        }
        // Highest score; the earliest document on a tie.
        let (d, s) = scores.iter().enumerate().fold((0, 0.0), |best, (d, &s)| if s > best.1 { (d, s) } else { best });
        (s > 0.0).then(|| (self.owner[d], s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn the_document_sharing_the_rare_words_wins() {
        let idx = Bm25::new(vec![(0, toks("信访 期限 多久")), (1, toks("复查 期限")), (2, toks("劳动 仲裁 期限"))]);
        assert_eq!(idx.best(&toks("劳动 仲裁 要")).map(|b| b.0), Some(2));
        assert_eq!(idx.best(&toks("无关")), None);
        let (owner, share) = idx.best_share(&toks("复查 期限")).expect("match");
        assert_eq!(owner, 1);
        assert!(share > 0.8, "{share}");
        let idx = Bm25::new(vec![(0, toks("紧急 找 谁")), (1, toks("漏水 赔偿"))]);
        assert_eq!(idx.best_share(&toks("房子 找 谁")).map(|b| b.1), Some(0.0), "single characters alone are no match");
        assert!(idx.best_share(&toks("紧急 找 谁")).is_some_and(|b| b.1 > 0.8));
    }
}
