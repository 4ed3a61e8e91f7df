//! "Did you mean …?": the known name closest to a misspelt one.

/// Edit distance (insert, delete, substitute one character).
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// The candidate closest to `name`, if it is close enough to be a slip:
/// at most a third of the name's characters (and at least one) differ.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let most = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (distance(name, c), c))
        .filter(|(d, _)| *d <= most)
        .min()
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn near_misses_are_found_and_strangers_are_not() {
        let known = ["labor_route", "labor_start", "main", "next", "text"];
        assert_eq!(closest("labour_route", known), Some("labor_route"));
        assert_eq!(closest("labor_rout", known), Some("labor_route"));
        assert_eq!(closest("nxt", known), Some("next"));
        assert_eq!(closest("nowhere", known), None);
    }
}
