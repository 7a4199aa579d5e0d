//! Go to definition: a `use` target (the stdlib module or the relative file),
//! and a named base, scenario or model (`extends BASE`, `model NAME`).

use lsp_types::{Location, Range};
use std::path::{Path, PathBuf};

use super::hover::word_at;
use super::position::range;
use super::uri_of;
use crate::check::{self, STDLIB, SourceFile};
use crate::syntax::ast::{Item, UseTarget};

/// Where the name or `use` target at `offset` of the file at `path` is defined, if it is one.
pub fn definition(path: &Path, text: &str, offset: usize) -> Option<Location> {
    let src = SourceFile::new(path.display().to_string(), text);
    let dir = path.parent();
    let (file, scope) = check::scope(&src, dir)?;
    for item in &file.items {
        let Item::Use(u) = item else { continue };
        if (u.span.start..=u.span.end).contains(&offset) {
            let target = match &u.target {
                UseTarget::Module(parts) => stdlib_path(&parts.join("."))?,
                UseTarget::Path(p) => dir.unwrap_or(Path::new(".")).join(p),
            };
            return Some(Location::new(uri_of(&target)?, Range::default()));
        }
    }
    let (start, end) = word_at(text, offset)?;
    let name = &text[start..end];
    let (span, source) = match scope.decls.get(name) {
        Some((decl, source)) => (decl.name.span, source),
        None => scope.models.get(name).map(|(model, source)| (model.name.span, source))?,
    };
    let target = if source.name == src.name {
        path.to_path_buf()
    } else if let Some(module) = source.name.strip_prefix('<').and_then(|n| n.strip_suffix('>')) {
        stdlib_path(module)?
    } else {
        PathBuf::from(&source.name)
    };
    Some(Location::new(uri_of(&target)?, range(&source.text, span.start, span.end)))
}

/// A file holding the standard library module `std.a.b` (`stdlib/a/b.byz`): the
/// source tree's when byz runs where it was built, else a copy of the text
/// embedded in the binary, written under the temporary directory.
fn stdlib_path(module: &str) -> Option<PathBuf> {
    let (_, text) = STDLIB.iter().find(|(m, _)| *m == module)?;
    let rel: PathBuf = module.strip_prefix("std.")?.split('.').collect::<PathBuf>().with_extension("byz");
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("stdlib").join(&rel);
    if std::fs::read_to_string(&built).is_ok_and(|t| t == *text) {
        return Some(built);
    }
    let copy = std::env::temp_dir().join("byz-stdlib").join(&rel);
    std::fs::create_dir_all(copy.parent()?).ok()?;
    std::fs::write(&copy, text).ok()?;
    Some(copy)
}
