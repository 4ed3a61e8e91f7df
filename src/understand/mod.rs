//! Free-text understanding: what is this message about? Legal-fact rules,
//! FAQ retrieval (BM25) and a classifier over the 24
//! categories (naive Bayes and logistic regression, averaged), trained from
//! example utterances in content files (`dialogs/understand/`). Pure: built once at start-up, then a function of
//! the text. `Smart` plugs it into the engine's `Understand` boundary.

pub mod bayes;
pub mod bm25;
pub mod knn;
pub mod load;
pub mod logreg;
pub mod merge;
pub mod model;
pub mod respell;
pub mod tokenize;
pub mod train;

use crate::content::{Content, Input, Node, NodeKind};
use crate::engine::understand::{Intent, Plain, Understand};
use bayes::Bayes;
use bm25::Bm25;
use model::{Model, Models, Vocab};
use std::collections::HashSet;
use std::sync::Arc;
use tokenize::Tokenizer;

/// At or above this posterior the bot asks "is it X?"; below it offers the
/// top 3. Chosen by 5-fold cross-validation over train_real (with the model
/// trained on it): at 0.55 a right channel was one tap away for 84.4% of
/// questions (1.33 categories offered), at 0.75 for 91.2% (1.70); legal-fact
/// rules (0.9) are still asked about.
pub const CONFIDENT: f64 = 0.75;
/// Below this a category is not offered as a button (nothing at all: the
/// bot says it did not understand). Cross-validated with `CONFIDENT`: 0.12
/// → 0.08 was +2.6 points one tap away for +0.17 categories offered; with
/// the nearest-neighbour vote blended in (flatter probabilities), 5-fold CV
/// on train_real's rows: 0.08 → 94.0 % one tap, 2.10 offered; 0.10 → 93.8 %,
/// 1.96; 0.12 → 92.6 %, 1.85.
pub const UNSURE: f64 = 0.10;
/// How many further categories 不是 (or 都不是 under the buttons) offers.
/// 5-fold CV on train_real's rows, right channel after one 不是: 2 → 98.0 %,
/// 3 → 98.8 % (what is offered first does not change).
pub const INSTEAD: usize = 3;
/// Share of the best possible BM25 score from which a FAQ entry answers.
pub const FAQ_SHARE: f64 = 0.5;
/// Share from which a FAQ entry answers instead of the one a legal-fact
/// rule names.
pub const RULE_FAQ_SHARE: f64 = 0.8;
/// A FAQ entry is shown directly only when the question says nearly what
/// one of the entry's phrasings says: the overlap of their character pairs,
/// each pair weighted by how rare it is among all phrasings (怎么, 可以 count
/// little), as a Dice share. Below it the entry is offered as a button.
/// Measured on 2,043 labelled real questions (train_real, CV, and STARD,
/// each labelled with the entry that answers it, if any): of the 273 whose
/// chosen entry shared enough words to be shown before, 8 were right; at
/// this overlap 1 is shown (and wrong), none of the 8 right ones reach 0.3.
pub const FAQ_DIRECT_SIM: f64 = 0.45;
/// Below this overlap (as for `FAQ_DIRECT_SIM`) a FAQ entry is not even
/// offered as a button, unless a legal-fact rule names it. 5-fold CV over
/// 2,036 labelled real questions: of 379 buttons offered, 8 were the right
/// entry; from 0.15, 114 are offered and 6 right (the rest was clutter).
pub const FAQ_OFFER_SIM: f64 = 0.15;
/// Most other matters offered as 您还提到 buttons.
pub const MAX_OTHERS: usize = 2;

/// What the chat offers for a message (see [`Understanding::chat_offer`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ChatOffer {
    pub categories: Vec<String>,
    pub confident: bool,
    /// Sure enough to answer directly: the first category's first channel
    /// is named before anything is asked (`[direct]` of the lexicon).
    pub direct: bool,
    pub more: Vec<String>,
    pub others: Vec<String>,
}

/// A clause names a matter of its own when its kind is this likely.
pub const CLAUSE_CONFIDENT: f64 = 0.6;
/// The likeliest kinds of matter whose FAQ entries may answer a question.
pub const FAQ_KINDS: usize = 3;

pub struct Understanding {
    tokenizer: Tokenizer,
    vocab: Vocab,
    bayes: Bayes,
    logreg: logreg::LogReg,
    /// For texts of at least this many characters, the model of the
    /// examples alone (see [`Models`]).
    long: Option<(usize, Model)>,
    faq: Bm25,
    /// The labelled questions most like a message, voting (see [`knn`]).
    neighbours: knn::Neighbours,
    /// Each FAQ entry's phrasings as character pairs, and each pair's
    /// weight (rarer among the phrasings: more), for `FAQ_DIRECT_SIM` and
    /// `FAQ_OFFER_SIM`.
    faq_pairs: Vec<Vec<HashSet<[char; 2]>>>,
    pair_weight: PairWeights,
    /// Homophone typos of the lexicon's words, read back (see [`respell`]).
    respell: respell::Respeller,
    lexicon: load::Lexicon,
    content: Arc<Content>,
}

/// What the text is about.
#[derive(Debug, Clone, PartialEq)]
pub struct Classification {
    pub category: String,
    pub confidence: f64,
    /// Best categories first, with their posterior.
    pub top: Vec<(String, f64)>,
    pub faq: Option<usize>,
    /// A second part of the message (petitioning about the matter: "…我要去
    /// 北京上访"): the FAQ entry that answers it, given with the matter's own
    /// route rather than dropped.
    pub also: Option<usize>,
    /// Why `faq` was chosen: the share of the question's words the entry
    /// matched, and whether a legal-fact rule named it (for analysis).
    pub faq_share: f64,
    pub faq_rule: bool,
    /// `faq` says nearly what the question says: shown directly. Else it is
    /// offered as a button beside the matter.
    pub direct: bool,
    /// The overlap of the question with the entry's closest phrasing.
    pub faq_sim: f64,
    /// The text as read, when homophone typos of domain words were read
    /// back (信仿 → 信访; see [`respell`]).
    pub respelled: Option<String>,
}

/// The pairs of adjacent letters, digits and CJK characters of a text
/// (punctuation and spaces dropped, lower case).
fn char_pairs(text: &str) -> HashSet<[char; 2]> {
    knn::letters(text).windows(2).map(|w| [w[0], w[1]]).collect()
}

/// Inverse document frequency of character pairs over the FAQ phrasings.
struct PairWeights {
    df: std::collections::HashMap<[char; 2], u32>,
    docs: f64,
}

impl PairWeights {
    fn new<'a>(phrasings: impl Iterator<Item = &'a HashSet<[char; 2]>>) -> Self {
        let mut df = std::collections::HashMap::new();
        let mut docs = 0.0;
        for p in phrasings {
            docs += 1.0;
            for pair in p {
                *df.entry(*pair).or_insert(0) += 1;
            }
        }
        Self { df, docs }
    }

    fn weight(&self, pair: &[char; 2]) -> f64 {
        let df = self.df.get(pair).copied().unwrap_or(0);
        ((self.docs + 1.0) / (f64::from(df) + 0.5)).ln()
    }

    /// Weighted Dice overlap of two pair sets.
    fn dice(&self, a: &HashSet<[char; 2]>, b: &HashSet<[char; 2]>) -> f64 {
        let total: f64 = a.iter().chain(b).map(|p| self.weight(p)).sum();
        if total <= 0.0 {
            return 0.0;
        }
        2.0 * a.intersection(b).map(|p| self.weight(p)).sum::<f64>() / total
    }
}

impl Understanding {
    /// The understanding with a trained model (from the model file, or
    /// [`Understanding::from_examples`]) and the labelled questions
    /// (category, text) the nearest-neighbour vote draws on.
    pub fn new(content: Arc<Content>, lexicon: load::Lexicon, models: Models, labelled: &[knn::Labelled]) -> Self {
        let tokenizer = Tokenizer::new(&lexicon.terms, &lexicon.synonyms);
        let Models { all: Model { vocab, bayes, logreg }, long } = models;
        let mut docs = Vec::new();
        for (i, f) in content.faq.iter().enumerate() {
            for q in std::iter::once(&f.question).chain(&f.alt) {
                docs.push((i, tokenizer.tokens(q)));
            }
        }
        let faq_pairs: Vec<Vec<HashSet<[char; 2]>>> = content
            .faq
            .iter()
            .map(|f| std::iter::once(&f.question).chain(&f.alt).map(|q| char_pairs(q)).collect())
            .collect();
        let pair_weight = PairWeights::new(faq_pairs.iter().flatten());
        let neighbours = knn::Neighbours::new(labelled);
        let respell = {
            let l = &lexicon;
            let words = l.terms.iter().chain(l.requires.values().flatten()).chain(l.synonyms.values());
            let faq_texts =
                content.faq.iter().flat_map(|f| std::iter::once(&f.question).chain(&f.alt).chain([&f.answer]));
            let corpus = labelled.iter().map(|x| &x.text).chain(faq_texts).chain(l.synonyms.keys());
            respell::Respeller::new(
                words.map(String::as_str),
                corpus.map(String::as_str),
                l.homophones.iter().map(String::as_str),
            )
        };
        Self {
            tokenizer,
            vocab,
            bayes,
            logreg,
            long,
            faq: Bm25::new(docs),
            neighbours,
            faq_pairs,
            pair_weight,
            respell,
            lexicon,
            content,
        }
    }

    /// The understanding trained from the examples alone (content without a
    /// model file: test fixtures, a deployment's own content).
    pub fn from_examples(content: Arc<Content>, lexicon: load::Lexicon, examples: &load::Examples) -> Self {
        let items = train::items(examples, &[], 1.0);
        let bytes = train::train_items(&lexicon, examples, &items);
        // Cannot fail: the bytes were written just now by the same code.
        let all = Model::from_bytes(&bytes).unwrap_or_else(|e| unreachable!("{e}"));
        let pool = train::neighbour_pool(examples, &[], &[]);
        Self::new(content, lexicon, Models { all, long: None }, &pool)
    }

    pub fn classify(&self, text: &str) -> Classification {
        self.classify_matter(text)
    }

    /// For a message about danger (`rest`: the message without its danger
    /// words): the categories to offer once the person is safe, the first
    /// to confirm when sure. A guess from a few words left over ("我现在就
    /// 想…") is no matter.
    pub fn matter(&self, rest: &str) -> (Vec<String>, bool) {
        let c = self.classify_matter(rest);
        let (resume, confident) = self.offered(&c);
        // Sure by probability, not merely the only kind left standing.
        let sure = c.confidence >= CONFIDENT || self.sure_enough(&c);
        if !sure && rest.chars().filter(|c| c.is_alphanumeric()).count() < MATTER_CHARS {
            return (Vec::new(), false);
        }
        (resume, confident)
    }

    /// What the chat puts before the person for `text` classified as `c`:
    /// the categories (one to confirm when `confident`, else up to three),
    /// what 都不是 offers, and the other matters the message raises (offered
    /// as 您还提到 buttons). With several matters the first of
    /// [`Understanding::matters`] (already happened, then the shortest
    /// period) is asked about first, when the whole message makes it
    /// plausible at all; `direct` when it is sure enough to be answered
    /// directly and has the words for it.
    pub fn chat_offer(&self, text: &str, c: &Classification) -> ChatOffer {
        let (mut categories, mut confident) = self.offered(c);
        let mut more = self.instead(c);
        let matters = self.matters(text);
        if let Some(first) = matters.first() {
            let plausible = c.top.iter().any(|(k, p)| k == first && *p >= UNSURE);
            if plausible && categories.first() != Some(first) {
                if !confident {
                    more.clear();
                }
                categories.retain(|k| k != first);
                categories.insert(0, first.clone());
                categories.truncate(1 + INSTEAD);
                confident = true;
            }
        }
        let others = matters.into_iter().filter(|m| categories.first() != Some(m)).take(MAX_OTHERS).collect();
        let direct = confident && categories.first() == Some(&c.category) && self.sure_enough(c);
        ChatOffer { categories, confident, direct, more, others }
    }

    /// The several matters one message raises ("手术做坏了，低保也取消了，
    /// 村干部还贪污"): its sentences and clauses classified on their own,
    /// each kind of matter recognised confidently in one of them, taken in
    /// the order their lawful periods run out: first those whose clause
    /// tells of something that already happened (the lexicon's `happened`
    /// words: 被辞退了, 收到决定 — its period may be running; 想申请低保 has
    /// none yet), then the shortest period first (see
    /// [`Content::first_period_days`]; without one last), else as written.
    /// Empty unless there are at least two; long letters are judged whole.
    pub fn matters(&self, text: &str) -> Vec<String> {
        if text.chars().count() >= LONG_POST {
            return Vec::new();
        }
        // Each kind once, with whether a clause of it tells of something
        // that already happened (its period may be running).
        let mut found: Vec<(String, bool)> = Vec::new();
        let clauses = text.split(['。', '！', '？', '；', '!', '?', ';', '\n', '，', ',']);
        for clause in
            clauses.map(str::trim).filter(|c| c.chars().filter(|c| c.is_alphanumeric()).count() >= MATTER_CHARS / 2)
        {
            let c = self.classify_matter(clause);
            let matter = !matches!(c.category.as_str(), "out_of_scope" | "legal_aid" | "xinfang_procedure");
            if !matter || c.confidence < CLAUSE_CONFIDENT {
                continue;
            }
            // The clause as read (typos of domain words read back).
            let read = c.respelled.as_deref().unwrap_or(clause);
            let has = |words: &[String]| words.iter().any(|w| read.contains(w.as_str()));
            let happened = has(&self.lexicon.happened) && !has(&self.lexicon.not_yet);
            match found.iter_mut().find(|(k, _)| *k == c.category) {
                Some(f) => f.1 |= happened,
                None => found.push((c.category, happened)),
            }
        }
        if found.len() < 2 {
            return Vec::new();
        }
        // Already running first, then the shortest period, then as written.
        found.sort_by_key(|(c, happened)| (!happened, self.content.first_period_days(c).unwrap_or(u32::MAX)));
        found.into_iter().map(|(c, _)| c).collect()
    }

    /// What a message is about.
    fn classify_matter(&self, text: &str) -> Classification {
        let read = self.respell.respell(text);
        let respelled = matches!(read, std::borrow::Cow::Owned(_)).then(|| read.to_string());
        let text: &str = &read;
        let norm = crate::engine::understand::normalize(text);
        let tokens = self.tokenizer.tokens(text);
        let mut top = self.rank(text, &tokens);
        // Long letters are judged by the models alone (with a model file,
        // which sets the length): few labelled questions are that long, and
        // a letter shares many characters with any of them (measured on
        // dev's 问政 posts: −2.9 points).
        let short = self.long.as_ref().is_none_or(|(n, _)| text.chars().count() < *n);
        if short && !top.is_empty() {
            let votes = self.neighbours.vote(text);
            if !votes.is_empty() {
                top = blend(&top, &votes, 1.0 - KNN_WEIGHT);
            }
        }
        top.retain(|(c, _)| {
            self.lexicon.requires.get(c).is_none_or(|words| words.iter().any(|w| norm.contains(w.as_str())))
        });
        // Legal facts override the statistics (e.g. 判决 + 生效 → judgment_dispute).
        let rule = self.lexicon.rules.iter().find(|r| r.all.iter().all(|w| norm.contains(w.as_str())));
        if let Some(rule) = rule {
            top.retain(|(c, _)| *c != rule.category);
            top.insert(0, (rule.category.clone(), 0.9));
        }
        self.prefer_legal_channel(&mut top);
        let (category, confidence) = top.first().cloned().unwrap_or_else(|| ("out_of_scope".into(), 0.0));
        // A FAQ entry answers only a question about its own kind of matter:
        // one of the likeliest three (the entry is shown directly only when
        // the question nearly says one of its phrasings, else offered).
        let likely: Vec<&str> = top.iter().take(FAQ_KINDS).map(|(c, _)| c.as_str()).collect();
        let matched = self.faq.best_share_where(&tokens, |i| likely.iter().any(|c| self.content.faq[i].answers(c)));
        // A rule's FAQ entry answers unless another matches the wording much
        // better ("上诉状交到哪个法院" is its own entry; "一审输了几天内上诉" the
        // appeal periods for every kind of case, not the criminal ones).
        let by_rule = rule
            .filter(|r| r.category == category)
            .and_then(|r| r.faq.as_deref())
            .and_then(|id| self.content.faq.iter().position(|f| f.id == id));
        let share = matched.map_or(0.0, |m| m.1);
        let (faq, faq_rule) = match (matched, by_rule) {
            (Some((i, s)), _) if s >= RULE_FAQ_SHARE => (Some(i), false),
            (_, Some(i)) => (Some(i), true),
            (Some((i, s)), None) if s >= FAQ_SHARE => (Some(i), false),
            _ => (None, false),
        };
        let pairs = char_pairs(text);
        let faq_sim = faq
            .and_then(|i| self.faq_pairs.get(i))
            .map_or(0.0, |phrasings| phrasings.iter().map(|p| self.pair_weight.dice(&pairs, p)).fold(0.0, f64::max));
        // Offered as a button only when it says at least a little of what
        // the question says (or a legal-fact rule names it).
        let faq = faq.filter(|_| faq_rule || faq_sim >= FAQ_OFFER_SIM);
        let direct = faq.is_some() && faq_sim >= FAQ_DIRECT_SIM;
        let also = self.also(&norm, &category).filter(|a| Some(*a) != faq);
        if also.is_some() {
            // The petitioning part is answered; its buttons would only repeat it.
            top.retain(|(c, _)| c != "xinfang_procedure");
        }
        Classification { category, confidence, top, faq, also, faq_share: share, faq_rule, direct, faq_sim, respelled }
    }

    /// The FAQ entry for petitioning about a matter, when the message speaks
    /// of petitioning too (the first `[[also]]` of the lexicon that fits).
    fn also(&self, norm: &str, category: &str) -> Option<usize> {
        let cat = self.content.directory.categories.get(category)?;
        if cat.channels.is_empty() || cat.channels.first().is_some_and(|c| c == "xinfang") {
            // No matter (greetings), or petitioning is the matter's own channel.
            return None;
        }
        let has = |words: &[String]| words.iter().any(|w| norm.contains(w.as_str()));
        let fits =
            |a: &&load::Also| (!a.legal || !cat.xinfang_ok) && has(&a.any) && (a.with.is_empty() || has(&a.with));
        let a = self.lexicon.also.iter().find(fits)?;
        self.content.faq.iter().position(|f| f.id == a.faq)
    }

    /// Category probabilities, best first: the naive Bayes and the logistic
    /// regression models averaged (each alone is 2–4 points worse on the
    /// development split than the two together). A post with a title line
    /// (问政 boards, mailbox letters) is also judged by its title, which
    /// names the matter, while a long body wanders.
    fn rank(&self, text: &str, tokens: &[String]) -> Vec<(String, f64)> {
        let m = self.model_for(text);
        let mut full = self.rank_features(m, &self.tokenizer.features_from(tokens.to_vec(), text));
        if !full.is_empty() {
            if let Some(votes) = self.sentence_votes(m, text) {
                full = blend(&full, &votes, 1.0 - SENTENCE_WEIGHT);
            }
        }
        match title(text) {
            Some(t) if !full.is_empty() => {
                let head = self.rank_features(m, &self.tokenizer.features(t));
                if head.is_empty() { full } else { blend(&full, &head, 1.0 - TITLE_WEIGHT) }
            }
            _ => full,
        }
    }

    /// For a long post: each sentence's ranking, averaged. A letter that
    /// tells its story at length mentions many things once (the developer,
    /// a lawsuit, the street office); the matter it is about comes back in
    /// sentence after sentence. `None` for short texts.
    fn sentence_votes(&self, m: ModelRef, text: &str) -> Option<Vec<(String, f64)>> {
        if text.chars().count() < LONG_POST {
            return None;
        }
        let sentences = text.split(['。', '！', '？', '；', '!', '?', ';', '\n']).filter(|s| s.chars().count() >= 6);
        let mut sum: Vec<(String, f64)> = Vec::new();
        let mut n = 0.0;
        for ranked in sentences.map(|s| self.rank_features(m, &self.tokenizer.features(s))).filter(|r| !r.is_empty()) {
            sum = if sum.is_empty() { ranked } else { blend(&sum, &ranked, n / (n + 1.0)) };
            n += 1.0;
        }
        (n >= 3.0).then_some(sum)
    }

    /// The model for this text: the examples alone for a text longer than
    /// any real question learned from, else the model of everything.
    fn model_for(&self, text: &str) -> ModelRef<'_> {
        match &self.long {
            Some((n, m)) if text.chars().count() >= *n => (&m.vocab, &m.bayes, &m.logreg),
            _ => (&self.vocab, &self.bayes, &self.logreg),
        }
    }

    fn rank_features(&self, (vocab, bayes, logreg): ModelRef, features: &[String]) -> Vec<(String, f64)> {
        // Single characters are never evidence alone: a message needs a
        // known word or pair.
        let Some(rows) = vocab.rows(features) else { return Vec::new() };
        let nb = bayes.rank(&rows);
        let lr = logreg.rank(&rows);
        if nb.is_empty() || lr.is_empty() {
            return Vec::new();
        }
        blend(&nb, &lr, 0.5)
    }

    /// The content this understanding was built for.
    pub fn content(&self) -> &Content {
        &self.content
    }

    /// The tokens the FAQ index sees (for `classify --explain` and debugging).
    pub fn tokens(&self, text: &str) -> Vec<String> {
        self.tokenizer.tokens(text)
    }

    pub fn faq_id(&self, i: usize) -> &str {
        self.content.faq.get(i).map(|f| f.id.as_str()).unwrap_or("")
    }

    /// 诉访分离: when the best guess would send the person to 信访 first but
    /// a matter that belongs to a legal procedure is also plausible, the legal
    /// procedure wins — recommending 信访 for a 涉法涉诉 matter is the error
    /// that costs people their deadlines.
    fn prefer_legal_channel(&self, top: &mut Vec<(String, f64)>) {
        let cats = &self.content.directory.categories;
        let xinfang_first = |c: &str| cats.get(c).is_some_and(|x| x.channels.first().is_some_and(|f| f == "xinfang"));
        let legal = |c: &str| cats.get(c).is_some_and(|x| !x.xinfang_ok && !x.channels.is_empty());
        if let Some(best) = top.first().filter(|(c, _)| xinfang_first(c)).map(|(_, p)| *p) {
            if let Some(i) = top.iter().take(4).position(|(c, p)| legal(c) && *p >= LEGAL_SHARE * best) {
                let chosen = top.remove(i);
                top.insert(0, chosen);
            }
        }
    }

    /// The categories a chat offers for this classification, and whether it
    /// is sure enough to ask about the best one first ("…，对吗？", the next
    /// `INSTEAD` likeliest following should the person say no; answered directly when
    /// [`Understanding::sure_enough`]), or it is the only plausible one; else up to three
    /// plausible ones as buttons (see [`Understanding::instead`] for what
    /// 都不是 offers then). Not a matter at all (greetings, chat): none.
    pub fn offered(&self, c: &Classification) -> (Vec<String>, bool) {
        if c.category == "out_of_scope" {
            return (Vec::new(), false);
        }
        let matters = c.top.iter().filter(|(cat, _)| cat != "out_of_scope");
        // Sure enough to answer directly, or the only kind likely at all
        // ("请选一个最接近的" over one button reads oddly): asked about.
        let alone = matters.clone().filter(|(_, p)| *p >= UNSURE).count() == 1;
        if c.confidence >= CONFIDENT || self.sure_enough(c) || alone {
            // After a "no" the next two are worth a button however unlikely
            // they looked before (measured: right channel after one 不是
            // 90.0% → 90.8% on the held-out half, with a 0.12 floor).
            let others = matters.filter(|(cat, _)| *cat != c.category).take(INSTEAD).map(|(cat, _)| cat.clone());
            return (std::iter::once(c.category.clone()).chain(others).collect(), true);
        }
        (matters.filter(|(_, p)| *p >= UNSURE).take(3).map(|(cat, _)| cat.clone()).collect(), false)
    }

    /// Whether `c` is recognised surely enough to be answered directly: its
    /// kind is listed under `[direct]` and this likely (thresholds chosen by
    /// cross-validation, `benches/choose_direct.py`), and has the words for
    /// it (`direct` in the directory) and an entry.
    pub fn sure_enough(&self, c: &Classification) -> bool {
        let has_words = self.content.directory.categories.get(&c.category).is_some_and(|x| x.direct.is_some())
            && self.content.category_entry.contains_key(c.category.as_str());
        has_words && self.lexicon.direct.get(&c.category).is_some_and(|from| c.confidence >= *from)
    }

    /// When the chat offers buttons (not a guess to confirm): the next
    /// likeliest categories, however unlikely, that 都不是 offers before the
    /// menu (cross-validated over train_real: a right channel after one 不是
    /// 95.6% → 98.2%). Empty for a confident guess (its runners-up are in
    /// [`Understanding::offered`]).
    pub fn instead(&self, c: &Classification) -> Vec<String> {
        let (shown, confident) = self.offered(c);
        if confident || shown.is_empty() {
            return Vec::new();
        }
        let rest = c.top.iter().filter(|(cat, _)| cat != "out_of_scope" && !shown.contains(cat));
        rest.take(INSTEAD).map(|(cat, _)| cat.clone()).collect()
    }

    /// First lawful channels for a category (taxonomy order).
    pub fn channels(&self, category: &str) -> Vec<String> {
        self.content.directory.categories.get(category).map(|c| c.channels.clone()).unwrap_or_default()
    }
}

/// A model's parts, borrowed.
type ModelRef<'a> = (&'a Vocab, &'a Bayes, &'a logreg::LogReg);

/// Fewest letters a message about danger needs besides its danger words for
/// an unsure guess at its matter to be offered once the person is safe.
const MATTER_CHARS: usize = 8;

/// A 涉法涉诉 category within this share of the best (信访-first) category's
/// probability takes the lead: close calls go to the legal procedure.
const LEGAL_SHARE: f64 = 0.5;

/// Weight of the nearest-neighbour vote beside the models' ranking.
/// 5-fold CV over train_real + STARD (first channel, train_real rows /
/// STARD rows): 0 → 76.6 / 82.9 %, 0.2 → 77.2 / 84.5, 0.4 → 78.4 / 85.6,
/// 0.7 → 78.6 / 86.5, 1 (the vote alone) → 75.8 / 85.1.
pub const KNN_WEIGHT: f64 = 0.4;

/// Posts at least this long (characters) are also judged sentence by sentence.
const LONG_POST: usize = 200;

/// Weight of the sentences' averaged ranking in a long post.
const SENTENCE_WEIGHT: f64 = 0.5;

/// Weight of the title line's own ranking in a post with a title.
const TITLE_WEIGHT: f64 = 0.3;

/// The first line of a multi-line message when it reads as a title (short,
/// followed by a longer body).
fn title(text: &str) -> Option<&str> {
    let (head, body) = text.trim().split_once('\n')?;
    let head = head.trim();
    let n = head.chars().count();
    ((4..=60).contains(&n) && body.chars().count() > n).then_some(head)
}

/// `w·a + (1−w)·b` per category, best first.
fn blend(a: &[(String, f64)], b: &[(String, f64)], w: f64) -> Vec<(String, f64)> {
    let mut out: Vec<(String, f64)> = a
        .iter()
        .map(|(c, p)| {
            let q = b.iter().find(|(d, _)| d == c).map_or(0.0, |x| x.1);
            (c.clone(), w * p + (1.0 - w) * q)
        })
        .collect();
    out.sort_by(|x, y| y.1.total_cmp(&x.1));
    out
}

/// Compiled content and the understanding built from it.
pub type Loaded = (Arc<Content>, Arc<Understanding>);

/// Loads dialogs, FAQ, directory and understanding content from `root`,
/// reporting every problem; both parts only when there are no errors.
pub fn load_all(root: &std::path::Path) -> (Option<Loaded>, crate::content::Diagnostics) {
    let (content, mut diags) = crate::content::load(root);
    let Some(content) = content.map(Arc::new) else { return (None, diags) };
    let u = build(root, content.clone(), &mut diags);
    diags.sort();
    (u.map(|u| (content, Arc::new(u))), diags)
}

/// Loads the understanding content beside `content` and builds the index.
pub fn build(
    root: &std::path::Path,
    content: Arc<Content>,
    diags: &mut crate::content::Diagnostics,
) -> Option<Understanding> {
    let cats: Vec<String> = content.directory.categories.keys().cloned().collect();
    let faqs: Vec<String> = content.faq.iter().map(|f| f.id.clone()).collect();
    let (lexicon, examples) = load::load(root, &cats, Some(&faqs), diags)?;
    let mut silent: Vec<(&String, usize)> = lexicon
        .direct
        .keys()
        .filter(|c| content.directory.categories.get(*c).is_some_and(|x| x.direct.is_none()))
        .map(|c| (c, lexicon.direct_lines.get(c).copied().unwrap_or(1)))
        .collect();
    silent.sort();
    for (c, line) in silent {
        let msg =
            format!("[direct] lists {c}, which has no `direct` words in config/directory.toml: asked about instead");
        diags.warning(&root.join(load::LEXICON), line, crate::content::diag::Kind::Invalid, msg);
    }
    match train::load_model(root, &examples, diags) {
        Some(Ok(model)) => {
            let labelled = match train::repo_rows(root, 1.0) {
                Ok(rows) => train::neighbour_pool(&examples, &rows, &cats),
                Err(e) => {
                    let msg = format!("labelled questions for the nearest-neighbour vote: {e:#}");
                    diags.error(&root.join(train::REPO_REAL_DIR), 1, crate::content::diag::Kind::Invalid, msg);
                    return None;
                }
            };
            let mut classes = model.all.classes();
            classes.extend(model.long.iter().flat_map(|(_, m)| m.classes()));
            let unknown: Vec<String> = classes.into_iter().filter(|c| !cats.contains(c)).collect();
            if !unknown.is_empty() {
                let msg = format!("the model knows categories the directory does not: {}", unknown.join(", "));
                diags.error(&root.join(train::MODEL_BIN), 1, crate::content::diag::Kind::UnknownCategory, msg);
                return None;
            }
            Some(Understanding::new(content, lexicon, model, &labelled))
        }
        Some(Err(e)) => {
            diags.error(&root.join(train::MODEL_BIN), 1, crate::content::diag::Kind::Invalid, e);
            None
        }
        None => Some(Understanding::from_examples(content, lexicon, &examples)),
    }
}

/// `Plain` for buttons, numbers and commands; the classifier for the rest.
pub struct Smart {
    pub understanding: Arc<Understanding>,
}

impl Understand for Smart {
    fn interpret(&self, content: &Content, node: &Node, text: &str) -> Intent {
        let u = &self.understanding;
        let plain = Plain.interpret(content, node, text);
        let waits_for_value = matches!(&node.kind, NodeKind::Ask { input, .. } if !matches!(input, Input::Choice(_)));
        if plain != Intent::Other || waits_for_value || text.trim().is_empty() {
            return plain;
        }
        let c = u.classify(text);
        if c.category == "out_of_scope" && c.faq.is_none() {
            // Greetings and chat: the dialog's own reply (menu or "not understood").
            return Intent::Other;
        }
        let matter = match c.faq {
            Some(faq) if c.direct => {
                // 不是这个: the entry's own kind of matter first (its route
                // may still fit), then the next likeliest.
                let own = content.faq.get(faq).and_then(|f| f.category.clone());
                let (offered, _) = u.offered(&c);
                let mut more: Vec<String> = own.into_iter().collect();
                for x in offered {
                    if !more.contains(&x) {
                        more.push(x);
                    }
                }
                more.retain(|x| content.category_entry.contains_key(x));
                Intent::Faq { faq, more }
            }
            _ => {
                let ChatOffer { categories, confident, direct, more, others } = u.chat_offer(text, &c);
                let ask = match (categories.is_empty(), c.faq) {
                    (true, None) => Intent::Lost,
                    (_, faq) => Intent::Suggest { categories, confident, direct, more, faq },
                };
                if others.is_empty() { ask } else { Intent::Several { first: Box::new(ask), others } }
            }
        };
        match c.also {
            Some(faq) => Intent::Also { faq, then: Box::new(matter) },
            None => matter,
        }
    }

    fn matter(&self, _content: &Content, text: &str) -> (Vec<String>, bool) {
        self.understanding.matter(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_first_line_over_a_longer_body_is_a_title() {
        assert_eq!(title("某小区停水问题\n我们小区这个月已经停水三次，没有任何通知。"), Some("某小区停水问题"));
        assert_eq!(title("  某小区停水问题  \n我们小区这个月已经停水三次。\n"), Some("某小区停水问题"));
        assert_eq!(title("老板欠我三个月工资不给"), None, "one line");
        assert_eq!(title("某小区停水问题很严重\n停水了"), None, "the body is shorter");
        assert_eq!(title("好\n我们小区这个月已经停水三次"), None, "too short to name a matter");
        assert_eq!(title(&format!("{}\n{}", "长".repeat(61), "正文".repeat(100))), None, "too long for a title");
    }

    #[test]
    fn blending_weighs_each_ranking_and_sorts() {
        let a = vec![("labor".to_string(), 0.8), ("consumer".to_string(), 0.2)];
        let b = vec![("consumer".to_string(), 0.9), ("labor".to_string(), 0.1)];
        let m = blend(&a, &b, 0.3);
        assert_eq!(m[0].0, "consumer");
        assert!((m[0].1 - (0.3 * 0.2 + 0.7 * 0.9)).abs() < 1e-9);
        assert!((m[1].1 - (0.3 * 0.8 + 0.7 * 0.1)).abs() < 1e-9);
    }
}
