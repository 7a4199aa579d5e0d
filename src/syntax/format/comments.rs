//! The comments of a source text. The grammar's COMMENT rule is silent, so
//! comments never reach the pest tree: the formatter finds them here, by a
//! scan that skips strings (a `//` inside `"..."` is not a comment).

/// One `//` or `/* */` comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// Byte offset of its first character.
    pub start: usize,
    /// Byte offset just past it (before the newline of a line comment).
    pub end: usize,
    /// Code precedes it on its line: it stays at the end of that line.
    pub trailing: bool,
}

impl Comment {
    /// Its text as it will be written: a line comment without trailing blanks.
    pub fn text<'a>(&self, source: &'a str) -> &'a str {
        let text = &source[self.start..self.end];
        if text.starts_with("//") { text.trim_end() } else { text }
    }
}

/// Every comment of `source`, in order.
pub(crate) fn scan(source: &str) -> Vec<Comment> {
    let bytes = source.as_bytes();
    let mut comments = vec![];
    // Whether code was seen since the last newline, i.e. a comment here would trail it.
    let mut code_on_line = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                code_on_line = false;
                i += 1;
            }
            b'"' => {
                i = string_end(bytes, i);
                code_on_line = true;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let end = source[i..].find('\n').map_or(source.len(), |n| i + n);
                comments.push(Comment { start: i, end, trailing: code_on_line });
                i = end;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let end = source[i + 2..].find("*/").map_or(source.len(), |n| i + 2 + n + 2);
                comments.push(Comment { start: i, end, trailing: code_on_line });
                if source[i..end].contains('\n') {
                    code_on_line = false;
                }
                i = end;
            }
            b' ' | b'\t' | b'\r' => i += 1,
            _ => {
                code_on_line = true;
                i += 1;
            }
        }
    }
    comments
}

/// Just past the string starting at `start` (strings end at `"` or, broken, at a newline).
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            b'\n' => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(source: &str) -> Vec<(&str, bool)> {
        scan(source).iter().map(|c| (c.text(source), c.trailing)).collect()
    }

    #[test]
    fn finds_line_and_block_comments_and_where_they_sit() {
        let src = "// head\nscenario x { // after brace\n  /* own */ seeds 1 /* mid */\n}\n";
        assert_eq!(
            texts(src),
            [("// head", false), ("// after brace", true), ("/* own */", false), ("/* mid */", true)]
        );
    }

    #[test]
    fn slashes_inside_strings_are_not_comments() {
        let src = "data mnist(\"http://x/*y\") // real\n";
        assert_eq!(texts(src), [("// real", true)]);
    }

    #[test]
    fn a_comment_after_a_multi_line_block_comment_is_on_its_own_line() {
        let src = "seeds 1 /* a\n b */ // c\n";
        assert_eq!(texts(src), [("/* a\n b */", true), ("// c", false)]);
    }
}
