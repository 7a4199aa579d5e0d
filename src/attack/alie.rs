//! A Little Is Enough (Baruch et al. 2019): a_t = ḡ_t − z · std(g_t^H),
//! with z from n and f as in 001 Table 5:
//! s = ⌊n/2 + 1⌋ − f and z = max { z : Φ(z) < (n − f − s)/(n − f) }.

use statrs::distribution::{ContinuousCDF, Normal};

use super::{Attack, AttackEntry, AttackMemory, View, honest_std, perturb};
use crate::dynamics::SimError;
use crate::plan::ArgValue;
use crate::spec::{Default, Kind, Param, ParamType, Setting, Spec};

#[derive(Clone)]
struct Alie {
    z: f32,
}

impl Attack for Alie {
    fn vectors(&mut self, view: &View) -> Result<Vec<Vec<f32>>, SimError> {
        let mean = view.honest_mean();
        let std = honest_std(view.honest, &mean);
        let p: Vec<f32> = std.iter().map(|s| -s).collect();
        Ok(view.collude(perturb(&mean, self.z, &p)))
    }
}

/// 001 Table 5's z for n workers of which f are Byzantine (0 when the quantile is undefined).
pub(crate) fn default_z(n: usize, f: usize) -> f64 {
    let s = (n / 2 + 1) as f64 - f as f64;
    let h = (n - f.min(n)) as f64;
    let q = (h - s) / h;
    if !(q > 0.0 && q < 1.0) {
        return 0.0;
    }
    Normal::standard().inverse_cdf(q)
}

/// With z = 0 the Byzantine workers send ḡ, as `none` does.
fn z_zero(s: &Setting, args: &crate::plan::Args) -> Option<crate::spec::Unmet> {
    let Some(ArgValue::Float(z)) = args.get("z") else { return None };
    (*z == 0.0).then(|| crate::spec::Unmet {
        message: format!("alie with z = 0 sends the honest mean: it equals `none` (n = {}, f = {})", s.n, s.f),
        label: "z = 0 (001 Table 5's default for this n and f, unless given)".into(),
        help: "give z, e.g. `alie(z: 1)`: 001 Table 5 derives z from n and f, which gives 0 here".into(),
    })
}

fn z_for(s: &Setting) -> ArgValue {
    ArgValue::Float(default_z(s.n, s.f))
}

/// The registry entry of A Little Is Enough (`alie`), z derived from n and f by default.
pub const ENTRY: AttackEntry = AttackEntry {
    memory: AttackMemory::Nothing,
    spec: Spec {
        name: "alie",
        kind: Kind::Attack,
        aliases: &[],
        summary: "a little is enough: shift the honest average by z standard deviations",
        doc: "a_t = ḡ_t − z · std(g_t^H), std coordinate-wise (001 eq. (6), Table 5; Baruch et al. 2019).",
        params: &[Param {
            name: "z",
            ty: ParamType::Float { min: f64::NEG_INFINITY, inclusive: true },
            default: Default::Computed(z_for, "Φ⁻¹((n − f − s)/(n − f)) with s = ⌊n/2 + 1⌋ − f (001 Table 5)"),
            doc: "how many standard deviations to shift",
        }],
        requires: None,
        degenerate: Some(z_zero),
        needs_labels: false,
    },
    build: |c| Box::new(Alie { z: c.float("z") as f32 }),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn z_follows_table_5() {
        // n = 15, f = 3: s = 5, quantile 7/12.
        assert!((default_z(15, 3) - 0.210_428).abs() < 1e-4);
        // n = 3, f = 1: s = 1, quantile 1/2, z = 0: ALIE sends ḡ on two-wells.
        assert!(default_z(3, 1).abs() < 1e-9);
    }
}
