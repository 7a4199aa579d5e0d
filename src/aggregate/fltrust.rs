//! FLTrust.
//!
//! Cao, Fang, Liu & Gong, "FLTrust: Byzantine-robust Federated Learning via
//! Trust Bootstrapping", NDSS 2021 (arXiv 2012.13995). As its abstract states
//! the rule: the server collects a small clean root data set and computes
//! its own update g_0 on it; each received vector g_i gets a trust score that
//! falls as its direction deviates from g_0's, TS_i = ReLU(cos(g_i, g_0)), is
//! rescaled onto the sphere of g_0's norm, and the aggregate is the average
//! weighted by trust:
//!
//!   F = Σ_i TS_i · (‖g_0‖/‖g_i‖) · g_i / Σ_j TS_j.
//!
//! The server's vector (`Ctx::server`, kept by the simulator) is the task's
//! `server_gradient` on a batch from the root set (the workers' batch size,
//! drawn with replacement) with the workers' clipping and momentum, as an
//! honest worker's. The root set is drawn once per run: uniformly without
//! replacement from the training set (classification; with a `split` such
//! as `extreme`, from the shard that split would deal to one more worker,
//! for a biased root set) or from the honest distribution (mean
//! estimation); 100 examples by default, as FLPoison's `num_sample`, and
//! possibly shared with the workers' shards. (The paper's body was not at
//! hand here. FL-Byzantine-Library's server uses the workers' momentum but
//! does not clip, takes 32 distinct examples per batch, and holds 50
//! examples set apart from the workers' data; FLPoison samples its root set
//! class by class.) When no vector has a positive cosine (or the server's
//! vector is zero) the
//! aggregate is zero, as FL-Byzantine-Library's (FLPoison averages the
//! rescaled vectors instead). A vector that is zero or has a non-finite
//! coordinate gets trust 0.

use rayon::prelude::*;

use super::kernels::{combination, dot, norm};
use super::{Capabilities, RuleEntry, Vectors};
use crate::plan::RootData;
use crate::spec::{Default, Kind, Param, ParamType, Spec};

/// Each vector's trust score ReLU(cos(g_i, g_0)) and its rescaling ‖g_0‖/‖g_i‖.
pub fn trust(v: &Vectors, server: &[f32]) -> Vec<(f64, f64)> {
    let n0 = norm(server);
    v.par_iter()
        .map(|x| {
            let nx = norm(x);
            let cos = dot(x, server) / (nx * n0);
            if cos.is_finite() && cos > 0.0 && nx > 0.0 { (cos, n0 / nx) } else { (0.0, 0.0) }
        })
        .collect()
}

/// The aggregate: the trust-weighted mean of the vectors rescaled to the server's norm.
pub fn fltrust(v: &Vectors, server: &[f32]) -> Vec<f32> {
    let d = v.first().map_or(server.len(), |x| x.len());
    if server.len() != d {
        // Only outside a run (a run always gives the server's vector).
        return vec![0.0; d];
    }
    let t = trust(v, server);
    let total: f64 = t.iter().map(|(ts, _)| ts).sum();
    if total <= 0.0 {
        return vec![0.0; d];
    }
    // Untrusted vectors are left out, not weighed by 0: 0 · ∞ would be NaN.
    let trusted: Vec<usize> = (0..v.len()).filter(|&i| t[i].0 > 0.0).collect();
    let rows: Vec<&[f32]> = trusted.iter().map(|&i| v[i].as_slice()).collect();
    let w: Vec<f64> = trusted.iter().map(|&i| t[i].0 * t[i].1).collect();
    combination(&rows, &w, total)
}

/// The registry entry of FLTrust (`fltrust`).
pub const ENTRY: RuleEntry = RuleEntry {
    spec: Spec {
        name: "fltrust",
        kind: Kind::Rule,
        aliases: &[],
        summary: "weigh each vector by its ReLU'd cosine to the server's own update on a clean root set",
        doc: "Cao, Fang, Liu & Gong, NDSS 2021: the server computes its own vector g_0 on `root` clean \
              examples (drawn once from the training data), gives each vector the trust \
              ReLU(cos(g_i, g_0)), rescales it to ‖g_0‖ and returns the trust-weighted mean; zero when \
              no vector has a positive cosine.",
        params: &[
            Param {
                name: "root",
                ty: ParamType::Int { min: 1 },
                default: Default::Int(100),
                doc: "how many clean examples the server holds (FLPoison's default: 100)",
            },
            Param {
                name: "split",
                ty: ParamType::Component(Kind::Split),
                default: Default::Component("iid"),
                doc: "how the root set is drawn from the training data: as this split would deal one more \
                      worker's shard (`iid`: uniformly; `extreme`: one or two classes)",
            },
        ],
        requires: None,
        degenerate: None,
        needs_labels: false,
    },
    build: |_| Box::new(|v, ctx| fltrust(v, ctx.server)),
    capabilities: Capabilities {
        root_data: Some(|c| RootData { size: c.int("root") as usize, split: c.component("split").clone() }),
        ..Capabilities::NONE
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_against_the_server_get_no_trust_and_the_rest_its_norm() {
        let server = [2.0f32, 0.0];
        // cos = 1, cos = 1/√2, cos = −1, a zero vector, a NaN.
        let v = vec![
            vec![1.0, 0.0],
            vec![3.0, 3.0],
            vec![-5.0, 0.0],
            vec![0.0, 0.0],
            vec![f32::NAN, 1.0],
            vec![-f32::INFINITY, 0.0],
        ];
        let t = trust(&v, &server);
        assert_eq!(t[0], (1.0, 2.0));
        assert!((t[1].0 - 0.5f64.sqrt()).abs() < 1e-12 && (t[1].1 - 2.0 / 18f64.sqrt()).abs() < 1e-12);
        assert_eq!(&t[2..], &[(0.0, 0.0); 4]);
        // Rescaled to ‖g_0‖ = 2: (2, 0) and (√2, √2), weights 1 and 1/√2.
        let s = 0.5f64.sqrt();
        let want = [(2.0 + s * 2.0f64.sqrt()) / (1.0 + s), (s * 2.0f64.sqrt()) / (1.0 + s)];
        let got = fltrust(&v, &server);
        assert!(got.iter().zip(want).all(|(g, w)| (f64::from(*g) - w).abs() < 1e-6), "{got:?} vs {want:?}");
    }

    #[test]
    fn no_trusted_vector_or_no_server_vector_gives_a_zero_update() {
        let v = vec![vec![-1.0f32, 0.0], vec![0.0, -1.0]];
        assert_eq!(fltrust(&v, &[1.0, 1.0]), [0.0, 0.0]);
        assert_eq!(fltrust(&v, &[0.0, 0.0]), [0.0, 0.0]);
        assert_eq!(fltrust(&v, &[]), [0.0, 0.0]);
    }

    #[test]
    fn the_aggregate_has_the_servers_norm_when_all_agree() {
        let v = vec![vec![10.0f32, 0.0, 0.0], vec![0.1, 0.0, 0.0]];
        assert_eq!(fltrust(&v, &[0.0 + 3.0, 0.0, 0.0]), [3.0, 0.0, 0.0]);
    }
}
