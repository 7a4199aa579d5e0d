//! What the parser expected, said in the user's words rather than as pest rule names.

use itertools::Itertools;

use super::ast::Span;
use super::parse::Rule;
use crate::diagnostic::{Code, Diag, SourceFile, did_you_mean};
use crate::registry::sections::{self, Shape};

/// `wokers { honest 12 }` or `sweeps { ... }`: a block whose name is no
/// section; the help offers the nearest section's name.
pub(crate) fn unknown_section(src: &SourceFile, name: &str, span: Span) -> Diag {
    let help = match did_you_mean(name, sections::names()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => {
            let names: Vec<String> = sections::names().map(|b| format!("`{b}`")).collect();
            format!("the sections are {}", names.join(", "))
        }
    };
    Diag::new(Code::Unknown, src, span, format!("unknown section `{name}`")).label("not a section").help(help)
}

/// The name of the block the parser failed inside, and where it starts, when
/// that name is no section (`sweeps { attack in [sf] }`). The grammar reads
/// any `name {` as a section of settings, so a misspelt `sweep` fails on its
/// contents; the misspelt name is the better message. Braces inside comments
/// or strings can mislead the count, which then only loses this sharper message.
pub(crate) fn unknown_block(text: &str, pos: usize) -> Option<(usize, &str)> {
    let before = text.get(..pos)?;
    let mut depth = 0usize;
    let open = before.char_indices().rev().find_map(|(i, c)| match c {
        '}' => {
            depth += 1;
            None
        }
        '{' if depth == 0 => Some(i),
        '{' => {
            depth -= 1;
            None
        }
        _ => None,
    })?;
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let head = before[..open].trim_end();
    let start = head.rfind(|c: char| !word(c)).map_or(0, |i| i + 1);
    let name = &head[start..];
    let previous = head[..start].trim_end().rsplit(|c: char| !word(c)).next().unwrap_or_default();
    // After these the word before `{` is a declaration's or a task's name, not a section.
    let named = ["task", "scenario", "base", "extends"].contains(&previous);
    let is_name = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
    (is_name && !named && name != "plan" && sections::lookup(name).is_none()).then_some((start, name))
}

/// The section a rule the parser tried opens, in the user's words: `seeds`
/// for `Rule::seeds` or its keyword `Rule::kw_seeds`, the sections of
/// settings for the generic `Rule::block`; `None` for other rules.
fn section_phrase(rule: Rule) -> Option<String> {
    if rule == Rule::block || rule == Rule::kw_block {
        let blocks: Vec<String> = sections::of_settings().map(|name| format!("`{name}`")).collect();
        return Some(blocks.join(" or "));
    }
    let name = format!("{rule:?}");
    let name = name.strip_prefix("kw_").unwrap_or(&name);
    sections::lookup(name).filter(|e| e.shape == Shape::Own).map(|e| format!("`{}`", e.spec.name))
}

/// One phrase for a rule the parser tried.
fn word(rule: Rule) -> &'static str {
    match rule {
        Rule::EOI => "the end of the file",
        Rule::use_decl | Rule::kw_use => "`use`",
        Rule::scenario | Rule::kw_scenario => "`scenario`",
        Rule::base | Rule::kw_base => "`base`",
        Rule::extends | Rule::kw_extends => "`extends`",
        Rule::kw_every | Rule::every => "`every`",
        Rule::kw_in => "`in`",
        Rule::kw_honest | Rule::honest_loss => "`honest NAME = EXPRESSION`",
        Rule::module_path => "a module path such as `std.models`",
        Rule::string | Rule::string_inner => "a string in double quotes",
        Rule::ident | Rule::variable => "a name",
        Rule::setting => "a setting (`name value`)",
        Rule::int | Rule::int_list => "a whole number",
        Rule::number | Rule::unsigned => "a number",
        Rule::vector | Rule::vector_expr => "a vector such as `[1, 0]`",
        Rule::range | Rule::range_op => "a step range such as `0..100`",
        Rule::component => "a component such as `cm` or `foe(eps: 0.1)`",
        Rule::component_list => "a list of components such as `[sf, alie]`",
        Rule::plan | Rule::kw_plan => "`plan { ... }`",
        Rule::expectation => "an expectation such as `final accuracy < 0.7`",
        Rule::comparison => "`<`, `<=`, `>` or `>=`",
        Rule::window | Rule::kw_from | Rule::kw_step => "`from step N`",
        Rule::model_decl | Rule::kw_model | Rule::model => "`model`",
        Rule::data | Rule::kw_data => "`data`",
        Rule::model_spec | Rule::model_shape => "a model such as `(1,28,28)-L(10)`",
        Rule::layer | Rule::layer_name => "a layer such as `C(32)`, `R`, `M`, `D(0.5)`, `L(10)` or `B`",
        Rule::lr_schedule | Rule::kw_until | Rule::kw_then => "a schedule such as `0.25 until 1000, then 0.025`",
        Rule::pipeline => "an aggregation pipeline such as `nnm |> cm`",
        Rule::schedule => "`{` and an attack schedule",
        Rule::phase => "a step range and an attack, such as `0..100 none`",
        Rule::args => "arguments in parentheses",
        Rule::arg => "an argument (`name: value`)",
        Rule::kw_rows
        | Rule::kw_columns
        | Rule::kw_value
        | Rule::kw_worst
        | Rule::kw_best
        | Rule::table_rows
        | Rule::table_columns
        | Rule::table_worst
        | Rule::table_best => {
            "`rows FIELD, ...`, `columns FIELD, ...`, `worst FIELD`, `best FIELD` or `value STAT METRIC`"
        }
        Rule::table_value => "`value` and a statistic such as `max accuracy`",
        Rule::sweep_axis => "a sweep axis such as `attack in [sf, alie]`",
        Rule::field_path | Rule::field_name => "a field path such as `workers.byzantine`",
        Rule::expr | Rule::call => "an expression",
        Rule::add | Rule::sub | Rule::mul | Rule::div | Rule::pow => "an operator",
        Rule::neg => "`-`",
        Rule::index => "an index such as `[0]`",
        _ => "something else",
    }
}

/// Joins the phrases for all rules the parser tried at the failing position.
pub(crate) fn describe_expected(rules: &[Rule]) -> String {
    let mut words: Vec<String> = vec![];
    let sections = rules.iter().filter_map(|r| section_phrase(*r)).unique().count();
    if sections >= 2 {
        let names: Vec<String> = sections::names().map(|k| format!("`{k}`")).collect();
        words.push(format!("a section ({})", names.join(", ")));
    }
    for &r in rules {
        let w = match section_phrase(r) {
            Some(_) if sections >= 2 => continue,
            Some(phrase) => phrase,
            None => word(r).to_string(),
        };
        if !words.contains(&w) {
            words.push(w);
        }
    }
    match words.len() {
        0 => "something else".into(),
        1 => words.remove(0),
        _ => {
            let last = words.pop().unwrap_or_default();
            format!("{} or {last}", words.join(", "))
        }
    }
}

/// Words that are keywords besides the section names (the registry's sections).
const OTHER_KEYWORDS: &[&str] = &["scenario", "base", "extends", "use", "every", "in"];

fn is_keyword(word: &str) -> bool {
    sections::lookup(word).is_some() || OTHER_KEYWORDS.contains(&word)
}

/// Sharpens what was expected using the text before the failure, and picks a help.
///
/// `opens_block`: the parser refused a setting because its name is followed by
/// `{` (the grammar's `!(ident ~ "{")`), so a block is opened where the one
/// before it is not closed.
pub(crate) fn in_context(expected: String, found: &str, before: &str, opens_block: bool) -> (String, String) {
    let word = found.trim_matches('`');
    if opens_block {
        let help = if is_keyword(word) {
            format!("`{word}` starts a new section: close the block before it with `}}`")
        } else {
            format!("`{word} {{` opens a block inside this one: close this block with `}}` first")
        };
        return ("a setting or `}`".into(), help);
    }
    if expected == "a name" || (expected.starts_with("a name") && is_keyword(word)) {
        if before.ends_with("|>") {
            return (
                "a pre-aggregator or rule after `|>`".into(),
                "end the pipeline with a rule, e.g. `aggregate nnm |> cm`".into(),
            );
        }
        if is_keyword(word) {
            let declares = ["scenario", "base", "extends"].iter().any(|k| before.ends_with(k));
            if declares {
                return (expected, format!("`{word}` is a keyword; choose another name"));
            }
            return (
                "a setting or `}`".into(),
                format!("`{word}` starts a new section: close the block before it with `}}`"),
            );
        }
    }
    let help = help_for(&expected, found);
    (expected, help)
}

/// A suggestion that fits the most common syntax slips.
fn help_for(expected: &str, found: &str) -> String {
    if found == "the end of the file" {
        return "the file ends too early: close every `{` with `}` and finish the last setting".into();
    }
    if expected.contains("a section") {
        return "a scenario holds sections such as `workers { honest 12 }`, `train { steps 100 }`, `aggregate cm` or `attack sf`".into();
    }
    if expected.contains("a setting") {
        return "write one setting per line as `name value`, e.g. `steps 100`; close the block with `}`".into();
    }
    if expected.contains("`scenario`") {
        return "a file holds `use` lines, `scenario NAME { ... }` and `base NAME { ... }` declarations".into();
    }
    format!("write {expected} here")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One list of sections, the registry's: the grammar has a rule and a
    /// keyword for each section with syntax of its own and none for a section
    /// of settings, which has settings declared under its name.
    #[test]
    fn the_section_rules_are_the_registry_sections() {
        let rules: Vec<String> = Rule::all_rules().iter().map(|r| format!("{r:?}")).collect();
        for e in &sections::SECTIONS {
            let name = e.spec.name;
            let own = rules.contains(&name.to_string()) && rules.contains(&format!("kw_{name}"));
            assert_eq!(own, e.shape == Shape::Own, "`{name}`: a grammar rule only for syntax of its own");
            if e.shape == Shape::Settings {
                assert!(!crate::registry::settings::names(name).is_empty(), "{name} has no settings");
            }
        }
    }

    /// A parse failure inside `sweeps { ... }` is about the misspelt name;
    /// inside a section, a task, a declaration or a plan it is not.
    #[test]
    fn the_block_failed_inside_is_named_only_when_no_section() {
        fn at(text: &str) -> Option<(usize, &str)> {
            unknown_block(text, text.find('!').expect("a marker"))
        }
        let t = "scenario s {\n  train { lr 0.5 }\n  sweeps { ! }\n}";
        assert_eq!(at(t), Some((t.find("sweeps").unwrap(), "sweeps")));
        assert_eq!(at("scenario s {\n  sweep { ! }\n}"), None);
        assert_eq!(at("scenario s {\n  task landscape { ! }\n}"), None);
        assert_eq!(at("scenario s { ! }"), None);
        assert_eq!(at("scenario s extends b { ! }"), None);
        assert_eq!(at("scenario s {\n  attack plan { ! }\n}"), None);
        assert_eq!(at("scenario s {\n  report every 10 { ! }\n}"), None);
        assert_eq!(at("no brace ! here"), None);
    }

    /// Where every section could start, the message names them all once.
    #[test]
    fn a_section_is_expected_by_its_registry_names() {
        let all = describe_expected(&[Rule::block, Rule::kw_seeds, Rule::seeds, Rule::kw_attack]);
        let names: Vec<String> = sections::names().map(|k| format!("`{k}`")).collect();
        assert_eq!(all, format!("a section ({})", names.join(", ")));
        assert_eq!(describe_expected(&[Rule::block]), "`workers` or `train`");
    }
}
