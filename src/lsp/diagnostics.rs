//! The checker's diagnostics, as `byz check` reports them, for an open document.

use lsp_types::{Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location, Uri};
use std::path::Path;

use super::position::range;
use crate::check::{self, Diag, SourceFile};

/// Checks the document's text as it is in the editor; `use` paths resolve
/// relative to `path`. Errors found in an imported file are shown at the top
/// of the document, with that file's name.
pub fn diagnostics(uri: &Uri, path: &Path, text: &str) -> Vec<Diagnostic> {
    let src = SourceFile::new(path.display().to_string(), text);
    let dir = path.parent();
    // A checker bug must not take the editor's server down with it.
    let checked = std::panic::catch_unwind(|| check::check_source(&src, dir).err());
    let errors = match checked {
        Ok(None) => return vec![],
        Ok(Some(errors)) => errors.errors,
        Err(_) => return vec![plain(range(text, 0, 0), "byz could not check this file (internal error)".into())],
    };
    errors.iter().map(|d| diagnostic(uri, &src, d)).collect()
}

fn diagnostic(uri: &Uri, src: &SourceFile, d: &Diag) -> Diagnostic {
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    if d.src.name() != src.name {
        return plain(range(&src.text, 0, 0), format!("in {}: {message}", d.src.name()));
    }
    let (start, len) = (d.span.offset(), d.span.len());
    let at = range(&src.text, start, start + len);
    let mut diagnostic = plain(at, message);
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
