//! Checking: names, imports, values and requirements, turning the syntax
//! tree into resolved plans. Every error of a file is collected and reported
//! together.

pub mod component;
mod data;
mod expect;
mod expr;
mod ignored;
pub mod limits;
mod loader;
pub mod memory;
mod merged;
mod model;
mod resolve;
mod sections;
mod sweep;
mod table;

use std::path::Path;

pub use crate::diagnostic::{Diag, Errors, SourceFile, Warnings};
pub use loader::{STDLIB, Scope, byz_files, read_source};
pub use memory::Memory;
pub use table::TABLE_ITEMS;

use crate::plan::ScenarioPlan;

/// What a command needs of a file beyond a valid plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Everything to run it here: the data sets it names must be at hand.
    Run,
    /// The plan alone (listing, collecting, estimating): data may be elsewhere.
    Plan,
}

impl Need {
    /// Running here must fit this machine's memory; a plan may be for another.
    pub fn memory(self) -> Memory {
        match self {
            Need::Run => Memory::Machine,
            Need::Plan => Memory::Unchecked,
        }
    }
}

/// A file's resolved scenarios, and the warnings found on the way.
pub struct Checked {
    pub plans: Vec<ScenarioPlan>,
    pub warnings: Vec<Diag>,
    /// With `Need::Plan`: the data sets the file names that are not here
    /// (errors for `Need::Run`).
    pub missing_data: Vec<Diag>,
}

/// Checks a file on disk for what a command needs of it.
pub fn check_file(path: &Path, need: Need) -> Result<Checked, Errors> {
    check_file_within(path, need, need.memory())
}

/// `check_file`, with the memory a run may use.
pub(crate) fn check_file_within(path: &Path, need: Need, memory: Memory) -> Result<Checked, Errors> {
    let src = loader::read_source(path).map_err(|d| Errors::from(*d))?;
    check_text_within(&src, path.parent(), need, memory)
}

/// Checks source text; `dir` is where relative `use` paths are looked up.
pub fn check_source(src: &SourceFile, dir: Option<&Path>) -> Result<Vec<ScenarioPlan>, Errors> {
    check_text(src, dir, Need::Run).map(|c| c.plans)
}

/// Checks source text for what a command needs of it. An `Err` holds the
/// errors and the warnings, in the order they were found.
pub fn check_text(src: &SourceFile, dir: Option<&Path>, need: Need) -> Result<Checked, Errors> {
    check_text_within(src, dir, need, need.memory())
}

/// `check_text`, with the memory a run may use.
pub(crate) fn check_text_within(
    src: &SourceFile,
    dir: Option<&Path>,
    need: Need,
    limit: Memory,
) -> Result<Checked, Errors> {
    let file = crate::syntax::parse_file(src).map_err(|d| Errors::from(*d))?;
    let mut found = vec![];
    let scope = loader::load(src, &file, dir, &mut found);
    let plans = resolve::scenarios(src, &file, &scope, &mut found);
    memory::check(src, &file, &plans, limit, &mut found);
    let (missing_data, found): (Vec<Diag>, Vec<Diag>) =
        dedup(found).into_iter().partition(|e| need == Need::Plan && e.is_missing_data());
    if found.iter().any(|d| !d.is_warning()) {
        Err(Errors { errors: found })
    } else {
        Ok(Checked { plans, warnings: found, missing_data })
    }
}

/// The file's syntax tree and the declarations visible from it (its own and
/// its imports'), for the language server; `None` when the text does not parse.
pub(crate) fn scope(src: &SourceFile, dir: Option<&Path>) -> Option<(crate::syntax::ast::File, Scope)> {
    let file = crate::syntax::parse_file(src).ok()?;
    let scope = loader::load(src, &file, dir, &mut vec![]);
    Some((file, scope))
}

/// Sweeps resolve the same words many times; report each problem once.
fn dedup(errors: Vec<Diag>) -> Vec<Diag> {
    let mut seen = std::collections::HashSet::new();
    errors.into_iter().filter(|e| seen.insert((e.src.name().to_string(), e.span.offset(), e.message.clone()))).collect()
}
