"""A comparison as one call: runs in, statistics, tables, figures and ``report.md`` out.

    from inforates.analysis.inputs import load_runs
    from inforates.analysis.compare import compare
    analysis = compare(load_runs(["outputs/demo/eval"]), "outputs/demo/compare")

Writes ``statistical_results.json``, ``multimodel_analysis.json``, one CSV per table (``pairwise_*.csv``,
``accuracy_by_variant.csv``, ``cell_facts.csv``, ...), ``figures/`` and ``report.md`` (docs/statistics.md). The
analyses themselves live in the registry (:mod:`inforates.analysis.registry`); this module runs it and writes what
it computed, the whole folder at once (:class:`~inforates.files.OwnedOutputs`), with ``compare_inputs.json`` last:
what it compared (the sha256 of every input file, the options, the analysis code) and every file it wrote. The
same comparison asked again, of unchanged inputs, finds its files whole and changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from ..files import OUTPUTS_MANIFEST, OwnedOutputs, file_problem, file_record, read_json, write_json
from ..trackers import TRACKER_FOLDERS
from .entry import Analysis
from .inputs import ModelRun
from .outputs import make_figures, write_outputs
from .registry import analyse
from .report import write_report


FORMATS = ("png", "svg", "pdf")
INPUTS_FILE = "compare_inputs.json"
_INPUT_SUFFIXES = (".json", ".csv", ".parquet")


def analysis_digest() -> str:
    """A hash of the analysis code (``inforates/analysis/*.py``): another version of it compares anew."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).resolve().parent.glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def inputs_record(runs: list[ModelRun], **options) -> dict:
    """What a comparison depends on: each run's files (sha256), the options and the analysis code."""
    files = {}
    for run in runs:
        folder = Path(run.source)
        for path in sorted(folder.iterdir()) if folder.is_dir() else [folder]:
            if path.is_file() and path.suffix in _INPUT_SUFFIXES:
                files[str(path)] = file_record(path)["sha256"]
    return json.loads(json.dumps({"runs": [r.name for r in runs], "files": files, "options": options,
                                  "analysis": analysis_digest()}, default=str))  # fmt: skip


def with_bandwidth(runs: list[ModelRun], path: str | Path) -> list[ModelRun]:
    """``runs`` whose predictions lacking ``f_hz_est`` take each video's ``f_hz`` from the ``bandwidth.csv`` at
    ``path`` (``inforates bandwidth``; a segment takes its video's)."""
    from ..bandwidth.run import read_bandwidth

    estimates = read_bandwidth(path).drop_duplicates("video_id").set_index("video_id")["f_hz"]
    for run in runs:
        for key in ("predictions", "prefiltered", "resized"):
            table = getattr(run, key)
            if table is None:
                continue
            source = table["source_video"] if "source_video" in table.columns else table["video_id"]
            known = table["f_hz_est"] if "f_hz_est" in table.columns else float("nan")
            setattr(run, key, table.assign(f_hz_est=pd.Series(known, index=table.index).fillna(
                source.astype(str).map(estimates).astype(float))))  # fmt: skip
    return runs


def finished_comparison(out: Path, inputs: dict) -> Analysis | None:
    """The comparison in ``out`` when it compared exactly ``inputs`` and every file it wrote is whole."""
    record = read_json(out / INPUTS_FILE)
    if not record or record.get("inputs") != inputs:
        return None
    outputs = record.get("outputs") or {}
    if set((read_json(out / OUTPUTS_MANIFEST) or {}).get("files", [])) != {*outputs, INPUTS_FILE}:
        return None  # a publication cut short, or files of an earlier comparison still there
    if any(file_problem(out / name, entry) for name, entry in outputs.items()):
        return None
    statistical = read_json(out / "statistical_results.json")
    multimodel = read_json(out / "multimodel_analysis.json")
    if statistical is None or multimodel is None:
        return None
    return Analysis(statistical, multimodel, skipped=statistical.get("skipped", []))


def compare(
    runs: list[ModelRun],
    out: str | Path,
    protocol: str = "paired",
    formats=("png",),
    n_boot: int = 1000,
    seed: int = 0,
    margin: float = 0.02,
    nyquist_exclude: dict[str, str] | None = None,
    overwrite: bool = False,
    bandwidth: str | Path | None = None,
    **owned,
) -> Analysis:
    """Analyse, write tables, draw figures and write ``report.md`` into ``out``; returns the analysis.

    ``out`` may hold an earlier comparison (its files are replaced, those not written again removed); files that
    inforates did not write make it an ``OutputError`` unless ``overwrite``, and are never replaced (``owned``:
    :class:`OwnedOutputs`' ``flag`` and ``others``). The same comparison already there, whole, is left as it is
    and returned (its ``statistical`` and ``multimodel`` sections; ``reused`` in ``extras``)."""
    options = {"protocol": protocol, "formats": list(formats), "n_boot": n_boot, "seed": seed, "margin": margin,
               "nyquist_exclude": nyquist_exclude or {}}  # fmt: skip
    if bandwidth is not None:
        runs = with_bandwidth(runs, bandwidth)
        options["bandwidth"] = file_record(bandwidth)["sha256"]
    inputs = inputs_record(runs, **options)
    if (done := finished_comparison(Path(out), inputs)) is not None:
        done.extras["reused"] = True
        print(f"{out}: this comparison is already there, of the same inputs and options (unchanged)", flush=True)
        return done
    owned["others"] = (*owned.get("others", ()), *TRACKER_FOLDERS)  # `compare --report_to`'s run folders
    with OwnedOutputs(out, overwrite, **owned) as staging:
        analysis = analyse(runs, protocol, n_boot, seed, margin, nyquist_exclude)
        write_outputs(analysis, staging)
        figures = make_figures(analysis, runs, staging, formats)
        write_report(analysis, runs, figures, staging)
        outputs = {
            p.relative_to(staging).as_posix(): file_record(p) for p in sorted(staging.rglob("*")) if p.is_file()
        }
        write_json(staging / INPUTS_FILE, {"inputs": inputs, "outputs": outputs})
    return analysis
