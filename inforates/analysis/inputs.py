"""The runs to compare: evaluation run directories, parents of them, or folders of the 2025 study's tables.

    runs = load_runs(["outputs/demo/eval"])
    [(r.name, r.kind) for r in runs]
    # -> [('timesformer', 'predictions'), ('videomae', 'predictions'), ('vivit', 'predictions')]

Runs with ``predictions.parquet`` get their results and per-class tables rebuilt from the predictions (by the same
builders evaluation writes them with, :mod:`inforates.schema`), so every table agrees with them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..schema import (
    REFERENCE_RESULTS_SUFFIX,
    per_class_table,
    primary_grid,
    results_table,
    scored,
    split_prefilters,
    split_resolutions,
    with_later_columns,
)
from .reference_tables import is_reference_folder, read_reference_folder


@dataclass
class ModelRun:
    """One model's results: ``predictions`` (None for the 2025 tables; the scored rows of every point-sampled
    cell), ``results`` (every such cell, with its facts) and ``per_class``; ``prefiltered`` the scored rows of the
    cells evaluated with a temporal prefilter besides (:func:`~inforates.schema.split_prefilters`), ``resized`` those
    of the cells at a reduced spatial resolution (:func:`~inforates.schema.split_resolutions`). ``tested`` is what
    the tests that count cells use."""

    name: str
    source: Path
    results: pd.DataFrame
    per_class: pd.DataFrame | None = None
    predictions: pd.DataFrame | None = None
    info: dict = field(default_factory=dict)
    prefiltered: pd.DataFrame | None = None
    resized: pd.DataFrame | None = None

    @property
    def kind(self) -> str:
        return "predictions" if self.predictions is not None else "tables"

    @property
    def tested(self) -> pd.DataFrame | None:
        """The predictions of the distinct cells (:func:`distinct_cells`)."""
        return distinct_cells(self.predictions, self.results) if self.predictions is not None else None


def _is_run_dir(path: Path) -> bool:
    return (path / "predictions.parquet").exists() or (path / "results.csv").exists()


def load_run_dir(path: str | Path) -> list[ModelRun]:
    """An evaluation run directory; one ModelRun per model found in its predictions (usually one).

    The model name comes from the parquet's ``model`` column, else ``run.json`` (``model``/``model_name``),
    else the directory name.
    """
    path = Path(path)
    info = json.loads((path / "run.json").read_text()) if (path / "run.json").exists() else {}
    fallback = str(info.get("model") or info.get("model_name") or path.name)
    predictions = pd.read_parquet(path / "predictions.parquet") if (path / "predictions.parquet").exists() else None
    results = pd.read_csv(path / "results.csv") if (path / "results.csv").exists() else None
    per_class = pd.read_csv(path / "per_class.csv") if (path / "per_class.csv").exists() else None
    if predictions is None:
        if results is None:
            raise FileNotFoundError(f"{path}: neither predictions.parquet nor results.csv")
        results = split_prefilters(results)[0]
        results = results.assign(model=results["model"] if "model" in results else fallback)
        name = str(results["model"].iloc[0])
        per_class = per_class.assign(model=name) if per_class is not None else None
        return [ModelRun(name, path, results, per_class, None, info)]
    if "model" not in predictions.columns or predictions["model"].isna().all():
        predictions = predictions.assign(model=fallback)
    predictions = with_later_columns(predictions).assign(
        model=predictions["model"].astype(str), correct=predictions["correct"].astype(bool)
    )
    runs = []
    for name, both in predictions.groupby("model", sort=False):
        pred, filtered = (part.reset_index(drop=True) for part in split_prefilters(both))
        resized = split_resolutions(both).reset_index(drop=True)
        # Derived from the predictions (primary coverage x stride grid), so every table agrees with them.
        filtered = scored(filtered) if len(filtered) else None
        resized = scored(resized) if len(resized) else None
        runs.append(ModelRun(str(name), path, results_table(pred), per_class_table(pred), scored(pred), info,
                             filtered, resized))  # fmt: skip
    return runs


def distinct_cells(predictions: pd.DataFrame, results: pd.DataFrame | None) -> pd.DataFrame:
    """The rows of the cells that do not alias an earlier one (``same_frames_as`` empty in ``results``): what the
    tests that count cells (Cochran's Q, McNemar families, the GEE models, the Nyquist check) use, so that each
    distinct cell is counted once. Curves and accuracies over the grid keep every cell."""
    if results is None or "same_frames_as" not in results.columns:
        return predictions
    aliased = results[results["same_frames_as"].fillna("").astype(str) != ""]
    keys = set(zip(aliased["model"], aliased["variant"])) if "model" in aliased else None
    if keys is not None:
        drop = pd.Series(list(zip(predictions["model"], predictions["variant"])), index=predictions.index).isin(keys)
    else:
        drop = predictions["variant"].isin(set(aliased["variant"]))
    return predictions[~drop].reset_index(drop=True)


def load_runs(paths: list[str | Path]) -> list[ModelRun]:
    """Every model under ``paths`` (run dirs, parents of run dirs, or 2025 table folders); names must be unique."""
    runs: list[ModelRun] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise FileNotFoundError(f"--runs {path}: no such file or directory")
        if path.is_file() and path.name == "predictions.parquet":
            path = path.parent
        if _is_run_dir(path):
            runs += load_run_dir(path)
        elif is_reference_folder(path):
            for name, tables in read_reference_folder(path).items():
                runs.append(ModelRun(name, path, tables.results, tables.per_class))
        else:
            found = sorted(
                {p.parent for pattern in ("predictions.parquet", "results.csv") for p in path.rglob(pattern)}
            )
            reference = sorted({p.parent for p in path.rglob(f"*{REFERENCE_RESULTS_SUFFIX}")})
            if not found and not reference:
                raise FileNotFoundError(f"--runs {path}: no evaluation runs (predictions.parquet / results.csv) or "
                                        f"2025 tables (*{REFERENCE_RESULTS_SUFFIX}) under it")  # fmt: skip
            runs += load_runs([*found, *[p for p in reference if p not in found]])
    names = [r.name for r in runs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"model names found more than once: {duplicates} (sources: "
                         f"{[str(r.source) for r in runs if r.name in duplicates]})")  # fmt: skip
    return runs


@dataclass
class Inputs:
    """The runs of one comparison, stacked for the analyses that pool models."""

    runs: list[ModelRun]
    predictions: pd.DataFrame | None  # every model with per-video predictions, stacked
    per_class: pd.DataFrame | None  # every model with a per-class table, stacked
    results: pd.DataFrame  # the coverage x stride grid of every model

    @property
    def models(self) -> list[str]:
        return [r.name for r in self.runs]

    @property
    def tested(self) -> pd.DataFrame | None:
        """The predictions of every model's distinct cells (:func:`distinct_cells`), stacked."""
        tested = [r.tested for r in self.runs if r.predictions is not None]
        return pd.concat(tested, ignore_index=True) if tested else None

    @classmethod
    def stack(cls, runs: list[ModelRun]) -> Inputs:
        pred = [r.predictions for r in runs if r.predictions is not None]
        per_class = [r.per_class for r in runs if r.per_class is not None]
        return cls(
            runs,
            pd.concat(pred, ignore_index=True) if pred else None,
            pd.concat(per_class, ignore_index=True) if per_class else None,
            pd.concat([primary_grid(r.results) for r in runs], ignore_index=True),
        )


def has_motion_frequency(predictions: pd.DataFrame | None) -> bool:
    """The synthetic benchmark: predictions with a known motion frequency ``f_hz``."""
    return predictions is not None and "f_hz" in predictions.columns and bool(predictions["f_hz"].notna().any())
