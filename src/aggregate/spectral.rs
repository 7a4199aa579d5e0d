//! The small symmetric eigenproblems of the rules that look at the top
//! direction of the vectors' spread (`dnc`, `caf`, `smea`). Each works on
//! an n × n Gram matrix rather than the d × d covariance: both have the same
//! nonzero eigenvalues, and n ≪ d. nalgebra does the eigen-decomposition.

use nalgebra::{DMatrix, DVector};

use super::kernels::{centered_gram, weighted_mean};

/// The largest eigenvalue of a symmetric matrix and its unit eigenvector;
/// `None` for a matrix with a non-finite entry or no convergence (nalgebra's
/// iteration would not end on NaN).
pub(crate) fn top_eigen(m: DMatrix<f64>) -> Option<(f64, DVector<f64>)> {
    if m.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let e = m.try_symmetric_eigen(f64::EPSILON, 100_000)?;
    let top = (0..e.eigenvalues.len()).max_by(|&a, &b| e.eigenvalues[a].total_cmp(&e.eigenvalues[b]))?;
    Some((e.eigenvalues[top], e.eigenvectors.column(top).into_owned()))
}

/// ⟨x_i − c, x_k − c⟩ for all pairs, with c the mean of the vectors (any
/// common centre gives the same matrices once `centred` re-centres them; the
/// mean keeps the numbers small), in `f64`, blockwise as `centered_gram`.
pub(crate) fn gram(v: &[&[f32]]) -> DMatrix<f64> {
    let centre = weighted_mean(v, &vec![1.0; v.len()]);
    let mut rows: Vec<&[f32]> = vec![&centre];
    rows.extend_from_slice(v);
    let g = centered_gram(&rows);
    let m = rows.len();
    DMatrix::from_fn(v.len(), v.len(), |i, k| g[(i + 1) * m + k + 1])
}

/// The Gram matrix of the rows `rows` of `g` centred on their weighted mean
/// (weights `w`, summing to 1): P·G·Pᵀ with P = I − 1·wᵀ.
pub(crate) fn centred(g: &DMatrix<f64>, rows: &[usize], w: &[f64]) -> DMatrix<f64> {
    let m = rows.len();
    let sub = DMatrix::from_fn(m, m, |i, k| g[(rows[i], rows[k])]);
    let wv = DVector::from_column_slice(w);
    let gw = &sub * &wv; // G·w
    let wgw = wv.dot(&gw);
    DMatrix::from_fn(m, m, |i, k| sub[(i, k)] - gw[i] - gw[k] + wgw)
}
