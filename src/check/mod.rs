//! Checking: names, imports, values and requirements, turning the syntax
//! tree into resolved plans. Every error of a file is collected and reported
//! together.

pub mod component;
mod data;
pub mod diagnostic;
mod expect;
mod expr;
mod loader;
mod model;
mod resolve;
mod sections;
mod sweep;
mod table;

use std::path::Path;

pub use diagnostic::{Diag, Errors, SourceFile};
pub use loader::{STDLIB, Scope, byz_files, read_source};
pub use sections::{TRAIN_SETTINGS, WORKERS_SETTINGS};

use crate::plan::ScenarioPlan;

/// Checks a file on disk and resolves all of its scenarios.
pub fn check_path(path: &Path) -> Result<Vec<ScenarioPlan>, Errors> {
    let src = loader::read_source(path).map_err(|d| Errors::from(*d))?;
    check_source(&src, path.parent())
}

/// Checks source text; `dir` is where relative `use` paths are looked up.
pub fn check_source(src: &SourceFile, dir: Option<&Path>) -> Result<Vec<ScenarioPlan>, Errors> {
    let file = crate::syntax::parse_file(src).map_err(|d| Errors::from(*d))?;
    let mut errors = vec![];
    let scope = loader::load(src, &file, dir, &mut errors);
    let plans = resolve::scenarios(src, &file, &scope, &mut errors);
    if errors.is_empty() { Ok(plans) } else { Err(Errors { errors: dedup(errors) }) }
}

/// The file's syntax tree and the declarations visible from it (its own and
/// its imports'), for the language server; `None` when the text does not parse.
pub fn scope(src: &SourceFile, dir: Option<&Path>) -> Option<(crate::syntax::ast::File, Scope)> {
    let file = crate::syntax::parse_file(src).ok()?;
    let scope = loader::load(src, &file, dir, &mut vec![]);
    Some((file, scope))
}

/// Sweeps resolve the same words many times; report each problem once.
fn dedup(errors: Vec<Diag>) -> Vec<Diag> {
    let mut seen = std::collections::HashSet::new();
    errors.into_iter().filter(|e| seen.insert((e.src.name().to_string(), e.span.offset(), e.message.clone()))).collect()
}
