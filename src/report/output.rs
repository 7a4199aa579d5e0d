//! Run results as terminal lines, JSON lines and files.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::sim::RunResult;

/// One compact line per run.
pub(crate) fn text_line(r: &RunResult) -> String {
    let m = &r.metrics;
    let label = crate::plan::label_text(&r.label, &r.attack);
    let theta = if !r.final_theta.is_empty() && r.final_theta.len() <= 4 {
        let coords: Vec<String> = r.final_theta.iter().map(|x| format!("{x:.4}")).collect();
        format!("  θ_T ({})", coords.join(", "))
    } else {
        String::new()
    };
    let accuracy = match (m.final_accuracy, m.max_accuracy) {
        (Some(f), Some(x)) => format!("  accuracy final {:.2}% max {:.2}%", 100.0 * f, 100.0 * x),
        _ => String::new(),
    };
    let violations = match m.descent_violations {
        Some(v) => format!("  ⟨ḡ,F⟩<0 in {v}/{} steps", r.series.inner_product.len()),
        None => String::new(),
    };
    let status = match &r.diverged {
        Some(why) => format!("  DIVERGED: {why}"),
        None => String::new(),
    };
    format!(
        "{}  [{}]  seed {}  loss final {:.4}  mean {:.4}  max {:.4}  min {:.4}{accuracy}{theta}{violations}{status}",
        r.scenario, label, r.seed, m.final_loss, m.mean_loss, m.max_loss, m.min_loss
    )
}

/// One JSON object per run, with the sweep label as an object in sweep order.
pub(crate) fn json_line(r: &RunResult) -> String {
    let mut v = serde_json::to_value(r).unwrap_or_default();
    if let Some(obj) = v.as_object_mut() {
        let label: serde_json::Map<String, serde_json::Value> =
            r.label.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect();
        obj.insert("label".into(), serde_json::Value::Object(label));
    }
    v.to_string()
}

/// Writes `contents` to `path` atomically: a temporary file, then a rename,
/// so a reader never sees half a file. The temporary file's name is unique
/// to this write (process id and a random number), so that processes on
/// several machines sharing one folder, or two threads of one, never write
/// into the same temporary file; it starts with a dot and ends in `.tmp`.
pub(crate) fn write_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}-{:016x}.tmp", std::process::id(), rand::random::<u64>()));
    let written = std::fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(contents)?;
        f.sync_all()
    });
    written.and_then(|()| std::fs::rename(&tmp, path)).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// `DIR/SCENARIO/runs.jsonl`, one line per run.
pub(crate) fn write_runs(dir: &Path, scenario: &str, runs: &[RunResult]) -> std::io::Result<PathBuf> {
    let path = dir.join(scenario).join("runs.jsonl");
    let body: String = runs.iter().map(|r| json_line(r) + "\n").collect();
    write_atomic(&path, body.as_bytes())?;
    Ok(path)
}
