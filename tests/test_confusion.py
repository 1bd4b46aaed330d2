"""Confusion matrices of the densest cell and the cell of the largest drop: counts on a hand-made table, the choice
of the two cells on both grid designs (facts from the real samplers' indices), aliases and too-short clips, the
figure, and the files and report of a real ``inforates compare`` run."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from test_compare import write_run
from test_stats_simulation import simulate_predictions

from inforates import cli, schema
from inforates.analysis import confusion
from inforates.analysis.densest import DENSEST_RULE, densest_cell
from inforates.analysis.entries_confusion import TWO_DISTINCT_CELLS, matrix_name
from inforates.analysis.entry import NEEDS_PREDICTIONS
from inforates.analysis.inputs import ModelRun
from inforates.analysis.plots_confusion import ANNOTATE_MAX, LABEL_MAX, confusion_pair
from inforates.analysis.registry import analyse
from inforates.sampling import build_grid, clip_facts, frames_text


CLASSES = ["Pour", "Stir", "Cut"]


def hand_predictions() -> pd.DataFrame:
    """Two cells of six videos (two per class) with known confusions, and too-short rows that must not count."""
    rows = []
    # (video, true label, prediction at "dense", prediction at "sparse")
    outcomes = [("v0", 0, 0, 1), ("v1", 0, 0, 1), ("v2", 1, 1, 1), ("v3", 1, 2, 0), ("v4", 2, 2, 2), ("v5", 2, 2, 1)]
    for video, label, *preds in outcomes:
        for variant, pred in zip(("dense", "sparse"), preds):
            rows.append({"model": "m", "video_id": video, "label": label, "class_name": CLASSES[label],
                         "variant": variant, "pred": pred, "pred_class": CLASSES[pred], "correct": pred == label,
                         "too_short": False})  # fmt: skip
    for video in ("v6", "v7"):  # too short for "sparse": their (wrong) outcome is no prediction of the model
        rows.append({"model": "m", "video_id": video, "label": 2, "class_name": "Cut", "variant": "sparse",
                     "pred": 0, "pred_class": "Pour", "correct": False, "too_short": True})  # fmt: skip
    return pd.DataFrame(rows)


def test_confusion_matrix_counts_each_true_and_predicted_class():
    pred = hand_predictions()
    assert confusion.class_order(pred) == CLASSES  # label order, not alphabetical
    dense = confusion.confusion_matrix(pred, "dense")
    assert dense.index.tolist() == CLASSES and dense.columns.tolist() == CLASSES
    assert dense.to_numpy().tolist() == [[2, 0, 0], [0, 1, 1], [0, 0, 2]]
    sparse = confusion.confusion_matrix(pred, "sparse")
    assert sparse.to_numpy().tolist() == [[0, 2, 0], [1, 1, 0], [0, 1, 1]]  # the too-short rows are not counted
    assert sparse.to_numpy().sum() == 6 and sparse.loc["Cut", "Pour"] == 0


def test_class_shifts_give_error_rates_and_the_new_dominant_confusion():
    pred = hand_predictions()
    shifts = confusion.class_shifts(
        confusion.confusion_matrix(pred, "dense"), confusion.confusion_matrix(pred, "sparse")
    )
    assert shifts["class"].tolist() == ["Pour", "Cut", "Stir"]  # sorted by the size of the change
    pour = shifts.iloc[0]
    assert (pour["n_dense"], pour["errors_dense"], pour["n_drop"], pour["errors_drop"]) == (2, 0, 2, 2)
    assert pour["change"] == 1.0 and pour["confusion_drop"] == "Pour -> Stir" and pour["confusion_drop_count"] == 2
    assert pour["confusion_dense"] == "" and pour["confusion_dense_count"] == 0
    cut, stir = shifts.iloc[1], shifts.iloc[2]
    assert cut["change"] == 0.5 and cut["confusion_drop"] == "Cut -> Stir"
    assert stir["error_rate_dense"] == stir["error_rate_drop"] == 0.5 and stir["change"] == 0
    assert (stir["confusion_dense"], stir["confusion_drop"]) == ("Stir -> Cut", "Stir -> Pour")


def test_a_fall_in_errors_sorts_after_a_rise_of_the_same_size():
    classes = ["A", "B", "C"]
    dense = pd.DataFrame([[4, 0, 0], [2, 2, 0], [0, 0, 4]], index=classes, columns=classes)
    drop = pd.DataFrame([[2, 2, 0], [0, 4, 0], [0, 1, 3]], index=classes, columns=classes)
    shifts = confusion.class_shifts(dense, drop)
    assert shifts["class"].tolist() == ["A", "B", "C"] and shifts["change"].tolist() == [0.5, -0.5, 0.25]


def grid_predictions(variants, total_frames: dict[str, int], clip_len: int = 8, fps: float = 25.0) -> pd.DataFrame:
    """One model's predictions over ``variants`` with the facts evaluation writes, from the samplers' real indices
    (a video too short for a ``spacing_budget`` cell is ``too_short``); every prediction right."""
    rows = []
    for variant in variants:
        for video, frames in total_frames.items():
            indices = variant.indices(frames, clip_len, fps=fps)
            facts = clip_facts(indices, fps) if indices is not None else None
            rows.append({"model": "m", "video_id": video, "label": 0, "class_name": "A", "variant": variant.name,
                         "sampler": variant.sampler, "coverage": float(variant.coverage), "stride": variant.stride,
                         "budget": variant.budget or 0, "spacing_unit": variant.spacing_unit,
                         "anchor": variant.anchor, "pred": 0, "pred_class": "A", "correct": True,
                         "clip_len": clip_len, "frames": frames_text(indices), "too_short": indices is None,
                         "distinct_frames": facts.distinct_frames if facts else np.nan,
                         "median_spacing": facts.median_spacing if facts else np.nan,
                         "span_seconds": facts.span_seconds if facts else np.nan, "fps": fps,
                         "total_frames": frames})  # fmt: skip
    return pd.DataFrame(rows)


VIDEO_LENGTHS = {"v0": 48, "v1": 96, "v2": 175, "v3": 300}


@pytest.mark.parametrize(
    ("grid", "densest"),
    [
        (build_grid(strides=[1, 2, 4, 8, 12], sampler="spacing_budget", budgets=[4, 8]), "d1_k8"),  # the demo's
        (build_grid(), "cov100_s1"),  # the 2025 grid, 5 coverages x 5 strides
        (build_grid(strides=[1, 4], sampler="spacing_budget", budgets=[8]) + build_grid([10, 100], [1, 4]), "d1_k8"),
        (build_grid([50, 100], [1, 2], sampler="spacing_budget", budgets=[4]) + build_grid([100], [1]), "cov100_s1"),
    ],
    ids=["spacing_budget", "grid_2025", "both_designs", "budget_below_clip_len"],
)
def test_the_densest_cell_on_either_design(grid, densest):
    results = schema.results_table(grid_predictions(grid, VIDEO_LENGTHS))
    assert densest_cell(results) == densest
    assert densest_cell(results.iloc[::-1]) == densest  # the rule, not the order, decides


def test_the_densest_cell_without_facts_uses_budget_and_stride():
    results = pd.DataFrame({"variant": ["d4_k8", "d1_k4", "d1_k8"], "stride": [4, 1, 1], "budget": [8, 4, 8],
                            "coverage": 100.0, "accuracy": 0.5, "total": 10})  # fmt: skip
    assert densest_cell(results) == "d1_k8"
    assert densest_cell(results.assign(total=0)) is None  # no cell with scored clips


def cells(**columns) -> pd.DataFrame:
    """A results table of one model's cells: coverage 100, spacing = stride and 10 clips unless given."""
    table = pd.DataFrame(columns)
    defaults = {"coverage": 100.0, "spacing_unit": "frames", "total": 10, "spacing_frames": table["stride"] * 1.0}
    return table.assign(**{k: v for k, v in defaults.items() if k not in table})


def test_the_largest_drop_skips_aliases_and_the_densest_cells_frames():
    # "late" repeats "early"'s frames; listed first, it would win the tie of equal drops were aliases candidates.
    results = cells(variant=["dense", "late", "mid", "early"], stride=[1, 8, 2, 4], distinct_frames=8.0,
                    accuracy=[0.9, 0.4, 0.6, 0.4], same_frames_as=["", "early", "", ""])  # fmt: skip
    assert densest_cell(results) == "dense"
    assert confusion.largest_drop_cell(results) == "early"
    # equal drops of distinct cells: the first in the grid's order
    tied = results.assign(accuracy=[0.9, 0.4, 0.4, 0.4])
    assert confusion.largest_drop_cell(tied) == "mid"
    # the densest cell repeats "orig": "orig" is the same cell, not a drop of 0 from it, even when all else gains
    alias = cells(variant=["orig", "dense", "other"], stride=[1, 1, 4], distinct_frames=[8.0, 8.0, 4.0],
                  accuracy=[0.5, 0.5, 0.7], same_frames_as=["", "orig", ""], coverage=[10.0, 100.0, 100.0])  # fmt: skip
    assert densest_cell(alias) == "dense" and confusion.largest_drop_cell(alias) == "other"
    assert confusion.largest_drop_cell(alias[alias["variant"] != "other"]) is None
    unscored = results.assign(total=[10, 10, 0, 10])  # a cell without scored clips is no candidate
    assert confusion.largest_drop_cell(unscored.assign(accuracy=[0.9, 0.4, np.nan, 0.5])) == "early"


def test_the_two_cells_on_predictions_with_real_aliases():
    """cov100_s16 repeats cov75_s16's frames on 48-frame videos (as in test_compare): never the drop cell."""
    grid = build_grid([75, 100], [1, 16])
    pred = grid_predictions(grid, {"v0": 48, "v1": 48})
    pred["correct"] = pred["variant"].isin(["cov75_s1", "cov100_s1"])  # both s16 cells equally wrong
    pred.loc[~pred["correct"], ["pred", "pred_class"]] = [1, "B"]
    results = schema.results_table(pred)
    assert results.set_index("variant").loc["cov100_s16", "same_frames_as"] == "cov75_s16"
    assert densest_cell(results) == "cov100_s1"
    assert confusion.largest_drop_cell(results) == "cov75_s16"


def test_the_figure_labels_and_annotates_only_what_stays_readable():
    small = pd.DataFrame([[3, 1], [0, 4]], index=["A", "B"], columns=["A", "B"])
    fig = confusion_pair(small, small.T, "m", "dense", "drop")
    left, right = fig.axes[:2]
    assert sorted(t.get_text() for t in left.texts) == ["1", "3", "4"]  # counts of the non-empty cells
    assert left.images[0].get_array()[0].tolist() == [0.75, 0.25]  # normalised by row
    assert (
        left.get_title() == "dense" and right.get_title() == "drop" and fig.get_suptitle().startswith("m: confusion")
    )
    names = [f"Class{i:03d}" for i in range(101)]
    rng = np.random.default_rng(0)
    large = pd.DataFrame(rng.integers(0, 5, (101, 101)), index=names, columns=names)
    fig = confusion_pair(large, large, "ucf", "dense", "drop")
    ax = fig.axes[0]
    assert 101 > ANNOTATE_MAX and not ax.texts  # no per-cell text for many classes
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert len(labels) <= LABEL_MAX and labels[:2] == ["Class000", "Class003"] and "1 in 3 named" in ax.get_xlabel()
    assert ax.images[0].get_array().shape == (101, 101)


def test_table_inputs_list_the_confusion_matrices_as_not_computed():
    pred = simulate_predictions(n_classes=3, videos_per_class=4, coverages=(25, 100), strides=(1, 4), seed=1)
    runs = [ModelRun(m, "sim", schema.results_table(p), schema.per_class_table(p)) for m, p in pred.groupby("model")]
    an = analyse(runs, n_boot=10)
    assert {"analysis": "confusion matrices", "reason": NEEDS_PREDICTIONS} in an.skipped
    assert "confusion" not in an.done and "confusion" not in an.statistical
    one_cell = pred[pred["variant"] == "cov100_s1"]
    solo = [ModelRun("alpha", "sim", schema.results_table(one_cell[one_cell["model"] == "alpha"]), None,
                     one_cell[one_cell["model"] == "alpha"].reset_index(drop=True))]  # fmt: skip
    an = analyse(solo, n_boot=10)
    assert {"analysis": "confusion matrices (alpha)", "reason": TWO_DISTINCT_CELLS.reason} in an.skipped


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """A real ``inforates compare`` of two models on small prediction files, some clips too short for a cell."""
    root = tmp_path_factory.mktemp("confusion")
    pred = simulate_predictions({"alpha": (0.9, 0.5, 0.1), "beta": (0.8, 0.2, 0.05)}, n_classes=4,
                                videos_per_class=6, coverages=(25, 100), strides=(1, 4), seed=5)  # fmt: skip
    pred["too_short"] = False
    short = pred["video_id"].isin(["v0000", "v0007"]) & (pred["variant"] == "cov100_s1")
    pred.loc[short, ["too_short", "pred", "pred_class", "correct"]] = [True, 3, "Class03", False]
    for model, df in pred.groupby("model"):
        write_run(root / "eval" / model, df.reset_index(drop=True))
    out = root / "compare"
    assert cli.main(["compare", "--runs", str(root / "eval"), "--out", str(out), "--n-boot", "50"]) == 0
    return {"pred": pred, "out": out}


def test_compare_writes_both_matrices_and_the_class_shifts(compared):
    pred, out = compared["pred"], compared["out"]
    results = json.loads((out / "statistical_results.json").read_text())["confusion"]
    assert set(results["per_model"]) == {"alpha", "beta"} and results["rules"]["densest"] == DENSEST_RULE
    shifts = pd.read_csv(out / "confusion_class_shifts.csv", keep_default_na=False)
    for model in ("alpha", "beta"):
        mine = pred[(pred["model"] == model) & ~pred["too_short"]]
        accuracy = mine.groupby("variant", sort=False)["correct"].mean()
        section = results["per_model"][model]
        dense, drop = section["densest"]["variant"], section["largest_drop"]["variant"]
        assert dense == "cov100_s1"  # every cell of the simulation has 8 distinct frames at spacing = stride
        assert drop == (accuracy[dense] - accuracy).idxmax() and section["largest_drop"]["drop"] > 0
        for variant in (dense, drop):
            matrix = pd.read_csv(out / f"{matrix_name(model, variant)}.csv", index_col=0)
            cell = mine[mine["variant"] == variant]
            by_hand = pd.crosstab(cell["class_name"], cell["pred_class"]).reindex(
                index=matrix.index, columns=matrix.columns, fill_value=0
            )
            assert matrix.index.name == "true_class" and matrix.index.tolist() == [f"Class{c:02d}" for c in range(4)]
            assert (matrix.to_numpy() == by_hand.to_numpy()).all() and matrix.to_numpy().sum() == len(cell)
            assert section["densest" if variant == dense else "largest_drop"]["accuracy"] == pytest.approx(
                accuracy[variant]
            )
        assert (out / "figures" / model / "confusion_matrices.png").is_file()
        rows = shifts[shifts["model"] == model]
        assert len(rows) == 4 and set(rows["dense_variant"]) == {dense} and set(rows["drop_variant"]) == {drop}
        dense_matrix = pd.read_csv(out / f"{matrix_name(model, dense)}.csv", index_col=0)
        assert dense_matrix.to_numpy().sum() == 24 - 2  # two videos too short for the densest cell


def test_the_report_states_the_two_cells_and_the_top_classes(compared):
    out = compared["out"]
    report = (out / "report.md").read_text()
    section = json.loads((out / "statistical_results.json").read_text())["confusion"]["per_model"]["alpha"]
    dense, drop = section["densest"], section["largest_drop"]
    confusion = report.split("## Which classes are confused (descriptive)")[1].split("\n## ")[0]
    assert (f"Between its densest cell `{dense['variant']}` ({dense['accuracy']:.3f}) and the distinct cell with the "
            f"lowest accuracy, `{drop['variant']}` ({drop['accuracy']:.3f}, {drop['clips']} clips)") in confusion  # fmt: skip
    assert "![alpha/confusion_matrices](figures/alpha/confusion_matrices.png)" in confusion
    table = confusion.split("### alpha")[1].split("\n\n")[2].splitlines()
    assert table[0].startswith("| class | errors at ") and len(table) == 2 + 4  # header, rule, four classes
    top = section["top_classes"][0]
    assert (
        f"| {top['class']} | {top['errors_dense']}/{top['n_dense']} | {top['errors_drop']}/{top['n_drop']} |"
        in table[2]
    )
    assert confusion.index("### alpha") < confusion.index("### beta")  # model by model
