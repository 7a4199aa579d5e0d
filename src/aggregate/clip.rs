//! Static norm clipping.
//!
//! `clip_c(x_1..x_n) = (min(1, c/‖x_1‖)·x_1, …, min(1, c/‖x_n‖)·x_n)`. Source:
//! the clipping operator of Allouah, Guerraoui, Gupta, Jellouli, Rizk &
//! Stephan, "The Vital Role of Gradient Clipping in Byzantine-Resilient
//! Distributed Learning", arXiv:2405.14432 (2024), §3 (static clipping, the
//! baseline ARC improves on); ByzFL's `Clipping(c = 2)`.
//!
//! Norms and scaling are in `f64`. A vector of non-finite norm (a NaN or
//! infinite coordinate) is passed on unchanged: it has no direction to keep,
//! and the rule after the clipping decides what to do with it.

use super::kernels::clipped;
use super::{PreEntry, Vectors};
use crate::spec::{Default, Kind, Param, ParamType, Spec};

/// Every vector scaled down to norm `c` if it is longer.
pub(crate) fn clip_all(v: &Vectors, c: f64) -> Vec<Vec<f32>> {
    v.iter().map(|x| clipped(x, c)).collect()
}

/// The registry entry of static norm clipping (`clip`), to norm c = 2 by default.
pub const ENTRY: PreEntry = PreEntry {
    spec: Spec {
        name: "clip",
        kind: Kind::PreAggregator,
        aliases: &["clipping"],
        summary: "static norm clipping of every vector",
        doc: "Each vector x becomes min(1, c/‖x‖)·x (static clipping; Allouah et al. 2024, §3).",
        params: &[Param {
            name: "c",
            ty: ParamType::Float { min: 0.0, inclusive: false },
            default: Default::Float(2.0),
            doc: "the largest norm a vector keeps",
        }],
        requires: None,
        degenerate: None,
        needs_labels: false,
    },
    build: |c| {
        let c = c.float("c");
        Box::new(move |v, _| clip_all(v, c))
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed() {
        let v = [vec![3.0, 4.0], vec![0.3, 0.4], vec![0.0, 0.0]];
        assert_eq!(clip_all(&v, 1.0), vec![vec![0.6, 0.8], vec![0.3, 0.4], vec![0.0, 0.0]]);
        assert!(clip_all(&[], 1.0).is_empty());
    }

    #[test]
    fn non_finite_passes_unchanged() {
        let v = [vec![f32::INFINITY, 0.0], vec![f32::NAN, 1.0]];
        let out = clip_all(&v, 1.0);
        assert_eq!(out[0], vec![f32::INFINITY, 0.0]);
        assert!(out[1][0].is_nan() && out[1][1] == 1.0);
    }
}
