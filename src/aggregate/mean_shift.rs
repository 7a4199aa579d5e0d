//! Mean-shift clustering with a flat kernel, as scikit-learn's `MeanShift`
//! (bin seeding, `cluster_all = False`) with the bandwidth of its
//! `estimate_bandwidth(quantile = 0.5)`, which SignGuard clusters its sign
//! statistics with (Xu et al., ICDCS 2022, §IV-B and the authors' code).
//!
//! Points and seeds are in f64 (scikit-learn's seeds are float32), so an
//! exact tie at the bandwidth may fall the other way.
//!
//! Written here because no maintained Rust crate has mean shift with
//! scikit-learn's seeding, merging and labelling rules, and those rules decide
//! which vectors SignGuard keeps. The points are few (one per worker) and
//! low-dimensional (three sign shares), so plain O(n²) loops suffice.

/// The Euclidean distance between two points.
fn distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>().sqrt()
}

/// scikit-learn's `estimate_bandwidth(X, quantile)` on all points: the mean
/// over the points of the distance to their k-th nearest point, the point
/// itself counted first, k = max(1, ⌊n·quantile⌋). (scikit-learn subsamples
/// 50 points at random when there are more; byz uses all of them.)
pub(crate) fn bandwidth(points: &[Vec<f64>], quantile: f64) -> f64 {
    let n = points.len();
    if n == 0 {
        return 0.0;
    }
    let k = ((n as f64 * quantile) as usize).max(1);
    let total: f64 = points
        .iter()
        .map(|p| {
            let mut d: Vec<f64> = points.iter().map(|q| distance(p, q)).collect();
            d.sort_unstable_by(f64::total_cmp);
            d[k - 1]
        })
        .sum();
    total / n as f64
}

/// The seeds of bin seeding: the points rounded to a grid of side `bin`
/// (half to even, as numpy), one seed per occupied cell; the points
/// themselves when the grid is degenerate or every point has a cell of its own.
fn seeds(points: &[Vec<f64>], bin: f64) -> Vec<Vec<f64>> {
    if bin == 0.0 || !bin.is_finite() {
        return points.to_vec();
    }
    let mut cells: Vec<Vec<f64>> = vec![];
    for p in points {
        let cell: Vec<f64> = p.iter().map(|x| (x / bin).round_ties_even()).collect();
        if !cells.contains(&cell) {
            cells.push(cell);
        }
    }
    if cells.len() == points.len() {
        return points.to_vec();
    }
    cells.into_iter().map(|c| c.into_iter().map(|x| x * bin).collect()).collect()
}

/// The points within `radius` of `centre` (inclusive, as scikit-learn's `radius_neighbors`).
fn within<'a>(points: &'a [Vec<f64>], centre: &[f64], radius: f64) -> Vec<&'a Vec<f64>> {
    points.iter().filter(|p| distance(p, centre) <= radius).collect()
}

/// Shifts `seed` to the mean of the points within the bandwidth until it
/// moves less than 10⁻³ of the bandwidth (at most 300 shifts, as
/// scikit-learn): the mode it reaches and how many points it ends with, or
/// `None` if none is within reach.
fn shift(points: &[Vec<f64>], seed: Vec<f64>, h: f64) -> Option<(Vec<f64>, usize)> {
    let mut mean = seed;
    let mut count = 0;
    for iteration in 0..=300 {
        let near = within(points, &mean, h);
        if near.is_empty() {
            break;
        }
        count = near.len();
        let old = std::mem::replace(&mut mean, vec![0.0; near[0].len()]);
        for p in &near {
            mean.iter_mut().zip(p.iter()).for_each(|(m, x)| *m += x);
        }
        mean.iter_mut().for_each(|m| *m /= count as f64);
        if distance(&mean, &old) <= 1e-3 * h || iteration == 300 {
            break;
        }
    }
    (count > 0).then_some((mean, count))
}

/// Each point's cluster (the index of its nearest centre, centres ordered by
/// how many points they attracted, most first), or `None` for a point
/// farther than the bandwidth `h` from every centre.
pub fn labels(points: &[Vec<f64>], h: f64) -> Vec<Option<usize>> {
    let mut modes: Vec<(Vec<f64>, usize)> = vec![];
    for seed in seeds(points, h) {
        if let Some((mode, count)) = shift(points, seed, h) {
            // A mode reached again keeps the later count (scikit-learn's dict).
            match modes.iter_mut().find(|(m, _)| *m == mode) {
                Some(found) => found.1 = count,
                None => modes.push((mode, count)),
            }
        }
    }
    // Most points first, then the larger coordinates (scikit-learn's order).
    modes.sort_by(|(a, ca), (b, cb)| {
        let by_coordinates = b.iter().zip(a).map(|(x, y)| x.total_cmp(y)).find(|o| o.is_ne());
        cb.cmp(ca).then(by_coordinates.unwrap_or(std::cmp::Ordering::Equal))
    });
    // A mode within the bandwidth of a stronger one merges into it.
    let mut centres: Vec<&Vec<f64>> = vec![];
    for (m, _) in &modes {
        if !centres.iter().any(|c| distance(c, m) <= h) {
            centres.push(m);
        }
    }
    points
        .iter()
        .map(|p| {
            let (best, d) =
                centres.iter().enumerate().map(|(i, c)| (i, distance(p, c))).min_by(|a, b| a.1.total_cmp(&b.1))?;
            (d <= h).then_some(best)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pts(v: &[[f64; 2]]) -> Vec<Vec<f64>> {
        v.iter().map(|p| p.to_vec()).collect()
    }

    #[test]
    fn the_bandwidth_is_the_mean_distance_to_the_median_neighbour() {
        // n = 4, k = 2: each point's nearest other point.
        let p = pts(&[[0.0, 0.0], [1.0, 0.0], [3.0, 0.0], [7.0, 0.0]]);
        assert_eq!(bandwidth(&p, 0.5), (1.0 + 1.0 + 2.0 + 4.0) / 4.0);
        assert_eq!(bandwidth(&p[..1], 0.5), 0.0);
    }

    #[test]
    fn two_groups_make_two_clusters_and_a_far_point_none() {
        let p = pts(&[[0.0, 0.0], [0.1, 0.0], [0.0, 0.1], [0.1, 0.1], [5.0, 5.0], [5.1, 5.0], [20.0, 20.0]]);
        let l = labels(&p, 0.5);
        assert_eq!(&l[..4], &[Some(0); 4], "the larger group is cluster 0");
        assert_eq!(&l[4..6], &[Some(1); 2]);
        assert_eq!(l[6], Some(2), "a lone point is its own mode");
        let l = labels(&p[..6], 0.5);
        assert_eq!(l, [Some(0), Some(0), Some(0), Some(0), Some(1), Some(1)]);
    }

    #[test]
    fn a_zero_bandwidth_groups_equal_points() {
        let p = pts(&[[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]);
        assert_eq!(labels(&p, 0.0), [Some(0), Some(0), Some(1)]);
    }
}
