//! Checking: names, imports, values and requirements, turning the syntax
//! tree into resolved plans. Every error of a file is collected and reported
//! together.

pub mod component;
mod data;
pub mod diagnostic;
mod expect;
mod expr;
pub mod limits;
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

/// What a command needs of a file beyond a valid plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Everything to run it here: the data sets it names must be at hand.
    Run,
    /// The plan alone (listing, collecting, estimating): data may be elsewhere.
    Plan,
}

/// Checks a file on disk and resolves all of its scenarios, ready to run.
pub fn check_path(path: &Path) -> Result<Vec<ScenarioPlan>, Errors> {
    check_path_for(path, Need::Run)
}

/// Checks a file on disk for what a command needs of it.
pub fn check_path_for(path: &Path, need: Need) -> Result<Vec<ScenarioPlan>, Errors> {
    let src = loader::read_source(path).map_err(|d| Errors::from(*d))?;
    check_source_for(&src, path.parent(), need)
}

/// Checks source text; `dir` is where relative `use` paths are looked up.
pub fn check_source(src: &SourceFile, dir: Option<&Path>) -> Result<Vec<ScenarioPlan>, Errors> {
    check_source_for(src, dir, Need::Run)
}

fn check_source_for(src: &SourceFile, dir: Option<&Path>, need: Need) -> Result<Vec<ScenarioPlan>, Errors> {
    let file = crate::syntax::parse_file(src).map_err(|d| Errors::from(*d))?;
    let mut errors = vec![];
    let scope = loader::load(src, &file, dir, &mut errors);
    let plans = resolve::scenarios(src, &file, &scope, &mut errors);
    if need == Need::Plan {
        errors.retain(|e| !e.missing_data);
    }
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
