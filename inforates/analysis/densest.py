"""The densest cell of one model's grid: the one reference every summary of "accuracy at full information" uses.

    >>> cells = pd.DataFrame({"variant": ["cov50_s1", "cov100_s2", "cov100_s1"], "distinct_frames": [8, 8, 8],
    ...                       "stride": [1, 2, 1], "coverage": [50, 100, 100], "total": [40, 40, 40]})
    >>> densest_cell(cells)
    'cov100_s1'

It reads a ``results.csv`` (the cells' facts: ``distinct_frames``, ``spacing_frames``), so it names the cell that
really showed the most: ``d1_k8`` on the demo's spacing x budget design, ``cov100_s1`` on the 2025 coverage x
stride grid. The confusion matrices (:mod:`.confusion`) and the study summary (``inforates.study.summary``) use it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


DENSEST_RULE = (
    "the cell with the most distinct frames (mean over its clips); among those the smallest stride or spacing (in "
    "frames; a spacing in seconds by its measured median in frames), then the largest coverage, then the smallest "
    "measured spacing, then the first in the grid's order"
)


def scored_cells(results: pd.DataFrame) -> pd.DataFrame:
    total = results["total"] if "total" in results else pd.Series(1, index=results.index)
    return results[total.fillna(0) > 0]


def float_column(cells: pd.DataFrame, name: str, default=np.nan) -> pd.Series:
    return cells[name].astype(float) if name in cells else pd.Series(default, index=cells.index, dtype=float)


def densest_cell(results: pd.DataFrame) -> str | None:
    """The variant of one model's densest cell (:data:`DENSEST_RULE`) among the cells with scored clips; None when
    there are none. ``d1_k8`` on the demo's spacing x budget design, ``cov100_s1`` on the 2025 coverage x stride grid.

    Distinct frames and spacings come from the cells' facts (``distinct_frames``, ``spacing_frames``); where a table
    lacks them (files of older versions) the budget stands in for the distinct frames and the stride for the
    spacing."""
    cells = scored_cells(results).reset_index(drop=True)
    if cells.empty:
        return None
    budget = float_column(cells, "budget").where(lambda b: b > 0)
    distinct = float_column(cells, "distinct_frames").fillna(budget).round(9).fillna(-np.inf)
    measured = float_column(cells, "spacing_frames")
    stride = float_column(cells, "stride")
    in_seconds = cells["spacing_unit"].eq("seconds") if "spacing_unit" in cells else pd.Series(False, cells.index)
    spacing = stride.where(~in_seconds, measured).fillna(np.inf)
    keys = pd.DataFrame({
        "distinct": -distinct, "spacing": spacing, "coverage": -float_column(cells, "coverage", 100.0).fillna(0),
        "measured": measured.fillna(stride).fillna(np.inf), "order": np.arange(len(cells)),
    })  # fmt: skip
    return str(cells.loc[keys.sort_values(list(keys.columns)).index[0], "variant"])
