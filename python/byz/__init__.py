"""byz from Python: run .byz scenario files and read their results.

>>> import byz
>>> results = byz.run("scenario.byz")
>>> results.runs        # one row per run (a pandas DataFrame, or a list of dicts)
>>> results.curves      # one row per run x step x metric
>>> results.table()     # the table the scenario declares

The work is done by the ``byz`` binary installed with this package (the
same as the command line's); this module starts it and reads the files it
writes (``runs.jsonl``, ``curves.csv``, ``table.csv``). pandas is optional
(``pip install "byz[pandas]"``): without it, tables come as lists of dicts.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Union

__all__ = ["run", "load", "check", "Results", "CheckError", "Diagnostic", "RunError", "binary"]

PathLike = Union[str, "os.PathLike[str]"]


def binary() -> str:
    """The path of the ``byz`` executable: the one installed with this
    package (in this interpreter's scripts folder), else the first on PATH."""
    name = "byz.exe" if os.name == "nt" else "byz"
    schemes = [sysconfig.get_default_scheme()] if hasattr(sysconfig, "get_default_scheme") else []
    schemes.append("posix_user" if os.name != "nt" else "nt_user")
    for scheme in schemes:
        try:
            candidate = Path(sysconfig.get_path("scripts", scheme)) / name
        except KeyError:
            continue
        if candidate.is_file():
            return str(candidate)
    found = shutil.which("byz")
    if found:
        return found
    raise FileNotFoundError("the byz executable is not installed: `pip install byz`, or put `byz` on PATH")


@dataclass(frozen=True)
class Diagnostic:
    """One error or warning of ``byz check``, at a place of a file (lines and columns from 1)."""

    severity: str
    message: str
    file: str
    line: int
    column: int
    label: str = ""
    help: Optional[str] = None
    kind: Optional[str] = None

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}:{self.column}: {self.severity}: {self.message}"
        if self.label:
            text += f" ({self.label})"
        if self.help:
            text += f"\n  help: {self.help}"
        return text


class CheckError(Exception):
    """A file that does not check: ``diagnostics`` holds every error (and warning) with its place."""

    def __init__(self, diagnostics: List[Diagnostic]):
        self.diagnostics = diagnostics
        errors = [d for d in diagnostics if d.severity == "error"] or diagnostics
        super().__init__("\n".join(str(d) for d in errors))


class RunError(Exception):
    """``byz run`` failed after the file checked (a run failed, or the outputs could not be written)."""


def _check_report(path: PathLike) -> Dict[str, Any]:
    proc = subprocess.run(
        [binary(), "check", "--format", "json", os.fspath(path)], capture_output=True, text=True, check=False
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RunError(f"byz check gave no report (exit {proc.returncode}): {proc.stderr.strip()}")
    return json.loads(lines[-1])


def check(path: PathLike) -> List[Diagnostic]:
    """Checks ``path`` without running it. Returns its warnings; raises
    ``CheckError`` (with every diagnostic and its place) when it has errors."""
    report = _check_report(path)
    diagnostics = [Diagnostic(**d) for d in report["diagnostics"]]
    if not report["ok"]:
        raise CheckError(diagnostics)
    return diagnostics


def run(
    path: PathLike,
    scenario: Optional[str] = None,
    out: Optional[PathLike] = None,
    fresh: bool = False,
    threads: Optional[int] = None,
) -> "Results":
    """Runs the scenarios of ``path`` (only ``scenario``, if given) as ``byz run``
    does, writing under ``out`` (default ``results/``, relative to the current
    directory); runs already in the results store are reused unless ``fresh``.
    Raises ``CheckError`` if the file does not check."""
    report = _check_report(path)
    if not report["ok"]:
        raise CheckError([Diagnostic(**d) for d in report["diagnostics"]])
    names = [scenario] if scenario else report["scenarios"]
    out_dir = Path(out) if out is not None else Path("results")
    command = [binary(), "run", os.fspath(path), "--quiet", "--format", "json", "--out", os.fspath(out_dir)]
    if scenario:
        command += ["--scenario", scenario]
    if fresh:
        command.append("--fresh")
    env = dict(os.environ)
    if threads:
        env["RAYON_NUM_THREADS"] = str(threads)
    proc = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if proc.returncode != 0:
        raise RunError(f"byz run failed (exit {proc.returncode}):\n{proc.stderr.strip()}")
    return Results([out_dir / name for name in names])


def load(out_dir: PathLike) -> "Results":
    """The results already on disk: a scenario's folder (``results/NAME``, with
    its ``runs.jsonl``) or an output folder holding several scenarios."""
    root = Path(out_dir)
    if (root / "runs.jsonl").is_file():
        return Results([root])
    dirs = sorted(d for d in root.iterdir() if (d / "runs.jsonl").is_file()) if root.is_dir() else []
    if not dirs:
        raise FileNotFoundError(f"no results under {root}: no runs.jsonl there or in its folders")
    return Results(dirs)


def _pandas():
    try:
        import pandas
    except ImportError:
        return None
    return pandas


def _number(text: str) -> Any:
    """A CSV cell as int or float where it is one; an empty cell (a diverged value) is NaN."""
    if text == "":
        return float("nan")
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


class Results:
    """The results of one or more scenarios, read from their output folders."""

    def __init__(self, dirs: Sequence[Path]):
        self.dirs = {Path(d).name: Path(d) for d in dirs}

    @property
    def scenarios(self) -> List[str]:
        """The scenarios' names, in file order."""
        return list(self.dirs)

    def _runs(self) -> List[Dict[str, Any]]:
        rows = []
        for name, d in self.dirs.items():
            with open(d / "runs.jsonl", encoding="utf-8") as f:
                for line in f:
                    r = json.loads(line)
                    row: Dict[str, Any] = {"scenario": name}
                    row.update(r["label"])
                    for key in ("aggregate", "attack"):
                        row.setdefault(key, r[key])
                    row["seed"] = r["seed"]
                    row["status"] = r["status"]
                    row["diverged"] = r.get("diverged")
                    for key, value in r["metrics"].items():
                        row[key] = float("nan") if value is None else value
                    rows.append(row)
        return rows

    @property
    def runs(self):
        """One row per run: ``scenario``, the swept fields (as text, as the
        scenario writes them), ``aggregate``, ``attack``, ``seed``, ``status``,
        ``diverged`` and the metrics (``final_loss``, ``mean_loss``, ...,
        ``max_accuracy`` when recorded). A DataFrame with pandas, else a list of dicts."""
        rows = self._runs()
        pd = _pandas()
        return pd.DataFrame(rows) if pd else rows

    def _csv(self, name: str, file: str, numeric: Sequence[str]) -> List[Dict[str, Any]]:
        with open(self.dirs[name] / file, encoding="utf-8", newline="") as f:
            return [{k: (_number(v) if k in numeric else v) for k, v in row.items()} for row in csv.DictReader(f)]

    @property
    def curves(self):
        """One row per run x step x metric (``curves.csv``, with a ``scenario``
        column first): ``run`` (the run's row in ``runs``, per scenario), the
        swept fields, ``seed``, ``step``, ``metric`` (loss, accuracy, test_loss,
        inner_product, cosine) and ``value`` (NaN where a run diverged)."""
        numeric = ("run", "seed", "step", "value")
        rows = []
        for name in self.dirs:
            rows += [{"scenario": name, **row} for row in self._csv(name, "curves.csv", numeric)]
        pd = _pandas()
        return pd.DataFrame(rows) if pd else rows

    def table(self, name: Optional[str] = None):
        """The table scenario ``name`` declares (``table.csv``: one row per cell,
        with its mean, 95% CI half-width and seeds, and for ``worst``/``best``
        the chosen values). ``name`` may be left out when there is one scenario."""
        if name is None:
            if len(self.dirs) != 1:
                raise ValueError(f"name one of the scenarios: {', '.join(self.dirs)}")
            name = next(iter(self.dirs))
        if name not in self.dirs:
            raise KeyError(f"no scenario {name!r} here; there are: {', '.join(self.dirs)}")
        if not (self.dirs[name] / "table.csv").is_file():
            raise FileNotFoundError(f"scenario {name!r} has no table (no `table` section, and one seed)")
        rows = self._csv(name, "table.csv", ("mean", "ci95", "seeds"))
        pd = _pandas()
        return pd.DataFrame(rows) if pd else rows

    def __repr__(self) -> str:
        return f"Results({', '.join(str(d) for d in self.dirs.values())})"


def main() -> None:
    """``python -m byz ...``: the command line."""
    path = binary()
    if os.name == "nt":
        sys.exit(subprocess.call([path, *sys.argv[1:]]))
    os.execv(path, [path, *sys.argv[1:]])
