//! Search terms for the staff console's `?q=`: every character and every
//! pair of neighbouring characters of the masked input, lowercased, within
//! runs of letters and digits. Chinese queries are mostly two characters
//! (工资, 跳楼), which PostgreSQL's word parsers and `pg_trgm` (three
//! characters) do not serve; bigrams in a GIN-indexed `tsvector` do.
//!
//! The index finds a superset: a row whose input contains the query has
//! all of the query's terms. The caller still checks the text itself.

/// The terms stored with a log record (distinct, any order).
pub fn of_text(text: &str) -> Vec<String> {
    let mut out = std::collections::BTreeSet::new();
    for run in runs(text) {
        for (i, c) in run.iter().enumerate() {
            out.insert(c.to_string());
            if let Some(next) = run.get(i + 1) {
                out.insert(format!("{c}{next}"));
            }
        }
    }
    out.into_iter().collect()
}

/// The terms a query needs, or None when it has no letters or digits (the
/// caller scans). Bigrams where the query has them, the character itself
/// for a run of one.
pub fn of_query(q: &str) -> Option<Vec<String>> {
    let mut out = std::collections::BTreeSet::new();
    for run in runs(q) {
        if run.len() == 1 {
            out.insert(run[0].to_string());
        }
        for w in run.windows(2) {
            out.insert(format!("{}{}", w[0], w[1]));
        }
    }
    (!out.is_empty()).then(|| out.into_iter().collect())
}

/// `tsquery` text requiring every term (terms hold only letters and digits,
/// quoted anyway).
pub fn tsquery(terms: &[String]) -> String {
    terms.iter().map(|t| format!("'{}'", t.replace('\\', "\\\\").replace('\'', "''"))).collect::<Vec<_>>().join(" & ")
}

fn runs(text: &str) -> Vec<Vec<char>> {
    let mut runs = vec![Vec::new()];
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            if let Some(r) = runs.last_mut() {
                r.push(c);
            }
        } else if runs.last().is_some_and(|r| !r.is_empty()) {
            runs.push(Vec::new());
        }
    }
    runs.retain(|r| !r.is_empty());
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_two_character_query_needs_its_bigram() {
        assert_eq!(of_query("工资").expect("terms"), ["工资"]);
        assert!(of_text("老板拖欠工资怎么办").contains(&"工资".to_string()));
    }

    #[test]
    fn every_query_found_in_a_text_has_its_terms_in_that_text() {
        let text = "公司拖欠工资3个月，Boss 不给钱？想跳楼";
        let have = of_text(text);
        for q in ["工资", "欠工资3", "boss", "钱", "跳楼", "个月，boss"] {
            let need = of_query(q).expect("terms");
            assert!(need.iter().all(|t| have.contains(t)), "{q}: {need:?}");
        }
    }

    #[test]
    fn a_query_of_punctuation_only_falls_back_to_a_scan() {
        assert_eq!(of_query("？！ "), None);
    }

    #[test]
    fn tsquery_quotes_each_term() {
        assert_eq!(tsquery(&["工资".into(), "a'b".into()]), "'工资' & 'a''b'");
    }
}
