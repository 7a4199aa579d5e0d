//! Memory: the estimate bounds what a run really takes (its peak resident
//! memory, measured by the kernel), a run that cannot fit is refused at check
//! time, and a sweep runs fewer runs at once when all would not fit.

mod common;

use std::path::Path;
use std::process::Command;

use byz::plan::memory;

/// Runs `byz run FILE` alone and returns its peak resident memory in bytes,
/// as the kernel counts it for that one child (`wait4`'s rusage; std's
/// `wait` does not return it, so the child is reaped here instead).
#[allow(clippy::zombie_processes)]
fn peak_rss(file: &Path, out: &Path) -> u64 {
    let child = Command::new(env!("CARGO_BIN_EXE_byz"))
        .args(["run", file.to_str().unwrap(), "--fresh", "--out", out.to_str().unwrap()])
        .current_dir(common::root())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("byz starts");
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value, and wait4 writes it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as libc::pid_t, "waited for byz");
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "{} ran", file.display());
    usage.ru_maxrss as u64 * 1024 // kilobytes on Linux
}

/// The estimate is an upper bound of the measured peak, and not a loose one:
/// within 2× of it, for a large vector task and for the MNIST CNN.
#[test]
fn the_estimate_bounds_the_peak_memory_of_a_run() {
    common::need_mnist();
    let out = common::temp_dir("memory-peak");
    for name in ["mean_estimation", "mnist_cnn"] {
        let file = common::root().join(format!("tests/inputs/memory/{name}.byz"));
        let plans = common::check_file(&file).expect("checks");
        let run = &plans[0].runs[0];
        let estimate = byz::registry::memory_estimate(run).with_runs(1);
        let measured = peak_rss(&file, &out);
        let (e, m) = (memory::bytes_text(estimate), memory::bytes_text(measured));
        assert!(measured <= estimate, "{name}: measured {m}, estimated {e}");
        assert!(estimate <= 2 * measured, "{name}: estimated {e} for a measured {m}");
    }
    let _ = std::fs::remove_dir_all(&out);
}

/// A run that does not fit in the memory given is refused by `check`, `run`
/// and `test` (exit 2), naming the scenario, the estimate and the budget.
#[test]
fn a_run_that_cannot_fit_is_refused_before_it_starts() {
    let file = "tests/inputs/memory/mean_estimation.byz";
    let out = common::temp_dir("memory-refused");
    let out_arg = out.to_str().unwrap();
    for args in [vec!["check", file], vec!["run", file, "--out", out_arg], vec!["test", file]] {
        let mut with_mem = args.clone();
        with_mem.extend(["--mem", "256M"]);
        let o = common::byz_in(&common::root(), &with_mem);
        let err = common::text(&o.stderr);
        let stdout = common::text(&o.stdout);
        let code = if args[0] == "test" { 1 } else { 2 };
        assert_eq!(o.status.code(), Some(code), "{with_mem:?}: {err}{stdout}");
        assert!(err.contains("a run of `me` needs about") && err.contains("`--mem` gives 256.0 MiB"), "{err}");
    }
    assert!(!out.join("me").exists(), "nothing ran");
    // Enough memory: it checks.
    assert!(common::byz_in(&common::root(), &["check", file, "--mem", "2G"]).status.success());
    let _ = std::fs::remove_dir_all(&out);
}

/// Two runs of 0.7 GiB each with 1.2 GiB given run one at a time, with a note,
/// and give the numbers they give two at a time.
#[test]
fn runs_that_do_not_fit_together_run_one_at_a_time() {
    if std::thread::available_parallelism().map_or(1, |p| p.get()) < 2 {
        eprintln!("skipped: one core runs one run at a time anyway");
        return;
    }
    let dir = common::temp_dir("memory-at-once");
    let text = std::fs::read_to_string(common::root().join("tests/inputs/memory/mean_estimation.byz")).unwrap();
    std::fs::write(dir.join("two.byz"), text.replace("scenario me {", "scenario me {\n  seeds 1..=2")).unwrap();
    let tight = common::byz_in(&dir, &["run", "two.byz", "--mem", "1200M", "--out", "tight", "--format", "json"]);
    let err = common::text(&tight.stderr);
    assert!(tight.status.success(), "{err}");
    assert!(err.contains("note: 1 run at a time, so that the runs fit in memory"), "{err}");
    let free = common::byz_in(&dir, &["run", "two.byz", "--mem", "8G", "--out", "free", "--format", "json"]);
    assert!(free.status.success() && !common::text(&free.stderr).contains("at a time"));
    assert_eq!(common::text(&tight.stdout), common::text(&free.stdout), "the same numbers");
    let _ = std::fs::remove_dir_all(&dir);
}

/// MNIST's full size (60,000 training and 10,000 test digits) with 120
/// workers (96 honest, 24 Byzantine) and logistic regression fits in 2 GB:
/// the data set is loaded once as f32 (70,000 × 784 × 4 bytes = 219.5 MB), each worker keeps only its
/// shard's indices, and the vectors are 120 × 7,850 numbers. The digits are
/// the fetched subset repeated to full size (memory depends only on sizes).
#[test]
fn a_full_size_mnist_run_with_120_workers_fits_in_2_gb() {
    common::need_mnist();
    let dir = common::temp_dir("memory-mnist-60k");
    let data = dir.join("mnist");
    std::fs::create_dir_all(&data).unwrap();
    for (name, count) in [("train", 60_000u32), ("t10k", 10_000)] {
        let read = |kind: &str| std::fs::read(common::root().join(format!("data/mnist/{name}-{kind}"))).unwrap();
        let (images, labels) = (read("images-idx3-ubyte"), read("labels-idx1-ubyte"));
        let (pixels, have) = (&images[16..], labels.len() - 8);
        let mut big = [&images[..4], &count.to_be_bytes()[..], &images[8..16]].concat();
        let mut tags = [&labels[..4], &count.to_be_bytes()[..]].concat();
        for i in 0..count as usize {
            big.extend_from_slice(&pixels[(i % have) * 784..(i % have + 1) * 784]);
            tags.push(labels[8 + i % have]);
        }
        std::fs::write(data.join(format!("{name}-images-idx3-ubyte")), big).unwrap();
        std::fs::write(data.join(format!("{name}-labels-idx1-ubyte")), tags).unwrap();
    }
    let file = dir.join("full.byz");
    let scenario = format!(
        "use std.models\nscenario full {{\n  data mnist(\"{}\")\n  model logreg\n  workers {{ honest 96; byzantine 24 }}\n  \
         train {{ steps 20; batch 32; lr 0.1; momentum 0.9 }}\n  aggregate cm\n  attack sf\n  report every 20 {{ accuracy }}\n}}\n",
        data.display()
    );
    std::fs::write(&file, scenario).unwrap();
    let peak = peak_rss(&file, &dir.join("out"));
    assert!(peak < 2 << 30, "peak {}", memory::bytes_text(peak));
    eprintln!("60,000 digits, n = 120, logistic regression: peak {}", memory::bytes_text(peak));
    let _ = std::fs::remove_dir_all(&dir);
}
