"""The registry entry of the confusion matrices, per model with per-video predictions: its densest cell and the cell
where its accuracy drops most from it (:mod:`inforates.analysis.confusion`), and the classes whose errors move most.

Writes ``confusion_<model>_<variant>.csv`` (two per model: true classes down the first column ``true_class``,
predicted classes across; ``pd.read_csv(path, index_col=0)`` reads the matrix back), ``confusion_class_shifts.csv``
(every class of every model), ``figures/<model>/confusion_matrices`` and ``statistical_results.json`` ->
``confusion``; the report gives each model's top :data:`TOP_CLASSES` classes.

    >>> matrix_name("videomae", "d1_k8")
    'confusion_videomae_d1_k8'
"""

from __future__ import annotations

import pandas as pd

from .confusion import DROP_RULE, TRUE_COLUMN, class_order, class_shifts, confusion_matrix, largest_drop_cell
from .densest import DENSEST_RULE, densest_cell
from .entry import Entry, Need
from .needs import PREDICTIONS, RUN_PREDICTIONS


TOP_CLASSES = 10  # classes per model in the report (all of them in confusion_class_shifts.csv)
IN_FINDING = 3  # classes per model named in the finding
SHIFT_COLUMNS = ["model", "dense_variant", "drop_variant", "class", "n_dense", "errors_dense", "error_rate_dense",
                 "confusion_dense", "confusion_dense_count", "n_drop", "errors_drop", "error_rate_drop",
                 "confusion_drop", "confusion_drop_count", "change"]  # fmt: skip

TWO_DISTINCT_CELLS = Need(
    "2+ distinct cells with scored clips", "needs at least two cells with scored clips that show different frames",
    lambda i, r: r.predictions is not None and largest_drop_cell(r.results) is not None, per_model=True,
)  # fmt: skip


def matrix_name(model: str, variant: str) -> str:
    """The table (and CSV file stem) of one model's matrix at one cell."""
    return f"confusion_{model}_{variant}"


def _cell_record(matrix: pd.DataFrame, variant: str, model: str) -> dict:
    clips = int(matrix.to_numpy().sum())
    correct = int(matrix.to_numpy().trace())
    return {"variant": variant, "accuracy": correct / clips if clips else float("nan"), "correct": correct,
            "clips": clips, "file": f"{matrix_name(model, variant)}.csv"}  # fmt: skip


def _confusion(ctx, run) -> pd.DataFrame:
    dense = densest_cell(run.results)
    drop = largest_drop_cell(run.results, dense)
    classes = class_order(run.predictions)
    matrices = {v: confusion_matrix(run.predictions, v, classes) for v in (dense, drop)}
    for variant, matrix in matrices.items():
        ctx.tables[matrix_name(run.name, variant)] = matrix.reset_index()
    shifts = class_shifts(matrices[dense], matrices[drop])
    dense_record, drop_record = (_cell_record(matrices[v], v, run.name) for v in (dense, drop))
    section = ctx.analysis.statistical.setdefault("confusion", {"rules": {}, "per_model": {}})
    section["rules"] = {"densest": DENSEST_RULE, "largest_drop": DROP_RULE}
    section["per_model"][run.name] = {
        "densest": dense_record,
        "largest_drop": {**drop_record, "drop": dense_record["accuracy"] - drop_record["accuracy"]},
        "classes": len(classes),
        "top_classes": shifts.head(TOP_CLASSES).to_dict(orient="records"),
    }
    return shifts.assign(model=run.name, dense_variant=dense, drop_variant=drop)[SHIFT_COLUMNS]


def _result(analysis, model: str) -> dict | None:
    return analysis.statistical.get("confusion", {}).get("per_model", {}).get(model)


def _class_text(row: dict) -> str:
    text = (f"{row['class']} (errors {row['errors_dense']}/{row['n_dense']} -> {row['errors_drop']}/"
            f"{row['n_drop']}")  # fmt: skip
    if row["confusion_drop"]:
        text += f", mostly {row['confusion_drop']}"
    return text + ")"


def _confusion_finding(analysis, model) -> list[str]:
    result = _result(analysis, model)
    if result is None:
        return []
    dense, drop = result["densest"], result["largest_drop"]
    if drop["drop"] > 0:
        line = (f"{model}'s accuracy drops most from its densest cell {dense['variant']} ({dense['accuracy']:.3f}) "
                f"to {drop['variant']} ({drop['accuracy']:.3f}, {drop['clips']} clips)")  # fmt: skip
    else:
        line = (f"{model} loses no accuracy away from its densest cell {dense['variant']} ({dense['accuracy']:.3f}): "
                f"its least accurate other distinct cell, {drop['variant']}, reaches {drop['accuracy']:.3f}")  # fmt: skip
    moved = [row for row in result["top_classes"][:IN_FINDING] if pd.notna(row["change"]) and row["change"] != 0]
    if moved:
        line += "; the errors that move most: " + ", ".join(_class_text(row) for row in moved)
    return [line + "."]


def confusion_markdown(analysis, model: str) -> list[str]:
    """The report's lines for one model: its top classes by the change in error rate between the two cells."""
    from .report import markdown_table

    result = _result(analysis, model)
    if result is None:
        return []
    dense, drop = result["densest"]["variant"], result["largest_drop"]["variant"]
    shifts = analysis.tables["confusion_class_shifts"]
    top = shifts[shifts["model"] == model].head(TOP_CLASSES)
    table = pd.DataFrame({
        "class": top["class"],
        f"errors at `{dense}`": [f"{e}/{n}" for e, n in zip(top["errors_dense"], top["n_dense"])],
        f"errors at `{drop}`": [f"{e}/{n}" for e, n in zip(top["errors_drop"], top["n_drop"])],
        "change in error rate": [f"{c:+.3f}" if pd.notna(c) else "" for c in top["change"]],
        f"dominant confusion at `{drop}`": [f"{c} ({k})" if c else "" for c, k in
                                            zip(top["confusion_drop"], top["confusion_drop_count"])],
        f"at `{dense}`": [f"{c} ({k})" if c else "" for c, k in zip(top["confusion_dense"], top["confusion_dense_count"])],
    })  # fmt: skip
    return [f"Classes whose errors move most between the densest cell `{dense}` and the cell of the largest drop "
            f"`{drop}` (top {len(top)}; every class: `confusion_class_shifts.csv`; the matrices: "
            f"`{matrix_name(model, dense)}.csv`, `{matrix_name(model, drop)}.csv`):", "",
            markdown_table(table), ""]  # fmt: skip


def _draw_confusion(analysis, runs, save) -> None:
    from .plots_confusion import confusion_pair

    for run in runs:
        result = _result(analysis, run.name)
        if result is None:
            continue
        panels = []
        for key in ("densest", "largest_drop"):
            cell = result[key]
            matrix = analysis.tables[matrix_name(run.name, cell["variant"])].set_index(TRUE_COLUMN)
            title = f"{'densest' if key == 'densest' else 'largest drop'}: {cell['variant']} "
            panels += [matrix, f"{title}(accuracy {cell['accuracy']:.3f}, {cell['clips']} clips)"]
        save(f"{run.name}/confusion_matrices", confusion_pair(panels[0], panels[2], run.name, panels[1], panels[3]))


CONFUSION = Entry(
    "confusion", "confusion matrices ({model})",
    "Which classes a model confuses at its densest cell and at the cell where its accuracy drops most from it.",
    _confusion, needs=(PREDICTIONS, TWO_DISTINCT_CELLS), only_if=(RUN_PREDICTIONS,), per_model=True,
    tables=("confusion_class_shifts",),
    json=("statistical_results:confusion.rules", "statistical_results:confusion.per_model.<model>"),
    figures=("{model}/confusion_matrices",), draw=_draw_confusion, finding=_confusion_finding,
)  # fmt: skip
