//! `byz fmt`: one canonical layout for `.byz` files, comments kept.
//!
//! The layout comes from the pest tree (which has every word as written:
//! `1e-4` stays `1e-4`, parentheses in expressions stay); the comments, which
//! the grammar skips, come from a scan of the text and are put back by their
//! byte offsets (`emit`). Two-space indentation, one setting per line, a blank
//! line between top-level items, at most one blank line where the user left some.

mod comments;
mod emit;

use pest::iterators::Pair;

use super::parse::{Rule, parse_tree};
use crate::diagnostic::{Diag, SourceFile};
use comments::Comment;
use emit::{INDENT, Line, LineKind};

/// The formatted text of a file; a file that does not parse is its syntax error.
pub fn format_source(src: &SourceFile) -> Result<String, Box<Diag>> {
    let file = parse_tree(src)?;
    let comments = comments::scan(&src.text);
    let mut layout = Layout { comments: &comments, lines: vec![], indent: 0, range_width: 0 };
    let mut previous_was_use = false;
    for item in file.into_inner().filter(|p| p.as_rule() != Rule::EOI) {
        let is_use = item.as_rule() == Rule::use_decl;
        let first = layout.lines.len();
        layout.item(item);
        if let Some(line) = layout.lines.get_mut(first) {
            line.item_start = !(is_use && previous_was_use);
        }
        previous_was_use = is_use;
    }
    Ok(emit::emit(&src.text, &layout.lines, &comments))
}

/// The text of every comment of `source`, in order (to check that formatting keeps them).
pub fn comment_texts(source: &str) -> Vec<String> {
    comments::scan(source).iter().map(|c| c.text(source).to_string()).collect()
}

struct Layout<'a> {
    comments: &'a [Comment],
    lines: Vec<Line>,
    indent: usize,
    /// The longest range of the attack schedule being laid out.
    range_width: usize,
}

/// Sweep lists longer than this are written one value per line.
const MAX_WIDTH: usize = 100;

type Each<'a> = fn(&mut Layout<'a>, Pair<'_, Rule>);

impl<'a> Layout<'a> {
    fn push(&mut self, lo: usize, text: String, kind: LineKind) {
        self.lines.push(Line { indent: self.indent, text, lo, kind, item_start: false });
    }

    fn line(&mut self, lo: usize, text: String) {
        self.push(lo, text, LineKind::Plain);
    }

    /// Whether a comment starts inside `pair`: such a construct keeps its lines open.
    fn has_comment(&self, pair: &Pair<Rule>) -> bool {
        let span = pair.as_span();
        self.comments.iter().any(|c| c.start >= span.start() && c.start < span.end())
    }

    /// `header {`, one line per child, `}` + `after`; `header {}` when empty.
    /// `whole` is the pair whose last character is the closing brace.
    fn block(&mut self, lo: usize, header: String, whole: &Pair<Rule>, children: Vec<Pair<Rule>>, each: Each<'a>) {
        self.block_then(lo, header, whole, children, each, "");
    }

    fn block_then(
        &mut self,
        lo: usize,
        header: String,
        whole: &Pair<Rule>,
        children: Vec<Pair<Rule>>,
        each: Each<'a>,
        after: &str,
    ) {
        if children.is_empty() && !self.has_comment(whole) {
            self.line(lo, format!("{header} {{}}{after}"));
            return;
        }
        self.push(lo, format!("{header} {{"), LineKind::Open);
        self.indent += 1;
        for child in children {
            each(self, child);
        }
        self.indent -= 1;
        self.push(whole.as_span().end() - 1, format!("}}{after}"), LineKind::Close);
    }

    fn item(&mut self, p: Pair<Rule>) {
        let lo = p.as_span().start();
        match p.as_rule() {
            Rule::use_decl => {
                let target = p.into_inner().nth(1).map(|t| t.as_str().to_string()).unwrap_or_default();
                self.line(lo, format!("use {target}"));
            }
            Rule::model_decl => {
                let mut inner = p.into_inner().skip(1);
                let name = inner.next().map(|n| n.as_str().to_string()).unwrap_or_default();
                let spec = inner.next().map(|s| value(s)).unwrap_or_default();
                self.line(lo, format!("model {name} = {spec}"));
            }
            rule => {
                let keyword = if rule == Rule::scenario { "scenario" } else { "base" };
                let whole = p.clone();
                let mut inner = p.into_inner().skip(1).peekable();
                let mut header = format!("{keyword} {}", inner.next().map(|n| n.as_str()).unwrap_or_default());
                if let Some(extends) = inner.next_if(|q| q.as_rule() == Rule::extends) {
                    let base = extends.into_inner().nth(1).map(|b| b.as_str().to_string()).unwrap_or_default();
                    header.push_str(&format!(" extends {base}"));
                }
                self.block(lo, header, &whole, inner.collect(), Layout::section);
            }
        }
    }

    fn section(&mut self, p: Pair<Rule>) {
        let lo = p.as_span().start();
        let rule = p.as_rule();
        let whole = p.clone();
        let mut inner = p.into_inner();
        let keyword = inner.next().map(|k| k.as_str().to_string()).unwrap_or_default();
        match rule {
            Rule::task => {
                let kind = inner.next().map(|k| k.as_str().to_string()).unwrap_or_default();
                self.block(lo, format!("task {kind}"), &whole, inner.collect(), Layout::entry);
            }
            Rule::block | Rule::sweep | Rule::table | Rule::expect => {
                self.block(lo, keyword, &whole, inner.collect(), Layout::entry);
            }
            Rule::attack => match inner.next() {
                Some(s) if s.as_rule() == Rule::schedule => {
                    let phases: Vec<Pair<Rule>> = s.clone().into_inner().collect();
                    // The attacks line up after the longest range.
                    let ranges = phases.iter().filter_map(|p| p.clone().into_inner().next());
                    self.range_width = ranges.map(|r| r.as_str().chars().count()).max().unwrap_or(0);
                    self.block(lo, keyword, &s, phases, Layout::entry);
                }
                Some(plan) if plan.as_rule() == Rule::plan => self.plan(lo, "attack ", plan, ""),
                Some(c) => self.line(lo, format!("attack {}", value(c))),
                None => self.line(lo, keyword),
            },
            Rule::report => {
                let mut head = keyword;
                let mut items = vec![];
                for q in inner {
                    match q.as_rule() {
                        Rule::every => {
                            head.push_str(&format!(" every {}", q.into_inner().nth(1).map_or("", |n| n.as_str())))
                        }
                        _ => items.push(q.as_str()),
                    }
                }
                let body = if items.is_empty() { "{}".to_string() } else { format!("{{ {} }}", items.join(", ")) };
                self.line(lo, format!("{head} {body}"));
            }
            Rule::allow => self.line(lo, format!("{keyword} {}", joined(inner, ", "))),
            // seeds, data, model, aggregate: the keyword and one value.
            _ => {
                let values: Vec<String> = inner.map(value).collect();
                self.line(lo, format!("{keyword} {}", values.join(" ")));
            }
        }
    }

    /// One line of a block: a setting, an honest loss, a phase, a sweep axis, a table line or an expectation.
    fn entry(&mut self, p: Pair<Rule>) {
        let lo = p.as_span().start();
        match p.as_rule() {
            Rule::phase => {
                let mut inner = p.into_inner();
                let range = inner.next().map(|r| r.as_str().to_string()).unwrap_or_default();
                let head = format!("{range:<width$} ", width = self.range_width);
                match inner.next() {
                    Some(plan) if plan.as_rule() == Rule::plan => self.plan(lo, &head, plan, ""),
                    Some(c) => self.line(lo, format!("{head}{}", value(c))),
                    None => self.line(lo, range),
                }
            }
            Rule::sweep_axis => self.sweep_axis(p),
            // `rows aggregate, workers.byzantine`: the keyword, then the fields.
            Rule::table_rows | Rule::table_columns | Rule::table_worst | Rule::table_best => {
                let mut inner = p.into_inner();
                let keyword = inner.next().map(|k| k.as_str().to_string()).unwrap_or_default();
                self.line(lo, format!("{keyword} {}", joined(inner, ", ")));
            }
            Rule::honest_loss => {
                let mut inner = p.into_inner().skip(1);
                let name = inner.next().map(|n| n.as_str().to_string()).unwrap_or_default();
                let e = inner.next().map(|e| value(e)).unwrap_or_default();
                self.line(lo, format!("honest {name} = {e}"));
            }
            // setting, expectation: words separated by single spaces.
            _ => {
                let words: Vec<String> = p.into_inner().map(value).collect();
                self.line(lo, words.join(" "));
            }
        }
    }

    /// `plan { settings }`, always one setting per line.
    fn plan(&mut self, lo: usize, prefix: &str, p: Pair<Rule>, after: &str) {
        let settings = p.clone().into_inner().skip(1).collect();
        self.block_then(lo, format!("{prefix}plan"), &p, settings, Layout::entry, after);
    }

    /// `path in [a, b]` on one line, or one value per line when a value is a
    /// plan block, a comment sits among the values, or the line would pass `MAX_WIDTH`.
    fn sweep_axis(&mut self, p: Pair<Rule>) {
        let lo = p.as_span().start();
        let whole = p.clone();
        let mut inner = p.into_inner();
        let path = inner.next().map(|f| f.as_str().to_string()).unwrap_or_default();
        let values: Vec<Pair<Rule>> = inner.skip(1).collect();
        let has_plan = values.iter().any(|v| v.as_rule() == Rule::plan);
        let one_line = format!("{path} in [{}]", joined(values.clone(), ", "));
        let fits = self.indent * INDENT.len() + one_line.chars().count() <= MAX_WIDTH;
        if (!has_plan && !self.has_comment(&whole) && fits) || values.is_empty() {
            self.line(lo, one_line);
            return;
        }
        self.push(lo, format!("{path} in ["), LineKind::Open);
        self.indent += 1;
        for v in values {
            let vlo = v.as_span().start();
            match v.as_rule() {
                Rule::plan => self.plan(vlo, "", v, ","),
                _ => self.line(vlo, format!("{},", value(v))),
            }
        }
        self.indent -= 1;
        self.push(whole.as_span().end() - 1, "]".into(), LineKind::Close);
    }
}

/// A value, component, pipeline or expression on one line, words as written.
fn value(p: Pair<Rule>) -> String {
    match p.as_rule() {
        Rule::vector | Rule::int_list | Rule::component_list | Rule::vector_expr => {
            format!("[{}]", joined(p.into_inner(), ", "))
        }
        Rule::component => {
            let mut inner = p.into_inner();
            let name = inner.next().map(|n| n.as_str().to_string()).unwrap_or_default();
            match inner.next() {
                Some(args) if args.clone().into_inner().next().is_some() => {
                    format!("{name}({})", joined(args.into_inner(), ", "))
                }
                _ => name,
            }
        }
        Rule::arg => joined(p.into_inner(), ": "),
        Rule::pipeline => joined(p.into_inner(), " |> "),
        Rule::lr_schedule => p
            .into_inner()
            .map(|q| match q.as_rule() {
                Rule::kw_until => " until ".to_string(),
                Rule::kw_then => ", then ".to_string(),
                _ => q.as_str().to_string(),
            })
            .collect(),
        Rule::model_spec => {
            let mut inner = p.into_inner();
            let shape = inner.next().map(|s| compact(&s)).unwrap_or_default();
            let layers: Vec<&str> = inner.map(|l| l.as_str()).collect();
            format!("{shape}-{}", layers.join("-"))
        }
        Rule::plan => format!("plan {{ {} }}", joined(p.into_inner().skip(1), "; ")),
        Rule::setting | Rule::expectation | Rule::window => joined(p.into_inner(), " "),
        Rule::expr => expr(p),
        Rule::call => {
            let mut inner = p.into_inner();
            let name = inner.next().map(|n| n.as_str().to_string()).unwrap_or_default();
            format!("{name}({})", joined(inner, ", "))
        }
        // Atomic words (names, numbers, strings, ranges, layers): as written.
        _ => p.as_str().to_string(),
    }
}

fn joined<'i>(pairs: impl IntoIterator<Item = Pair<'i, Rule>>, sep: &str) -> String {
    pairs.into_iter().map(value).collect::<Vec<_>>().join(sep)
}

/// A model shape without spacing or comments (those are written apart), e.g.
/// `( 3 , 32×32 )` → `(3,32×32)`.
fn compact(p: &Pair<Rule>) -> String {
    let text = p.as_str();
    let mut out = String::new();
    let mut at = 0;
    for c in comments::scan(text) {
        out.push_str(&text[at..c.start]);
        at = c.end;
    }
    out.push_str(&text[at..]);
    out.retain(|c| !c.is_whitespace());
    out
}

/// An expression of `theta`: binary operators between single spaces, the rest tight.
fn expr(p: Pair<Rule>) -> String {
    let mut out = String::new();
    for q in p.into_inner() {
        match q.as_rule() {
            Rule::add => out.push_str(" + "),
            Rule::sub => out.push_str(" - "),
            Rule::mul => out.push_str(" * "),
            Rule::div => out.push_str(" / "),
            Rule::pow => out.push_str(" ^ "),
            Rule::neg => out.push('-'),
            Rule::index => out.push_str(&format!("[{}]", joined(q.into_inner(), ""))),
            Rule::expr => out.push_str(&format!("({})", expr(q))),
            _ => out.push_str(&value(q)),
        }
    }
    out
}
