//! `byz explain NAME`: a component's registry entry, or what an error code means.

use std::process::ExitCode;

use itertools::Itertools;

use crate::diagnostic::code;
use crate::registry;

/// `byz explain NAME`: prints a component's entry or an error code's
/// explanation (`E0005`), or every name by kind and every code for `all`;
/// exit 2 for an unknown name.
pub fn explain(name: &str) -> ExitCode {
    if name == "all" {
        for k in registry::KINDS {
            let names: Vec<&str> = registry::specs(k).iter().map(|s| s.name).collect();
            if k == registry::Kind::Setting {
                // By block: two tasks both have an `init`.
                let blocks = registry::settings::SETTINGS.iter().map(|e| e.block).dedup();
                let by_block: Vec<String> =
                    blocks.map(|b| format!("{b} {{ {} }}", registry::settings::names(b).join(", "))).collect();
                println!("{}s: {}", k.noun(), by_block.join("; "));
                continue;
            }
            println!("{}s: {}", k.noun(), names.join(", "));
        }
        println!("error codes:");
        for e in code::ERROR_CODES {
            println!("  {}  {}", e.id, e.title);
        }
        return ExitCode::SUCCESS;
    }
    if let Some(entry) = code::entry(name) {
        print!("{}", entry.explain());
        return ExitCode::SUCCESS;
    }
    let Some(text) = registry::explain_name(name) else {
        let all: Vec<&str> = registry::KINDS.iter().flat_map(|k| registry::specs(*k)).map(|s| s.name).collect();
        let hint = crate::diagnostic::did_you_mean(name, all.iter().copied())
            .map(|s| format!("did you mean `{s}`? "))
            .unwrap_or_default();
        eprintln!("error: nothing called `{name}`\nhelp: {hint}`byz explain all` lists every component and error code");
        return ExitCode::from(2);
    };
    print!("{text}");
    ExitCode::SUCCESS
}
