//! 有帮助 / 没帮助 and comments on an answer, and messages over the limit:
//! said and recorded where the conversation stands; the node stays.

use super::choice::ChoiceId;
use super::mask;
use super::render::nav_choices;
use super::reply::{ChoiceOut, Feedback, Reply};
use super::{MAX_COMMENT_CHARS, Turn};

impl Turn<'_> {
    /// Records feedback on where the conversation stands; the node stays.
    /// After 没帮助 without a comment, the next message is taken as the
    /// comment (or 不填了 skips it).
    pub(super) fn feedback(&mut self, helpful: Option<bool>, comment: Option<&str>) {
        let t = &self.content.texts;
        let comment: Option<String> = comment
            .map(|c| mask::mask(c.trim()).chars().filter(|c| !c.is_control()).take(MAX_COMMENT_CHARS).collect())
            .filter(|c: &String| !c.is_empty());
        let mut choices = Vec::new();
        let text = match (&comment, helpful) {
            (Some(_), _) => t.comment_thanks.clone(),
            (None, Some(false)) => {
                self.s.wants_comment = true;
                choices.push(ChoiceOut { id: ChoiceId::SkipComment, label: t.comment_skip_label.clone() });
                t.feedback_ask.clone()
            }
            (None, _) => t.feedback_thanks.clone(),
        };
        choices.extend(self.away_choices());
        self.replies.push(Reply { choices, ..Reply::plain(text) });
        self.feedback = Some(Feedback { helpful, comment });
    }

    /// 不填了 after 没帮助.
    pub(super) fn skip_comment(&mut self) {
        let choices = self.away_choices();
        self.replies.push(Reply { choices, ..Reply::plain(self.content.texts.comment_skipped.clone()) });
    }

    /// 返回上一步 (away from the start) and 回到菜单.
    fn away_choices(&self) -> Vec<ChoiceOut> {
        let [back, menu] = nav_choices(self.content);
        if self.current_ix() == self.content.start { vec![menu] } else { vec![back, menu] }
    }

    /// A message over the limit: said so, nothing of it taken; the node stays.
    pub(super) fn too_long(&mut self, text: &str, max: usize) {
        self.matched = false;
        let msg = self
            .content
            .texts
            .too_long
            .replace("{max}", &max.to_string())
            .replace("{chars}", &text.chars().count().to_string());
        self.reoffer(&msg);
    }
}
