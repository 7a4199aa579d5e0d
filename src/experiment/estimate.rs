//! What a sweep will cost before it runs (`byz plan --estimate`). A step is
//! the honest workers' gradients plus the server's side (the attack and the
//! aggregation), timed apart (`sim::profile`): the gradients once per task,
//! the server's side once per class of runs that differ only in what does
//! not change a step's work (seed, learning rate, momentum, heterogeneity,
//! steps). A run costs its setup plus its steps times the sum. Evaluation on
//! held-out data is not counted.
//!
//! Attacks that simulate the future (JUMP) can take minutes per step on a
//! CNN, so after `budget` has been spent, a class whose attack was already
//! timed under another rule or f takes that time instead of being timed
//! (and says so); every attack is timed at least once.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::plan::{RunPlan, TaskPlan};
use crate::sim::SimError;
use crate::sim::profile::{self, HonestCost};
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
    /// The honest gradients of a step.
    pub honest: Duration,
    /// The server's side of a step: attack and aggregation.
    pub server: Duration,
    /// Time to build a run before its first step (split, model, graphs).
    pub setup: Duration,
    /// The data set was not at hand: steps were timed on random images of its shape.
    pub synthetic_data: bool,
    /// The server's side was not timed (over budget) but taken from this run's class.
    pub borrowed_from: Option<RunPlan>,
}

impl ClassCost {
    /// One step of a run of the class: its honest gradients plus the server's side.
    pub(crate) fn step_time(&self) -> Duration {
        self.honest + self.server
    }

    /// Wall-clock time of the class's runs, one after another, on this machine.
    pub fn total(&self) -> Duration {
        self.setup * self.runs as u32 + self.step_time().mul_f64(self.steps as f64)
    }
}

/// `run` without what does not change the work of a step.
fn normalised(run: &RunPlan) -> RunPlan {
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
    r
}

fn json<T: serde::Serialize>(x: &T) -> String {
    serde_json::to_string(x).unwrap_or_default()
}

/// Runs with this key share the honest side of a step.
fn task_key(run: &RunPlan) -> String {
    let r = normalised(run);
    json(&(&r.task, r.workers.honest, &r.train))
}

/// Groups `runs` into cost classes (first appearance order) and times each
/// (`steps` timed gradient passes per task, one server step per class);
/// `progress` hears of each class.
pub fn estimate(
    runs: &[&RunPlan],
    steps: usize,
    budget: Duration,
    mut progress: impl FnMut(&ClassCost),
) -> Result<Vec<ClassCost>, SimError> {
    let started = Instant::now();
    let mut order: Vec<String> = vec![];
    let mut members: HashMap<String, Vec<&RunPlan>> = HashMap::new();
    for r in runs {
        let k = json(&normalised(r));
        if !members.contains_key(&k) {
            order.push(k.clone());
        }
        members.entry(k).or_default().push(r);
    }
    let synthetic = SyntheticData::default();
    let mut honest: HashMap<String, (HonestCost, bool)> = HashMap::new();
    // The server's side as timed, by attack: (rule, its time, the run timed).
    let mut timed: HashMap<String, Vec<(String, Duration, RunPlan)>> = HashMap::new();
    let mut costs = vec![];
    for k in order {
        let group = &members[&k];
        let (run, synthetic_data) = synthetic.substitute(group[0])?;
        let tk = task_key(&run);
        if !honest.contains_key(&tk) {
            honest.insert(tk.clone(), (profile::honest(&run, steps)?, synthetic_data));
        }
        let (h, _) = &honest[&tk];
        let attack = run.attack.to_string();
        let rule = run.aggregate.to_string();
        let borrow = (started.elapsed() >= budget)
            .then(|| timed.get(&attack))
            .flatten()
            .and_then(|list| list.iter().find(|(r, _, _)| *r == rule).or(list.first()))
            .map(|(_, d, from)| (*d, from.clone()));
        let (server, borrowed_from) = match borrow {
            Some((d, from)) => (d, Some(from)),
            None => {
                let d = profile::server(&run, &h.honest)?;
                timed.entry(attack).or_default().push((rule, d, group[0].clone()));
                (d, None)
            }
        };
        let cost = ClassCost {
            example: group[0].clone(),
            runs: group.len(),
            steps: group.iter().map(|r| r.train.steps).sum(),
            honest: h.per_step,
            server,
            setup: h.setup,
            synthetic_data,
            borrowed_from,
        };
        progress(&cost);
        costs.push(cost);
    }
    Ok(costs)
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
                .map_err(|e| SimError::Io { path: fake.clone(), cause: std::sync::Arc::new(e) })?;
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
