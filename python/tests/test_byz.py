"""The `byz` module against the installed `byz` binary (scripts/test-python
installs the wheel into a fresh virtual environment with no Rust and runs
these). Every value is compared with what the binary wrote to runs.jsonl."""

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

import byz

# Two-wells from the standard library, used from a folder that has no stdlib:
# it must come from inside the binary.
SWEEP = """use std.papers.jump

scenario wells extends two_wells {
  seeds 1..=2
  aggregate cm
  train { steps 20 }
  sweep {
    attack in [sf, mimic]
  }
  table {
    rows attack
    value final loss
  }
}

scenario other extends two_wells {
  aggregate gm
  attack sf
  train { steps 5 }
}
"""


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    d = tmp_path_factory.mktemp("run")
    path = d / "sweep.byz"
    path.write_text(SWEEP)
    return path, byz.run(path, scenario="wells", out=d / "out")


def jsonl(results, name="wells"):
    with open(results.dirs[name] / "runs.jsonl") as f:
        return [json.loads(line) for line in f]


def records(table):
    """Rows of a DataFrame or a list of dicts, as dicts."""
    return table.to_dict("records") if hasattr(table, "to_dict") else table


def same(a, b):
    return (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)) or a == b


def test_the_binary_is_the_one_installed_with_the_module():
    assert Path(byz.binary()).is_relative_to(Path(sys.prefix).resolve()), (byz.binary(), sys.prefix)
    assert byz.__version__ != "unknown"
    out = subprocess.run([sys.executable, "-m", "byz", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"byz {byz.__version__}"


def test_runs_are_one_row_per_run_with_fields_seed_and_metrics(ran):
    _, results = ran
    assert results.scenarios == ["wells"]
    rows = records(results.runs)
    lines = jsonl(results)
    assert len(rows) == len(lines) == 4
    for row, line in zip(rows, lines):
        assert row["scenario"] == "wells"
        assert row["attack"] == line["label"]["attack"]
        assert row["aggregate"] == "cm"
        assert row["seed"] == line["seed"]
        assert row["status"] == "ok"
        for key, value in line["metrics"].items():
            assert same(row[key], value), key
    assert list(rows[0])[:6] == ["scenario", "run", "aggregate", "attack", "seed", "status"]


def test_curves_hold_every_loss_of_every_run(ran):
    _, results = ran
    rows = records(results.curves)
    assert list(rows[0])[:4] == ["scenario", "run", "attack", "aggregate"]
    for i, line in enumerate(jsonl(results)):
        losses = [r["value"] for r in rows if r["run"] == i and r["metric"] == "loss"]
        steps = [r["step"] for r in rows if r["run"] == i and r["metric"] == "loss"]
        assert steps == line["series"]["step"]
        assert losses == pytest.approx(line["series"]["loss"], rel=1e-12)


def test_the_table_is_the_scenarios(ran):
    _, results = ran
    rows = records(results.table())
    assert [r["attack"] for r in rows] == ["sf", "mimic"]
    lines = jsonl(results)
    for r in rows:
        finals = [l["metrics"]["final_loss"] for l in lines if l["label"]["attack"] == r["attack"]]
        assert r["seeds"] == 2
        assert r["mean"] == pytest.approx(sum(finals) / 2, rel=1e-9)
        assert r["statistic"] == "final loss"


def test_load_reads_what_run_wrote(ran):
    _, results = ran
    again = byz.load(results.dirs["wells"])
    if hasattr(results.runs, "to_dict"):
        import pandas.testing

        pandas.testing.assert_frame_equal(again.runs, results.runs)
        pandas.testing.assert_frame_equal(again.curves, results.curves)
    else:
        assert records(again.runs) == records(results.runs)
    # An output folder holding several scenarios.
    assert byz.load(results.dirs["wells"].parent).scenarios == ["wells"]
    with pytest.raises(FileNotFoundError):
        byz.load(results.dirs["wells"] / "curves")


def test_every_scenario_of_a_file_runs_without_a_scenario_named(tmp_path):
    path = tmp_path / "sweep.byz"
    path.write_text(SWEEP)
    results = byz.run(path, out=tmp_path / "out")
    assert results.scenarios == ["wells", "other"]
    assert len(records(results.runs)) == 5
    with pytest.raises(ValueError):
        results.table()
    with pytest.raises(FileNotFoundError):
        results.table("other")


def test_an_unknown_scenario_is_refused_before_running(ran, tmp_path):
    path, _ = ran
    with pytest.raises(ValueError, match="no scenario 'wellz'; it has: wells, other"):
        byz.run(path, scenario="wellz", out=tmp_path / "out")


def test_numeric_swept_fields_are_numbers_and_a_relative_out_survives_chdir(tmp_path, monkeypatch):
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    Path("lr.byz").write_text(
        "use std.papers.jump\n\nscenario lr extends two_wells {\n  aggregate cm\n  attack sf\n"
        "  train { steps 5 }\n  sweep {\n    train.lr in [0.1, 0.3, 2]\n  }\n}\n"
    )
    results = byz.run("lr.byz", out="out", progress=False)
    monkeypatch.chdir(tmp_path)
    rows = records(results.runs)
    assert [r["train.lr"] for r in rows] == [0.1, 0.3, 2.0]
    assert {r["train.lr"] for r in records(results.curves)} == {0.1, 0.3, 2.0}


def test_a_diverged_run_has_nan_metrics_and_empty_values(tmp_path):
    path = tmp_path / "blowup.byz"
    path.write_text(
        "scenario blowup {\n  task landscape {\n    init [3]\n    honest a = exp(sqnorm(theta))\n"
        "    honest b = exp(sqnorm(theta))\n  }\n  workers { byzantine 1 }\n  aggregate cm\n  attack none\n"
        "  train { steps 50; lr 10 }\n}\n"
    )
    results = byz.run(path, out=tmp_path / "out", progress=False)
    (row,) = records(results.runs)
    assert row["status"] == "diverged" and row["diverged"]
    values = [r["value"] for r in records(results.curves) if r["metric"] == "loss"]
    assert 0 < len(values) < 51 and all(isinstance(v, float) for v in values)


def test_run_issues_the_files_warnings(tmp_path):
    path = tmp_path / "warned.byz"
    path.write_text(
        "use std.papers.jump\n\nscenario s extends two_wells {\n  aggregate cm\n  attack alie\n  train { steps 3 }\n}\n"
    )
    with pytest.warns(UserWarning, match="alie with z = 0"):
        byz.run(path, out=tmp_path / "out", progress=False)


def test_check_raises_with_every_diagnostic_and_its_place(tmp_path):
    path = tmp_path / "broken.byz"
    path.write_text("use std.papers.jump\n\nscenario s extends two_wells {\n  aggregate krumm\n}\n")
    with pytest.raises(byz.CheckError) as raised:
        byz.check(path)
    (d,) = raised.value.diagnostics
    assert (d.severity, d.code, d.line, d.column, d.file) == ("error", "E0005", 4, 13, str(path))
    assert "krumm" in d.message and "krum" in (d.help or "") + d.message
    assert f"{path}:4:13: error[E0005]:" in str(raised.value)
    with pytest.raises(byz.CheckError):
        byz.run(path, out=tmp_path / "out")


def test_check_returns_warnings(tmp_path):
    path = tmp_path / "warned.byz"
    path.write_text("use std.papers.jump\n\nscenario s extends two_wells {\n  aggregate cm\n  attack alie\n}\n")
    (w,) = byz.check(path)
    assert (w.severity, w.kind, w.code, w.line) == ("warning", "degenerate", "degenerate", 5)


def test_without_pandas_tables_are_lists_of_dicts(ran, monkeypatch):
    _, results = ran
    with_pandas = results.runs
    monkeypatch.setitem(sys.modules, "pandas", None)  # `import pandas` now fails
    runs, curves, table = results.runs, results.curves, results.table()
    assert isinstance(runs, list) and isinstance(curves, list) and isinstance(table, list)
    assert isinstance(runs[0], dict) and runs[0]["scenario"] == "wells"
    assert hasattr(with_pandas, "to_dict"), "the suite runs with pandas installed"
    assert list(with_pandas.columns) == list(runs[0])
    for a, b in zip(with_pandas.to_dict("records"), runs):
        assert all(same(a[k], b[k]) or (a[k] is None and b[k] is None) for k in b), (a, b)
