//! The one reader of settings blocks (`workers { ... }`, `train { ... }`,
//! a task's settings): typed access by key, unknown keys flagged once.

use crate::check::limits;
use crate::diagnostic::{Code, Diag, SourceFile, did_you_mean};
use crate::syntax::ast::{Setting, ValueKind};

/// Typed access to a settings block, flagging unknown keys.
pub(super) struct Block<'a> {
    settings: Vec<(&'a Setting, &'a SourceFile)>,
    /// An unknown key was reported, likely a misspelt one: then a missing key is not news.
    pub(super) misspelt: bool,
}

impl<'a> Block<'a> {
    pub(super) fn new(
        settings: impl IntoIterator<Item = (&'a Setting, &'a SourceFile)>,
        section: &str,
        known: &[&str],
        errors: &mut Vec<Diag>,
    ) -> Self {
        let settings: Vec<_> = settings.into_iter().collect();
        let mut misspelt = false;
        for (s, src) in &settings {
            if !known.contains(&s.key.name.as_str()) {
                misspelt = true;
                let d =
                    Diag::new(Code::Unknown, src, s.key.span, format!("`{section}` has no setting `{}`", s.key.name))
                        .label("unknown setting");
                errors.push(match did_you_mean(&s.key.name, known.iter().copied()) {
                    Some(k) => d.help(format!("did you mean `{k}`?")),
                    None => d.help(format!(
                        "`{section}` takes {}",
                        known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                    )),
                });
            }
        }
        Block { settings, misspelt }
    }

    pub(super) fn get(&self, key: &str) -> Option<(&'a Setting, &'a SourceFile)> {
        self.settings.iter().rev().find(|(s, _)| s.key.name == key).copied()
    }

    pub(super) fn number(
        &self,
        key: &str,
        ok: impl Fn(f64) -> bool,
        want: &str,
        errors: &mut Vec<Diag>,
    ) -> Option<Option<f64>> {
        self.number_or(Code::WrongValue, key, ok, want, errors)
    }

    /// `number`, reporting a refused value under `code`.
    fn number_or(
        &self,
        code: Code,
        key: &str,
        ok: impl Fn(f64) -> bool,
        want: &str,
        errors: &mut Vec<Diag>,
    ) -> Option<Option<f64>> {
        let Some((s, src)) = self.get(key) else { return Some(None) };
        match s.value.kind {
            ValueKind::Number(x, _) if ok(x) => Some(Some(x)),
            _ => {
                errors.push(
                    Diag::new(code, src, s.value.span, format!("`{key}` must be {want}"))
                        .label(format!("must be {want}"))
                        .help(format!("write `{key}` followed by {want}")),
                );
                None
            }
        }
    }

    /// A whole number in `min..=max` (`max` from `limits`, named only when exceeded).
    pub(super) fn whole(&self, key: &str, min: u64, max: u64, errors: &mut Vec<Diag>) -> Option<Option<usize>> {
        let over =
            matches!(self.get(key), Some((s, _)) if matches!(s.value.kind, ValueKind::Number(x, _) if x > max as f64));
        let (code, want) = if over {
            (Code::Limit, format!("at most {} (byz's limit)", limits::thousands(max)))
        } else {
            (Code::WrongValue, format!("a whole number of at least {min}"))
        };
        self.number_or(code, key, |x| x.fract() == 0.0 && x >= min as f64 && x <= max as f64, &want, errors)
            .map(|x| x.map(|x| x as usize))
    }

    pub(super) fn vector(
        &self,
        key: &str,
        errors: &mut Vec<Diag>,
    ) -> Option<Option<(Vec<f64>, &'a Setting, &'a SourceFile)>> {
        let Some((s, src)) = self.get(key) else { return Some(None) };
        match &s.value.kind {
            ValueKind::Vector(v) if !v.is_empty() && v.iter().all(|x| x.is_finite()) => Some(Some((v.clone(), s, src))),
            _ => {
                errors.push(
                    Diag::new(Code::WrongValue, src, s.value.span, format!("`{key}` must be a vector of numbers"))
                        .label("not a vector")
                        .help(format!("write e.g. `{key} [1, 0]`")),
                );
                None
            }
        }
    }
}
