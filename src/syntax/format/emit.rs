//! Laid-out lines plus the source's comments → the formatted text.
//!
//! Each line knows the source offset of its first word (`lo`); lines come in
//! source order. A comment with code before it on its source line goes at the
//! end of the line that holds that code; any other comment goes on its own
//! line before the first line that starts after it.

use super::comments::Comment;

/// Whether a line opens or closes a block, which decides the blank lines and comments around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Plain,
    /// Ends with `{` or `[`: no blank line right after it.
    Open,
    /// Starts with `}` or `]`: no blank line right before it, and comments
    /// just before it belong inside the block.
    Close,
}

/// One laid-out line of the formatted file, before the comments are placed.
#[derive(Debug, Clone)]
pub struct Line {
    pub indent: usize,
    pub text: String,
    /// Source offset of the line's first word.
    pub lo: usize,
    pub kind: LineKind,
    /// The first line of a top-level item that gets a blank line before it
    /// (before its leading comments).
    pub item_start: bool,
}

/// One level of indentation: two spaces.
pub const INDENT: &str = "  ";

/// The formatted text: `lines` with the comments of `source` placed among them.
pub(crate) fn emit(source: &str, lines: &[Line], comments: &[Comment]) -> String {
    // leading[i]: own-line comments before line i (the last entry: after every line).
    let mut leading: Vec<Vec<&Comment>> = vec![vec![]; lines.len() + 1];
    let mut trailing: Vec<Vec<&Comment>> = vec![vec![]; lines.len()];
    let mut i = 0;
    for c in comments {
        while i < lines.len() && lines[i].lo < c.start {
            i += 1;
        }
        if c.trailing && i > 0 {
            trailing[i - 1].push(c);
        } else {
            leading[i].push(c);
        }
    }

    let mut out = Out { text: String::new(), last: None };
    for (i, line) in lines.iter().enumerate() {
        let comment_indent = if line.kind == LineKind::Close { line.indent + 1 } else { line.indent };
        let mut forced = line.item_start;
        for c in &leading[i] {
            out.separate(forced || blank_before(source, c.start), false);
            out.write(comment_indent, c.text(source), LineKind::Plain);
            forced = false;
        }
        let blank = forced || blank_before(source, line.lo);
        out.separate(blank, line.kind == LineKind::Close);
        let mut text = line.text.clone();
        for c in &trailing[i] {
            text.push(' ');
            text.push_str(c.text(source));
        }
        out.write(line.indent, &text, line.kind);
    }
    for c in &leading[lines.len()] {
        out.separate(blank_before(source, c.start), false);
        out.write(0, c.text(source), LineKind::Plain);
    }
    out.text
}

struct Out {
    text: String,
    /// The kind of the last line written, if any.
    last: Option<LineKind>,
}

impl Out {
    /// At most one blank line, never at the start of the file or of a block, nor before a closing line.
    fn separate(&mut self, blank: bool, closing: bool) {
        if blank && !closing && self.last.is_some_and(|k| k != LineKind::Open) {
            self.text.push('\n');
        }
    }

    fn write(&mut self, indent: usize, text: &str, kind: LineKind) {
        for _ in 0..indent {
            self.text.push_str(INDENT);
        }
        self.text.push_str(text);
        self.text.push('\n');
        self.last = Some(kind);
    }
}

/// Whether the blanks just before `pos` hold an empty line.
fn blank_before(source: &str, pos: usize) -> bool {
    let before = &source[..pos];
    let blanks = before.len() - before.trim_end_matches([' ', '\t', '\r', '\n']).len();
    before[before.len() - blanks..].matches('\n').count() >= 2
}
