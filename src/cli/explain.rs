//! `byz explain NAME`: a component's registry entry.

use std::process::ExitCode;

use crate::registry;

/// `byz explain NAME`: prints a component's entry, or every name by kind for `all`; exit 2 for an unknown name.
pub fn explain(name: &str) -> ExitCode {
    if name == "all" {
        for k in registry::KINDS {
            let names: Vec<&str> = registry::specs(k).iter().map(|s| s.name).collect();
            println!("{}s: {}", k.noun(), names.join(", "));
        }
        return ExitCode::SUCCESS;
    }
    let Some(text) = registry::explain_name(name) else {
        let all: Vec<&str> = registry::KINDS.iter().flat_map(|k| registry::specs(*k)).map(|s| s.name).collect();
        let hint = crate::diagnostic::did_you_mean(name, all.iter().copied())
            .map(|s| format!("did you mean `{s}`? "))
            .unwrap_or_default();
        eprintln!("error: nothing called `{name}`\nhelp: {hint}`byz explain all` lists every component");
        return ExitCode::from(2);
    };
    print!("{text}");
    ExitCode::SUCCESS
}
