//! `seeds 1..=5`, `seeds [1, 4]`, `seeds 3`: the seeds of a scenario's runs.

use crate::check::merged::Placed;
use crate::diagnostic::{Code, Diag};
use crate::syntax::ast::{Value, ValueKind};

pub(super) fn seeds(v: Option<&Placed<Value>>, errors: &mut Vec<Diag>) -> Option<Vec<u64>> {
    let Some(v) = v else { return Some(vec![1]) };
    let bad = |msg: &str| {
        Diag::new(Code::WrongValue, &v.src, v.node.span, msg.to_string())
            .label("not a list of seeds")
            .help("write `seeds 1..=5`, `seeds [1, 7]` or `seeds 3`")
    };
    let seeds: Vec<u64> = match &v.node.kind {
        ValueKind::Number(x, _) if x.fract() == 0.0 && *x >= 0.0 => vec![*x as u64],
        ValueKind::List(l) => l.clone(),
        ValueKind::Range(r) => match r.end {
            // Counted before collecting, without overflow: `0..=18446744073709551615` is too many, not empty.
            Some(end) => {
                let count =
                    u128::from(end).saturating_sub(u128::from(r.start)) + u128::from(r.inclusive && end >= r.start);
                if count > 10_000 {
                    errors.push(bad("more than 10,000 seeds"));
                    return None;
                }
                if r.inclusive { (r.start..=end).collect() } else { (r.start..end).collect() }
            }
            None => {
                errors.push(bad("a range of seeds needs an end"));
                return None;
            }
        },
        _ => {
            errors.push(bad("seeds must be whole numbers"));
            return None;
        }
    };
    if seeds.is_empty() || seeds.len() > 10_000 {
        errors.push(bad(if seeds.is_empty() { "the seed list is empty" } else { "more than 10,000 seeds" }));
        return None;
    }
    Some(seeds)
}
