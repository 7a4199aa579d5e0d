//! Byte offsets (what the parser and miette use) ↔ LSP positions (line, and
//! character counted in UTF-16 code units, the protocol's default).

use lsp_types::{Position, Range};

/// The LSP position (line, UTF-16 character) of byte `offset`, moved back to a character boundary.
pub fn position(text: &str, offset: usize) -> Position {
    let offset = floor_char_boundary(text, offset);
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let character: usize = before[line_start..].chars().map(char::len_utf16).sum();
    Position::new(line as u32, character as u32)
}

/// The LSP range of the bytes from `start` to `end` (an `end` before `start` counts as `start`).
pub fn range(text: &str, start: usize, end: usize) -> Range {
    Range::new(position(text, start), position(text, end.max(start)))
}

/// The byte offset of a position; past the end of a line is its end, past the last line the text's end.
pub(crate) fn offset(text: &str, pos: Position) -> usize {
    let mut line_start = 0;
    for _ in 0..pos.line {
        match text[line_start..].find('\n') {
            Some(i) => line_start += i + 1,
            None => return text.len(),
        }
    }
    let line_end = text[line_start..].find('\n').map_or(text.len(), |i| line_start + i);
    let mut units = 0;
    for (i, c) in text[line_start..line_end].char_indices() {
        if units >= pos.character as usize {
            return line_start + i;
        }
        units += c.len_utf16();
    }
    line_end
}

fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut i = offset.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_utf16_units_after_wide_characters() {
        // `×` is 2 bytes in UTF-8 and 1 unit in UTF-16; `𝜃` is 4 bytes and 2 units.
        let text = "model m = (3,32×32)-L(10)\n// 𝜃 x\n";
        let x = text.rfind('x').unwrap();
        assert_eq!(position(text, x), Position::new(1, 6));
        assert_eq!(offset(text, Position::new(1, 6)), x);
        let l = text.find('L').unwrap();
        assert_eq!(position(text, l), Position::new(0, 20));
        assert_eq!(offset(text, Position::new(0, 20)), l);
    }

    #[test]
    fn positions_past_the_end_are_clamped() {
        let text = "ab\ncd";
        assert_eq!(offset(text, Position::new(0, 99)), 2);
        assert_eq!(offset(text, Position::new(9, 0)), text.len());
        assert_eq!(position(text, 99), Position::new(1, 2));
    }
}
