"""Confusion matrices of two cells of one model: its densest cell and the cell where its accuracy drops most from
it, and the classes whose errors move most between the two. Pure pandas: one model's ``results`` (a row per cell,
with its facts) and scored ``predictions`` in, tables out.

    >>> results = pd.DataFrame({"variant": ["d1_k8", "d4_k8", "d1_k4"], "coverage": 100.0, "stride": [1, 4, 1],
    ...                         "spacing_unit": "frames", "distinct_frames": [8.0, 8.0, 4.0], "spacing_frames": [1.0, 4, 1],
    ...                         "accuracy": [0.9, 0.5, 0.7], "total": 10, "same_frames_as": ""})
    >>> densest_cell(results), largest_drop_cell(results)
    ('d1_k8', 'd4_k8')

:func:`confusion_matrix` counts true class x predicted class; :func:`class_shifts` gives each class's error rate in
both cells, its change and the dominant confusion (``Pour -> Stir``) in each.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..schema import scored
from .densest import densest_cell, scored_cells


DROP_RULE = (
    "the largest accuracy drop from the densest cell among the distinct cells (no cell that repeats an earlier "
    "cell's frames, none with the densest cell's frames); ties: the first in the grid's order"
)
TRUE_COLUMN = "true_class"  # the first column of a written matrix: rows are true classes, columns predicted ones


def largest_drop_cell(results: pd.DataFrame, densest: str | None = None) -> str | None:
    """The variant of the cell where accuracy drops most from ``densest`` (default :func:`densest_cell`), by
    :data:`DROP_RULE`; None when no other distinct cell has scored clips."""
    densest = densest or densest_cell(results)
    if densest is None:
        return None
    cells = scored_cells(results).reset_index(drop=True)
    aliases = (
        cells["same_frames_as"].fillna("").astype(str) if "same_frames_as" in cells else pd.Series("", cells.index)
    )
    dense_row = cells[cells["variant"] == densest]
    if dense_row.empty:
        return None
    same_as_dense = {densest, *aliases[dense_row.index]} - {""}
    candidates = cells[(aliases == "") & ~cells["variant"].isin(same_as_dense)]
    if candidates.empty:
        return None
    drop = float(dense_row["accuracy"].iloc[0]) - candidates["accuracy"].astype(float)
    return str(candidates.loc[drop.idxmax(), "variant"])  # idxmax: the first of equal drops


def _ids(predictions: pd.DataFrame, column: str) -> pd.Series:
    return predictions[column] if column in predictions else pd.Series(np.nan, index=predictions.index)


def class_order(predictions: pd.DataFrame) -> list[str]:
    """Every class named in the predictions (true or predicted), in label order, then by name (a table without
    label ids, or with one id for every class, is in name order)."""
    columns = [c for c in ("label", "class_name", "pred", "pred_class") if c in predictions]
    predictions = predictions[columns].drop_duplicates()  # a few rows per class: the rest is cheap
    named = pd.concat([
        pd.DataFrame({"id": _ids(predictions, "label"), "name": predictions["class_name"].astype(str)}),
        pd.DataFrame({"id": _ids(predictions, "pred"), "name": _predicted(predictions)}),
    ])  # fmt: skip
    ids = pd.to_numeric(named["id"], errors="coerce").fillna(np.inf)
    named = named.assign(id=ids).sort_values(["id", "name"], kind="stable").drop_duplicates("name")
    return named["name"].tolist()


def _predicted(predictions: pd.DataFrame) -> pd.Series:
    """The predicted class's name; a row without ``pred_class`` takes the name its ``pred`` id has as a true
    class."""
    given = _ids(predictions, "pred_class")
    if {"pred", "label"} <= set(predictions.columns):
        names = dict(zip(predictions["label"], predictions["class_name"]))
        given = given.fillna(predictions["pred"].map(names)).fillna(predictions["pred"].astype(str))
    return given.astype(str)


def confusion_matrix(predictions: pd.DataFrame, variant: str, classes: list[str] | None = None) -> pd.DataFrame:
    """Counts of true class (rows) x predicted class (columns) of ``variant``'s scored clips (rows of videos too
    short for the cell are left out); ``classes`` (default :func:`class_order`) names both axes, in that order."""
    classes = classes or class_order(predictions)
    rows = scored(predictions[predictions["variant"] == variant])
    counts = pd.crosstab(rows["class_name"].astype(str), _predicted(rows))
    matrix = counts.reindex(index=classes, columns=classes, fill_value=0).fillna(0).astype("int64")
    matrix.index.name, matrix.columns.name = TRUE_COLUMN, None
    return matrix


def _dominant(matrix: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Per true class: the class it is most often mistaken for (the first in class order on ties; "" without
    errors) and how often."""
    wrong = matrix.to_numpy().copy()
    np.fill_diagonal(wrong, 0)
    top = wrong.argmax(axis=1)
    count = wrong[np.arange(len(top)), top]
    names = np.where(count > 0, np.asarray(matrix.columns, dtype=object)[top], "")
    return pd.Series(names, index=matrix.index), pd.Series(count, index=matrix.index)


def class_shifts(dense: pd.DataFrame, drop: pd.DataFrame) -> pd.DataFrame:
    """Per class with clips in either cell: clips, errors, error rate and dominant confusion (``Pour -> Stir``) in
    the dense and the drop cell, and ``change`` = error rate in the drop cell minus in the dense one. Sorted by the
    size of the change (largest first; a rise before a fall of the same size), then by class order."""
    out = {}
    for tag, matrix in (("dense", dense), ("drop", drop)):
        n = matrix.sum(axis=1)
        errors = n - pd.Series(np.diag(matrix.to_numpy()), index=matrix.index)
        top, top_count = _dominant(matrix)
        out[f"n_{tag}"], out[f"errors_{tag}"] = n, errors
        out[f"error_rate_{tag}"] = errors / n.where(n > 0)
        out[f"confusion_{tag}"] = [f"{c} -> {t}" if t else "" for c, t in zip(matrix.index, top)]
        out[f"confusion_{tag}_count"] = top_count
    table = pd.DataFrame(out, index=dense.index)
    table["change"] = table["error_rate_drop"] - table["error_rate_dense"]
    table = table[(table["n_dense"] > 0) | (table["n_drop"] > 0)]
    table = table.rename_axis("class").reset_index().assign(order=lambda t: np.arange(len(t)))
    size = table["change"].abs().fillna(-1.0)
    table = table.assign(size=size).sort_values(["size", "change", "order"], ascending=[False, False, True])
    return table.drop(columns=["size", "order"]).reset_index(drop=True)
