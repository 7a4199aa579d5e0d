//! What a run produced: its loss series and summary metrics.

use serde::{Deserialize, Serialize};

use super::SimError;
use crate::plan::{Metric, RunPlan, Stat, Statistic};

/// JSON has no NaN: serde_json writes it as `null`, and these read `null` back as NaN.
mod nan_null {
    use serde::{Deserialize, Deserializer};

    /// A number, reading `null` as NaN.
    pub fn one<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
    /// A list of numbers, reading each `null` as NaN.
    pub fn many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        Ok(Vec::<Option<f64>>::deserialize(d)?.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect())
    }
    /// A list of `f32`, reading each `null` as NaN.
    pub(crate) fn many32<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f32>, D::Error> {
        Ok(Vec::<Option<f32>>::deserialize(d)?.into_iter().map(|x| x.unwrap_or(f32::NAN)).collect())
    }
    /// A list of points (θ_t), reading each `null` coordinate as NaN.
    pub fn points<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<f32>>, D::Error> {
        let raw = Vec::<Vec<Option<f32>>>::deserialize(d)?;
        Ok(raw.into_iter().map(|p| p.into_iter().map(|x| x.unwrap_or(f32::NAN)).collect()).collect())
    }
}

/// What a run recorded step by step: the honest loss, θ, inner products, held-out accuracy and loss.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Series {
    pub step: Vec<usize>,
    #[serde(deserialize_with = "nan_null::many")]
    pub loss: Vec<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty", deserialize_with = "nan_null::points")]
    pub theta: Vec<Vec<f32>>,
    /// ⟨honest mean, aggregate⟩ of each step 1..=T, with `report { inner_product }`.
    #[serde(skip_serializing_if = "Vec::is_empty", deserialize_with = "nan_null::many")]
    pub inner_product: Vec<f64>,
    /// cos(honest mean, aggregate) of each step 1..=T, with `report { inner_product }`.
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "nan_null::many")]
    pub cosine: Vec<f64>,
    /// Steps at which the model was evaluated on held-out data, with `report every k { accuracy }`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub eval_step: Vec<usize>,
    #[serde(skip_serializing_if = "Vec::is_empty", deserialize_with = "nan_null::many")]
    pub accuracy: Vec<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty", deserialize_with = "nan_null::many")]
    pub test_loss: Vec<f64>,
}

impl Series {
    /// Records the loss at `step`, and θ when `keep_theta` (for a trajectory).
    pub(crate) fn record(&mut self, step: usize, loss: f64, theta: &[f32], keep_theta: bool) {
        self.step.push(step);
        self.loss.push(loss);
        if keep_theta {
            self.theta.push(theta.to_vec());
        }
    }
}

/// Summaries of the run: final values, and max, min and mean over steps 1..=T (step 0 left out).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Metrics {
    #[serde(deserialize_with = "nan_null::one")]
    pub final_loss: f64,
    #[serde(deserialize_with = "nan_null::one")]
    pub mean_loss: f64,
    #[serde(deserialize_with = "nan_null::one")]
    pub max_loss: f64,
    #[serde(deserialize_with = "nan_null::one")]
    pub min_loss: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_accuracy: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_accuracy: Option<f64>,
    /// Steps whose aggregate had a negative inner product with the honest mean (002 Definition 4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub descent_violations: Option<usize>,
}

impl Metrics {
    /// The default statistics, over steps 1..=T as in tables and expectations.
    fn of(series: &Series, inner_product: bool) -> Self {
        let loss = |stat| series.statistic(Statistic::new(stat, Metric::Loss)).unwrap_or(f64::NAN);
        let accuracy = |stat| series.statistic(Statistic::new(stat, Metric::Accuracy));
        Metrics {
            descent_violations: inner_product.then(|| series.inner_product.iter().filter(|x| **x < 0.0).count()),
            final_accuracy: accuracy(Stat::Final),
            max_accuracy: accuracy(Stat::Max),
            final_loss: loss(Stat::Final),
            mean_loss: loss(Stat::Mean),
            max_loss: loss(Stat::Max),
            min_loss: loss(Stat::Min),
        }
    }
}

impl Series {
    /// `max accuracy` of one run: `final` is the last recorded value; `max`,
    /// `min` and `mean` look at the values recorded at steps `from` and later,
    /// so by default not at the untrained model of step 0.
    pub fn statistic(&self, s: Statistic) -> Option<f64> {
        let (steps, values) = self.values(s.metric);
        if s.stat == Stat::Final {
            return values.last().copied();
        }
        let window: Vec<f64> = steps.iter().zip(values).filter(|(k, _)| **k >= s.from).map(|(_, v)| *v).collect();
        let (first, rest) = window.split_first()?;
        Some(match s.stat {
            Stat::Max => rest.iter().fold(*first, |a, b| a.max(*b)),
            Stat::Min => rest.iter().fold(*first, |a, b| a.min(*b)),
            Stat::Negative => window.iter().filter(|x| **x < 0.0).count() as f64 / window.len() as f64,
            _ => window.iter().sum::<f64>() / window.len() as f64,
        })
    }

    /// The steps at which `metric` was recorded, and its values there.
    pub fn values(&self, metric: Metric) -> (std::borrow::Cow<'_, [usize]>, &[f64]) {
        use std::borrow::Cow;
        match metric {
            Metric::Loss => (Cow::Borrowed(&self.step), &self.loss),
            Metric::Accuracy => (Cow::Borrowed(&self.eval_step), &self.accuracy),
            // Step t's value belongs to the step that led to θ_t.
            Metric::InnerProduct => (Cow::Owned((1..=self.inner_product.len()).collect()), &self.inner_product),
            Metric::Cosine => (Cow::Owned((1..=self.cosine.len()).collect()), &self.cosine),
        }
    }
}

/// What a run produced: which run it was, how it ended, its metrics, its series and the final model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunResult {
    pub scenario: String,
    pub label: Vec<(String, String)>,
    pub seed: u64,
    pub aggregate: String,
    pub attack: String,
    /// `ok`, or `diverged` when the numbers blew up (then see `diverged`).
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diverged: Option<String>,
    pub metrics: Metrics,
    pub series: Series,
    /// The final model, for a quick look at where training ended.
    #[serde(deserialize_with = "nan_null::many32")]
    pub final_theta: Vec<f32>,
}

impl RunResult {
    /// The same result, its metrics computed from its series by this version's definitions.
    pub(crate) fn with_metrics_recomputed(mut self) -> Self {
        self.metrics = Metrics::of(&self.series, self.metrics.descent_violations.is_some());
        self
    }

    /// The result of `plan`'s run; `diverged` is the divergence that ended it early, if any.
    pub fn new(plan: &RunPlan, series: Series, final_theta: Vec<f32>, diverged: Option<SimError>) -> Self {
        RunResult {
            scenario: plan.scenario.clone(),
            label: plan.label.clone(),
            seed: plan.seed,
            aggregate: plan.aggregate.to_string(),
            attack: plan.attack.to_string(),
            status: if diverged.is_some() { "diverged" } else { "ok" }.to_string(),
            diverged: diverged.map(|e| e.to_string()),
            metrics: Metrics::of(&series, plan.report.inner_product),
            final_theta,
            series,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Metric, Stat, Statistic};

    #[test]
    fn inner_products_belong_to_steps_1_to_t_and_negative_is_a_share() {
        let s = Series {
            inner_product: vec![1.0, -2.0, 0.5, -0.1],
            cosine: vec![0.5, -1.0, 0.2, -0.05],
            ..Default::default()
        };
        let (steps, values) = s.values(Metric::InnerProduct);
        assert_eq!((&steps[..], values), (&[1, 2, 3, 4][..], &[1.0, -2.0, 0.5, -0.1][..]));
        let negative = Statistic::new(Stat::Negative, Metric::InnerProduct);
        assert_eq!(s.statistic(negative), Some(0.5));
        // A window from step 3: steps 3 and 4, one negative.
        assert_eq!(s.statistic(Statistic { from: 3, ..negative }), Some(0.5));
        assert_eq!(s.statistic(Statistic { from: 4, ..negative }), Some(1.0));
        assert_eq!(s.statistic(Statistic::new(Stat::Mean, Metric::Cosine)), Some((0.5 - 1.0 + 0.2 - 0.05) / 4.0));
        assert_eq!(s.statistic(Statistic::new(Stat::Final, Metric::Cosine)), Some(-0.05));
    }
}
