"""Read the 2025 study's result tables so that old results can be re-analysed by ``inforates compare``.

A reference folder holds, per model, ``<model>_temporal_sampling.csv`` (``coverage,stride,accuracy,avg_time,
correct,total``) and ``<model>_per_class.csv`` (``class,coverage,stride,accuracy,n_samples``):

    >>> tables = read_reference_folder("tests/data/reference/inforates-2025/ucf101")  # the tables the tests ship
    >>> sorted(tables), tables["vivit"].results.shape
    (['timesformer', 'videomae', 'vivit'], (25, 12))

They carry no per-video predictions, so only the per-class and aggregate analyses apply to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..schema import (
    PER_CLASS_COLUMNS,
    REFERENCE_PER_CLASS_SUFFIX,
    REFERENCE_RESULTS_COLUMNS,
    REFERENCE_RESULTS_SUFFIX,
    add_wilson_columns,
)


@dataclass
class ReferenceTables:
    """One model's 2025 tables, in the current schema (``model``, ``variant`` and Wilson CIs added)."""

    model: str
    results: pd.DataFrame
    per_class: pd.DataFrame | None


def _check_columns(df: pd.DataFrame, needed: list[str], path: Path) -> None:
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing} (has {list(df.columns)})")


def read_reference_results(path: str | Path, model: str) -> pd.DataFrame:
    """A ``*_temporal_sampling.csv`` as a results table: adds model, variant (``cov25_s4``), sampler, anchor and
    the Wilson interval of each cell."""
    path = Path(path)
    df = pd.read_csv(path)
    _check_columns(df, REFERENCE_RESULTS_COLUMNS, path)
    df = df.assign(
        model=model,
        coverage=df["coverage"].astype(float),
        stride=df["stride"].astype(int),
        sampler="coverage_stride",
        anchor="start",
    )
    df["variant"] = [f"cov{c:g}_s{s}" for c, s in zip(df["coverage"], df["stride"])]
    add_wilson_columns(df)
    first = ["model", "variant", "sampler", "coverage", "stride", "anchor", "accuracy", "correct", "total"]
    return df[first + [c for c in df.columns if c not in first]]


def read_reference_per_class(path: str | Path, model: str) -> pd.DataFrame:
    """A ``*_per_class.csv`` with a ``model`` column added."""
    path = Path(path)
    df = pd.read_csv(path)
    _check_columns(df, PER_CLASS_COLUMNS, path)
    df = df.assign(model=model, coverage=df["coverage"].astype(float), stride=df["stride"].astype(int))
    return df[["model", *PER_CLASS_COLUMNS]]


def is_reference_folder(folder: str | Path) -> bool:
    """True when ``folder`` holds at least one ``<model>_temporal_sampling.csv``."""
    return Path(folder).is_dir() and any(Path(folder).glob(f"*{REFERENCE_RESULTS_SUFFIX}"))


def read_reference_folder(folder: str | Path) -> dict[str, ReferenceTables]:
    """Every model of a reference folder, by name (the file-name prefix), sorted."""
    folder = Path(folder)
    tables = {}
    for results_path in sorted(folder.glob(f"*{REFERENCE_RESULTS_SUFFIX}")):
        model = results_path.name[: -len(REFERENCE_RESULTS_SUFFIX)]
        per_class_path = folder / f"{model}{REFERENCE_PER_CLASS_SUFFIX}"
        per_class = read_reference_per_class(per_class_path, model) if per_class_path.exists() else None
        tables[model] = ReferenceTables(model, read_reference_results(results_path, model), per_class)
    if not tables:
        raise FileNotFoundError(f"{folder}: no *{REFERENCE_RESULTS_SUFFIX} files")
    return tables
