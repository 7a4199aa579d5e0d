//! Completion from the registry: which components fit where the cursor is.
//!
//! The text being typed rarely parses, so the place is read lexically: the
//! open brackets before the cursor (each with the words that opened it) and
//! the words of the current statement.

use lsp_types::{CompletionItem, CompletionItemKind, Documentation, MarkupContent, MarkupKind};

use crate::check;
use crate::registry::{self, Kind, ParamType, Spec};

use crate::registry::sections::{self, SECTIONS};
const TOP_LEVEL: &[&str] = &["use", "scenario", "base", "model"];

/// What may be written at `offset` of `text`.
pub(crate) fn completions(text: &str, offset: usize) -> Vec<CompletionItem> {
    let before = &text[..offset.min(text.len())];
    let typed = before.len() - before.trim_end_matches(is_word_char).len();
    let place = Place::read(&before[..before.len() - typed]);
    place.items()
}

/// An open bracket and the words of the statement that opened it.
struct Frame {
    open: char,
    head: Vec<String>,
}

struct Place {
    frames: Vec<Frame>,
    /// The words (and `:`, `|>`) of the current statement before the cursor.
    words: Vec<String>,
}

impl Place {
    fn read(text: &str) -> Place {
        let mut place = Place { frames: vec![], words: vec![] };
        let mut saved: Vec<Vec<String>> = vec![];
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    // Skip the string: its words are not code.
                    let mut escaped = false;
                    for (_, d) in chars.by_ref() {
                        if d == '"' && !escaped || d == '\n' {
                            break;
                        }
                        escaped = d == '\\' && !escaped;
                    }
                    place.words.push("\"\"".into());
                }
                '/' if text[i..].starts_with("//") => while chars.next_if(|(_, d)| *d != '\n').is_some() {},
                '/' if text[i..].starts_with("/*") => {
                    let end = text[i + 2..].find("*/").map_or(text.len(), |n| i + 2 + n + 2);
                    while chars.next_if(|(j, _)| *j < end).is_some() {}
                }
                '{' | '(' | '[' => {
                    saved.push(std::mem::take(&mut place.words));
                    let head = saved.last().cloned().unwrap_or_default();
                    place.frames.push(Frame { open: c, head });
                }
                '}' | ')' | ']' => {
                    place.frames.pop();
                    let outer = saved.pop().unwrap_or_default();
                    // A closed block ends its statement; a closed list or argument list is one more word.
                    place.words = if c == '}' { vec![] } else { outer.into_iter().chain(["()".to_string()]).collect() };
                }
                ',' | ';' => place.words.clear(),
                '\n' if place.frames.last().is_none_or(|f| f.open == '{') => place.words.clear(),
                ':' => place.words.push(":".into()),
                '|' if chars.next_if(|(_, d)| *d == '>').is_some() => place.words.push("|>".into()),
                c if is_word_char(c) => {
                    let mut word = c.to_string();
                    while let Some((_, d)) = chars.next_if(|(_, d)| is_word_char(*d)) {
                        word.push(d);
                    }
                    place.words.push(word);
                }
                _ => {}
            }
        }
        place
    }

    fn items(&self) -> Vec<CompletionItem> {
        let words: Vec<&str> = self.words.iter().map(String::as_str).collect();
        let Some(frame) = self.frames.last() else {
            return keywords(if words.is_empty() { TOP_LEVEL } else { &[] });
        };
        let head: Vec<&str> = frame.head.iter().map(String::as_str).collect();
        match frame.open {
            '(' => {
                let Some(spec) = head.last().and_then(|name| any_spec(name)) else { return vec![] };
                match words.as_slice() {
                    [] => parameters(spec),
                    [param, ":"] => spec.param(param).map(|p| values(p.ty)).unwrap_or_default(),
                    _ => vec![],
                }
            }
            '[' if words.is_empty() || words.last() == Some(&"|>") => match head.as_slice() {
                [.., "aggregate", "in"] => pipeline_stage(),
                [.., "attack", "in"] | [.., "choose"] => components(Kind::Attack),
                [.., "workers.heterogeneity", "in"] => components(Kind::Split),
                [.., param, ":"] => self.argument_of_enclosing(param),
                _ => vec![],
            },
            '{' => self.in_block(&head, &words),
            _ => vec![],
        }
    }

    /// Values for `param:` of the component whose argument list encloses a `[`.
    fn argument_of_enclosing(&self, param: &str) -> Vec<CompletionItem> {
        let outer = self.frames.len().checked_sub(2).map(|i| &self.frames[i]);
        let spec = outer.filter(|f| f.open == '(').and_then(|f| f.head.last()).and_then(|n| any_spec(n));
        spec.and_then(|s| s.param(param)).map(|p| values(p.ty)).unwrap_or_default()
    }

    fn in_block(&self, head: &[&str], words: &[&str]) -> Vec<CompletionItem> {
        if head.last() == Some(&"plan") {
            // `plan { lookahead 8; choose [...]; objective min_loss }`: the plan attack's parameters as settings.
            let Some(spec) = registry::lookup(Kind::Attack, "plan") else { return vec![] };
            return match words {
                [] => spec.params.iter().map(|p| setting(p.name, p.doc)).collect(),
                [param] => spec.param(param).map(|p| values(p.ty)).unwrap_or_default(),
                _ => vec![],
            };
        }
        match head.first().copied() {
            Some("scenario" | "base") => {
                // Several sections may share a line: the statement starts at the last section keyword.
                let from = words.iter().rposition(|w| sections::lookup(w).is_some()).unwrap_or(0);
                match &words[from..] {
                    [] => SECTIONS
                        .iter()
                        .map(|e| CompletionItem {
                            detail: Some(e.spec.summary.to_string()),
                            documentation: Some(markdown(registry::explain(&e.spec))),
                            ..keyword(e.spec.name)
                        })
                        .collect(),
                    ["aggregate"] | ["aggregate", .., "|>"] => pipeline_stage(),
                    ["attack"] => components(Kind::Attack),
                    ["allow"] => components(Kind::Warning),
                    ["task"] => components(Kind::Task),
                    ["data"] => components(Kind::DataSet),
                    _ => vec![],
                }
            }
            Some(block) if sections::is_settings(block) && words.is_empty() => settings_of(block),
            Some(block)
                if let [key] = words
                    && let Some((.., kind)) = registry::settings::component_setting(block, key) =>
            {
                components(kind)
            }
            // `table { rows ...; worst attack; value max accuracy }` and `expect { final loss < 0.5 }`.
            Some("table") => match words {
                [] => keywords(check::TABLE_ITEMS),
                ["value"] => components(Kind::Statistic),
                ["value", _] => components(Kind::Metric),
                _ => vec![],
            },
            Some("expect") => match words {
                [] => components(Kind::Statistic),
                [_] => components(Kind::Metric),
                _ => vec![],
            },
            // An attack schedule: `0..100 none`.
            Some("attack") => match words {
                [range] if range.starts_with(|c: char| c.is_ascii_digit()) => components(Kind::Attack),
                _ => vec![],
            },
            _ => vec![],
        }
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '.'
}

/// A component of any kind called `name`.
fn any_spec(name: &str) -> Option<&'static Spec> {
    registry::KINDS.iter().find_map(|k| registry::lookup(*k, name))
}

fn pipeline_stage() -> Vec<CompletionItem> {
    let mut items = components(Kind::PreAggregator);
    items.extend(components(Kind::Rule));
    items
}

/// What a parameter of this type takes.
fn values(ty: ParamType) -> Vec<CompletionItem> {
    match ty {
        ParamType::Component(kind) | ParamType::List(kind) => components(kind),
        ParamType::Choice(words) => keywords(words),
        ParamType::Int { .. } | ParamType::Float { .. } | ParamType::Share { .. } => vec![],
    }
}

fn components(kind: Kind) -> Vec<CompletionItem> {
    registry::specs(kind)
        .into_iter()
        .map(|spec| CompletionItem {
            label: spec.name.to_string(),
            kind: Some(CompletionItemKind::FUNCTION),
            detail: Some(format!("{}: {}", kind.noun(), spec.summary)),
            documentation: Some(markdown(registry::explain(spec))),
            ..Default::default()
        })
        .collect()
}

/// `name: ` for each parameter of a component, inside `name(`.
fn parameters(spec: &Spec) -> Vec<CompletionItem> {
    spec.params
        .iter()
        .map(|p| CompletionItem {
            label: p.name.to_string(),
            kind: Some(CompletionItemKind::FIELD),
            detail: Some(p.doc.to_string()),
            insert_text: Some(format!("{}: ", p.name)),
            documentation: Some(markdown(registry::explain(spec))),
            ..Default::default()
        })
        .collect()
}

/// `name ` for a setting of a block such as `plan { ... }`.
fn setting(name: &str, doc: &str) -> CompletionItem {
    CompletionItem {
        label: name.to_string(),
        kind: Some(CompletionItemKind::PROPERTY),
        detail: (!doc.is_empty()).then(|| doc.to_string()),
        insert_text: Some(format!("{name} ")),
        ..Default::default()
    }
}

/// The settings of `workers` or `train`, with their registry entries.
fn settings_of(block: &str) -> Vec<CompletionItem> {
    registry::settings::SETTINGS
        .iter()
        .filter(|e| e.block == block)
        .map(|e| CompletionItem {
            documentation: Some(markdown(registry::explain(&e.spec))),
            ..setting(e.spec.name, e.spec.summary)
        })
        .collect()
}

fn keywords(words: &[&str]) -> Vec<CompletionItem> {
    words.iter().map(|w| keyword(w)).collect()
}

/// A keyword, offered without documentation.
fn keyword(word: &str) -> CompletionItem {
    CompletionItem { label: word.to_string(), kind: Some(CompletionItemKind::KEYWORD), ..Default::default() }
}

/// `text` as a preformatted Markdown block, for the editor's documentation pop-ups.
pub fn markdown(text: String) -> Documentation {
    Documentation::MarkupContent(MarkupContent { kind: MarkupKind::Markdown, value: format!("```text\n{text}```") })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(text: &str) -> Vec<String> {
        let at = text.find('$').expect("a cursor");
        let text = text.replacen('$', "", 1);
        completions(&text, at).into_iter().map(|i| i.label).collect()
    }

    #[test]
    fn rules_and_pre_aggregators_after_aggregate_and_pipes() {
        for text in [
            "scenario x {\n  aggregate $\n}",
            "scenario x { aggregate nnm |> kr$",
            "sweep { aggregate in [cm, nnm |> $",
        ] {
            let got = labels(text);
            assert!(got.contains(&"krum".into()) && got.contains(&"nnm".into()), "{text}: {got:?}");
            assert!(!got.contains(&"sf".into()), "{text}: {got:?}");
        }
    }

    #[test]
    fn table_lines_statistics_and_metrics() {
        let got = labels("scenario x {\n  table {\n    rows aggregate\n    $");
        assert!(["rows", "columns", "worst", "best", "value"].iter().all(|w| got.contains(&w.to_string())), "{got:?}");
        let got = labels("scenario x { table { value $");
        assert!(got.contains(&"negative".into()) && !got.contains(&"loss".into()), "{got:?}");
        let got = labels("scenario x { table { value mean $");
        assert!(got.contains(&"cosine".into()) && got.contains(&"inner_product".into()), "{got:?}");
        let got = labels("scenario x {\n  expect {\n    final $");
        assert!(got.contains(&"accuracy".into()) && !got.contains(&"final".into()), "{got:?}");
    }

    #[test]
    fn kinds_of_warning_after_allow() {
        for text in ["scenario x {\n  allow $", "base b { seeds 1; allow $"] {
            let got = labels(text);
            assert!(got.contains(&"single_seed".into()) && !got.contains(&"cm".into()), "{text}: {got:?}");
        }
    }

    #[test]
    fn tasks_data_sets_and_settings_from_the_registry() {
        assert_eq!(labels("scenario x {\n  task $"), ["landscape", "mean_estimation"]);
        assert_eq!(labels("scenario x {\n  data $"), ["mnist", "fashion", "cifar10"]);
        let got = labels("scenario x {\n  train { $");
        assert!(got.contains(&"momentum".into()) && !got.contains(&"honest".into()), "{got:?}");
    }

    #[test]
    fn attacks_in_attack_positions() {
        for text in
            ["scenario x {\n  attack $", "attack {\n  0..10 $", "sweep {\n  attack in [sf, $", "plan { choose [$"]
        {
            let got = labels(text);
            assert!(got.contains(&"alie".into()) && !got.contains(&"cm".into()), "{text}: {got:?}");
        }
    }

    #[test]
    fn parameters_inside_a_call_and_their_values() {
        let got = labels("scenario x { attack jump(segment: 1, $");
        assert!(got.contains(&"solver".into()) && got.contains(&"objective".into()), "{got:?}");
        let got = labels("scenario x { attack jump(solver: $");
        assert!(got.contains(&"powell".into()) && !got.contains(&"segment".into()), "{got:?}");
        let got = labels("scenario x { attack plan(choose: [sf, $");
        assert!(got.contains(&"alie".into()), "{got:?}");
    }

    #[test]
    fn any_offset_of_any_file_is_answered_without_a_panic() {
        for (_, text) in crate::check::STDLIB {
            for (offset, _) in text.char_indices() {
                let _ = completions(text, offset);
                let _ = super::super::hover::hover(text, offset);
            }
        }
    }

    #[test]
    fn sections_in_a_scenario_and_items_at_the_top() {
        assert!(labels("scenario x {\n  seeds 1\n  $").contains(&"workers".into()));
        assert!(labels("use std.models\n$").contains(&"scenario".into()));
        assert!(labels("scenario x {\n  workers {\n    honest 2\n    $").contains(&"byzantine".into()));
        assert!(labels("scenario x {\n  workers {\n    honest 2\n    $").contains(&"declared".into()));
        for text in ["scenario x {\n  workers {\n    heterogeneity $", "sweep {\n    workers.heterogeneity in [iid, $"]
        {
            let got = labels(text);
            assert!(got.contains(&"dirichlet".into()) && got.contains(&"longtail".into()), "{text}: {got:?}");
        }
        assert!(labels("scenario x { train { steps 8; $").contains(&"momentum".into()));
        let got = labels("scenario x { plan {\n  $");
        assert!(got.contains(&"lookahead".into()) && got.contains(&"choose".into()), "{got:?}");
        assert!(
            labels("scenario x {\n  workers { honest 2 }\n  data mnist(\"a/b // c\")\n  $").contains(&"sweep".into())
        );
    }
}
