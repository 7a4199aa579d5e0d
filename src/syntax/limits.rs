//! Limits that keep every stage's recursion shallow, whatever the input:
//! pest's parser recurses once per bracket, and the Pratt parser, the
//! checker, the formatter, the language server and the compiled loss all
//! recurse once per operator. A file past these limits gets a diagnostic at
//! the place instead of a stack overflow. Real files stay far below them:
//! the papers' landscapes nest 3 levels and use a dozen operators.

use pest::iterators::Pair;

use super::ast::Span;
use super::parse::Rule;
use crate::diagnostic::{Code, Diag, SourceFile};

/// Brackets (`(`, `[`, `{`) open at once.
pub const MAX_NESTING: usize = 64;

/// Operators (`+ - * / ^`, unary minus, `[i]`) in one expression, nested ones included.
pub const MAX_OPERATORS: usize = 1000;

/// The first bracket nested deeper than `MAX_NESTING`, found by a scan that
/// skips comments and strings, before pest parses the text.
pub(crate) fn nesting(src: &SourceFile) -> Result<(), Box<Diag>> {
    let bytes = src.text.as_bytes();
    let (mut depth, mut i) = (0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i += bytes[i..].iter().position(|b| *b == b'\n').unwrap_or(bytes.len() - i);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2 + src.text[i + 2..].find("*/").map_or(bytes.len() - i - 2, |e| e + 2);
                continue;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(Box::new(
                        Diag::new(
                            Code::Limit,
                            src,
                            Span::new(i, i + 1),
                            format!("nested too deeply (limit {MAX_NESTING})"),
                        )
                        .label(format!("bracket {depth} levels deep"))
                        .help("write the expression or value with fewer nested brackets"),
                    ));
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// The first expression of the file with more than `MAX_OPERATORS` operators.
pub fn operators(src: &SourceFile, file: &Pair<Rule>) -> Result<(), Box<Diag>> {
    for loss in file.clone().into_inner().flatten().filter(|p| p.as_rule() == Rule::honest_loss) {
        let Some(expr) = loss.clone().into_inner().find(|p| p.as_rule() == Rule::expr) else { continue };
        let ops = expr
            .clone()
            .into_inner()
            .flatten()
            .filter(|p| {
                matches!(
                    p.as_rule(),
                    Rule::add | Rule::sub | Rule::mul | Rule::div | Rule::pow | Rule::neg | Rule::index
                )
            })
            .count();
        if ops > MAX_OPERATORS {
            let s = expr.as_span();
            return Err(Box::new(
                Diag::new(
                    Code::Limit,
                    src,
                    Span::new(s.start(), s.start()),
                    format!("expression too long: {ops} operators (limit {MAX_OPERATORS})"),
                )
                .label("this expression")
                .help("split the loss into fewer terms, e.g. with `sum`, `sqnorm` or `dot` over vectors"),
            ));
        }
    }
    Ok(())
}
