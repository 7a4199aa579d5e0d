//! Hover on a component's name: the text of `byz explain NAME`.

use lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind};

use super::position::range;
use crate::registry;

/// The `byz explain` text of the component named at `offset`, if there is one.
pub fn hover(text: &str, offset: usize) -> Option<Hover> {
    let (start, end) = word_at(text, offset)?;
    let explained = registry::explain_name(&text[start..end])?;
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: format!("```text\n{explained}```"),
        }),
        range: Some(range(text, start, end)),
    })
}

/// The name (letters, digits, `_`) around `offset`, as byte offsets.
pub(crate) fn word_at(text: &str, offset: usize) -> Option<(usize, usize)> {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let offset = offset.min(text.len());
    if !text.is_char_boundary(offset) {
        return None;
    }
    let start = text[..offset].trim_end_matches(is_name).len();
    let end = offset + (text[offset..].len() - text[offset..].trim_start_matches(is_name).len());
    (start < end).then_some((start, end))
}
