//! Danger recognition: does a message speak of self-harm, of violence
//! happening to the writer now, of a threat to harm others, or of someone
//! else in danger? A pure component beside the classifier, with its own
//! data (`dialogs/danger/`): exact rules over word sets with gaps, words
//! found by their sound ([`crate::pinyin`]), and a small learned model for
//! what the rules do not spell out. The engine asks it first, for every
//! text a person sends, at every node and on every channel.
//!
//! - [`normal`]: the text as it is read (blanks, full-width, case).
//! - [`rules`]: the rules file compiled; who is in danger (subject, object);
//!   `prefilter` finds where each rule can start, in one pass.
//! - [`model`]: the learned part and its file.
//! - [`load`]: reading `dialogs/danger/` with file:line problems.
//! - [`train`]: training, cross-validation and scoring, for the CLI.
//!
//! An [`Assessment`] is either `Full` (the reply for its kind) or `Check`
//! (ask once whether the person is safe): the bot never stays silent and
//! never answers a worrying message with a category picker.

pub mod load;
pub mod model;
pub mod normal;
mod prefilter;
pub mod rules;
pub mod train;

use normal::Normal;
use std::ops::Range;

/// The kinds of danger, in the order one wins over another when a message
/// speaks of several: a person attacked now needs 110 first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Violence or captivity happening now to the writer (110/120).
    ViolenceNow,
    /// Someone else in danger now: the writer reports it (120/110 first).
    OtherAtRisk,
    /// The writer threatens to harm others.
    HarmOthers,
    /// The writer speaks of harming themself.
    SelfHarm,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::SelfHarm, Kind::ViolenceNow, Kind::HarmOthers, Kind::OtherAtRisk];

    pub fn id(self) -> &'static str {
        match self {
            Kind::SelfHarm => "self_harm",
            Kind::ViolenceNow => "violence_now",
            Kind::HarmOthers => "harm_others",
            Kind::OtherAtRisk => "other_at_risk",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.id() == s)
    }
}

/// How sure the recogniser is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Unsure: ask once whether the person is safe.
    Check,
    /// The reply for the kind, at once.
    Full,
}

/// What the recogniser made of a message that speaks of danger.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub kind: Kind,
    pub level: Level,
    /// Self-harm is spoken of too (the emergency reply then adds the care
    /// line and 12356).
    pub self_harm_too: bool,
    /// The model's probability that the message is about danger.
    pub score: f32,
    /// What raised it: rules (`rules.toml:LINE`), `sound:` when found by
    /// sound, or `model`. A check-in is not repeated for the same cue.
    pub cue: String,
    /// Byte ranges of the original text that speak of the danger.
    pub spans: Vec<Range<usize>>,
}

/// The keys of `[danger_entry]` in `dialogs/commands.toml`: one node per
/// reply the recogniser can ask for.
pub const ENTRIES: [&str; 6] =
    ["self_harm", "violence_now", "violence_now_self_harm", "harm_others", "other_at_risk", "check"];

impl Assessment {
    /// The key of `[danger_entry]` in `dialogs/commands.toml` whose node
    /// answers this assessment.
    pub fn entry(&self) -> &'static str {
        match (self.level, self.kind) {
            (Level::Check, _) => "check",
            (Level::Full, Kind::ViolenceNow) if self.self_harm_too => "violence_now_self_harm",
            (Level::Full, k) => k.id(),
        }
    }

    /// The text without the words that spoke of danger (to read what else
    /// the message is about).
    pub fn rest(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        let mut spans = self.spans.clone();
        spans.sort_by_key(|r| r.start);
        for r in spans {
            if r.start >= at && r.end <= text.len() && text.is_char_boundary(r.start) && text.is_char_boundary(r.end) {
                out.push_str(&text[at..r.start]);
                out.push('，');
                at = r.end;
            }
        }
        out.push_str(text.get(at..).unwrap_or_default());
        out
    }
}

/// Model probabilities from which the model alone raises a full reply or a
/// check-in (`[model]` of `rules.toml`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub full: f32,
    pub check: f32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self { full: 0.9, check: 0.5 }
    }
}

/// The recogniser: rules, words by sound and the model.
#[derive(Debug, Default)]
pub struct Recognizer {
    rules: rules::Rules,
    model: Option<model::Model>,
    thresholds: Thresholds,
}

/// The model's probability for a text respelled by sound from which the
/// homophones are believed (a check-in is asked).
const SOUND_SUPPORT: f32 = 0.3;

/// Fewest letters (Chinese characters, latin letters, digits) of a message
/// the model reads.
const MODEL_MIN_CHARS: usize = 6;

fn letters(n: &Normal) -> usize {
    n.chars.iter().filter(|c| c.is_alphanumeric()).count()
}

/// Longest text read (characters): a letter longer than this is read in
/// its first part and its last part.
const MAX_READ: usize = 20_000;

impl Recognizer {
    pub fn new(rules: rules::Rules, model: Option<model::Model>, thresholds: Thresholds) -> Self {
        Self { rules, model, thresholds }
    }

    pub fn thresholds(&self) -> Thresholds {
        self.thresholds
    }

    /// Whether it can recognise anything (content without `dialogs/danger/`
    /// has an empty one).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.model.is_none()
    }

    /// The text respelled where words were found by their sound, when that
    /// is to be believed: pinyin typed in latin letters ("想si", "zisha"),
    /// or homophones the model too reads as danger once respelled (两个儿子分摊
    /// sounds like 自焚, and is not).
    fn respell(&self, n: &Normal) -> Option<Normal> {
        let found = self.rules.by_sound(n);
        if found.is_empty() {
            return None;
        }
        let mut r = n.clone();
        for (range, w) in found.iter().rev() {
            r = r.replaced(range.clone(), w);
        }
        let typed_pinyin = found.iter().any(|(range, _)| n.chars[range.clone()].iter().any(char::is_ascii_alphabetic));
        let believed = typed_pinyin || self.model.as_ref().is_none_or(|m| m.read(&r).danger >= SOUND_SUPPORT);
        believed.then_some(r)
    }

    /// The model's reading of a text, if there is a model (for `danger assess`).
    pub fn model_reading(&self, text: &str) -> Option<model::Reading> {
        let n = self.rules.blank_harmless(&Normal::new(text));
        self.model.as_ref().map(|m| m.read(&n))
    }

    /// The text as the rules read it when respelled by sound, if any word
    /// was found by its sound (for `danger assess`).
    pub fn respelled(&self, text: &str) -> Vec<String> {
        let n = self.rules.blank_harmless(&Normal::new(text));
        let found = self.rules.by_sound(&n);
        found.into_iter().map(|(r, w)| format!("{}→{w}", n.chars[r].iter().collect::<String>())).collect()
    }

    /// What the message says of danger, if anything.
    pub fn assess(&self, text: &str) -> Option<Assessment> {
        let n = Normal::new(text);
        let n = if n.chars.len() > MAX_READ { cut_middle(&n) } else { n };
        let n = self.rules.blank_harmless(&n);
        let mut hits: Vec<(rules::Hit, Level, &Normal)> =
            self.rules.hits(&n).into_iter().map(|h| (h.clone(), h.level, &n)).collect();
        let respelled = if hits.iter().any(|(_, l, _)| *l == Level::Full) { None } else { self.respell(&n) };
        if let Some(r) = &respelled {
            for h in self.rules.hits(r) {
                // Found only by sound: ask rather than assume.
                if !hits.iter().any(|(x, _, _)| x.rule == h.rule && x.kind == h.kind) {
                    hits.push((rules::Hit { rule: format!("sound:{}", h.rule), ..h }, Level::Check, r));
                }
            }
        }
        // A few characters are too little for the model to go on ("算了",
        // "好了"): short messages are read by the rules alone.
        let reading = self.model.as_ref().filter(|_| letters(&n) >= MODEL_MIN_CHARS).map(|m| m.read(&n));
        let score = reading.map_or(0.0, |r| r.danger);
        let t = self.thresholds;
        // Lawful action in the message (我要去上访): the model alone never
        // gives a full reply, and asks only from halfway between its two
        // thresholds.
        let lawful = reading.is_some() && hits.is_empty() && self.rules.is_lawful(&n);
        let (full_at, check_at) = if lawful { (f32::INFINITY, (t.check + t.full) / 2.0) } else { (t.full, t.check) };
        let by_model = reading.and_then(|r| {
            let level = if r.danger >= full_at {
                Level::Full
            } else if r.danger >= check_at {
                Level::Check
            } else {
                return None;
            };
            r.kind.map(|(k, _)| (k, level))
        });
        let level = hits.iter().map(|(_, l, _)| *l).chain(by_model.map(|(_, l)| l)).max()?;
        // The kind: the first kind (in order of urgency) found at that level.
        let at_level = hits.iter().filter(|(_, l, _)| *l == level);
        let kind = at_level
            .clone()
            .map(|(h, _, _)| h.kind)
            .min()
            .or_else(|| by_model.filter(|(_, l)| *l == level).map(|(k, _)| k))?;
        let cue = at_level
            .clone()
            .find(|(h, _, _)| h.kind == kind)
            .map_or_else(|| format!("model:{}", kind.id()), |(h, _, _)| h.rule.clone());
        let self_harm_too =
            hits.iter().any(|(h, _, _)| h.kind == Kind::SelfHarm) || reading.is_some_and(|r| r.self_harm >= t.check);
        let spans = hits.iter().map(|(h, _, n)| n.original(h.chars.clone())).filter(|r| !r.is_empty()).collect();
        Some(Assessment { kind, level, self_harm_too, score, cue, spans })
    }
}

/// A very long text's first and last parts (danger is most often said at
/// the start or at the end of a long letter).
fn cut_middle(n: &Normal) -> Normal {
    let half = MAX_READ / 2;
    let tail = n.chars.len() - half;
    let mut chars = n.chars[..half].to_vec();
    let mut from = n.from[..half].to_vec();
    chars.push('\n');
    from.push(n.from[half].clone());
    chars.extend_from_slice(&n.chars[tail..]);
    from.extend_from_slice(&n.from[tail..]);
    Normal { chars, from }
}
