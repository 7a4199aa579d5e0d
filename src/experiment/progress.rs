//! Progress over a batch of runs, counted in training steps so that one long
//! run (a 4-minute CNN) moves the bar too: on a terminal, a bar over the
//! steps of all runs with an ETA from the rate so far, the runs done,
//! running and left, and a line per run as it ends; elsewhere (logs, CI,
//! pipes) only that line per run; with `quiet`, nothing.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Progress over a batch of runs, shared by the threads that run them.
pub struct Progress {
    /// Hidden (but still counting) when not on a terminal or quiet.
    bar: ProgressBar,
    runs: usize,
    done: AtomicUsize,
    running: AtomicUsize,
    quiet: bool,
}

impl Progress {
    /// Progress over `runs` runs of `steps` training steps in all, on
    /// standard error; `quiet` shows nothing.
    pub fn new(runs: usize, steps: u64, quiet: bool) -> Self {
        let bar = ProgressBar::with_draw_target(Some(steps), ProgressDrawTarget::hidden());
        if !quiet && std::io::stderr().is_terminal() {
            let style = ProgressStyle::with_template(
                "{spinner} {elapsed_precise} {bar:24} {percent:>3}% of {human_len} steps · ETA {eta} · {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        let progress = Progress { bar, runs, done: 0.into(), running: 0.into(), quiet };
        progress.show_runs();
        progress
    }

    /// `runs 3 done, 2 running, 10 left`, as the bar's message.
    fn show_runs(&self) {
        let (done, running) = (self.done.load(Relaxed), self.running.load(Relaxed));
        let left = self.runs.saturating_sub(done + running);
        self.bar.set_message(format!("runs {done} done, {running} running, {left} left"));
    }

    /// A run has started computing.
    pub fn started(&self) {
        self.running.fetch_add(1, Relaxed);
        self.show_runs();
    }

    /// A run has taken one training step.
    pub fn step(&self) {
        self.bar.inc(1);
    }

    /// A run has finished, or was found in the store (`stored`); `steps_left`
    /// are the steps of its plan it did not take (all of a stored run's, the
    /// rest of a run that diverged or failed). They leave the total rather
    /// than count as done, so that they do not read as speed in the ETA; the
    /// bar still ends full.
    pub fn finished(&self, what: &str, started: Instant, stored: bool, steps_left: u64) {
        if !stored {
            self.running.fetch_sub(1, Relaxed);
        }
        let k = self.done.fetch_add(1, Relaxed) + 1;
        self.bar.dec_length(steps_left);
        self.show_runs();
        if self.quiet {
            return;
        }
        let how =
            if stored { "from the store".to_string() } else { format!("{:.1} s", started.elapsed().as_secs_f64()) };
        self.println(&format!("[{k}/{}] {what} ({how})", self.runs));
    }

    /// The steps taken so far, and the steps in all (less those no run will take).
    pub fn steps(&self) -> (u64, u64) {
        (self.bar.position(), self.bar.length().unwrap_or(0))
    }

    /// Prints a line without tearing the bar.
    pub fn println(&self, line: &str) {
        if self.bar.is_hidden() {
            eprintln!("{line}");
        } else {
            self.bar.println(line);
        }
    }

    /// Runs `f` (which prints) with the bar hidden.
    pub(crate) fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.bar.suspend(f)
    }

    /// Clears the bar once every run has finished.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_counts_steps_and_ends_full_whatever_the_runs_did() {
        // Three runs of 10 steps: one from the store, one full, one that diverged at step 4.
        let p = Progress::new(3, 30, true);
        p.finished("stored", Instant::now(), true, 10);
        assert_eq!(p.steps(), (0, 20), "a stored run's steps leave the total: they took no time");
        p.started();
        p.started();
        (0..10).for_each(|_| p.step());
        (0..4).for_each(|_| p.step());
        assert_eq!((p.steps(), p.running.load(Relaxed)), ((14, 20), 2));
        p.finished("full", Instant::now(), false, 0);
        p.finished("diverged", Instant::now(), false, 6);
        assert_eq!((p.steps(), p.done.load(Relaxed), p.running.load(Relaxed)), ((14, 14), 3, 0));
    }
}
