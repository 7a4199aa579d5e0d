//! What a sweep will cost before it runs (`byz plan --estimate`): runs that
//! differ only in what does not change a step's work (seed, learning rate,
//! momentum, heterogeneity, steps) share one cost class; each class's step
//! time is measured on a few warm steps, and a run costs its setup plus its
//! steps times that. Evaluation on held-out data is not counted.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::plan::{RunPlan, TaskPlan};
use crate::sim::{self, SimError};
use crate::task::data;

/// The measured cost of one class of runs.
#[derive(Debug, Clone)]
pub struct ClassCost {
    /// A run of the class, as measured (its scenario and label name it).
    pub example: RunPlan,
    /// How many runs of the sweep fall in this class.
    pub runs: usize,
    /// Training steps of those runs together.
    pub steps: usize,
    pub step_time: Duration,
    /// Time to build a run before its first step (split, model, graphs).
    pub setup: Duration,
    /// The data set was not at hand: steps were timed on random images of its shape.
    pub synthetic_data: bool,
}

impl ClassCost {
    /// Wall-clock time of the class's runs, one after another, on this machine.
    pub fn total(&self) -> Duration {
        self.setup * self.runs as u32 + self.step_time.mul_f64(self.steps as f64)
    }
}

/// The run with everything that does not change a step's work set to one value.
fn class_key(run: &RunPlan) -> String {
    let mut r = run.clone();
    r.scenario.clear();
    r.label.clear();
    r.seed = 0;
    r.train.steps = 0;
    r.train.lr.clear();
    r.train.momentum = 0.0;
    r.report = Default::default();
    if let TaskPlan::Classification { heterogeneity, .. } = &mut r.task {
        *heterogeneity = crate::plan::Heterogeneity::Iid;
    }
    serde_json::to_string(&r).unwrap_or_default()
}

/// Groups `runs` into cost classes (first appearance order) and times each
/// on `steps` steps after a warm one; `progress` hears of each class measured.
pub fn estimate(
    runs: &[&RunPlan],
    steps: usize,
    mut progress: impl FnMut(&ClassCost),
) -> Result<Vec<ClassCost>, SimError> {
    let mut order: Vec<String> = vec![];
    let mut members: HashMap<String, Vec<&RunPlan>> = HashMap::new();
    for r in runs {
        let k = class_key(r);
        if !members.contains_key(&k) {
            order.push(k.clone());
        }
        members.entry(k).or_default().push(r);
    }
    let synthetic = SyntheticData::default();
    let mut costs = vec![];
    for k in order {
        let group = &members[&k];
        let (timed, synthetic_data) = synthetic.substitute(group[0])?;
        let (setup, step_time) = time_steps(&timed, steps.max(1))?;
        let cost = ClassCost {
            example: group[0].clone(),
            runs: group.len(),
            steps: group.iter().map(|r| r.train.steps).sum(),
            step_time,
            setup,
            synthetic_data,
        };
        progress(&cost);
        costs.push(cost);
    }
    Ok(costs)
}

/// (setup, time per step): runs of 1 and of 1 + `steps` steps, after a first
/// run of 1 step that loads the data and warms caches.
fn time_steps(run: &RunPlan, steps: usize) -> Result<(Duration, Duration), SimError> {
    let time = |n: usize| -> Result<Duration, SimError> {
        let mut r = run.clone();
        r.train.steps = n;
        r.report = Default::default();
        let start = Instant::now();
        // On a pool thread, as `byz run` runs.
        rayon::scope(|_| sim::run(&r)).map(|_| start.elapsed())
    };
    time(1)?;
    let one = time(1)?;
    let many = time(1 + steps)?;
    let per_step = many.saturating_sub(one) / steps as u32;
    Ok((one.saturating_sub(per_step), per_step))
}

/// Random images in a temporary folder, for data sets that are not at hand.
#[derive(Default)]
struct SyntheticData {
    dir: std::cell::OnceCell<PathBuf>,
}

impl SyntheticData {
    /// `run` itself when its data is at hand, or a copy reading random images
    /// of the same shape (and whether it does).
    fn substitute(&self, run: &RunPlan) -> Result<(RunPlan, bool), SimError> {
        let TaskPlan::Classification { data: kind, dir, .. } = &run.task else { return Ok((run.clone(), false)) };
        if data::missing_files(*kind, std::path::Path::new(dir)).is_empty() {
            return Ok((run.clone(), false));
        }
        let root = self.dir.get_or_init(|| std::env::temp_dir().join(format!("byz-estimate-{}", std::process::id())));
        let fake = root.join(format!("{kind:?}"));
        if data::missing_files(*kind, &fake).len() == kind.files().len() {
            // Enough images for every honest worker's batches.
            data::write_synthetic(*kind, &fake, 1000)
                .map_err(|e| SimError::Task(format!("cannot write random images into {}: {e}", fake.display())))?;
        }
        let mut timed = run.clone();
        if let TaskPlan::Classification { dir, .. } = &mut timed.task {
            *dir = fake.display().to_string();
        }
        Ok((timed, true))
    }
}

impl Drop for SyntheticData {
    fn drop(&mut self) {
        if let Some(d) = self.dir.get() {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}
