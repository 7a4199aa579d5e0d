//! The shape of the code (ARCHITECTURE.md): the top-level modules of `src/`
//! import each other without a cycle, and the leaf modules every stage shares
//! import none of the stages.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level module → the other top-level modules its files name as `crate::NAME`.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = common::root().join("src");
    let modules: BTreeSet<String> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() || p.extension().is_some_and(|e| e == "rs"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .filter(|m| m != "lib" && m != "main")
        .collect();
    let mut graph = BTreeMap::new();
    for m in &modules {
        let mut files = vec![];
        let dir = src.join(m);
        if dir.is_dir() {
            rust_files(&dir, &mut files)
        } else {
            files.push(src.join(format!("{m}.rs")))
        }
        let mut named = BTreeSet::new();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for name in crate_paths(&text) {
                if &name != m && modules.contains(&name) {
                    named.insert(name);
                }
            }
        }
        graph.insert(m.clone(), named);
    }
    graph
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The first segment after each `crate::`, also inside `crate::{a, b::c}`.
fn crate_paths(text: &str) -> Vec<String> {
    let word = |s: &str| s.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect::<String>();
    let mut out = vec![];
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Each item at depth 0 of the group starts with a module name.
            let mut depth = 0;
            let mut item_start = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && !c.is_whitespace() => {
                        item_start = false;
                        out.push(word(&group[j..]));
                    }
                    _ => {}
                }
            }
        } else {
            out.push(word(rest));
        }
    }
    out
}

/// A cycle through `start`, if there is one (depth-first search).
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        m: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == m) {
            let mut c = path[i..].to_vec();
            c.push(m.to_string());
            return Some(c);
        }
        if done.contains(m) {
            return None;
        }
        path.push(m.to_string());
        for next in graph.get(m).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(m.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|m| visit(m, graph, &mut vec![], &mut done))
}

#[test]
fn the_top_level_modules_import_each_other_without_a_cycle() {
    let graph = imports();
    assert!(graph.len() >= 15 && graph["cli"].contains("check"), "the graph was read: {graph:?}");
    if let Some(c) = cycle(&graph) {
        panic!("an import cycle: {}\n(every module's imports: {graph:#?})", c.join(" → "));
    }
}

/// Sources, spans and diagnostics sit below every stage; the plan is plain
/// data that the stages read; a component's `Spec` needs only the plan.
#[test]
fn the_leaf_modules_import_no_stage() {
    let graph = imports();
    for (leaf, allowed) in [
        ("source", &[][..]),
        ("diagnostic", &["source"][..]),
        ("plan", &[][..]),
        ("spec", &["plan"][..]),
        ("rng", &[][..]),
    ] {
        let extra: Vec<&String> = graph[leaf].iter().filter(|m| !allowed.contains(&m.as_str())).collect();
        assert!(extra.is_empty(), "`{leaf}` imports {extra:?}");
    }
}

#[test]
fn the_reader_finds_grouped_and_nested_paths() {
    let text = "use crate::{plan::{A, B}, task};\nlet x = crate::sim::run(p);";
    assert_eq!(crate_paths(text), ["plan", "task", "sim"]);
}

/// The grammars that cannot read the registry name its sections: the pest
/// grammar has a rule and a keyword for each section with syntax of its own
/// (a section of settings is its generic `block`), and the editors' grammars
/// (tree-sitter, its highlights, TextMate) name every section, so a section
/// added to the registry and not to them fails here.
#[test]
fn the_grammars_name_the_registry_sections() {
    use byz::registry::sections::{SECTIONS, Shape};
    let root = common::root();
    let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
    let pest = read("grammar/byz.pest");
    let tree_sitter = read("editors/tree-sitter-byz/grammar.js");
    let highlights = read("editors/tree-sitter-byz/queries/highlights.scm");
    let textmate = read("editors/vscode/syntaxes/byz.tmLanguage.json");
    // `kw_block` reserves exactly the sections of settings.
    let kw_block = pest.lines().find(|l| l.starts_with("kw_block")).expect("grammar/byz.pest's kw_block");
    let reserved: BTreeSet<&str> = kw_block.split('"').skip(1).step_by(2).collect();
    let settings: BTreeSet<&str> = byz::registry::sections::of_settings().collect();
    assert_eq!(reserved, settings, "grammar/byz.pest's kw_block");
    for e in &SECTIONS {
        let name = e.spec.name;
        let own = pest.contains(&format!("\n{name} ")) && pest.contains(&format!("kw_{name} "));
        assert_eq!(
            own,
            e.shape == Shape::Own,
            "grammar/byz.pest: `{name}` has a rule only if it has syntax of its own"
        );
        assert!(tree_sitter.contains(&format!("'{name}'")), "tree-sitter grammar.js lacks `{name}`");
        assert!(highlights.contains(&format!("\"{name}\"")), "highlights.scm lacks `{name}`");
        assert!(regex_names(&textmate).contains(name), "the TextMate grammar has no pattern for `{name}`");
    }
}

/// Every word of the TextMate grammar's alternations at a word boundary, `\b(seeds|data|...)`.
fn regex_names(textmate: &str) -> BTreeSet<&str> {
    textmate
        .split("\\\\b(")
        .skip(1)
        .filter_map(|rest| rest.split_once(')'))
        .flat_map(|(group, _)| group.split('|'))
        .collect()
}
