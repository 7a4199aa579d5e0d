//! Landscape expressions after checking: no spans, every name known.

use serde::Serialize;

/// A checked landscape expression of `theta`, as the task compiles it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Expr {
    Number(f64),
    Vector(Vec<Expr>),
    Theta,
    Neg(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Call(Func, Vec<Expr>),
    Index(Box<Expr>, usize),
}

/// The functions an expression may call, with their arity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Func {
    Exp,
    Log,
    Sqrt,
    Sqnorm,
    Norm,
    Dot,
    Sum,
}

impl Func {
    /// Each function with its name in a `.byz` file and its number of arguments.
    pub const ALL: [(&'static str, Func, usize); 7] = [
        ("exp", Func::Exp, 1),
        ("log", Func::Log, 1),
        ("sqrt", Func::Sqrt, 1),
        ("sqnorm", Func::Sqnorm, 1),
        ("norm", Func::Norm, 1),
        ("dot", Func::Dot, 2),
        ("sum", Func::Sum, 1),
    ];

    /// Whether the function reduces a vector to a scalar.
    pub(crate) fn reduces(self) -> bool {
        matches!(self, Func::Sqnorm | Func::Norm | Func::Dot | Func::Sum)
    }
}

/// `+`, `-`, `*`, `/`, `^`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
}
