//! `use`: the standard library (embedded in the binary) and relative files.
//! Loading collects every `scenario` and `base` visible from a file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Code, Diag, SourceFile, did_you_mean};
use crate::syntax::ast::{Decl, File, Item, ModelDecl, Span, UseTarget};

/// The standard library's modules, as `use std.NAME` names them.
pub static STDLIB: &[(&str, &str)] = &[
    ("std.models", include_str!("../../stdlib/models.byz")),
    ("std.papers.jump", include_str!("../../stdlib/papers/jump.byz")),
    ("std.papers.nlp", include_str!("../../stdlib/papers/nlp.byz")),
];

/// The declarations a file can see, each with the file it was written in.
#[derive(Default)]
pub struct Scope {
    pub decls: HashMap<String, (Decl, SourceFile)>,
    pub models: HashMap<String, (ModelDecl, SourceFile)>,
}

/// A `.byz` file's text: a regular file of at most `MAX_IMPORT_BYTES`
/// (`use "/dev/zero"` must not read until memory runs out).
fn read_text(path: &Path) -> std::io::Result<String> {
    use std::io::{Error, Read};
    let meta = std::fs::metadata(path)?;
    let max = super::limits::MAX_IMPORT_BYTES;
    if !meta.is_file() {
        return Err(Error::other("not a regular file"));
    }
    if meta.len() > max {
        return Err(Error::other(format!("larger than {} MiB", max >> 20)));
    }
    let mut text = String::new();
    std::fs::File::open(path)?.take(max + 1).read_to_string(&mut text)?;
    if text.len() as u64 > max {
        return Err(Error::other(format!("larger than {} MiB", max >> 20)));
    }
    Ok(text)
}

/// Reads a `.byz` file (a regular file within the size limit), or a diagnostic naming it.
pub fn read_source(path: &Path) -> Result<SourceFile, Box<Diag>> {
    read_text(path).map(|text| SourceFile::new(path.display().to_string(), text)).map_err(|e| {
        let empty = SourceFile::new(path.display().to_string(), "");
        Box::new(
            Diag::new(Code::Unreadable, &empty, Span::default(), format!("cannot read `{}`: {e}", path.display()))
                .label("this file")
                .help("check the path; scenario files end in `.byz`"),
        )
    })
}

/// Every `.byz` file under `path` (itself when it is one), sorted.
pub fn byz_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> =
            std::fs::read_dir(path).into_iter().flatten().flatten().map(|e| e.path()).collect();
        entries.sort();
        entries.iter().for_each(|p| byz_files(p, out));
    } else if path.extension().is_some_and(|e| e == "byz") {
        out.push(path.to_path_buf());
    }
}

/// The declarations `file` can see, its own and its `use`s'; relative paths from `dir` (else the working folder).
pub fn load(src: &SourceFile, file: &File, dir: Option<&Path>, errors: &mut Vec<Diag>) -> Scope {
    let mut scope = Scope::default();
    let mut visiting = vec![src.name.clone()];
    add_file(&mut scope, src, file, dir, &mut visiting, errors);
    scope
}

fn add_file(
    scope: &mut Scope,
    src: &SourceFile,
    file: &File,
    dir: Option<&Path>,
    visiting: &mut Vec<String>,
    errors: &mut Vec<Diag>,
) {
    for item in &file.items {
        match item {
            Item::Use(u) => {
                let Some((dep_src, dep_dir)) = open(src, &u.target, u.span, dir, errors) else { continue };
                if visiting.contains(&dep_src.name) {
                    continue; // already being loaded further up: its names arrive there
                }
                match crate::syntax::parse_file(&dep_src) {
                    Ok(dep) => {
                        visiting.push(dep_src.name.clone());
                        add_file(scope, &dep_src, &dep, dep_dir.as_deref(), visiting, errors);
                        visiting.pop();
                    }
                    Err(d) => errors.push(*d),
                }
            }
            Item::Model(m) => {
                if let Some((prev, prev_src)) = scope.models.get(&m.name.name) {
                    if prev_src.name != src.name || prev.span != m.span {
                        errors.push(
                            Diag::new(
                                Code::Twice,
                                src,
                                m.name.span,
                                format!("model `{}` is declared twice", m.name.name),
                            )
                            .label("second declaration")
                            .help(format!("rename one of them; the other is in {}", prev_src.name)),
                        );
                    }
                    continue;
                }
                scope.models.insert(m.name.name.clone(), (m.clone(), src.clone()));
            }
            Item::Decl(d) => {
                if let Some((prev, prev_src)) = scope.decls.get(&d.name.name) {
                    if prev_src.name != src.name || prev.span != d.span {
                        errors.push(
                            Diag::new(Code::Twice, src, d.name.span, format!("`{}` is declared twice", d.name.name))
                                .label("second declaration")
                                .help(format!("rename one of them; the other is in {}", prev_src.name)),
                        );
                    }
                    continue;
                }
                scope.decls.insert(d.name.name.clone(), (d.clone(), src.clone()));
            }
        }
    }
}

fn open(
    src: &SourceFile,
    target: &UseTarget,
    span: Span,
    dir: Option<&Path>,
    errors: &mut Vec<Diag>,
) -> Option<(SourceFile, Option<PathBuf>)> {
    match target {
        UseTarget::Module(parts) => {
            let name = parts.join(".");
            if let Some((_, text)) = STDLIB.iter().find(|(m, _)| *m == name) {
                return Some((SourceFile::new(format!("<{name}>"), *text), None));
            }
            let mut d =
                Diag::new(Code::Unknown, src, span, format!("there is no module `{name}`")).label("unknown module");
            d = match did_you_mean(&name, STDLIB.iter().map(|(m, _)| *m)) {
                Some(m) => d.help(format!("did you mean `use {m}`?")),
                None => d.help(format!(
                    "the standard library has {}; a file of yours is `use \"path/to/file.byz\"`",
                    STDLIB.iter().map(|(m, _)| format!("`{m}`")).collect::<Vec<_>>().join(", ")
                )),
            };
            errors.push(d);
            None
        }
        UseTarget::Path(p) => {
            let path = dir.unwrap_or(Path::new(".")).join(p);
            match read_text(&path) {
                Ok(text) => {
                    Some((SourceFile::new(path.display().to_string(), text), path.parent().map(Path::to_path_buf)))
                }
                Err(e) => {
                    errors.push(
                        Diag::new(Code::Unreadable, src, span, format!("cannot read `{}`: {e}", path.display()))
                            .label("imported here")
                            .help("paths in `use` are relative to the file that uses them"),
                    );
                    None
                }
            }
        }
    }
}
