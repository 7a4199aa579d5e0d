//! pest pairs → syntax tree. Syntax errors become diagnostics in words.

use pest::Parser;
use pest::iterators::{Pair, Pairs};

use super::ast::*;
use super::expected::describe_expected;
use super::expr::expr;
use crate::diagnostic::{Code, Diag, SourceFile};

/// The pest parser generated from `grammar/byz.pest`.
#[derive(pest_derive::Parser)]
#[grammar = "../grammar/byz.pest"]
pub struct ByzParser;

/// Parses a whole file; a syntax error is one diagnostic at the failing word.
pub fn parse_file(src: &SourceFile) -> Result<File, Box<Diag>> {
    let items = parse_tree(src)?.into_inner().filter(|p| p.as_rule() != Rule::EOI).map(item).collect();
    Ok(File { items })
}

/// The pest tree of a whole file (the `file` pair), for tools that need every
/// word's text as written, such as the formatter.
pub(crate) fn parse_tree(src: &SourceFile) -> Result<Pair<'_, Rule>, Box<Diag>> {
    super::limits::nesting(src)?;
    let mut pairs = ByzParser::parse(Rule::file, &src.text).map_err(|e| syntax_error(src, e))?;
    let file = pairs.next().expect("the file rule always yields one pair");
    super::limits::operators(src, &file)?;
    Ok(file)
}

fn syntax_error(src: &SourceFile, e: pest::error::Error<Rule>) -> Box<Diag> {
    let pos = match e.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    if let Some((at, name)) = super::expected::unknown_block(&src.text, pos) {
        return Box::new(super::expected::unknown_section(src, name, Span::new(at, at + name.len())));
    }
    let (found, len) = found_at(&src.text, pos);
    let (expected, opens_block) = match &e.variant {
        pest::error::ErrorVariant::ParsingError { positives, negatives } => {
            (describe_expected(positives), negatives.contains(&Rule::ident))
        }
        pest::error::ErrorVariant::CustomError { message } => (message.clone(), false),
    };
    let before = src.text[..pos.min(src.text.len())].trim_end();
    let (expected, help) = super::expected::in_context(expected, &found, before, opens_block);
    Box::new(
        Diag::new(Code::Syntax, src, Span::new(pos, pos + len), format!("expected {expected}, found {found}"))
            .label(format!("expected {expected} here"))
            .help(help),
    )
}

/// The word (or character) at `pos`, as the user would name it, and its length.
fn found_at(text: &str, pos: usize) -> (String, usize) {
    let rest = &text[pos.min(text.len())..];
    let Some(c) = rest.chars().next() else {
        return ("the end of the file".into(), 0);
    };
    if c.is_ascii_alphanumeric() || c == '_' {
        let word: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.').collect();
        let len = word.len();
        (format!("`{word}`"), len)
    } else {
        (format!("`{c}`"), c.len_utf8())
    }
}

pub(super) fn span(p: &Pair<Rule>) -> Span {
    Span::new(p.as_span().start(), p.as_span().end())
}

pub(super) fn ident(p: Pair<Rule>) -> Ident {
    Ident { name: p.as_str().to_string(), span: span(&p) }
}

fn item(p: Pair<Rule>) -> Item {
    let sp = span(&p);
    match p.as_rule() {
        Rule::use_decl => {
            let target = p.into_inner().nth(1).expect("use target");
            let target = match target.as_rule() {
                Rule::string => UseTarget::Path(string(target)),
                _ => UseTarget::Module(target.as_str().split('.').map(str::to_string).collect()),
            };
            Item::Use(Use { target, span: sp })
        }
        Rule::model_decl => {
            let mut inner = p.into_inner().skip(1);
            let name = ident(inner.next().expect("model name"));
            Item::Model(ModelDecl { name, spec: model_spec(inner.next().expect("model spec")), span: sp })
        }
        rule => {
            let kind = if rule == Rule::scenario { DeclKind::Scenario } else { DeclKind::Base };
            let mut inner = p.into_inner().skip(1).peekable();
            let name = ident(inner.next().expect("declaration name"));
            let extends = inner
                .next_if(|p| p.as_rule() == Rule::extends)
                .map(|e| ident(e.into_inner().nth(1).expect("extended name")));
            let sections = inner.map(section).collect();
            Item::Decl(Decl { kind, name, extends, sections, span: sp })
        }
    }
}

fn section(p: Pair<Rule>) -> Section {
    let sp = span(&p);
    let rule = p.as_rule();
    let mut inner = p.into_inner();
    let first = inner.next().expect("section keyword");
    let keyword = span(&first);
    let kind = match rule {
        Rule::seeds => SectionKind::Seeds(value(inner.next().expect("seeds value"))),
        Rule::data => SectionKind::Data(component(inner.next().expect("data component"))),
        Rule::model => {
            let p = inner.next().expect("model");
            SectionKind::Model(match p.as_rule() {
                Rule::model_spec => ModelRef::Spec(model_spec(p)),
                _ => ModelRef::Named(ident(p)),
            })
        }
        Rule::task => {
            let kind = ident(inner.next().expect("task kind"));
            let (mut settings, mut losses) = (vec![], vec![]);
            for p in inner {
                match p.as_rule() {
                    Rule::honest_loss => losses.push(honest_loss(p)),
                    _ => settings.push(setting(p)),
                }
            }
            SectionKind::Task(Task { kind, settings, losses })
        }
        Rule::block => SectionKind::Block(ident(first), inner.map(setting).collect()),
        Rule::allow => SectionKind::Allow(inner.map(ident).collect()),
        Rule::aggregate => SectionKind::Aggregate(pipeline(inner.next().expect("pipeline"))),
        Rule::attack => {
            let p = inner.next().expect("attack");
            SectionKind::Attack(match p.as_rule() {
                Rule::schedule => Attack::Schedule(p.into_inner().map(phase).collect()),
                _ => Attack::Single(attack_component(p)),
            })
        }
        Rule::report => {
            let mut every = None;
            let mut items = vec![];
            for p in inner {
                match p.as_rule() {
                    Rule::every => {
                        let n = p.into_inner().nth(1).expect("every count");
                        every = Some((n.as_str().parse().unwrap_or(u64::MAX), span(&n)));
                    }
                    _ => items.push(ident(p)),
                }
            }
            SectionKind::Report(Report { every, items })
        }
        Rule::sweep => SectionKind::Sweep(inner.map(sweep_axis).collect()),
        Rule::table => SectionKind::Table(table(inner)),
        Rule::expect => SectionKind::Expect(
            inner
                .map(|e| {
                    let sp = span(&e);
                    let mut parts = e.into_inner().peekable();
                    let statistic = statistic(&mut parts);
                    let op = parts.next().expect("comparison").as_str().to_string();
                    let value = parts.next().expect("number").as_str().parse().unwrap_or(f64::NAN);
                    Expectation { statistic, op, value, span: sp }
                })
                .collect(),
        ),
        other => unreachable!("not a section: {other:?}"),
    };
    Section { kind, keyword, span: sp }
}

fn model_spec(p: Pair<Rule>) -> ModelSpec {
    let sp = span(&p);
    let mut inner = p.into_inner();
    let shape_pair = inner.next().expect("model shape");
    let shape_span = span(&shape_pair);
    let shape = shape_pair.into_inner().map(|n| n.as_str().parse().unwrap_or(usize::MAX)).collect();
    let layers = inner
        .map(|l| {
            let lsp = span(&l);
            let mut parts = l.into_inner();
            let name = parts.next().expect("layer name").as_str().to_string();
            let arg = parts.next().map(|a| a.as_str().parse().unwrap_or(f64::NAN));
            LayerSpec { name, arg, span: lsp }
        })
        .collect();
    ModelSpec { shape, shape_span, layers, span: sp }
}

fn honest_loss(p: Pair<Rule>) -> HonestLoss {
    let sp = span(&p);
    let mut inner = p.into_inner().skip(1);
    let name = ident(inner.next().expect("loss name"));
    let expr = expr(inner.next().expect("loss expression"));
    HonestLoss { name, expr, span: sp }
}

fn setting(p: Pair<Rule>) -> Setting {
    let sp = span(&p);
    let mut inner = p.into_inner();
    let key = ident(inner.next().expect("setting key"));
    let value = value(inner.next().expect("setting value"));
    Setting { key, value, span: sp }
}

fn phase(p: Pair<Rule>) -> Phase {
    let mut inner = p.into_inner();
    let r = inner.next().expect("phase range");
    let range_span = span(&r);
    Phase { range: range(r), range_span, attack: attack_component(inner.next().expect("phase attack")) }
}

/// A component, or a `plan { ... }` block read as the `plan` component with its settings as arguments.
fn attack_component(p: Pair<Rule>) -> Component {
    if p.as_rule() != Rule::plan {
        return component(p);
    }
    let sp = span(&p);
    let mut inner = p.into_inner();
    let kw = inner.next().expect("plan keyword");
    let name = Ident { name: "plan".into(), span: span(&kw) };
    let args = inner.map(setting).map(|s| Arg { name: Some(s.key), value: s.value, span: s.span }).collect();
    Component { name, args, span: sp }
}

fn pipeline(p: Pair<Rule>) -> Pipeline {
    let sp = span(&p);
    Pipeline { stages: p.into_inner().map(component).collect(), span: sp }
}

fn component(p: Pair<Rule>) -> Component {
    let sp = span(&p);
    let mut inner = p.into_inner();
    let name = ident(inner.next().expect("component name"));
    let args = inner.next().map(|a| a.into_inner().map(arg).collect()).unwrap_or_default();
    Component { name, args, span: sp }
}

fn arg(p: Pair<Rule>) -> Arg {
    let sp = span(&p);
    let parts: Vec<_> = p.into_inner().collect();
    let (name, v) = match parts.len() {
        2 => (Some(ident(parts[0].clone())), parts[1].clone()),
        _ => (None, parts[0].clone()),
    };
    Arg { name, value: value(v), span: sp }
}

/// `max accuracy from step 0`: the statistic, the metric and the window, if written.
fn statistic<'i>(parts: &mut std::iter::Peekable<impl Iterator<Item = Pair<'i, Rule>>>) -> Statistic {
    let stat = ident(parts.next().expect("statistic"));
    let metric = ident(parts.next().expect("metric"));
    let from = parts.next_if(|p| p.as_rule() == Rule::window).map(|w| {
        let n = w.into_inner().nth(2).expect("step number");
        // An absurd step is refused by the checker (no run has that many steps).
        (n.as_str().parse().unwrap_or(u64::MAX), span(&n))
    });
    Statistic { stat, metric, from }
}

fn table(entries: Pairs<Rule>) -> Table {
    let mut t = Table { rows: vec![], columns: vec![], worst: vec![], best: vec![], value: None };
    for e in entries {
        let rule = e.as_rule();
        let parts = e.into_inner().skip(1);
        match rule {
            Rule::table_value => {
                t.value = Some(statistic(&mut parts.peekable()));
            }
            _ => {
                let paths = parts.map(|f| FieldPath { span: span(&f), path: f.into_inner().map(ident).collect() });
                match rule {
                    Rule::table_rows => t.rows.extend(paths),
                    Rule::table_columns => t.columns.extend(paths),
                    Rule::table_worst => t.worst.extend(paths),
                    _ => t.best.extend(paths),
                }
            }
        }
    }
    t
}

fn sweep_axis(p: Pair<Rule>) -> SweepAxis {
    let sp = span(&p);
    let mut inner = p.into_inner();
    let path_pair = inner.next().expect("field path");
    let path_span = span(&path_pair);
    let path = path_pair.into_inner().map(ident).collect();
    let values = inner
        .skip(1)
        .map(|v| match v.as_rule() {
            Rule::pipeline => SweepValue::Pipeline(pipeline(v)),
            Rule::plan => {
                let sp = span(&v);
                SweepValue::Pipeline(Pipeline { stages: vec![attack_component(v)], span: sp })
            }
            _ => SweepValue::Value(value(v)),
        })
        .collect();
    SweepAxis { path, path_span, values, span: sp }
}

fn value(p: Pair<Rule>) -> Value {
    let sp = span(&p);
    let kind = match p.as_rule() {
        Rule::number | Rule::int => {
            let text = p.as_str().to_string();
            ValueKind::Number(text.parse().unwrap_or(f64::NAN), text)
        }
        Rule::string => ValueKind::Str(string(p)),
        Rule::vector => ValueKind::Vector(p.into_inner().map(|n| n.as_str().parse().unwrap_or(f64::NAN)).collect()),
        Rule::range => ValueKind::Range(range(p)),
        Rule::int_list => ValueKind::List(p.into_inner().map(|n| n.as_str().parse().unwrap_or(u64::MAX)).collect()),
        Rule::component => ValueKind::Component(component(p)),
        Rule::component_list => ValueKind::Components(p.into_inner().map(component).collect()),
        Rule::lr_schedule => {
            // number (until int , then number)+  →  (value, until) pieces, the last open.
            let parts: Vec<_> = p.into_inner().filter(|q| matches!(q.as_rule(), Rule::number | Rule::int)).collect();
            let mut pieces = vec![];
            let mut i = 0;
            while i < parts.len() {
                let v = parts[i].as_str().parse().unwrap_or(f64::NAN);
                let until = parts.get(i + 1).map(|u| u.as_str().parse().unwrap_or(u64::MAX));
                pieces.push((v, until));
                i += 2;
            }
            ValueKind::Schedule(pieces)
        }
        other => unreachable!("not a value: {other:?}"),
    };
    Value { kind, span: sp }
}

fn range(p: Pair<Rule>) -> Range {
    let mut inner = p.into_inner();
    let start = inner.next().expect("range start").as_str().parse().unwrap_or(u64::MAX);
    let inclusive = inner.next().expect("range operator").as_str() == "..=";
    let end = inner.next().map(|e| e.as_str().parse().unwrap_or(u64::MAX));
    Range { start, end, inclusive }
}

fn string(p: Pair<Rule>) -> String {
    let raw = p.into_inner().next().map(|s| s.as_str()).unwrap_or("");
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}
