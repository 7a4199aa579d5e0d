//! Derivative-free solvers for the adversary's nonlinear programs (001 §3.2
//! names Powell, Nelder–Mead and differential evolution). Each minimises,
//! and returns the best point it evaluated.

pub mod differential_evolution;
pub mod grid;
pub mod nelder_mead;
pub mod powell;

use crate::plan::ComponentPlan;
use crate::spec::{Default, Kind, Param, ParamType, Spec};

/// Result of a minimisation: the best point found, its value, and how many objective evaluations it took.
#[derive(Debug, Clone, PartialEq)]
pub struct Minimum {
    pub x: Vec<f64>,
    pub value: f64,
    pub evaluations: usize,
}

/// Stopping rules shared by the local solvers (defaults follow SciPy's).
#[derive(Debug, Clone, Copy)]
pub struct SolverOptions {
    pub max_iters: usize,
    pub xtol: f64,
    pub ftol: f64,
}

impl std::default::Default for SolverOptions {
    fn default() -> Self {
        SolverOptions { max_iters: 200, xtol: 1e-4, ftol: 1e-4 }
    }
}

type SolveFn = std::sync::Arc<dyn Fn(&mut dyn FnMut(&[f64]) -> f64, &[f64]) -> Minimum + Send + Sync>;

/// A configured solver: minimise `f` from `x0`.
#[derive(Clone)]
pub struct Solver(SolveFn);

impl Solver {
    /// Minimises `f` from `x0`: the best point evaluated, its value and the number of evaluations.
    pub fn minimize(&self, f: &mut dyn FnMut(&[f64]) -> f64, x0: &[f64]) -> Minimum {
        (self.0)(f, x0)
    }
}

/// A solver in the registry: its `Spec` and how to build it from its arguments.
pub struct SolverEntry {
    pub spec: Spec,
    pub build: fn(&ComponentPlan) -> SolveFn,
}

const ITERS: Param =
    Param { name: "iters", ty: ParamType::Int { min: 1 }, default: Default::Int(200), doc: "maximum iterations" };
const LOCAL: &[Param] = &[
    ITERS,
    Param {
        name: "xtol",
        ty: ParamType::Float { min: 0.0, inclusive: false },
        default: Default::Float(1e-4),
        doc: "tolerance on the point",
    },
    Param {
        name: "ftol",
        ty: ParamType::Float { min: 0.0, inclusive: false },
        default: Default::Float(1e-4),
        doc: "relative tolerance on the value",
    },
];
const WIDTH: Param = Param {
    name: "width",
    ty: ParamType::Float { min: 0.0, inclusive: false },
    default: Default::Float(5.0),
    doc: "the search box is x0 ± width in every coordinate",
};

fn options(c: &ComponentPlan) -> SolverOptions {
    SolverOptions { max_iters: c.int("iters") as usize, xtol: c.float("xtol"), ftol: c.float("ftol") }
}

/// A search JUMP runs itself where it knows the rule (`attack::jump`,
/// `Search`); as a solver, anywhere else, it is Powell with its defaults.
const fn jump_search(name: &'static str, summary: &'static str, doc: &'static str) -> SolverEntry {
    SolverEntry {
        spec: Spec {
            name,
            kind: Kind::Solver,
            aliases: &[],
            summary,
            doc,
            params: &[],
            requires: None,
            degenerate: None,
            needs_labels: false,
        },
        build: |_| {
            let o = SolverOptions::default();
            std::sync::Arc::new(move |f, x0| powell::minimize(f, x0, &o))
        },
    }
}

/// Every derivative-free solver an attack may use.
pub static SOLVERS: &[SolverEntry] = &[
    jump_search(
        "auto",
        "Powell, or where JUMP knows the rule a search as strong and faster",
        "JUMP's default. With one-step segments maximising the honest loss under a plain `cm`: \
         Brent to 1e-2 from the previous step's λ (as `solver: brent(xtol: 0.01), start: previous`; \
         as strong as Powell on MNIST and two-wells at a fifth of the run time). Under a plain `krum` \
         (not Multi-Krum): Powell, with Krum's choice read from three numbers per honest vector and, \
         for a linear model, the loss along θ − γλḡ from the logits of θ and ḡ (equal to the exact \
         ones but for rounding; on MNIST seeds 1–3 the same runs as Powell's, in less time). \
         Otherwise, and for other attacks, Powell with its defaults (001 Table 5): no faster search \
         matched Powell under `gm` (README.md, \"JUMP-1 / SF\"). Under `cm`, when no candidate keeps \
         the model finite it plays λ = init.",
    ),
    jump_search(
        "ends",
        "JUMP-1 under Krum: the better end of the interval of λ where Krum picks the attack",
        "With one-step segments maximising the honest loss, under a plain `krum` and a convex loss \
         (logistic regression, mean estimation): Krum returns the attack a = λḡ or an honest vector, \
         and the loss along θ − γλḡ is largest at an end of the interval of λ where it picks the \
         attack. The interval around λ = init is found from Krum's choice alone (no loss evaluated) \
         and bisected to 1e-4; its two ends and the first λ's beyond them are scored, the best kept. \
         Stronger than Powell against Krum on MNIST (README.md, \"JUMP-1 / SF\"). Elsewhere, or when \
         Krum does not pick the attack at λ = init, Powell.",
    ),
    SolverEntry {
        spec: Spec {
            name: "powell",
            kind: Kind::Solver,
            aliases: &[],
            summary: "Powell's conjugate-direction method with Brent line searches",
            doc: "Powell (1964), following SciPy's fmin_powell; unbounded. The papers' solver (001 Table 5).",
            params: LOCAL,
            requires: None,
            degenerate: None,
            needs_labels: false,
        },
        build: |c| {
            let o = options(c);
            std::sync::Arc::new(move |f, x0| powell::minimize(f, x0, &o))
        },
    },
    SolverEntry {
        spec: Spec {
            name: "nelder_mead",
            kind: Kind::Solver,
            aliases: &["nm"],
            summary: "the Nelder–Mead simplex method",
            doc: "Nelder & Mead (1965), following SciPy's rules for the initial simplex and stopping.",
            params: LOCAL,
            requires: None,
            degenerate: None,
            needs_labels: false,
        },
        build: |c| {
            let o = options(c);
            std::sync::Arc::new(move |f, x0| nelder_mead::minimize(f, x0, &o))
        },
    },
    SolverEntry {
        spec: Spec {
            name: "brent",
            kind: Kind::Solver,
            aliases: &[],
            summary: "Brent's method in one variable (cycles of coordinate searches in more)",
            doc: "Bracketing from x0 and x0 + 1, then Brent (1973), as SciPy's `brent`; with several \
                  variables, cycles of coordinate-wise Brent searches until the value stops improving by ftol.",
            params: LOCAL,
            requires: None,
            degenerate: None,
            needs_labels: false,
        },
        build: |c| {
            let o = options(c);
            std::sync::Arc::new(move |f, x0| grid::coordinate_brent(f, x0, &o))
        },
    },
    SolverEntry {
        spec: Spec {
            name: "grid",
            kind: Kind::Solver,
            aliases: &[],
            summary: "exhaustive search on a regular grid around x0",
            doc: "`points` values per coordinate in x0 ± width; the full grid while it has at most 100,000 \
                  points, otherwise cycles of coordinate-wise grid searches. Global in the box, no tolerance.",
            params: &[
                WIDTH,
                Param {
                    name: "points",
                    ty: ParamType::Int { min: 2 },
                    default: Default::Int(41),
                    doc: "grid points per coordinate",
                },
            ],
            requires: None,
            degenerate: None,
            needs_labels: false,
        },
        build: |c| {
            let (width, points) = (c.float("width"), c.int("points") as usize);
            std::sync::Arc::new(move |f, x0| grid::minimize(f, x0, width, points))
        },
    },
    SolverEntry {
        spec: Spec {
            name: "differential_evolution",
            kind: Kind::Solver,
            aliases: &["de"],
            summary: "differential evolution (DE/rand/1/bin) in the box x0 ± width",
            doc: "Storn & Price (1997): population of popsize·d (x0 included), mutation F = 0.8, crossover \
                  CR = 0.9, `iters` generations, drawn from a stream seeded by `seed` (deterministic).",
            params: &[
                WIDTH,
                Param { name: "iters", ty: ParamType::Int { min: 1 }, default: Default::Int(100), doc: "generations" },
                Param {
                    name: "popsize",
                    ty: ParamType::Int { min: 1 },
                    default: Default::Int(15),
                    doc: "population per dimension",
                },
                Param {
                    name: "seed",
                    ty: ParamType::Int { min: 0 },
                    default: Default::Int(0),
                    doc: "the solver's own random stream",
                },
            ],
            requires: None,
            degenerate: None,
            needs_labels: false,
        },
        build: |c| {
            let opts = differential_evolution::Options {
                width: c.float("width"),
                generations: c.int("iters") as usize,
                popsize: c.int("popsize") as usize,
                seed: c.int("seed") as u64,
            };
            std::sync::Arc::new(move |f, x0| differential_evolution::minimize(f, x0, &opts))
        },
    },
];

/// The solver `c` names, configured (a name the checker resolved).
pub fn build(c: &ComponentPlan) -> Solver {
    let entry = SOLVERS.iter().find(|e| e.spec.name == c.name).expect("the checker resolved this solver");
    Solver((entry.build)(c))
}

/// Functions the solvers' own tests minimise, with known minima.
#[cfg(test)]
pub(crate) mod test_functions {
    /// Whether every coordinate of `x` is within `tol` of `target`'s.
    pub(crate) fn near(x: &[f64], target: &[f64], tol: f64) -> bool {
        x.iter().zip(target).all(|(a, b)| (a - b).abs() < tol)
    }

    /// Rosenbrock's valley: minimum 0 at (1, 1), reached along a curved floor.
    pub(crate) fn rosenbrock(x: &[f64]) -> f64 {
        100.0 * (x[1] - x[0] * x[0]).powi(2) + (1.0 - x[0]).powi(2)
    }

    /// A tilted bowl with its minimum at (3, −2).
    pub(crate) fn quadratic(x: &[f64]) -> f64 {
        let (u, v) = (x[0] - 3.0, x[1] + 2.0);
        u * u + 2.0 * v * v + u * v
    }

    /// A parabola with ripples: several local minima in one variable.
    pub(crate) fn bumpy(x: f64) -> f64 {
        x * x / 10.0 + (3.0 * x).sin()
    }
}
