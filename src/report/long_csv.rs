//! `curves.csv`: every recorded value of every run in long ("tidy") form,
//! one row per (run, step, metric), for pandas (`pd.read_csv`) and R.
//!
//! Columns: `run` (the run's line in `runs.jsonl`, from 0), the swept fields
//! in sweep order, `aggregate` and `attack` when they are not swept, `seed`,
//! `step`, `metric` and `value`. Metrics: `loss` (the honest training loss,
//! every step 0..=T), `accuracy` and `test_loss` (held-out, at the evaluated
//! steps), `inner_product` and `cosine` (⟨ḡ, F⟩ and cos(ḡ, F) of the step
//! from t − 1 to t, at steps 1..=T). A non-finite value (a diverged run's)
//! is an empty cell.

use crate::plan::Metric;
use crate::sim::RunResult;

/// The whole file.
pub(crate) fn curves_csv(runs: &[RunResult]) -> Result<String, csv::Error> {
    let fields: Vec<String> =
        runs.first().map(|r| r.label.iter().map(|(k, _)| k.clone()).collect()).unwrap_or_default();
    let fixed: Vec<&str> = ["aggregate", "attack"].into_iter().filter(|f| !fields.iter().any(|k| k == f)).collect();
    let mut w = csv::Writer::from_writer(vec![]);
    let mut head: Vec<&str> = vec!["run"];
    head.extend(fields.iter().map(String::as_str));
    head.extend(&fixed);
    head.extend(["seed", "step", "metric", "value"]);
    w.write_record(&head)?;
    for (i, r) in runs.iter().enumerate() {
        let mut keys: Vec<String> = vec![i.to_string()];
        keys.extend(
            fields.iter().map(|f| r.label.iter().find(|(k, _)| k == f).map(|(_, v)| v.clone()).unwrap_or_default()),
        );
        keys.extend(fixed.iter().map(|f| if *f == "aggregate" { r.aggregate.clone() } else { r.attack.clone() }));
        keys.push(r.seed.to_string());
        let s = &r.series;
        let recorded = |m: Metric| {
            let (steps, values) = s.values(m);
            (m.name(), steps.into_owned(), values)
        };
        let (loss, accuracy) = (recorded(Metric::Loss), recorded(Metric::Accuracy));
        let test_loss = ("test_loss", s.eval_step.clone(), s.test_loss.as_slice());
        for (metric, steps, values) in
            [loss, accuracy, test_loss, recorded(Metric::InnerProduct), recorded(Metric::Cosine)]
        {
            for (step, value) in steps.iter().zip(values) {
                let value = if value.is_finite() { value.to_string() } else { String::new() };
                let row = keys.iter().cloned().chain([step.to_string(), metric.to_string(), value]);
                w.write_record(row)?;
            }
        }
    }
    let bytes = w.into_inner().map_err(|e| csv::Error::from(e.into_error()))?;
    // Every field was a Rust string, so the bytes are UTF-8.
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(label: &[(&str, &str)], seed: u64, loss: &[f64]) -> RunResult {
        let json = serde_json::json!({
            "scenario": "s", "label": [], "seed": seed, "aggregate": "cm", "attack": "sf, \"quoted\"",
            "status": "ok",
            "metrics": {"final_loss": 0.0, "max_loss": 0.0, "min_loss": 0.0, "mean_loss": 0.0},
            "series": {"step": (0..loss.len()).collect::<Vec<_>>(), "loss": loss, "inner_product": [0.5],
                       "eval_step": [1], "accuracy": [0.9], "test_loss": [0.3]},
            "final_theta": [],
        });
        let mut r: RunResult = serde_json::from_value(json).expect("a run");
        r.label = label.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        r
    }

    #[test]
    fn one_row_per_run_step_and_metric() {
        let runs = [
            run(&[("workers.byzantine", "1")], 1, &[2.0, 1.0]),
            run(&[("workers.byzantine", "2")], 2, &[2.0, f64::NAN]),
        ];
        let text = curves_csv(&runs).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "run,workers.byzantine,aggregate,attack,seed,step,metric,value");
        assert_eq!(lines[1], "0,1,cm,\"sf, \"\"quoted\"\"\",1,0,loss,2");
        assert_eq!(lines[2], "0,1,cm,\"sf, \"\"quoted\"\"\",1,1,loss,1");
        assert_eq!(lines[3], "0,1,cm,\"sf, \"\"quoted\"\"\",1,1,accuracy,0.9");
        assert_eq!(lines[5], "0,1,cm,\"sf, \"\"quoted\"\"\",1,1,inner_product,0.5");
        assert_eq!(lines[7], "1,2,cm,\"sf, \"\"quoted\"\"\",2,1,loss,", "a NaN is an empty cell");
        assert_eq!(lines.len(), 1 + 2 * 5);
    }
}
