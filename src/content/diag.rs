//! Problems found in content, each with file and line.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// The kinds of problem `check` reports. Fixture files in
/// `tests/fixtures/broken/` show each one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The file is not valid TOML or has unknown or missing fields.
    Syntax,
    /// A reference names a node that does not exist.
    DanglingNode,
    /// No path from any entry point leads to the node.
    Unreachable,
    /// A node that waits for input offers no way forward.
    NoWayForward,
    UnknownChannel,
    UnknownCategory,
    /// A slot is read where no path can have set it.
    SlotBeforeSet,
    DuplicateId,
    EmptyText,
    /// Contact data still holds a placeholder (warning).
    Placeholder,
    /// A route recommends 信访 first for a category that belongs to a legal procedure.
    XinfangFirst,
    /// A route has no final rule without conditions.
    NoDefaultRule,
    /// Any other invalid value (unknown node kind, bad input type, bad date).
    Invalid,
    /// A reference to a time limit that `config/deadlines.toml` does not define.
    UnknownPeriod,
    /// A text states a time limit it does not declare, declares one it does
    /// not state, or states one without citing the article that sets it.
    PeriodMismatch,
    /// The article a time limit cites does not state that period (`check --laws`).
    PeriodNotInArticle,
    /// A citation names an article, paragraph or item its law does not have
    /// (`check --laws`).
    BadCitation,
    /// A cited law is not in the statute folder, so its citations could not
    /// be checked (warning, `check --laws`).
    UncheckedLaw,
    /// The understanding's model file was trained from other content files
    /// than the ones beside it (warning: retrain).
    StaleModel,
    /// A card prints its channel's general 怎么找 line for a case the line
    /// was not written for.
    HowMismatch,
}

impl Kind {
    /// What the kind of problem is, in Chinese (the message says it in English).
    pub fn zh(self) -> &'static str {
        match self {
            Kind::Syntax => "TOML 写法有误或字段不对",
            Kind::DanglingNode => "引用的节点不存在",
            Kind::Unreachable => "从开始节点或任何入口都走不到这个节点",
            Kind::NoWayForward => "菜单没有任何选项，无路可走",
            Kind::UnknownChannel => "未知的渠道 id",
            Kind::UnknownCategory => "未知的类别 id",
            Kind::SlotBeforeSet => "读取了尚未设置的槽位",
            Kind::DuplicateId => "id 重复",
            Kind::EmptyText => "文字为空",
            Kind::Placeholder => "联系方式仍是占位（待核实）",
            Kind::XinfangFirst => "属于法定途径的类别被建议先走信访",
            Kind::NoDefaultRule => "路由缺少没有条件的兜底规则",
            Kind::Invalid => "取值无效",
            Kind::UnknownPeriod => "引用的期限在 deadlines.toml 中不存在",
            Kind::PeriodMismatch => "文字中的期限与声明或引用的条文不一致",
            Kind::PeriodNotInArticle => "引用的条文没有规定这个期限",
            Kind::BadCitation => "引用的条、款、项不存在",
            Kind::UncheckedLaw => "法律文本不在法条目录中，未能核对",
            Kind::StaleModel => "理解模型不是用现在的内容训练的，请重新训练",
            Kind::HowMismatch => "卡片会印出不适合本情形的渠道通用“怎么找”",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Kind::Syntax => "syntax",
            Kind::DanglingNode => "dangling-node",
            Kind::Unreachable => "unreachable",
            Kind::NoWayForward => "no-way-forward",
            Kind::UnknownChannel => "unknown-channel",
            Kind::UnknownCategory => "unknown-category",
            Kind::SlotBeforeSet => "slot-before-set",
            Kind::DuplicateId => "duplicate-id",
            Kind::EmptyText => "empty-text",
            Kind::Placeholder => "placeholder",
            Kind::XinfangFirst => "xinfang-first",
            Kind::NoDefaultRule => "no-default-rule",
            Kind::Invalid => "invalid",
            Kind::UnknownPeriod => "unknown-period",
            Kind::PeriodMismatch => "period-mismatch",
            Kind::PeriodNotInArticle => "period-not-in-article",
            Kind::BadCitation => "bad-citation",
            Kind::UncheckedLaw => "unchecked-law",
            Kind::StaleModel => "stale-model",
            Kind::HowMismatch => "how-mismatch",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub line: usize,
    pub severity: Severity,
    pub kind: Kind,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{}:{}: {sev}[{}]: {}", self.file.display(), self.line, self.kind.code(), self.message)?;
        write!(f, "（{}）", self.kind.zh())
    }
}

/// A loaded source file, for turning byte offsets into line numbers.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: PathBuf,
    pub text: String,
}

impl Source {
    pub fn line(&self, span: Range<usize>) -> usize {
        let end = span.start.min(self.text.len());
        self.text.as_bytes()[..end].iter().filter(|b| **b == b'\n').count() + 1
    }
}

/// Collects every problem; never stops at the first.
#[derive(Debug, Default)]
pub struct Diagnostics {
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn error(&mut self, file: &Path, line: usize, kind: Kind, message: impl Into<String>) {
        self.push(file, line, Severity::Error, kind, message.into());
    }

    pub fn warning(&mut self, file: &Path, line: usize, kind: Kind, message: impl Into<String>) {
        self.push(file, line, Severity::Warning, kind, message.into());
    }

    fn push(&mut self, file: &Path, line: usize, severity: Severity, kind: Kind, message: String) {
        self.items.push(Diagnostic { file: file.to_path_buf(), line, severity, kind, message });
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter().filter(|d| d.severity == Severity::Error)
    }

    pub fn sort(&mut self) {
        self.items.sort_by(|a, b| (&a.file, a.line, a.severity).cmp(&(&b.file, b.line, b.severity)));
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.items {
            writeln!(f, "{d}")?;
        }
        Ok(())
    }
}
