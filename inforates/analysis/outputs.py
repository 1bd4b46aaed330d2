"""What ``inforates compare`` writes: the two JSON files, one CSV per table, and the registry entries' figures.

>>> to_jsonable({"p": np.float64(0.5), "n": np.int64(3), "ci": (float("nan"), 1.0)})
{'p': 0.5, 'n': 3, 'ci': [None, 1.0]}
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from .entry import Analysis
from .inputs import ModelRun
from .registry import ENTRIES


def to_jsonable(obj):
    """numpy/pandas scalars to Python, NaN/inf to None, recursively."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def write_outputs(analysis: Analysis, out: Path) -> list[Path]:
    """JSON files and CSV tables; returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, payload in (("statistical_results", analysis.statistical), ("multimodel_analysis", analysis.multimodel)):
        path = out / f"{name}.json"
        path.write_text(json.dumps(to_jsonable(payload), indent=2, allow_nan=False) + "\n")
        paths.append(path)
    for name, table in analysis.tables.items():
        path = out / f"{name}.csv"
        table.to_csv(path, index=False)
        paths.append(path)
    return paths


def make_figures(analysis: Analysis, runs: list[ModelRun], out: Path, formats=("png",), entries=ENTRIES) -> dict:
    """Every computed entry's figures, under ``out/figures``; returns name -> PNG (or first format) path. No
    ``formats``: no figures (the report then embeds none)."""
    if not formats:
        return {}
    from .plots import save_figure

    figures: dict[str, Path] = {}

    def save(name: str, fig) -> None:
        figures[name] = save_figure(fig, out / "figures" / name, formats)[0]

    for entry in entries:
        if entry.draw is not None and entry.name in analysis.done:
            entry.draw(analysis, runs, save)
    return figures
