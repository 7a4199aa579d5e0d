//! The sections in force for a scenario: its own, merged over its `extends`
//! chain. Every section's checker reads these, and `resolve` builds them.

use std::collections::BTreeMap;

use crate::diagnostic::{Code, Diag, SourceFile};
use crate::registry::sections::{self, Shape};
use crate::syntax::ast::{Decl, Section, SectionKind, Setting, Span};

/// A piece of syntax with the file it was written in.
#[derive(Debug, Clone)]
pub struct Placed<T> {
    pub node: T,
    pub src: SourceFile,
    pub keyword: Span,
}

/// The sections in force for a scenario after `extends`: settings blocks
/// merge key by key (the derived value wins), other sections are replaced.
#[derive(Debug, Clone, Default)]
pub struct Sections {
    pub seeds: Option<Placed<crate::syntax::ast::Value>>,
    pub data: Option<Placed<crate::syntax::ast::Component>>,
    pub model: Option<Placed<crate::syntax::ast::ModelRef>>,
    pub task: Option<Placed<crate::syntax::ast::Task>>,
    /// Each section of settings (`workers`, `train`) by its registry name.
    pub blocks: BTreeMap<String, Vec<Placed<Setting>>>,
    /// A block of the chain is no section (reported): what it misses may be in it.
    pub unknown_block: bool,
    pub aggregate: Option<Placed<crate::syntax::ast::Pipeline>>,
    pub attack: Option<Placed<crate::syntax::ast::Attack>>,
    pub report: Option<Placed<crate::syntax::ast::Report>>,
    pub sweep: Option<Placed<Vec<crate::syntax::ast::SweepAxis>>>,
    pub expect: Option<Placed<Vec<crate::syntax::ast::Expectation>>>,
    pub table: Option<Placed<crate::syntax::ast::Table>>,
    /// Every `allow` of the chain: the kinds of warning accepted.
    pub allow: Vec<Placed<Vec<crate::syntax::ast::Ident>>>,
}

impl Sections {
    /// The settings in force of the section of settings `name` (none when it is not given).
    pub fn block(&self, name: &str) -> &[Placed<Setting>] {
        self.blocks.get(name).map_or(&[], Vec::as_slice)
    }

    /// The settings of the section of settings `name`, to change them.
    pub(crate) fn block_mut(&mut self, name: &str) -> &mut Vec<Placed<Setting>> {
        self.blocks.entry(name.to_string()).or_default()
    }
}

/// The sections in force at the end of an `extends` chain (most basic first); a section given twice is an error.
pub(crate) fn merge(chain: &[(Decl, SourceFile)], errors: &mut Vec<Diag>) -> Sections {
    let mut out = Sections::default();
    for (decl, src) in chain {
        let mut seen: Vec<&str> = vec![];
        for section in &decl.sections {
            let kw = section.kind.keyword();
            if seen.contains(&kw) {
                errors.push(
                    Diag::new(
                        Code::Twice,
                        src,
                        section.keyword,
                        format!("`{kw}` is given twice in `{}`", decl.name.name),
                    )
                    .label("second `{kw}`".replace("{kw}", kw))
                    .help("merge the two into one section"),
                );
                continue;
            }
            seen.push(kw);
            place(&mut out, section, src, errors);
        }
    }
    out
}

fn place(out: &mut Sections, section: &Section, src: &SourceFile, errors: &mut Vec<Diag>) {
    let kw = section.keyword;
    match &section.kind {
        SectionKind::Seeds(v) => out.seeds = Some(Placed { node: v.clone(), src: src.clone(), keyword: kw }),
        SectionKind::Data(c) => out.data = Some(Placed { node: c.clone(), src: src.clone(), keyword: kw }),
        SectionKind::Model(m) => out.model = Some(Placed { node: m.clone(), src: src.clone(), keyword: kw }),
        SectionKind::Task(t) => {
            let mut t = t.clone();
            if let Some(prev) = &out.task
                && prev.node.kind.name == t.kind.name
            {
                // Same kind of task: the derived settings refine the base's.
                let mut settings = prev.node.settings.clone();
                merge_settings(&mut settings, &t.settings);
                t.settings = settings;
                if t.losses.is_empty() {
                    t.losses = prev.node.losses.clone();
                }
            }
            out.task = Some(Placed { node: t, src: src.clone(), keyword: kw });
        }
        SectionKind::Block(name, s) => match sections::lookup(&name.name) {
            Some(e) if e.shape == Shape::Settings => merge_placed(out.block_mut(e.spec.name), s, src, kw),
            _ => {
                out.unknown_block = true;
                errors.push(crate::syntax::expected::unknown_section(src, &name.name, name.span));
            }
        },
        SectionKind::Aggregate(p) => out.aggregate = Some(Placed { node: p.clone(), src: src.clone(), keyword: kw }),
        SectionKind::Attack(a) => out.attack = Some(Placed { node: a.clone(), src: src.clone(), keyword: kw }),
        SectionKind::Report(r) => out.report = Some(Placed { node: r.clone(), src: src.clone(), keyword: kw }),
        SectionKind::Expect(e) => out.expect = Some(Placed { node: e.clone(), src: src.clone(), keyword: kw }),
        SectionKind::Sweep(s) => out.sweep = Some(Placed { node: s.clone(), src: src.clone(), keyword: kw }),
        SectionKind::Table(t) => out.table = Some(Placed { node: t.clone(), src: src.clone(), keyword: kw }),
        // A scenario accepts what its bases accept, and more.
        SectionKind::Allow(names) => out.allow.push(Placed { node: names.clone(), src: src.clone(), keyword: kw }),
    }
}

fn merge_settings(into: &mut Vec<Setting>, new: &[Setting]) {
    for s in new {
        into.retain(|x| x.key.name != s.key.name);
        into.push(s.clone());
    }
}

fn merge_placed(into: &mut Vec<Placed<Setting>>, new: &[Setting], src: &SourceFile, keyword: Span) {
    for s in new {
        into.retain(|x| x.node.key.name != s.key.name);
        into.push(Placed { node: s.clone(), src: src.clone(), keyword });
    }
}
