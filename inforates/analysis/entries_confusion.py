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
from .markdown import markdown_table
from .needs import PREDICTIONS, RUN_PREDICTIONS


TOP_CLASSES = 10  # classes per model in the report (all of them in confusion_class_shifts.csv)
SHIFT_COLUMNS = [
    "model",
    "dense_variant",
    "drop_variant",
    "class",
    "n_dense",
    "errors_dense",
    "error_rate_dense",
    "confusion_dense",
    "confusion_dense_count",
    "n_drop",
    "errors_drop",
    "error_rate_drop",
    "confusion_drop",
    "confusion_drop_count",
    "change",
]

TWO_DISTINCT_CELLS = Need(
    "2+ distinct cells with scored clips",
    "needs at least two cells with scored clips that show different frames",
    lambda i, r: r.predictions is not None and largest_drop_cell(r.results) is not None,
    per_model=True,
)


def matrix_name(model: str, variant: str) -> str:
    """The table (and CSV file stem) of one model's matrix at one cell."""
    return f"confusion_{model}_{variant}"


def _cell_record(matrix: pd.DataFrame, variant: str, model: str) -> dict:
    clips = int(matrix.to_numpy().sum())
    correct = int(matrix.to_numpy().trace())
    return {
        "variant": variant,
        "accuracy": correct / clips if clips else float("nan"),
        "correct": correct,
        "clips": clips,
        "file": f"{matrix_name(model, variant)}.csv",
    }


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


def _model_lines(analysis, model: str, figures) -> list[str]:
    """One model's part of the section: the two cells, its top classes by the change in error rate, the figure."""
    result = _result(analysis, model)
    if result is None:
        return []
    dense, drop = result["densest"], result["largest_drop"]
    shifts = analysis.tables["confusion_class_shifts"]
    top = shifts[shifts["model"] == model].head(TOP_CLASSES)
    table = pd.DataFrame(
        {
            "class": top["class"],
            f"errors at `{dense['variant']}`": [f"{e}/{n}" for e, n in zip(top["errors_dense"], top["n_dense"])],
            f"errors at `{drop['variant']}`": [f"{e}/{n}" for e, n in zip(top["errors_drop"], top["n_drop"])],
            "change in error rate": [f"{c:+.3f}" if pd.notna(c) else "" for c in top["change"]],
            f"dominant confusion at `{drop['variant']}`": [
                f"{c} ({k})" if c else "" for c, k in zip(top["confusion_drop"], top["confusion_drop_count"])
            ],
            f"at `{dense['variant']}`": [
                f"{c} ({k})" if c else "" for c, k in zip(top["confusion_dense"], top["confusion_dense_count"])
            ],
        }
    )
    about = (
        f"densest cell `{dense['variant']}` ({dense['accuracy']:.3f}) and the distinct cell with the lowest "
        f"accuracy, `{drop['variant']}` ({drop['accuracy']:.3f}, {drop['clips']} clips)"
    )
    return [
        f"### {model}",
        "",
        f"Between its {about}, the classes whose errors move most (top {len(top)}; every "
        f"class: `confusion_class_shifts.csv`; the matrices: `{matrix_name(model, dense['variant'])}.csv`, "
        f"`{matrix_name(model, drop['variant'])}.csv`):",
        "",
        markdown_table(table),
        "",
        *figures.lines(f"{model}/confusion_matrices"),
    ]


def _confusion_section(analysis, figures) -> list[str]:
    lines = [line for model in analysis.models for line in _model_lines(analysis, model, figures)]
    if not lines:
        return []
    return [
        "## Which classes are confused (descriptive)",
        "",
        "Confusion matrices of each model's densest cell and of its least accurate distinct cell; observed "
        "counts, not tested.",
        "",
        *lines,
    ]


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
    "Which classes a model confuses at its densest cell and at its least accurate distinct cell (descriptive).",
    _confusion, needs=(PREDICTIONS, TWO_DISTINCT_CELLS), only_if=(RUN_PREDICTIONS,), per_model=True,
    tables=("confusion_class_shifts",),
    json=("statistical_results:confusion.rules", "statistical_results:confusion.per_model.<model>"),
    figures=("{model}/confusion_matrices",), draw=_draw_confusion, section=_confusion_section,
)  # fmt: skip
