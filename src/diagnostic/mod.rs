//! Diagnostics: what is wrong, in the user's words, pointing at the words.
//! A leaf module: every stage reports through it, and it knows none of them.

use miette::{Diagnostic, LabeledSpan, NamedSource, Severity, SourceCode};
use std::sync::Arc;
use thiserror::Error;

pub mod code;

pub use crate::source::{SourceFile, Span};
pub use code::Code;

/// One error (or warning) at one place of one file.
#[derive(Debug, Error)]
#[error("{message}")]
pub struct Diag {
    pub message: String,
    pub src: NamedSource<Arc<String>>,
    pub span: miette::SourceSpan,
    pub label: String,
    pub help: Option<String>,
    /// What kind of mistake this is (`E0005`, explained by `byz explain`), or
    /// a warning's kind (`degenerate`). An error stops the file from running;
    /// a warning says that a setting makes the experiment test less than it
    /// names (`--deny-warnings` makes it an error).
    pub code: Code,
}

impl Diag {
    /// The diagnostic for tools (`byz check --format json`): severity, message,
    /// file, line and column of its start (from 1; columns in characters),
    /// label, help, the code (`E0005`, or a warning's kind) and a warning's kind.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        let text: &str = self.src.inner();
        let start = self.span.offset().min(text.len());
        let start = (0..=start).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
        let before = &text[..start];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        serde_json::json!({
            "severity": if self.is_warning() { "warning" } else { "error" },
            "message": self.message,
            "file": self.src.name(),
            "line": before.matches('\n').count() + 1,
            "column": before[line_start..].chars().count() + 1,
            "label": self.label,
            "help": self.help,
            "code": self.code.id(),
            "kind": self.warning_kind(),
        })
    }

    /// An error of kind `code` at `span` of `src`, without a label or help yet.
    pub fn new(code: Code, src: &SourceFile, span: Span, message: impl Into<String>) -> Self {
        Diag {
            message: message.into(),
            src: NamedSource::new(src.name.clone(), src.text.clone()),
            span: span.into(),
            label: String::new(),
            help: None,
            code,
        }
    }

    /// A warning of a kind the registry declares (`degenerate`) at `span`.
    pub fn warning(src: &SourceFile, span: Span, kind: &'static str, message: impl Into<String>) -> Self {
        Diag::new(Code::Warning(kind), src, span, message)
    }

    /// Whether this is a warning rather than an error.
    pub fn is_warning(&self) -> bool {
        self.warning_kind().is_some()
    }

    /// A warning's kind (`degenerate`), which `allow` names to accept it.
    pub fn warning_kind(&self) -> Option<&'static str> {
        match self.code {
            Code::Warning(kind) => Some(kind),
            _ => None,
        }
    }

    /// A data set the file names is not at hand: an error for running here,
    /// not for listing, collecting or estimating runs (`Need::Plan`).
    pub(crate) fn is_missing_data(&self) -> bool {
        self.code == Code::DataMissing
    }

    /// The same diagnostic with `label` written at its span.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// The same diagnostic with `help`: how to fix it.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// Written out rather than derived: the severity is the diagnostic's own.
impl Diagnostic for Diag {
    fn severity(&self) -> Option<Severity> {
        Some(if self.is_warning() { Severity::Warning } else { Severity::Error })
    }

    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(self.code.id()))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        match (&self.help, self.warning_kind()) {
            // A warning also says how to accept it when the setting is meant.
            (Some(h), Some(kind)) => Some(Box::new(format!("{h}; if it is meant, say so with `allow {kind}`"))),
            (h, _) => h.as_ref().map(|h| Box::new(h) as Box<dyn std::fmt::Display>),
        }
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.src)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(Some(self.label.clone()), self.span))))
    }
}

/// All the errors found in one check, reported together (with the file's
/// warnings, if any).
#[derive(Debug, Error, Diagnostic)]
#[error("{} found", count(.errors))]
pub struct Errors {
    #[related]
    pub errors: Vec<Diag>,
}

/// A check's warnings, when it found no error.
#[derive(Debug, Error, Diagnostic)]
#[error("{} found", count(.warnings))]
#[diagnostic(severity(Warning))]
pub struct Warnings {
    #[related]
    pub warnings: Vec<Diag>,
}

/// `2 errors`, `1 warning`, `1 error and 2 warnings`.
fn count(diags: &[Diag]) -> String {
    let plural = |n: usize, what: &str| if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") };
    let warnings = diags.iter().filter(|d| d.is_warning()).count();
    let errors = diags.len() - warnings;
    match (errors, warnings) {
        (e, 0) => plural(e, "error"),
        (0, w) => plural(w, "warning"),
        (e, w) => format!("{} and {}", plural(e, "error"), plural(w, "warning")),
    }
}

impl Warnings {
    /// The warnings as they are printed (see `Diag::shown`).
    pub fn shown(self) -> Warnings {
        Warnings { warnings: self.warnings.into_iter().map(Diag::shown).collect() }
    }
}

impl From<Diag> for Errors {
    fn from(d: Diag) -> Self {
        Errors { errors: vec![d] }
    }
}

impl Errors {
    /// The errors as they are printed: long lines cut around each error (see `Diag::shown`).
    pub fn shown(self) -> Errors {
        Errors { errors: self.errors.into_iter().map(Diag::shown).collect() }
    }
}

/// Lines longer than this are cut when a diagnostic is printed.
const MAX_SHOWN_LINE: usize = 160;
/// Characters kept on each side of the error on a cut line.
const SHOWN_AROUND: usize = 60;

impl Diag {
    /// This diagnostic for printing: every line of its source longer than
    /// `MAX_SHOWN_LINE` is cut (the error's line to a window around the
    /// error, others to their start), and the span moves with the cut, so
    /// that a megabyte-long line is not printed whole. Line numbers stay.
    /// Only for printing: the language server needs the true offsets.
    pub fn shown(self) -> Diag {
        let text = self.src.inner().clone();
        if !text.split('\n').any(|l| l.len() > MAX_SHOWN_LINE) {
            return self;
        }
        let (start, len) = (self.span.offset(), self.span.len());
        let end = start + len;
        let floor = |mut i: usize| {
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            i
        };
        let mut out = String::with_capacity(MAX_SHOWN_LINE * 8);
        let (mut new_start, mut new_end) = (0, 0);
        let mut o = 0;
        for line in text.split_inclusive('\n') {
            let body = line.trim_end_matches('\n');
            let here = o <= start && start <= o + body.len();
            if body.len() <= MAX_SHOWN_LINE && !here {
                out.push_str(line);
            } else if here {
                let from = floor(start.saturating_sub(SHOWN_AROUND).max(o));
                let to = floor((end.max(start) + SHOWN_AROUND).min(o + body.len()));
                if from > o {
                    out.push('…');
                }
                new_start = out.len() + (start - from);
                new_end = out.len() + (end.min(to) - from);
                out.push_str(&text[from..to]);
                if to < o + body.len() {
                    out.push('…');
                }
                out.push_str(&line[body.len()..]);
            } else {
                out.push_str(&body[..floor_in(body, SHOWN_AROUND)]);
                out.push('…');
                out.push_str(&line[body.len()..]);
            }
            o += line.len();
        }
        let name = self.src.name().to_string();
        Diag {
            src: NamedSource::new(name, Arc::new(out)),
            span: (new_start, new_end.max(new_start) - new_start).into(),
            ..self
        }
    }
}

impl Diag {
    /// A copy of this diagnostic as `shown` prints it.
    pub(crate) fn clone_shown(&self) -> Diag {
        Diag {
            message: self.message.clone(),
            src: NamedSource::new(self.src.name(), self.src.inner().clone()),
            span: self.span,
            label: self.label.clone(),
            help: self.help.clone(),
            code: self.code,
        }
        .shown()
    }
}

/// How many of `diags` are errors: resolution steps compare it before and
/// after, so that a warning never stops a plan from being built.
pub(crate) fn error_count(diags: &[Diag]) -> usize {
    diags.iter().filter(|d| !d.is_warning()).count()
}

/// The largest char boundary of `s` at or below `i`.
fn floor_in(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Renders diagnostics as plain text without colour (for tests and pipes).
pub fn render_plain(errors: &[Diag]) -> String {
    let handler = miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor()).with_width(100);
    let mut out = String::new();
    for e in errors {
        // Writing into a String cannot fail.
        let _ = handler.render_report(&mut out, &e.clone_shown());
    }
    out
}

/// The closest known name to `name`, for "did you mean" hints.
pub(crate) fn did_you_mean<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    known
        .into_iter()
        .map(|k| (strsim::osa_distance(name, k), k))
        .filter(|(d, k)| *d <= (k.len().max(name.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let known = ["krum", "cm", "tm", "gm", "multikrum"];
        assert_eq!(did_you_mean("krun", known), Some("krum"));
        assert_eq!(did_you_mean("bulyan", known), None);
    }
}
