//! The syntax tree of a `.byz` file: what was written, with the byte span of
//! every piece, before any name is resolved or any value checked.

use std::fmt;

pub use crate::source::Span;

/// A name as written, with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A parsed `.byz` file: its items in order.
#[derive(Debug, Clone, PartialEq)]
pub struct File {
    pub items: Vec<Item>,
}

/// A top-level item: a `use` line, a `scenario` or `base`, or a `model` declaration.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Use(Use),
    Decl(Decl),
    Model(ModelDecl),
}

/// `model NAME = (1,28,28)-C(32)-R-...`.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelDecl {
    pub name: Ident,
    pub spec: ModelSpec,
    pub span: Span,
}

/// The compact notation of 001 Table 2: input shape, then layers such as `C(32)`, `R`, `L(10)`.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSpec {
    pub shape: Vec<usize>,
    pub shape_span: Span,
    pub layers: Vec<LayerSpec>,
    pub span: Span,
}

/// One layer of the compact notation, such as `C(32)` or `R`: its letter and its argument, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerSpec {
    pub name: String,
    pub arg: Option<f64>,
    pub span: Span,
}

/// `model NAME` or `model SPEC` in a scenario.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelRef {
    Named(Ident),
    Spec(ModelSpec),
}

/// `use std.models` or `use "pieces.byz"`.
#[derive(Debug, Clone, PartialEq)]
pub struct Use {
    pub target: UseTarget,
    pub span: Span,
}

/// What `use` names: a standard-library module (`std.models`) or a file path relative to the using file.
#[derive(Debug, Clone, PartialEq)]
pub enum UseTarget {
    Module(Vec<String>),
    Path(String),
}

/// A `scenario` (runnable) or a `base` (a reusable piece that scenarios extend).
#[derive(Debug, Clone, PartialEq)]
pub struct Decl {
    pub kind: DeclKind,
    pub name: Ident,
    pub extends: Option<Ident>,
    pub sections: Vec<Section>,
    pub span: Span,
}

/// Whether a declaration is a runnable `scenario` or a `base`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeclKind {
    Scenario,
    Base,
}

/// One section of a declaration, such as `workers { ... }`, with its spans.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub kind: SectionKind,
    /// The section's keyword, for diagnostics about the section as a whole.
    pub keyword: Span,
    pub span: Span,
}

/// A section's content, by its keyword.
#[derive(Debug, Clone, PartialEq)]
pub enum SectionKind {
    Seeds(Value),
    Data(Component),
    Model(ModelRef),
    Task(Task),
    /// `workers { honest 12 }`, `train { lr 0.1 }`: a section of settings,
    /// named by its first word (the checker looks the name up).
    Block(Ident, Vec<Setting>),
    Aggregate(Pipeline),
    Attack(Attack),
    Report(Report),
    Sweep(Vec<SweepAxis>),
    Table(Table),
    Expect(Vec<Expectation>),
    /// `allow degenerate, single_seed`: warnings accepted as meant.
    Allow(Vec<Ident>),
}

/// `table { rows aggregate; columns attack; value max accuracy }`: mean ± 95% CI over seeds.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub rows: Vec<FieldPath>,
    pub columns: Vec<FieldPath>,
    /// `worst FIELD`: each cell reduced to the worst over this swept field (one line at most).
    pub worst: Vec<FieldPath>,
    /// `best FIELD`: then to the best over this one (ByzFL's worst-case tuning; one line at most).
    pub best: Vec<FieldPath>,
    /// A statistic of a recorded metric, e.g. `max accuracy`.
    pub value: Option<Statistic>,
}

/// `max accuracy` or `mean loss from step 100`: a statistic of a recorded
/// metric over the steps from `from` (step 1 when not given).
#[derive(Debug, Clone, PartialEq)]
pub struct Statistic {
    pub stat: Ident,
    pub metric: Ident,
    /// `from step N`: the first step looked at, and where it is written.
    pub from: Option<(u64, Span)>,
}

/// `workers.heterogeneity.alpha`: a swept field, named in a table.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldPath {
    pub path: Vec<Ident>,
    pub span: Span,
}

impl FieldPath {
    /// The path as written, joined by dots: `workers.heterogeneity.alpha`.
    pub fn name(&self) -> String {
        self.path.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join(".")
    }
}

/// `final accuracy < 0.7`: a statistic of a recorded metric, compared with a number.
#[derive(Debug, Clone, PartialEq)]
pub struct Expectation {
    pub statistic: Statistic,
    pub op: String,
    pub value: f64,
    pub span: Span,
}

impl SectionKind {
    /// The keyword that introduces the section.
    pub fn keyword(&self) -> &str {
        match self {
            SectionKind::Seeds(_) => "seeds",
            SectionKind::Data(_) => "data",
            SectionKind::Model(_) => "model",
            SectionKind::Task(_) => "task",
            SectionKind::Block(name, _) => &name.name,
            SectionKind::Aggregate(_) => "aggregate",
            SectionKind::Attack(_) => "attack",
            SectionKind::Report(_) => "report",
            SectionKind::Sweep(_) => "sweep",
            SectionKind::Table(_) => "table",
            SectionKind::Expect(_) => "expect",
            SectionKind::Allow(_) => "allow",
        }
    }
}

/// `task KIND { settings; honest NAME = EXPR }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub kind: Ident,
    pub settings: Vec<Setting>,
    pub losses: Vec<HonestLoss>,
}

/// `honest NAME = EXPR`: one honest worker's loss in a landscape task.
#[derive(Debug, Clone, PartialEq)]
pub struct HonestLoss {
    pub name: Ident,
    pub expr: Expr,
    pub span: Span,
}

/// `key value`, one line of a `workers`, `train` or `task` block.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    pub key: Ident,
    pub value: Value,
    pub span: Span,
}

/// A setting's or argument's value, with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub kind: ValueKind,
    pub span: Span,
}

/// The kinds of value a setting or argument may take.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueKind {
    /// A number with its source text, so that `3` and `3.0` stay distinguishable.
    Number(f64, String),
    Str(String),
    Vector(Vec<f64>),
    Range(Range),
    List(Vec<u64>),
    Component(Component),
    /// `[sf, alie, foe(eps: 0.5)]`, e.g. a planner's choices.
    Components(Vec<Component>),
    /// `0.25 until 1000, then 0.025`: (value, exclusive end) pieces, the last open.
    Schedule(Vec<(f64, Option<u64>)>),
}

/// `a..b`, `a..=b` or `a..`, as in Rust.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub start: u64,
    pub end: Option<u64>,
    pub inclusive: bool,
}

impl Range {
    /// The exclusive end, if any.
    pub(crate) fn end_exclusive(&self) -> Option<u64> {
        self.end.map(|e| if self.inclusive { e.saturating_add(1) } else { e })
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = if self.inclusive { "..=" } else { ".." };
        match self.end {
            Some(e) => write!(f, "{}{op}{e}", self.start),
            None => write!(f, "{}{op}", self.start),
        }
    }
}

/// `name` or `name(arg: value, ...)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    pub name: Ident,
    pub args: Vec<Arg>,
    pub span: Span,
}

/// One argument of a component: `name: value`, or a value alone (`mnist("data/mnist")`).
#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    pub name: Option<Ident>,
    pub value: Value,
    pub span: Span,
}

/// `pre |> ... |> rule`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    pub stages: Vec<Component>,
    pub span: Span,
}

/// An `attack` section: one attack for every step, or a schedule of phases.
#[derive(Debug, Clone, PartialEq)]
pub enum Attack {
    Single(Component),
    Schedule(Vec<Phase>),
}

/// One line of an attack schedule: `100..600 alie`.
#[derive(Debug, Clone, PartialEq)]
pub struct Phase {
    pub range: Range,
    pub range_span: Span,
    pub attack: Component,
}

/// `report every 50 { loss, accuracy }`: the period, if written, and what to record.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub every: Option<(u64, Span)>,
    pub items: Vec<Ident>,
}

/// `workers.byzantine in [1, 3, 5]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepAxis {
    pub path: Vec<Ident>,
    pub path_span: Span,
    pub values: Vec<SweepValue>,
    pub span: Span,
}

/// One value of a sweep axis: a pipeline (an attack is parsed as a pipeline of one stage) or a plain value.
#[derive(Debug, Clone, PartialEq)]
pub enum SweepValue {
    Pipeline(Pipeline),
    Value(Value),
}

impl SweepValue {
    /// Where the value is written.
    pub fn span(&self) -> Span {
        match self {
            SweepValue::Pipeline(p) => p.span,
            SweepValue::Value(v) => v.span,
        }
    }
}

/// An expression of `theta`, the model, in a landscape task.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

/// The kinds of expression: numbers, vectors, names, operators, calls and indexing.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Number(f64),
    Vector(Vec<Expr>),
    Variable(String),
    Neg(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Call(Ident, Vec<Expr>),
    Index(Box<Expr>, usize),
}

pub use crate::plan::BinOp;
