//! `workers { honest 12; byzantine 3; heterogeneity dirichlet(alpha: 0.1) }`,
//! and `declared 3`: the f the server's rules are told when it differs from
//! the real one (ByzFL's `declared_nb_byz`; a defence tuned for more, or
//! fewer, attackers than attack).

use super::Block;
use crate::check::limits;
use crate::check::merged::Placed;
use crate::diagnostic::{Code, Diag, SourceFile};
use crate::plan::{TaskPlan, Workers};
use crate::registry::settings;
use crate::syntax::ast::{Decl, Setting};

pub(super) fn workers(
    ws: &[Placed<Setting>],
    task: Option<&TaskPlan>,
    // An earlier error (the task's, or a misspelt section) explains a missing count.
    explained: bool,
    decl: &Decl,
    src: &SourceFile,
    errors: &mut Vec<Diag>,
) -> Option<Workers> {
    let b = Block::new(ws.iter().map(|p| (&p.node, &p.src)), "workers", &settings::names("workers"), errors);
    let honest = b.whole("honest", 1, limits::MAX_WORKERS, errors)?;
    let byzantine = b.whole("byzantine", 0, limits::MAX_WORKERS, errors)?.unwrap_or(0);
    let honest = match (honest, task) {
        (Some(h), Some(TaskPlan::Landscape { losses, .. })) if h != losses.len() => {
            let (s, src) = b.get("honest")?;
            errors.push(
                Diag::new(
                    Code::Shape,
                    src,
                    s.value.span,
                    format!("{h} honest workers, but the landscape defines {} honest losses", losses.len()),
                )
                .label("does not match")
                .help("each honest worker has one `honest NAME = ...` loss; remove `honest` or add losses"),
            );
            return None;
        }
        (Some(h), _) => h,
        (None, Some(TaskPlan::Landscape { losses, .. })) => losses.len(),
        (None, _) if explained || b.misspelt => return None,
        (None, _) => {
            errors.push(
                Diag::new(Code::Missing, src, decl.name.span, "how many honest workers?")
                    .label("no `honest` count")
                    .help("add `workers { honest 12 }`"),
            );
            return None;
        }
    };
    let declared = b.whole("declared", 0, limits::MAX_WORKERS, errors)?;
    let n = honest + byzantine;
    for (key, f, help) in [
        (
            "byzantine",
            Some(byzantine),
            "no rule is robust without an honest majority: use fewer Byzantine or more honest workers",
        ),
        ("declared", declared, "declare fewer Byzantine workers than half of n, or use more honest workers"),
    ] {
        if let Some(f) = f
            && 2 * f >= n
        {
            let (s, src) = b.get(key)?;
            let what = if key == "declared" { "declared Byzantine workers" } else { "Byzantine workers" };
            errors.push(
                Diag::new(Code::Requirement, src, s.value.span, format!("{f} {what} out of {n} are not a minority"))
                    .label(format!("needs fewer than n/2 = {}", n as f64 / 2.0))
                    .help(help),
            );
            return None;
        }
    }
    Some(Workers { honest, byzantine, declared })
}
