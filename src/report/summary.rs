//! Summaries over seeds: mean ± half-width of the 95% confidence interval
//! under Student's t, as in 001 Table 1.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// A table cell over seeds: the mean, the 95% confidence half-width and how many values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanCi {
    pub mean: f64,
    /// Half the width of the 95% interval: t_{0.975, n−1} · s / √n; NaN for one value.
    pub half_width: f64,
    pub n: usize,
}

/// The mean and 95% confidence interval of `xs` (seeds' values of one cell).
/// A non-finite value (a diverged run) makes the mean NaN: it is not hidden.
pub fn mean_ci(xs: &[f64]) -> MeanCi {
    let n = xs.len();
    if n == 0 {
        return MeanCi { mean: f64::NAN, half_width: f64::NAN, n };
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return MeanCi { mean, half_width: f64::NAN, n };
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let t = StudentsT::new(0.0, 1.0, (n - 1) as f64).map(|d| d.inverse_cdf(0.975)).unwrap_or(f64::NAN);
    MeanCi { mean, half_width: t * var.sqrt() / (n as f64).sqrt(), n }
}

impl MeanCi {
    /// `92.31 ± 0.52` (× `scale`, `decimals` after the point); the mean alone for one seed.
    pub fn text(&self, scale: f64, decimals: usize) -> String {
        let m = self.mean * scale;
        if !m.is_finite() {
            return "diverged".into();
        }
        if self.half_width.is_nan() {
            format!("{m:.decimals$}")
        } else {
            format!("{m:.decimals$} ± {:.decimals$}", self.half_width * scale)
        }
    }
}
