//! `train { steps 800; lr 0.25 until 1000, then 0.025; momentum 0.9; ... }`.

use super::Block;
use crate::check::limits;
use crate::check::merged::Placed;
use crate::diagnostic::{Code, Diag};
use crate::plan::Train;
use crate::registry::settings;
use crate::syntax::ast::{Setting, ValueKind};

pub(super) fn train(ts: &[Placed<Setting>], errors: &mut Vec<Diag>) -> Option<Train> {
    if ts.is_empty() {
        return None;
    }
    let b = Block::new(ts.iter().map(|p| (&p.node, &p.src)), "train", &settings::names("train"), errors);
    let steps = b.whole("steps", 1, limits::MAX_STEPS, errors);
    let lr = learning_rate(&b, errors);
    let momentum = b.number("momentum", |x| (0.0..1.0).contains(&x), "a number in [0, 1)", errors);
    let clip = b.number("clip", |x| x > 0.0 && x.is_finite(), "a number above 0", errors);
    // The noise is drawn in f32: a σ above f32's largest value could not be drawn at all.
    let noise = b.number(
        "noise",
        |x| (0.0..=f64::from(f32::MAX)).contains(&x),
        "a number from 0 to 3.4e38 (f32's largest)",
        errors,
    );
    let (steps, lr) = (steps?, lr?);
    let (src, kw) = (&ts[0].src, ts[0].keyword);
    if steps.is_none() && !b.misspelt {
        errors.push(
            Diag::new(Code::Missing, src, kw, "training needs a number of steps")
                .label("no `steps`")
                .help("add `steps 100`"),
        );
    }
    if lr.is_none() && !b.misspelt {
        errors.push(
            Diag::new(Code::Missing, src, kw, "training needs a learning rate").label("no `lr`").help("add `lr 0.1`"),
        );
    }
    let (steps, lr) = (steps?, lr?);
    // A piece of the schedule that starts at or after the last step never runs.
    if let Some((s, src)) = b.get("lr") {
        let starts = std::iter::once(0).chain(lr.iter().filter_map(|(_, until)| *until));
        if let Some((k, start)) = starts.enumerate().skip(1).find(|(_, start)| *start >= steps) {
            errors.push(
                Diag::warning(
                    src,
                    s.key.span,
                    "unused_lr_phase",
                    format!(
                        "the learning rate's phase {} starts at step {start}, after training ends ({steps} steps)",
                        k + 1
                    ),
                )
                .label(format!("phase {} never used", k + 1))
                .help(format!("train longer (`steps {}`), or end the schedule before step {steps}", start + 1)),
            );
        }
    }
    // σ = 0 adds nothing: the same run as without `noise`, under the same store key.
    let noise = noise?.filter(|&s| s > 0.0);
    Some(Train { steps, lr, momentum: momentum?.unwrap_or(0.0), clip: clip?, noise })
}

/// `lr 0.1`, or `lr 0.25 until 1000, then 0.025` (001 Table 2's CIFAR-10 schedule).
pub(super) type LrPieces = Vec<(f64, Option<usize>)>;

pub(super) fn learning_rate(b: &Block, errors: &mut Vec<Diag>) -> Option<Option<LrPieces>> {
    let Some((s, src)) = b.get("lr") else { return Some(None) };
    let pieces: Vec<(f64, Option<u64>)> = match &s.value.kind {
        ValueKind::Number(x, _) => vec![(*x, None)],
        ValueKind::Schedule(p) => p.clone(),
        _ => vec![(f64::NAN, None)],
    };
    let increasing = pieces.windows(2).all(|w| w[0].1 < w[1].1 || w[1].1.is_none());
    if pieces.iter().any(|(x, _)| !(*x > 0.0 && x.is_finite())) || !increasing {
        errors.push(
            Diag::new(
                Code::WrongValue,
                src,
                s.value.span,
                "`lr` must be a number above 0, or a schedule with increasing steps",
            )
            .label("not a learning rate")
            .help("write e.g. `lr 0.1` or `lr 0.25 until 1000, then 0.025`"),
        );
        return None;
    }
    Some(Some(pieces.into_iter().map(|(x, u)| (x, u.map(|u| u as usize))).collect()))
}
