//! Diagnostics: what is wrong, in the user's words, pointing at the words.

use miette::{Diagnostic, NamedSource};
use std::sync::Arc;
use thiserror::Error;

use crate::syntax::ast::Span;

/// One source file: its name as shown to the user and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub text: Arc<String>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        SourceFile { name: name.into(), text: Arc::new(text.into()) }
    }
}

/// One error at one place of one file.
#[derive(Debug, Error, Diagnostic)]
#[error("{message}")]
pub struct Diag {
    pub message: String,
    #[source_code]
    pub src: NamedSource<Arc<String>>,
    #[label("{label}")]
    pub span: miette::SourceSpan,
    pub label: String,
    #[help]
    pub help: Option<String>,
    /// A data set the file names is not at hand: an error for running here,
    /// not for listing, collecting or estimating runs (`Need::Plan`).
    pub missing_data: bool,
}

impl Diag {
    pub fn new(src: &SourceFile, span: Span, message: impl Into<String>) -> Self {
        Diag {
            message: message.into(),
            src: NamedSource::new(src.name.clone(), src.text.clone()),
            span: span.into(),
            label: String::new(),
            help: None,
            missing_data: false,
        }
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// All the errors found in one check, reported together.
#[derive(Debug, Error, Diagnostic)]
#[error("{} found", count(.errors.len()))]
pub struct Errors {
    #[related]
    pub errors: Vec<Diag>,
}

fn count(n: usize) -> String {
    if n == 1 { "1 error".into() } else { format!("{n} errors") }
}

impl From<Diag> for Errors {
    fn from(d: Diag) -> Self {
        Errors { errors: vec![d] }
    }
}

/// Renders diagnostics as plain text without colour (for tests and pipes).
pub fn render_plain(errors: &[Diag]) -> String {
    let handler = miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor()).with_width(100);
    let mut out = String::new();
    for e in errors {
        // Writing into a String cannot fail.
        let _ = handler.render_report(&mut out, e);
    }
    out
}

/// The closest known name to `name`, for "did you mean" hints.
pub fn did_you_mean<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
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
