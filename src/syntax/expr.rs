//! Landscape expressions (`1 - 0.8 * exp(-sqnorm(theta - [-1, 0]))`) from the
//! parse tree into the syntax tree.

use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};
use std::sync::LazyLock;

use super::ast::{BinOp, Expr, ExprKind, Span};
use super::parse::{Rule, ident, span};

static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::add, Assoc::Left) | Op::infix(Rule::sub, Assoc::Left))
        .op(Op::infix(Rule::mul, Assoc::Left) | Op::infix(Rule::div, Assoc::Left))
        .op(Op::prefix(Rule::neg))
        .op(Op::infix(Rule::pow, Assoc::Right))
        .op(Op::postfix(Rule::index))
});

/// An expression of `theta`, by precedence climbing over the flat list the
/// grammar gives (`+ -` < `* /` < unary `-` < `^` (right) < indexing).
pub(super) fn expr(p: Pair<Rule>) -> Expr {
    PRATT
        .map_primary(|p| {
            let sp = span(&p);
            let kind = match p.as_rule() {
                Rule::unsigned => ExprKind::Number(p.as_str().parse().unwrap_or(f64::NAN)),
                Rule::variable => ExprKind::Variable(p.as_str().to_string()),
                Rule::vector_expr => ExprKind::Vector(p.into_inner().map(expr).collect()),
                Rule::call => {
                    let mut inner = p.into_inner();
                    let name = ident(inner.next().expect("function name"));
                    ExprKind::Call(name, inner.map(expr).collect())
                }
                Rule::expr => return expr(p),
                other => unreachable!("not an expression: {other:?}"),
            };
            Expr { kind, span: sp }
        })
        .map_prefix(|op, rhs| Expr {
            span: Span::new(op.as_span().start(), rhs.span.end),
            kind: ExprKind::Neg(Box::new(rhs)),
        })
        .map_postfix(|lhs, op| {
            let end = op.as_span().end();
            let i = op.into_inner().next().map(|n| n.as_str().parse().unwrap_or(usize::MAX));
            Expr { span: Span::new(lhs.span.start, end), kind: ExprKind::Index(Box::new(lhs), i.unwrap_or(usize::MAX)) }
        })
        .map_infix(|lhs, op, rhs| {
            let op = match op.as_rule() {
                Rule::add => BinOp::Add,
                Rule::sub => BinOp::Sub,
                Rule::mul => BinOp::Mul,
                Rule::div => BinOp::Div,
                _ => BinOp::Pow,
            };
            Expr {
                span: Span::new(lhs.span.start, rhs.span.end),
                kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
            }
        })
        .parse(p.into_inner())
}
