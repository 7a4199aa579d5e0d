//! Robust aggregation: pre-aggregators and rules, one file each, each
//! declaring its registry entry next to its definition.
//!
//! Vectors arrive honest first, then Byzantine. Shared loops (distances,
//! per-coordinate sorts, means) live in `kernels` and `sortnet`: blockwise,
//! parallel, and independent of the thread count.
//!
//! Non-finite inputs (NaN, ±inf) never panic; each component's file says
//! exactly what happens. In short:
//! - selection by distance (`krum`, `multikrum`, `mda`, `monna`, `bulyan`'s
//!   selection, `nnm`'s neighbours): a vector with a non-finite coordinate is
//!   at distance +inf from all others, i.e. maximally far, and chosen last;
//! - coordinate-wise order (`cm`, `tm`, `meamed`, `bulyan`'s second phase):
//!   values are ordered by `f32::total_cmp` (−NaN < −inf < … < +inf < +NaN), so
//!   non-finite values are extremes, trimmed first, and propagate if kept;
//! - `gm`: the output is all NaN (a run reports it as a divergence);
//! - `clipped_clustering`: a vector of non-finite norm is not clipped, is at
//!   cosine distance 2 from all others, and propagates if its cluster is kept;
//! - `caf`, `smea`: a vector with a non-finite coordinate weighs nothing
//!   (`caf`) or is in no chosen subset (`smea`);
//! - `dnc`: a vector with a non-finite sampled coordinate scores +inf and is
//!   removed first; one in an unsampled coordinate propagates if kept;
//! - `signguard`: NaN coordinates read as 0; a vector of infinite norm fails
//!   the norm filter;
//! - `fltrust`: a vector that is zero or has a non-finite coordinate gets
//!   no trust;
//! - `cc`, `scc`: a vector at non-finite distance from the centre contributes
//!   nothing (`scc` sorts a non-finite cosine as the most similar);
//! - `clip`, `arc`: a vector of non-finite norm passes unchanged (`arc` counts
//!   it among the largest); `mean`, `bucketing`: IEEE arithmetic propagates it.

pub mod arc;
pub mod bucketing;
pub mod bulyan;
pub mod caf;
pub mod cc;
pub mod clip;
pub mod clipped_clustering;
pub mod cm;
pub mod copies;
pub mod dnc;
mod exact_sums;
pub mod fltrust;
pub mod gm;
pub mod kernels;
pub mod krum;
pub mod mda;
pub mod meamed;
pub mod mean;
pub mod mean_shift;
pub mod monna;
pub mod nnm;
mod pair_tile;
pub mod scc;
mod screen;
pub mod signguard;
pub mod smea;
pub mod sortnet;
pub mod spectral;
pub mod tm;

use rand_chacha::ChaCha8Rng;

use crate::plan::{ComponentPlan, Pipeline, RootData};
use crate::spec::Spec;

/// The vectors the server received this step, one per worker.
pub type Vectors = [Vec<f32>];

/// What a rule may use besides the vectors: f, and the step's random stream.
pub struct Ctx<'a> {
    pub f: usize,
    pub rng: &'a mut ChaCha8Rng,
    /// The server's aggregate at the previous step (empty at the first), part of the
    /// simulated state, so stateful rules such as `cc` stay exact under planning attacks.
    pub previous: &'a [f32],
    /// The norms of every vector the server received in earlier steps, part of
    /// the simulated state, recorded only for rules that ask (`Capabilities::norm_history`).
    pub norms: &'a [f32],
    /// The server's own vector this step, computed on its clean root data set
    /// like an honest worker's; empty unless the rule asks (`Capabilities::root_data`).
    pub server: &'a [f32],
}

/// A built rule: the vectors and the step's context in, one aggregate out.
pub type RuleFn = Box<dyn Fn(&Vectors, &mut Ctx) -> Vec<f32> + Send + Sync>;
/// A built pre-aggregator: the vectors and the step's context in, the vectors the next stage sees out.
pub type PreFn = Box<dyn Fn(&Vectors, &mut Ctx) -> Vec<Vec<f32>> + Send + Sync>;
/// The indices of the vectors a selection rule keeps (Krum, MDA, ...).
pub type SelectFn = Box<dyn Fn(&Vectors, &mut Ctx) -> Vec<usize> + Send + Sync>;

/// An aggregation rule in the registry: its `Spec`, how to build it from its arguments, and its capabilities.
pub struct RuleEntry {
    pub spec: Spec,
    pub build: fn(&ComponentPlan) -> RuleFn,
    pub capabilities: Capabilities,
}

/// What a rule offers or needs besides its aggregate, read by the simulator
/// and `byz aggregate`; most rules have none (`Capabilities::NONE`).
#[derive(Clone, Copy)]
pub struct Capabilities {
    /// For rules that select input vectors: which ones, for `byz aggregate --explain`.
    pub select: Option<fn(&ComponentPlan) -> SelectFn>,
    /// The rule prepares itself for many aggregations of the same honest
    /// vectors with f copies of a candidate (`copies`, for JUMP's search), when
    /// no pre-aggregator runs before it: `cm`, `krum`, `multikrum`, `gm`.
    pub with_copies: Option<fn(&ComponentPlan) -> copies::PrepareFn>,
    /// The rule reads the norms of all earlier vectors (`Ctx::norms`), as
    /// `clipped_clustering` clips at their median.
    pub norm_history: bool,
    /// The rule needs the server's own vector on a clean root data set
    /// (`Ctx::server`, as `fltrust`): the set the server holds, read from the
    /// rule's arguments. The task must have data to draw it from.
    pub root_data: Option<fn(&ComponentPlan) -> RootData>,
}

impl Capabilities {
    /// A rule that only aggregates.
    pub const NONE: Capabilities =
        Capabilities { select: None, with_copies: None, norm_history: false, root_data: None };
}

/// A pre-aggregator in the registry: its `Spec` and how to build it from its arguments.
pub struct PreEntry {
    pub spec: Spec,
    pub build: fn(&ComponentPlan) -> PreFn,
}

/// Every aggregation rule, in the order `byz explain all` lists them; names are looked up here.
pub static RULES: &[RuleEntry] = &[
    mean::ENTRY,
    cm::ENTRY,
    tm::ENTRY,
    gm::ENTRY,
    krum::ENTRY,
    krum::MULTI_ENTRY,
    cc::ENTRY,
    scc::ENTRY,
    mda::ENTRY,
    monna::ENTRY,
    meamed::ENTRY,
    bulyan::ENTRY,
    dnc::ENTRY,
    caf::ENTRY,
    smea::ENTRY,
    clipped_clustering::ENTRY,
    signguard::ENTRY,
    fltrust::ENTRY,
];
/// Every pre-aggregator, looked up by name like `RULES`.
pub static PRE_AGGREGATORS: &[PreEntry] = &[nnm::ENTRY, bucketing::ENTRY, clip::ENTRY, arc::ENTRY];

/// A pipeline ready to run: pre-aggregators in order, then the rule.
///
/// Built once per run from the pipeline (`cc` reads its centre from `Ctx::previous`, which the simulator keeps).
pub struct Aggregator {
    pre: Vec<PreFn>,
    rule: RuleFn,
    select: Option<SelectFn>,
    /// A rule alone that prepares itself for f copies of a candidate (`Capabilities::with_copies`).
    with_copies: Option<copies::PrepareFn>,
    norm_history: bool,
}

impl Aggregator {
    /// The pipeline `p` ready to run; the checker has resolved its names.
    pub fn build(p: &Pipeline) -> Self {
        let pre = p.pre.iter().map(|c| (pre_entry(&c.name).build)(c)).collect();
        let entry = rule_entry(&p.rule.name);
        Aggregator {
            pre,
            rule: (entry.build)(&p.rule),
            select: entry.capabilities.select.map(|s| s(&p.rule)),
            with_copies: entry.capabilities.with_copies.filter(|_| p.pre.is_empty()).map(|w| w(&p.rule)),
            norm_history: entry.capabilities.norm_history,
        }
    }

    /// The pipeline prepared for many aggregations of `honest` with f copies
    /// of one vector, where it has such a form (`Capabilities::with_copies`); `None` otherwise.
    pub(crate) fn with_copies<'a>(&self, honest: &'a Vectors, f: usize) -> Option<copies::WithCopies<'a>> {
        self.with_copies.as_ref().map(|w| w(honest, f))
    }

    /// The aggregate of `vectors` (honest first) through the pre-aggregators, then the rule.
    pub fn aggregate(&self, vectors: &Vectors, ctx: &mut Ctx) -> Vec<f32> {
        self.aggregate_explained(vectors, ctx, false).0
    }

    /// The aggregate and, when `explain` is set and the rule selects vectors,
    /// the indices it selects among its own inputs (the pre-aggregators'
    /// outputs; the workers' indices when there are no pre-aggregators or
    /// only order-keeping ones such as `nnm`, `clip`, `arc`).
    pub fn aggregate_explained(
        &self,
        vectors: &Vectors,
        ctx: &mut Ctx,
        explain: bool,
    ) -> (Vec<f32>, Option<Vec<usize>>) {
        self.through(vectors, ctx, |current, ctx| self.rule_explained(current, ctx, explain))
    }

    /// The aggregate and, for a rule with `norm_history`, the norms of the
    /// vectors the rule received (after the pre-aggregators), which the
    /// simulator adds to the history; empty for other rules.
    pub(crate) fn aggregate_noting_norms(&self, vectors: &Vectors, ctx: &mut Ctx) -> (Vec<f32>, Vec<f32>) {
        self.through(vectors, ctx, |current, ctx| {
            let norms =
                if self.norm_history { current.iter().map(|v| kernels::norm(v) as f32).collect() } else { vec![] };
            ((self.rule)(current, ctx), norms)
        })
    }

    /// The pre-aggregators in order, then `then` on their output.
    fn through<T>(&self, vectors: &Vectors, ctx: &mut Ctx, then: impl FnOnce(&Vectors, &mut Ctx) -> T) -> T {
        let mut owned;
        let mut current = vectors;
        for pre in &self.pre {
            owned = pre(current, ctx);
            current = &owned;
        }
        then(current, ctx)
    }

    fn rule_explained(&self, current: &Vectors, ctx: &mut Ctx, explain: bool) -> (Vec<f32>, Option<Vec<usize>>) {
        let selected = match (&self.select, explain) {
            // The selection reads a copy of the stream so the rule sees the same draws.
            (Some(select), true) => Some(select(
                current,
                &mut Ctx {
                    f: ctx.f,
                    rng: &mut ctx.rng.clone(),
                    previous: ctx.previous,
                    norms: ctx.norms,
                    server: ctx.server,
                },
            )),
            _ => None,
        };
        ((self.rule)(current, ctx), selected)
    }
}

/// The registry entry of the rule `name`, which the checker has resolved.
pub(crate) fn rule_entry(name: &str) -> &'static RuleEntry {
    RULES.iter().find(|e| e.spec.name == name).expect("the checker resolved this rule")
}

fn pre_entry(name: &str) -> &'static PreEntry {
    PRE_AGGREGATORS.iter().find(|e| e.spec.name == name).expect("the checker resolved this pre-aggregator")
}

/// Inputs for the rules' own tests.
#[cfg(test)]
pub(crate) mod testing {
    /// `n` vectors of three coordinates on a 1/64 grid, so that every f64 sum
    /// of them is exact and a rule's answer cannot depend on the order of its
    /// additions, and the same vectors reversed with `i` and `j` swapped.
    pub(crate) fn reordered(n: usize, (i, j): (usize, usize)) -> (Vec<Vec<f32>>, Vec<Vec<f32>>) {
        let v: Vec<Vec<f32>> =
            (0..n).map(|i| (0..3).map(|j| ((i * 37 + j * 11) % 29) as f32 / 64.0 - 0.25).collect()).collect();
        let mut w = v.clone();
        w.reverse();
        w.swap(i, j);
        (v, w)
    }
}
