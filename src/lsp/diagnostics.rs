//! The checker's diagnostics, as `byz check` reports them, for an open document.

use lsp_types::{Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Uri};
use std::path::Path;

use super::position::range;
use crate::check::{self, Diag, SourceFile};
use crate::syntax::ast::{Item, Span, UseTarget};

/// Checks the document's text as it is in the editor; `use` paths resolve
/// relative to `path`. An error found in an imported file is shown on the
/// `use` that imports it (at the top when it came in further down), with
/// that file's name.
pub fn diagnostics(uri: &Uri, path: &Path, text: &str) -> Vec<Diagnostic> {
    let src = SourceFile::new(path.display().to_string(), text);
    let dir = path.parent();
    // A checker bug must not take the editor's server down with it.
    let checked = std::panic::catch_unwind(|| check::check_text(&src, dir, check::Need::Run));
    let errors = match checked {
        Ok(Ok(c)) => c.warnings,
        Ok(Err(errors)) => errors.errors,
        Err(_) => return vec![plain(range(text, 0, 0), "byz could not check this file (internal error)".into())],
    };
    let imports = imports(&src, dir);
    errors.iter().map(|d| diagnostic(uri, &src, &imports, d)).collect()
}

/// The source name (as the loader names it) and the span of each `use` of the document.
fn imports(src: &SourceFile, dir: Option<&Path>) -> Vec<(String, Span)> {
    let Ok(file) = crate::syntax::parse_file(src) else { return vec![] };
    let dir = dir.unwrap_or(Path::new("."));
    file.items
        .iter()
        .filter_map(|item| match item {
            Item::Use(u) => Some(match &u.target {
                UseTarget::Module(parts) => (format!("<{}>", parts.join(".")), u.span),
                UseTarget::Path(p) => (dir.join(p).display().to_string(), u.span),
            }),
            _ => None,
        })
        .collect()
}

fn diagnostic(uri: &Uri, src: &SourceFile, imports: &[(String, Span)], d: &Diag) -> Diagnostic {
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    if d.src.name() != src.name {
        let at = imports.iter().find(|(name, _)| name == d.src.name()).map_or(Span::default(), |(_, span)| *span);
        let mut diagnostic = plain(range(&src.text, at.start, at.end), format!("in {}: {message}", d.src.name()));
        if d.is_warning() {
            diagnostic.severity = Some(DiagnosticSeverity::WARNING);
        }
        return diagnostic;
    }
    let (start, len) = (d.span.offset(), d.span.len());
    let at = range(&src.text, start, start + len);
    let mut diagnostic = plain(at, message);
    diagnostic.code = Some(NumberOrString::String(d.code.id().into()));
    if d.is_warning() {
        diagnostic.severity = Some(DiagnosticSeverity::WARNING);
    }
    if !d.label.is_empty() {
        diagnostic.related_information = Some(vec![DiagnosticRelatedInformation {
            location: Location::new(uri.clone(), at),
            message: d.label.clone(),
        }]);
    }
    diagnostic
}

fn plain(range: lsp_types::Range, message: String) -> Diagnostic {
    Diagnostic {
        range,
        severity: Some(DiagnosticSeverity::ERROR),
        source: Some("byz".into()),
        message,
        ..Default::default()
    }
}
