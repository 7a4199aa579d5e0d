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

import collections
import csv
import dataclasses
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Union

try:
    from importlib import metadata as _metadata
except ImportError:  # Python < 3.8 is not supported, but importing must not fail
    _metadata = None

__all__ = ["run", "load", "check", "Results", "CheckError", "Diagnostic", "RunError", "binary", "__version__"]


def _version() -> str:
    try:
        return _metadata.version("byz") if _metadata else "unknown"
    except Exception:
        return "unknown"


__version__ = _version()

PathLike = Union[str, "os.PathLike[str]"]


def binary() -> str:
    """The path of the ``byz`` executable: the one installed with this
    package (from the package's record of its files), else the one in this
    interpreter's scripts folder, else the first on PATH."""
    name = "byz.exe" if os.name == "nt" else "byz"
    candidates = []
    try:
        dist = _metadata.distribution("byz") if _metadata else None
        for f in (dist.files or []) if dist else []:
            if Path(str(f)).name == name:
                candidates.append(Path(str(dist.locate_file(f))))
    except Exception:
        pass
    try:
        candidates.append(Path(sysconfig.get_path("scripts")) / name)
    except KeyError:
        pass
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate.resolve())
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
    #: The stable code: ``E0005`` for an error (``byz explain E0005`` says what it means), a warning's kind.
    code: Optional[str] = None
    #: A warning's kind (``degenerate``), which ``allow`` names to accept it.
    kind: Optional[str] = None

    def __str__(self) -> str:
        severity = f"{self.severity}[{self.code}]" if self.code else self.severity
        text = f"{self.file}:{self.line}:{self.column}: {severity}: {self.message}"
        if self.label:
            text += f" ({self.label})"
        if self.help:
            text += f"\n  help: {self.help}"
        return text


def _diagnostic(d: Dict[str, Any]) -> Diagnostic:
    """A diagnostic from ``byz check --format json``; keys this version does not know are left out."""
    known = {f.name for f in dataclasses.fields(Diagnostic)}
    return Diagnostic(**{k: v for k, v in d.items() if k in known})


class CheckError(Exception):
    """A file that does not check: ``diagnostics`` holds every error (and warning) with its place."""

    def __init__(self, diagnostics: List[Diagnostic]):
        self.diagnostics = diagnostics
        errors = [d for d in diagnostics if d.severity == "error"] or diagnostics
        super().__init__("\n".join(str(d) for d in errors))


class RunError(Exception):
    """``byz run`` failed after the file checked: a run failed, or the outputs
    could not be written. ``results`` holds what was written, if anything."""

    def __init__(self, message: str, results: Optional["Results"] = None):
        super().__init__(message)
        self.results = results


def _check_report(path: PathLike) -> Dict[str, Any]:
    proc = subprocess.run(
        [binary(), "check", "--format", "json", os.fspath(path)], capture_output=True, text=True, check=False
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RunError(
            f"{binary()} gave no report (exit {proc.returncode}): {proc.stderr.strip()}\n"
            f"it may be an older byz than this module ({__version__}); reinstall byz"
        )
    return json.loads(lines[-1])


def check(path: PathLike) -> List[Diagnostic]:
    """Checks ``path`` without running it. Returns its warnings; raises
    ``CheckError`` (with every diagnostic and its place) when it has errors."""
    report = _check_report(path)
    diagnostics = [_diagnostic(d) for d in report["diagnostics"]]
    if not report["ok"]:
        raise CheckError(diagnostics)
    return diagnostics


def run(
    path: PathLike,
    scenario: Optional[str] = None,
    out: Optional[PathLike] = None,
    fresh: bool = False,
    threads: Optional[int] = None,
    progress: bool = True,
) -> "Results":
    """Runs the scenarios of ``path`` (only ``scenario``, if given) as ``byz run``
    does, writing under ``out`` (default ``results/`` in the current folder);
    runs already in the results store are reused unless ``fresh``. With
    ``progress``, a line per finished run goes to standard error. The file's
    warnings are issued as Python warnings; ``CheckError`` if it does not
    check, ``RunError`` if a run fails (with the other runs' results)."""
    report = _check_report(path)
    diagnostics = [_diagnostic(d) for d in report["diagnostics"]]
    if not report["ok"]:
        raise CheckError(diagnostics)
    for d in diagnostics:
        warnings.warn(str(d), stacklevel=2)
    if scenario is not None and scenario not in report["scenarios"]:
        raise ValueError(f"{os.fspath(path)} has no scenario {scenario!r}; it has: {', '.join(report['scenarios'])}")
    names = [scenario] if scenario else report["scenarios"]
    out_dir = (Path(out) if out is not None else Path("results")).resolve()
    command = [binary(), "run", os.fspath(path), "--out", os.fspath(out_dir)]
    if not progress:
        command.append("--quiet")
    if scenario:
        command += ["--scenario", scenario]
    if fresh:
        command.append("--fresh")
    env = dict(os.environ)
    if threads:
        env["RAYON_NUM_THREADS"] = str(threads)
    # The runs' lines (stdout) are in runs.jsonl; progress and warnings (stderr)
    # are passed on as they come, and the last of them kept for an error.
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    tail: "collections.deque[str]" = collections.deque(maxlen=50)
    assert proc.stderr is not None
    for line in proc.stderr:
        tail.append(line)
        # A line per finished run and the warnings; not the list of files written.
        if progress and not line.startswith("wrote "):
            sys.stderr.write(line)
    if proc.wait() != 0:
        written = [out_dir / n for n in names if (out_dir / n / "runs.jsonl").is_file()]
        raise RunError(
            f"byz run failed (exit {proc.returncode}):\n{''.join(tail).strip()}",
            Results(written) if written else None,
        )
    return Results([out_dir / name for name in names])


def load(out_dir: PathLike) -> "Results":
    """The results already on disk: a scenario's folder (``results/NAME``, with
    its ``runs.jsonl``), or an output folder holding several (in name order)."""
    root = Path(out_dir).resolve()
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


_NUMBER = re.compile(r"^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def _float(text: str) -> float:
    """A CSV number; an empty cell (a diverged run's value) is NaN."""
    return float(text) if text != "" else float("nan")


def _numeric_fields(rows: List[Dict[str, Any]], fields: Sequence[str]) -> None:
    """Swept fields whose every value is a plain number (``train.lr`` 0.1, 0.3)
    become numbers, so that they sort and plot as numbers; others (``attack``)
    stay text. The same rule everywhere, so that runs, curves and tables join."""
    for field in fields:
        values = [r[field] for r in rows if field in r]
        if values and all(isinstance(v, str) and _NUMBER.match(v) for v in values):
            integral = all(re.match(r"^-?\d+$", v) for v in values)
            for r in rows:
                if field in r:
                    r[field] = int(r[field]) if integral else float(r[field])


class Results:
    """The results of one or more scenarios, read from their output folders."""

    def __init__(self, dirs: Sequence[Path]):
        self.dirs: Dict[str, Path] = {}
        for d in dirs:
            d = Path(d).resolve()
            self.dirs[self._name(d)] = d

    @staticmethod
    def _name(d: Path) -> str:
        """The scenario's name as runs.jsonl gives it (the folder's, when it is empty)."""
        with open(d / "runs.jsonl", encoding="utf-8") as f:
            first = f.readline()
        return json.loads(first)["scenario"] if first.strip() else d.name

    @property
    def scenarios(self) -> List[str]:
        """The scenarios' names."""
        return list(self.dirs)

    def _fields(self, name: str) -> List[str]:
        with open(self.dirs[name] / "runs.jsonl", encoding="utf-8") as f:
            first = f.readline()
        return list(json.loads(first)["label"]) if first.strip() else []

    @functools.cached_property
    def _runs(self) -> List[Dict[str, Any]]:
        rows: List[Dict[str, Any]] = []
        fields: List[str] = []
        for name, d in self.dirs.items():
            fields += [f for f in self._fields(name) if f not in fields]
            with open(d / "runs.jsonl", encoding="utf-8") as f:
                for i, line in enumerate(f):
                    r = json.loads(line)
                    row: Dict[str, Any] = {"scenario": name, "run": i}
                    row.update(r["label"])
                    for key in ("aggregate", "attack"):
                        row.setdefault(key, r[key])
                    row["seed"] = r["seed"]
                    row["status"] = r["status"]
                    row["diverged"] = r.get("diverged")
                    for key, value in r["metrics"].items():
                        row[key] = float("nan") if value is None else value
                    rows.append(row)
        _numeric_fields(rows, fields)
        # The same columns in the same order for every row: scenario, run, the
        # swept fields, aggregate, attack, seed, status, diverged, the metrics.
        head = ["scenario", "run"] + [f for f in fields if f not in ("aggregate", "attack")]
        head += ["aggregate", "attack", "seed", "status", "diverged"]
        metrics: List[str] = []
        for row in rows:
            metrics += [k for k in row if k not in head and k not in metrics]
        nan = float("nan")
        return [{k: row.get(k, nan if k in metrics else None) for k in head + metrics} for row in rows]

    @property
    def runs(self):
        """One row per run: ``scenario``, ``run`` (its line in runs.jsonl, which
        ``curves`` names too), the swept fields (numbers where every value is a
        plain number), ``aggregate``, ``attack``, ``seed``, ``status``,
        ``diverged`` and the metrics (``final_loss``, ``mean_loss``, ...,
        ``max_accuracy`` when recorded; NaN for a diverged run's). A DataFrame
        with pandas, else a list of dicts."""
        return _frame([dict(r) for r in self._runs])

    def _csv(self, name: str, file: str, ints: Sequence[str], floats: Sequence[str]) -> List[Dict[str, Any]]:
        with open(self.dirs[name] / file, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        for row in rows:
            for k in ints:
                if k in row and row[k] != "":
                    row[k] = int(row[k])
            for k in floats:
                if k in row:
                    row[k] = _float(row[k])
        return rows

    @functools.cached_property
    def _curves(self) -> List[Dict[str, Any]]:
        rows: List[Dict[str, Any]] = []
        fields: List[str] = []
        for name in self.dirs:
            fields += [f for f in self._fields(name) if f not in fields]
            rows += [{"scenario": name, **row} for row in self._csv(name, "curves.csv", ("run", "seed", "step"), ("value",))]
        _numeric_fields(rows, fields)
        return rows

    @property
    def curves(self):
        """One row per run x step x metric (``curves.csv``, with a ``scenario``
        column first): ``run`` (the run's ``run`` in ``runs``), the swept
        fields, ``seed``, ``step``, ``metric`` (loss, accuracy, test_loss,
        inner_product, cosine) and ``value`` (NaN where a run diverged)."""
        return _frame([dict(r) for r in self._curves])

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
        rows = self._csv(name, "table.csv", ("seeds",), ("mean", "ci95"))
        _numeric_fields(rows, self._fields(name))
        return _frame(rows)

    def __repr__(self) -> str:
        return f"Results({', '.join(str(d) for d in self.dirs.values())})"


def _frame(rows: List[Dict[str, Any]]):
    """A DataFrame of ``rows`` with pandas, else the rows themselves."""
    pd = _pandas()
    return pd.DataFrame(rows) if pd else rows


def main() -> None:
    """``python -m byz ...``: the command line."""
    path = binary()
    if os.name == "nt":
        sys.exit(subprocess.call([path, *sys.argv[1:]]))
    os.execv(path, [path, *sys.argv[1:]])
