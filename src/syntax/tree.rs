//! A compact, readable rendering of the syntax tree as s-expressions, for
//! snapshot tests and debugging. Declarations and sections carry their spans.

use super::ast::*;

/// The tree of `file` as s-expressions, one line per item and one per section.
pub fn render(file: &File) -> String {
    let mut out = String::new();
    for item in &file.items {
        match item {
            Item::Use(u) => {
                let target = match &u.target {
                    UseTarget::Module(parts) => parts.join("."),
                    UseTarget::Path(p) => format!("{p:?}"),
                };
                out.push_str(&format!("(use {target}) @{:?}\n", u.span));
            }
            Item::Model(m) => out.push_str(&format!("(model {} {}) @{:?}\n", m.name.name, model(&m.spec), m.span)),
            Item::Decl(d) => {
                let kind = if d.kind == DeclKind::Scenario { "scenario" } else { "base" };
                let extends = d.extends.as_ref().map(|e| format!(" :extends {}", e.name)).unwrap_or_default();
                out.push_str(&format!("({kind} {}{extends}) @{:?}\n", d.name.name, d.span));
                for s in &d.sections {
                    out.push_str(&format!("  {} @{:?}\n", section(&s.kind), s.span));
                }
            }
        }
    }
    out
}

fn section(s: &SectionKind) -> String {
    match s {
        SectionKind::Seeds(v) => format!("(seeds {})", value(v)),
        SectionKind::Data(c) => format!("(data {})", component(c)),
        SectionKind::Model(ModelRef::Named(n)) => format!("(model {})", n.name),
        SectionKind::Model(ModelRef::Spec(s)) => format!("(model {})", model(s)),
        SectionKind::Task(t) => {
            let mut parts = vec![format!("(task {}", t.kind.name)];
            parts.extend(t.settings.iter().map(setting));
            parts.extend(t.losses.iter().map(|l| format!("(honest {} {})", l.name.name, expr(&l.expr))));
            parts.join("\n    ") + ")"
        }
        SectionKind::Block(name, s) => block(&name.name, s),
        SectionKind::Allow(names) => {
            format!("(allow {})", names.iter().map(|n| n.name.as_str()).collect::<Vec<_>>().join(" "))
        }
        SectionKind::Aggregate(p) => format!("(aggregate {})", pipeline(p)),
        SectionKind::Attack(Attack::Single(c)) => format!("(attack {})", component(c)),
        SectionKind::Attack(Attack::Schedule(ps)) => {
            let phases: Vec<String> = ps.iter().map(|p| format!("({} {})", p.range, component(&p.attack))).collect();
            format!("(attack {})", phases.join(" "))
        }
        SectionKind::Report(r) => {
            let every = r.every.map(|(e, _)| format!(" :every {e}")).unwrap_or_default();
            let items: Vec<&str> = r.items.iter().map(|i| i.name.as_str()).collect();
            format!("(report{every} {})", items.join(" "))
        }
        SectionKind::Expect(list) => {
            let items: Vec<String> =
                list.iter().map(|e| format!("({} {} {})", e.op, statistic(&e.statistic), e.value)).collect();
            format!("(expect {})", items.join(" "))
        }
        SectionKind::Table(t) => {
            let fields = |fs: &[FieldPath]| fs.iter().map(FieldPath::name).collect::<Vec<_>>().join(", ");
            let value = t.value.as_ref().map(|s| format!(" (value {})", statistic(s))).unwrap_or_default();
            let reduce = |word: &str, fs: &[FieldPath]| {
                if fs.is_empty() { String::new() } else { format!(" ({word} {})", fields(fs)) }
            };
            format!(
                "(table (rows {}) (columns {}){}{}{value})",
                fields(&t.rows),
                fields(&t.columns),
                reduce("worst", &t.worst),
                reduce("best", &t.best)
            )
        }
        SectionKind::Sweep(axes) => {
            let axes: Vec<String> = axes
                .iter()
                .map(|a| {
                    let path: Vec<&str> = a.path.iter().map(|i| i.name.as_str()).collect();
                    let values: Vec<String> = a
                        .values
                        .iter()
                        .map(|v| match v {
                            SweepValue::Pipeline(p) => pipeline(p),
                            SweepValue::Value(v) => value(v),
                        })
                        .collect();
                    format!("({} [{}])", path.join("."), values.join(", "))
                })
                .collect();
            format!("(sweep {})", axes.join(" "))
        }
    }
}

fn model(s: &ModelSpec) -> String {
    let dims: Vec<String> = s.shape.iter().map(usize::to_string).collect();
    let layers: Vec<String> = s
        .layers
        .iter()
        .map(|l| match l.arg {
            Some(a) => format!("{}({a})", l.name),
            None => l.name.clone(),
        })
        .collect();
    format!("({})-{}", dims.join(","), layers.join("-"))
}

fn block(name: &str, settings: &[Setting]) -> String {
    let parts: Vec<String> = settings.iter().map(setting).collect();
    format!("({name} {})", parts.join(" "))
}

fn setting(s: &Setting) -> String {
    format!("({} {})", s.key.name, value(&s.value))
}

pub(crate) fn pipeline(p: &Pipeline) -> String {
    let stages: Vec<String> = p.stages.iter().map(component).collect();
    stages.join(" |> ")
}

pub(crate) fn component(c: &Component) -> String {
    if c.args.is_empty() {
        return c.name.name.clone();
    }
    let args: Vec<String> = c
        .args
        .iter()
        .map(|a| match &a.name {
            Some(n) => format!("{}: {}", n.name, value(&a.value)),
            None => value(&a.value),
        })
        .collect();
    format!("{}({})", c.name.name, args.join(", "))
}

pub(crate) fn value(v: &Value) -> String {
    match &v.kind {
        ValueKind::Number(_, text) => text.clone(),
        ValueKind::Str(s) => format!("{s:?}"),
        ValueKind::Vector(xs) => format!("{xs:?}"),
        ValueKind::Range(r) => r.to_string(),
        ValueKind::List(xs) => format!("{xs:?}"),
        ValueKind::Component(c) => component(c),
        ValueKind::Schedule(pieces) => {
            let parts: Vec<String> = pieces
                .iter()
                .map(|(v, u)| match u {
                    Some(u) => format!("{v} until {u}"),
                    None => format!("{v}"),
                })
                .collect();
            format!("({})", parts.join(", then "))
        }
        ValueKind::Components(cs) => format!("[{}]", cs.iter().map(component).collect::<Vec<_>>().join(", ")),
    }
}

fn expr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Number(x) => format!("{x}"),
        ExprKind::Vector(items) => format!("[{}]", items.iter().map(expr).collect::<Vec<_>>().join(" ")),
        ExprKind::Variable(v) => v.clone(),
        ExprKind::Neg(x) => format!("(neg {})", expr(x)),
        ExprKind::Binary(op, a, b) => {
            let op = match op {
                BinOp::Add => "+",
                BinOp::Sub => "-",
                BinOp::Mul => "*",
                BinOp::Div => "/",
                BinOp::Pow => "^",
            };
            format!("({op} {} {})", expr(a), expr(b))
        }
        ExprKind::Call(f, args) => format!("({} {})", f.name, args.iter().map(expr).collect::<Vec<_>>().join(" ")),
        ExprKind::Index(x, i) => format!("(index {} {i})", expr(x)),
    }
}

/// `max accuracy` or `mean loss (from 100)`.
fn statistic(s: &Statistic) -> String {
    let from = s.from.map(|(k, _)| format!(" (from {k})")).unwrap_or_default();
    format!("{} {}{from}", s.stat.name, s.metric.name)
}
