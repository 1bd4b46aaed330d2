"""The results of each sampling design as a grid: the one renderer the model card, the report and the plots use.

A run may evaluate several designs (``eval_samplers``): the exact spacing x budget design and the 2025 study's
coverage x stride grid, say. Each design (a sampler with its anchor and spacing unit) is a table of its own, on its
own axes (``Sampler.axes``), never averaged into another's.

    >>> results = pd.DataFrame({"sampler": ["spacing_budget"] * 2 + ["coverage_stride"] * 2,
    ...     "anchor": ["center"] * 2 + ["start"] * 2, "spacing_unit": "frames", "coverage": [100, 100, 25, 100],
    ...     "stride": [1, 4, 2, 2], "budget": [8, 8, 0, 0], "accuracy": [0.9, 0.5, 0.7, 0.8]})
    >>> [grid.title for grid in design_grids(results)]
    ['spacing x budget (spacing_budget, anchor center)', 'coverage x stride (coverage_stride, anchor start)']
    >>> print(design_grids(results)[1].markdown(lambda v: f"{100 * v:.1f}"))
    | coverage % \\ stride (frames) | 2 |
    | --- | --- |
    | 25 | 70.0 |
    | 100 | 80.0 |
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from .sampling import get_sampler


AXIS_LABELS = {"coverage": "coverage %", "budget": "budget (distinct frames)"}
DESIGN_COLUMNS = ("sampler", "anchor", "spacing_unit", "prefilter", "resolution")
MISSING = "–"  # a cell of the design's axes that was not evaluated


def _number(value) -> str:
    return f"{float(value):g}"


@dataclass
class DesignGrid:
    """One design's values: ``table`` indexed by ``rows`` values, one column per ``columns`` value."""

    sampler: str
    anchor: str
    spacing_unit: str
    rows: str
    columns: str
    table: pd.DataFrame
    prefilter: str = "none"
    resolution: int = 0  # px; 0: the model's own input size

    def label(self, axis: str) -> str:
        """``coverage %``, ``stride (frames)``, ``spacing (s)``, ``budget (distinct frames)``."""
        if axis == "stride":
            unit = "s" if self.spacing_unit == "seconds" else "frames"
            return f"{get_sampler(self.sampler).step_name} ({unit})"
        return AXIS_LABELS.get(axis, axis)

    @property
    def title(self) -> str:
        first, second = (self.label(a).split(" ")[0] for a in (self.rows, self.columns))
        prefilter = f", {self.prefilter} prefilter" if self.prefilter != "none" else ""
        resolution = f", {self.resolution} px" if self.resolution else ""
        return f"{first} x {second} ({self.sampler}, anchor {self.anchor}{prefilter}{resolution})"

    def markdown(self, fmt: Callable[[float], str] = "{:.3f}".format) -> str:
        """A Markdown table, rows down and columns across; cells not evaluated are written ``–``."""
        head = f"| {self.label(self.rows)} \\ {self.label(self.columns)} | "
        lines = [head + " | ".join(_number(c) for c in self.table.columns) + " |"]
        lines.append("| " + " | ".join("---" for _ in range(len(self.table.columns) + 1)) + " |")
        for index, row in self.table.iterrows():
            cells = (MISSING if pd.isna(v) else fmt(v) for v in row)
            lines.append(f"| {_number(index)} | " + " | ".join(cells) + " |")
        return "\n".join(lines)


def design_grids(results: pd.DataFrame, value: str = "accuracy") -> list[DesignGrid]:
    """One :class:`DesignGrid` of ``value`` per design in ``results`` (one model's ``results.csv``, or any table
    with the grid columns), in the order the designs first appear. Tables of older versions without a ``sampler``
    column are one coverage x stride design."""
    results = results.copy()
    defaults = {
        "sampler": "coverage_stride",
        "anchor": "start",
        "spacing_unit": "frames",
        "budget": 0,
        "prefilter": "none",
        "resolution": 0,
    }
    for column, default in defaults.items():
        results[column] = results[column].fillna(default) if column in results.columns else default
    grids = []
    for (sampler, anchor, unit, prefilter, resolution), cells in results.groupby(list(DESIGN_COLUMNS), sort=False):
        rows, columns = get_sampler(sampler).axes
        wide = cells.pivot_table(index=rows, columns=columns, values=value, aggfunc="first", dropna=False)
        table = wide.sort_index().sort_index(axis=1)
        grids.append(DesignGrid(sampler, anchor, unit, rows, columns, table, prefilter, int(resolution)))
    return grids
