//! Landscape expressions: names, function arity and shapes. A loss must be
//! a number; `theta` is a vector of the model's dimension.

use crate::diagnostic::{Code, Diag, SourceFile, did_you_mean};
use crate::plan::{Expr, Func};
use crate::syntax::ast::{self, BinOp, ExprKind};

/// What an expression evaluates to: a number or a vector of some length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Scalar,
    Vector(usize),
}

impl Shape {
    /// The shape in words, for messages: "a vector of 2".
    pub(crate) fn describe(self) -> String {
        match self {
            Shape::Scalar => "a number".into(),
            Shape::Vector(d) => format!("a vector of {d}"),
        }
    }
}

/// Checks one expression; `dim` is the length of `theta`.
pub fn check(e: &ast::Expr, dim: usize, src: &SourceFile, errors: &mut Vec<Diag>) -> Option<(Expr, Shape)> {
    let fail = |errors: &mut Vec<Diag>, code: Code, msg: String, label: &str, help: String| {
        errors.push(Diag::new(code, src, e.span, msg).label(label).help(help));
        None
    };
    match &e.kind {
        ExprKind::Number(x) => Some((Expr::Number(*x), Shape::Scalar)),
        ExprKind::Variable(name) if name == "theta" => Some((Expr::Theta, Shape::Vector(dim))),
        ExprKind::Variable(name) => {
            let help = match did_you_mean(name, ["theta"]) {
                Some(_) => "did you mean `theta`?".into(),
                None => "a loss is an expression of `theta`, the model".into(),
            };
            fail(errors, Code::Unknown, format!("unknown name `{name}`"), "not defined", help)
        }
        ExprKind::Vector(items) => {
            let checked: Vec<_> = items.iter().map(|i| check(i, dim, src, errors)).collect();
            let mut out = vec![];
            for (item, c) in items.iter().zip(checked) {
                let (x, shape) = c?;
                if shape != Shape::Scalar {
                    errors.push(
                        Diag::new(Code::Shape, src, item.span, "a vector's entries must be numbers")
                            .label(shape.describe())
                            .help("write the entries one by one, e.g. `theta[0]`"),
                    );
                    return None;
                }
                out.push(x);
            }
            let len = out.len();
            Some((Expr::Vector(out), Shape::Vector(len)))
        }
        ExprKind::Neg(x) => {
            let (x, s) = check(x, dim, src, errors)?;
            Some((Expr::Neg(Box::new(x)), s))
        }
        ExprKind::Binary(op, a, b) => binary(e, *op, a, b, dim, src, errors),
        ExprKind::Call(name, args) => call(e, name, args, dim, src, errors),
        ExprKind::Index(x, i) => {
            let (x, s) = check(x, dim, src, errors)?;
            match s {
                Shape::Vector(d) if *i < d => Some((Expr::Index(Box::new(x), *i), Shape::Scalar)),
                Shape::Vector(d) => fail(
                    errors,
                    Code::Shape,
                    format!("index {i} is out of range for a vector of {d}"),
                    "out of range",
                    format!("indices start at 0: use 0 to {}", d.saturating_sub(1)),
                ),
                Shape::Scalar => fail(
                    errors,
                    Code::Shape,
                    "only a vector can be indexed".into(),
                    "a number",
                    "remove the `[..]`".into(),
                ),
            }
        }
    }
}

fn binary(
    e: &ast::Expr,
    op: BinOp,
    a: &ast::Expr,
    b: &ast::Expr,
    dim: usize,
    src: &SourceFile,
    errors: &mut Vec<Diag>,
) -> Option<(Expr, Shape)> {
    let left = check(a, dim, src, errors);
    let right = check(b, dim, src, errors);
    let ((xa, sa), (xb, sb)) = (left?, right?);
    if op == BinOp::Pow && !matches!(xb, Expr::Number(_)) {
        errors.push(
            Diag::new(Code::WrongValue, src, b.span, "an exponent must be a number")
                .label("not a plain number")
                .help("write e.g. `(theta[0] - 1)^2`"),
        );
        return None;
    }
    let shape = match (sa, sb) {
        (Shape::Scalar, s) | (s, Shape::Scalar) => s,
        (Shape::Vector(x), Shape::Vector(y)) if x == y => sa,
        _ => {
            errors.push(
                Diag::new(Code::Shape, src, e.span, format!("cannot combine {} with {}", sa.describe(), sb.describe()))
                    .label("lengths differ")
                    .help(format!("`theta` has {dim} entries; give vectors of the same length")),
            );
            return None;
        }
    };
    Some((Expr::Binary(op, Box::new(xa), Box::new(xb)), shape))
}

fn call(
    e: &ast::Expr,
    name: &ast::Ident,
    args: &[ast::Expr],
    dim: usize,
    src: &SourceFile,
    errors: &mut Vec<Diag>,
) -> Option<(Expr, Shape)> {
    let Some(&(_, func, arity)) = Func::ALL.iter().find(|(n, _, _)| *n == name.name) else {
        let d = Diag::new(Code::Unknown, src, name.span, format!("unknown function `{}`", name.name))
            .label("not a function");
        errors.push(match did_you_mean(&name.name, Func::ALL.iter().map(|(n, _, _)| *n)) {
            Some(f) => d.help(format!("did you mean `{f}`?")),
            None => d.help(format!(
                "the functions are {}",
                Func::ALL.iter().map(|(n, _, _)| format!("`{n}`")).collect::<Vec<_>>().join(", ")
            )),
        });
        return None;
    };
    if args.len() != arity {
        errors.push(
            Diag::new(
                Code::WrongValue,
                src,
                e.span,
                format!("`{}` takes {arity} argument(s), not {}", name.name, args.len()),
            )
            .label("wrong number of arguments")
            .help(format!("write `{}({})`", name.name, if arity == 2 { "a, b" } else { "x" })),
        );
        return None;
    }
    let checked: Vec<_> = args.iter().map(|a| check(a, dim, src, errors)).collect::<Option<_>>()?;
    let shapes: Vec<Shape> = checked.iter().map(|(_, s)| *s).collect();
    if func == Func::Dot && shapes[0] != shapes[1] {
        errors.push(
            Diag::new(
                Code::Shape,
                src,
                e.span,
                format!(
                    "`dot` needs two vectors of the same length, not {} and {}",
                    shapes[0].describe(),
                    shapes[1].describe()
                ),
            )
            .label("lengths differ")
            .help("pass two vectors of the same length"),
        );
        return None;
    }
    let shape = if func.reduces() { Shape::Scalar } else { shapes[0] };
    Some((Expr::Call(func, checked.into_iter().map(|(x, _)| x).collect()), shape))
}
