//! `byz aggregate PIPELINE --f F [--input FILE] [--explain]`: apply a pipeline
//! to vectors given as JSON, outside any scenario.
//!
//! The pipeline is checked by the same checker as a scenario's `aggregate`
//! section (names, arguments, defaults, requirements on n and f), by wrapping
//! it in a one-step mean-estimation scenario with n − f honest and f Byzantine
//! workers, n being the number of vectors. The step's random stream is the one
//! a run with seed 1 uses at step 0, so `bucketing` is reproducible; `cc`
//! starts from a zero centre (there is no previous step).
//!
//! Input: `{"vectors": [[...], ...]}`, n ≥ 1 vectors of one length d ≥ 1.
//! Output: `{"aggregate": [...]}`, a non-finite coordinate written as `null`
//! (JSON has no NaN); with `explain`, selection rules (krum, multikrum, mda,
//! monna, bulyan) add `"selected": [...]`, the indices of the vectors they
//! keep, counted among the rule's own inputs (the pre-aggregators' outputs).

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

use serde_json::{Map, Number, Value};

use crate::aggregate::{Aggregator, Ctx};
use crate::check::{SourceFile, check_source};
use crate::plan::Pipeline;
use crate::rng::{Purpose, stream};

/// Checks `pipeline` for n vectors of which f Byzantine, as in a scenario.
pub fn pipeline(text: &str, n: usize, f: usize, dim: usize) -> Result<Pipeline, String> {
    if f >= n {
        return Err(format!("error: --f {f} leaves no honest vector among {n}\nhelp: give f < {n}"));
    }
    let honest = n - f;
    let wrapped = format!(
        "scenario byz_aggregate {{\n  task mean_estimation {{ dim {} }}\n  workers {{ honest {honest}; byzantine {f} }}\n  \
         train {{ steps 1; lr 1 }}\n  aggregate {text}\n}}\n",
        dim.max(1)
    );
    let src = SourceFile::new("<pipeline>", wrapped.clone());
    match check_source(&src, None) {
        Ok(mut plans) => match plans.pop().and_then(|mut s| s.runs.pop()) {
            Some(run) => Ok(run.aggregate),
            None => Err("error: the pipeline produced no run".into()),
        },
        Err(errors) => Err(errors
            .errors
            .iter()
            .map(|e| {
                let start = e.span.offset().min(wrapped.len());
                let end = (start + e.span.len()).min(wrapped.len());
                let word = wrapped.get(start..end).unwrap_or("");
                let help = e.help.as_deref().map(|h| format!("\nhelp: {h}")).unwrap_or_default();
                format!("error: {}\n  `{word}`: {}{help}", e.message, e.label)
            })
            .collect::<Vec<_>>()
            .join("\n")),
    }
}

/// Parses `{"vectors": [[...], ...]}` into n ≥ 1 vectors of one length d ≥ 1.
pub fn read_vectors(json: &str) -> Result<Vec<Vec<f32>>, String> {
    let value: Value = serde_json::from_str(json).map_err(|e| format!("error: the input is not JSON: {e}"))?;
    let Some(rows) = value.get("vectors").and_then(Value::as_array) else {
        return Err("error: the input needs a field \"vectors\": a list of lists of numbers".into());
    };
    let vectors = rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let row = row.as_array().ok_or_else(|| format!("error: vector {i} is not a list of numbers"))?;
            row.iter()
                .enumerate()
                .map(|(j, x)| {
                    x.as_f64()
                        .map(|x| x as f32)
                        .ok_or_else(|| format!("error: vector {i}, coordinate {j} is not a number"))
                })
                .collect::<Result<Vec<f32>, String>>()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let Some(first) = vectors.first() else {
        return Err("error: \"vectors\" is empty\nhelp: give at least one vector".into());
    };
    let d = first.len();
    if d == 0 {
        return Err("error: the vectors have no coordinates".into());
    }
    if let Some((i, v)) = vectors.iter().enumerate().find(|(_, v)| v.len() != d) {
        return Err(format!("error: vector {i} has {} coordinates, vector 0 has {d}", v.len()));
    }
    Ok(vectors)
}

/// The optional `"server": [...]` of the input: the server's own vector for
/// rules that weigh the others against it (`fltrust`), of the vectors' length d.
pub(crate) fn read_server(json: &str, d: usize) -> Result<Option<Vec<f32>>, String> {
    let value: Value = serde_json::from_str(json).map_err(|e| format!("error: the input is not JSON: {e}"))?;
    let Some(server) = value.get("server") else { return Ok(None) };
    let row = server.as_array().ok_or("error: \"server\" is not a list of numbers")?;
    let server = row
        .iter()
        .map(|x| x.as_f64().map(|x| x as f32).ok_or("error: \"server\" holds something that is not a number"))
        .collect::<Result<Vec<f32>, _>>()?;
    if server.len() != d {
        return Err(format!("error: \"server\" has {} coordinates, the vectors {d}", server.len()));
    }
    Ok(Some(server))
}

/// Runs `byz aggregate`: the JSON text to print, or the error to report.
pub fn run_cli(pipeline_text: &str, f: usize, input: Option<&Path>, explain: bool) -> Result<String, String> {
    let json = match input {
        Some(path) => {
            std::fs::read_to_string(path).map_err(|e| format!("error: cannot read {}: {e}", path.display()))?
        }
        None => {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s).map_err(|e| format!("error: cannot read stdin: {e}"))?;
            s
        }
    };
    let vectors = read_vectors(&json)?;
    let plan = pipeline(pipeline_text, vectors.len(), f, vectors[0].len())?;
    let server = read_server(&json, vectors[0].len())?.unwrap_or_default();
    if server.is_empty() && crate::aggregate::rule_entry(&plan.rule.name).capabilities.root_data.is_some() {
        return Err(format!(
            "error: `{}` weighs the vectors against the server's own vector\nhelp: give it in the input: \
             {{\"vectors\": [...], \"server\": [...]}}",
            plan.rule.name
        ));
    }
    let aggregator = Aggregator::build(&plan);
    let mut rng = stream(1, Purpose::Aggregation, 0, 0);
    let ctx = &mut Ctx { f, rng: &mut rng, previous: &[], norms: &[], server: &server };
    let (aggregate, selected) = aggregator.aggregate_explained(&vectors, ctx, explain);
    let mut out = Map::new();
    out.insert("aggregate".into(), Value::Array(aggregate.iter().map(|&x| number(x)).collect()));
    if let Some(selected) = selected {
        out.insert("selected".into(), Value::Array(selected.into_iter().map(Value::from).collect()));
    }
    Ok(Value::Object(out).to_string())
}

/// The shortest decimal that reads back as `x` (`0.1`, not `0.10000000149011612`).
fn number(x: f32) -> Value {
    x.to_string().parse::<f64>().ok().and_then(Number::from_f64).map_or(Value::Null, Value::Number)
}

/// The command: the aggregate as JSON on standard output, or the error (exit 2).
pub fn aggregate(pipeline: &str, f: usize, input: Option<&Path>, explain: bool) -> ExitCode {
    match run_cli(pipeline, f, input, explain) {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}
