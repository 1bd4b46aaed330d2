"""What evaluation and comparison log to the experiment trackers (:mod:`inforates.trackers`), read from the files
they wrote.

    evaluate(recipe, on_evaluated=evaluation_logger(recipe))  # each folder: config, results, heatmap, curves
    log_comparison("outputs/compare", ["wandb"])   # tables, every figure, report.md

An evaluation is logged when it is run (one found complete is not logged again). An evaluation run logs ``run.json`` as its config; ``results`` (``results.csv``: per-cell accuracy with its CI and
the cell's facts) as a table; the accuracy heatmap and accuracy against spacing in seconds as images; throughput
(``clips_per_s``, ``predict_s``) and the densest cell's accuracy as scalars. A comparison logs each table of its
folder (``*.csv``), each PNG figure, and ``report.md`` as a file.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from ..trackers import TrackerRun, default_project, requested_trackers, tracking_names
from .densest import densest_cell
from .plots import accuracy_heatmap, accuracy_vs_spacing_seconds, save_figure


def evaluation_run_name(recipe, folder: Path, several: bool) -> str:
    """The training run's name (the recipe's ``run_name``, else the model's name); with ``several`` checkpoints
    evaluated from one recipe, each takes its checkpoint's name after it."""
    _, name = tracking_names(recipe.training, folder.name)
    return f"{name}-{folder.name}" if several and recipe.training.run_name else name


def log_evaluation(folder: str | Path, recipe, several: bool = False) -> bool:
    """Log the finished evaluation in ``folder`` to the recipe's ``report_to`` trackers (its ``project``; wandb's
    run folder beside the evaluation folders). Returns whether any tracker was asked for."""
    folder = Path(folder)
    if not requested_trackers(recipe.training.report_to):
        return False
    run_record = json.loads((folder / "run.json").read_text())
    project, _ = tracking_names(recipe.training, folder.name)
    config = {k: v for k, v in run_record.items() if k != "timings"}
    tracker = TrackerRun(recipe.training.report_to, project=project, name=evaluation_run_name(recipe, folder, several),
                         job_type="evaluate", config=config, folder=folder.parent)  # fmt: skip
    try:
        results = pd.read_csv(folder / "results.csv")
        tracker.log_table("results", results)
        densest = densest_cell(results)
        timings = run_record.get("timings", {})
        scalars = {"clips_per_s": timings.get("clips_per_s"), "predict_s": timings.get("predict_s"),
                   "videos_evaluated": run_record.get("videos", {}).get("evaluated")}  # fmt: skip
        if densest is not None:
            scalars["accuracy/densest_cell"] = results.set_index("variant").loc[densest, "accuracy"]
        tracker.log_scalars(scalars)
        predictions = folder / "predictions.parquet"
        with tempfile.TemporaryDirectory(prefix="inforates-figures-") as tmp:
            figures = {"figures/accuracy_heatmap": accuracy_heatmap(results)}
            if predictions.is_file():
                figures["figures/accuracy_vs_spacing_seconds"] = accuracy_vs_spacing_seconds(
                    pd.read_parquet(predictions), run_record["model"]
                )
            for key, figure in figures.items():
                [png] = save_figure(figure, Path(tmp) / key.split("/")[-1])
                tracker.log_image(key, png)
    finally:
        tracker.finish()
    return True


def evaluation_logger(recipe):
    """``evaluate``'s ``on_evaluated`` for ``recipe``: logs each folder it evaluates, said in one line."""

    def on_evaluated(folder: Path, checkpoints: int) -> None:
        if log_evaluation(folder, recipe, several=checkpoints > 1):
            print(f"{folder.name}: logged to {', '.join(requested_trackers(recipe.training.report_to))}", flush=True)

    return on_evaluated


def log_comparison(out: str | Path, report_to: Sequence[str] | str | None, project: str | None = None,
                   name: str | None = None) -> bool:  # fmt: skip
    """Log the comparison in ``out`` (its tables, PNG figures and report) as one run named ``name`` (default: the
    folder's name) in ``project``. Returns whether any tracker was asked for."""
    out = Path(out)
    if not requested_trackers(report_to):
        return False
    inputs = json.loads((out / "compare_inputs.json").read_text())["inputs"]
    tracker = TrackerRun(report_to, project=default_project(project), name=name or out.resolve().name,
                         job_type="compare", config={"runs": inputs["runs"], **inputs["options"]}, folder=out)  # fmt: skip
    try:
        for table in sorted(out.glob("*.csv")):
            tracker.log_table(table.stem, pd.read_csv(table))
        figures = out / "figures"
        for png in sorted(figures.rglob("*.png")) if figures.is_dir() else []:
            tracker.log_image(f"figures/{png.relative_to(figures).with_suffix('').as_posix()}", png)
        tracker.log_file("report", out / "report.md")
    finally:
        tracker.finish()
    return True
