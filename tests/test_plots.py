"""The figures' content, read back from the matplotlib Figure objects (labels, titles, series, annotations)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from test_stats_simulation import simulate_predictions, simulate_synthetic

from inforates import schema
from inforates.analysis import paired, plots, robustness
from inforates.analysis.accuracy import accuracy_by_variant


@pytest.fixture(scope="module")
def tables():
    pred = simulate_predictions(n_classes=10, videos_per_class=12, seed=3)
    accuracy = accuracy_by_variant(pred, n_boot=200, seed=0)
    per_class = schema.per_class_table(pred)
    return {"pred": pred, "accuracy": accuracy, "results": accuracy, "per_class": per_class}


def _texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def _alpha(tables) -> pd.DataFrame:
    return tables["results"][tables["results"]["model"] == "alpha"]


def test_accuracy_heatmap_annotates_every_cell(tables):
    fig = plots.accuracy_heatmap(_alpha(tables))
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Stride (frames)" and ax.get_ylabel().startswith("Coverage")
    assert ax.get_title() == "coverage x stride (coverage_stride, anchor start)"
    assert fig._suptitle.get_text() == "alpha: accuracy of each sampling design"
    cells = _alpha(tables)
    assert len(ax.texts) == 25
    assert sorted(float(t.split("\n")[0]) for t in _texts(ax)) == pytest.approx(
        sorted(cells["accuracy"].round(3)), abs=5e-4
    )
    facts = cells.set_index("variant").loc["cov100_s1"]
    assert f"{facts['distinct_frames']:.3g} fr, {facts['spacing_seconds']:.2g} s" in [
        t.split("\n")[1] for t in _texts(ax)
    ]  # each cell's distinct frames and spacing under its accuracy
    assert [t.get_text() for t in ax.get_yticklabels()] == ["100", "75", "50", "25", "10"]  # high coverage on top
    assert len(fig.axes) == 2  # the colour bar


def test_accuracy_heatmap_draws_each_design_on_its_own_axes(tables):
    """The exact spacing x budget design beside the coverage x stride grid: two panels, never averaged together."""
    exact = pd.DataFrame({"model": "alpha", "sampler": "spacing_budget", "anchor": "center", "spacing_unit": "frames",
                          "coverage": 100.0, "stride": [1, 2, 4], "budget": 8, "accuracy": [0.9, 0.8, 0.4]})  # fmt: skip
    fig = plots.accuracy_heatmap(pd.concat([exact, _alpha(tables)], ignore_index=True))
    spacing, grid = fig.axes[:2]
    assert spacing.get_title() == "spacing x budget (spacing_budget, anchor center)"
    assert spacing.get_xlabel() == "Budget (distinct frames)" and spacing.get_ylabel() == "Spacing (frames)"
    assert sorted(float(t) for t in _texts(spacing)) == [0.4, 0.8, 0.9] and len(grid.texts) == 25


def test_accuracy_vs_coverage_one_line_and_band_per_stride(tables):
    fig = plots.accuracy_vs_coverage(tables["accuracy"], "beta")
    ax = fig.axes[0]
    assert len(ax.lines) == 5 and [line.get_label() for line in ax.lines] == [f"stride {s}" for s in (1, 2, 4, 8, 16)]
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 5
    line = ax.lines[0]
    beta_s1 = tables["accuracy"].query("model == 'beta' and stride == 1").sort_values("coverage")
    np.testing.assert_allclose(line.get_xdata(), beta_s1["coverage"])
    np.testing.assert_allclose(line.get_ydata(), beta_s1["accuracy"])
    assert ax.get_xlabel().startswith("Coverage") and ax.get_ylabel() == "Top-1 accuracy"
    assert ax.get_legend().get_title().get_text() == "Stride"


def test_per_class_distribution_has_box_and_violin(tables):
    fig = plots.per_class_distribution_by_coverage(tables["per_class"], "gamma")
    box_ax, violin_ax = fig.axes
    assert box_ax.get_title().startswith("Box plot") and violin_ax.get_title().startswith("Violin plot")
    assert [t.get_text() for t in box_ax.get_xticklabels()] == ["10", "25", "50", "75", "100"]
    assert sum(isinstance(c, PolyCollection) for c in violin_ax.collections) == 5  # one violin per coverage
    medians = [line for line in box_ax.lines if line.get_color() == "C1"]
    assert len(medians) == 5
    assert "10 classes" in fig._suptitle.get_text()


def test_per_class_representative_picks_extremes(tables):
    per_class = tables["per_class"][tables["per_class"]["model"] == "alpha"]
    changes = robustness.class_sensitivity(per_class)
    fig = plots.per_class_representative(tables["per_class"], changes, "alpha", n=3)
    left, right = fig.axes
    assert left.get_title().startswith("Largest-change") and right.get_title().startswith("Most stable")
    by_size = changes.assign(size=changes["drop"].abs()).sort_values("size", ascending=False, kind="stable")
    assert [line.get_label().split(" ")[0] for line in left.lines] == list(by_size["class"].head(3))
    assert [line.get_label().split(" ")[0] for line in right.lines] == list(by_size["class"].tail(3)[::-1])


def test_class_change_hist_counts_all_classes_and_tiers(tables):
    per_class = tables["per_class"][tables["per_class"]["model"] == "gamma"]
    changes = robustness.class_sensitivity(per_class)
    fig = plots.class_change_hist(changes, "gamma")
    ax = fig.axes[0]
    assert sum(p.get_height() for p in ax.patches) == len(changes)
    counts = changes["tier"].value_counts()
    assert f"{counts.get('large', 0)} large" in ax.get_title()
    thresholds = sorted(line.get_xdata()[0] for line in ax.lines if line.get_linestyle() == "--")
    low, high = robustness.TIER_THRESHOLDS
    assert thresholds == [-high, -low, low, high]  # the size of the change, either way


def test_comparison_accuracy_vs_coverage_panel_per_stride(tables):
    fig = plots.comparison_accuracy_vs_coverage(tables["accuracy"])
    assert [ax.get_title() for ax in fig.axes] == [f"stride {s}" for s in (1, 2, 4, 8, 16)]
    for ax in fig.axes:
        assert [line.get_label() for line in ax.lines] == ["alpha", "beta", "gamma"]


def test_comparison_heatmaps_share_one_colour_scale(tables):
    fig = plots.comparison_heatmaps(tables["results"])
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 3
    norms = {(im.norm.vmin, im.norm.vmax) for im in images}
    assert norms == {(tables["results"]["accuracy"].min(), tables["results"]["accuracy"].max())}
    assert [ax.get_title() for ax in fig.axes[:3]] == ["alpha", "beta", "gamma"]
    assert sum(len(ax.texts) for ax in fig.axes[:3]) == 75
    assert len(fig.axes) == 4  # three heatmaps + one colour bar


def test_critical_difference_diagram(tables):
    blocks = tables["per_class"].pivot_table(index="class", columns="model", values="accuracy", aggfunc="mean")
    fr = paired.friedman_test(blocks)
    fig = plots.critical_difference(fr["mean_ranks"], fr["nemenyi"], "models")
    ax = fig.axes[0]
    labels = " ".join(_texts(ax))
    assert all(m in labels for m in ("alpha", "beta", "gamma"))
    assert "mean rank" in fig._suptitle.get_text()


def test_aliasing_collapse_curve_and_nyquist_line():
    fig = plots.aliasing_collapse(simulate_synthetic(n_videos=60))
    ax = fig.axes[0]
    labels = [line.get_label() for line in ax.lines]
    assert any(label.startswith("predicted") for label in labels) and any("Nyquist" in label for label in labels)
    nyquist = next(line for line in ax.lines if "Nyquist" in line.get_label())
    assert nyquist.get_xdata()[0] == 0.5
    predicted = next(line for line in ax.lines if line.get_label().startswith("predicted"))
    x, y = np.asarray(predicted.get_xdata()), np.asarray(predicted.get_ydata())
    frac = x - np.floor(x)
    np.testing.assert_array_equal(y, ((frac > 0) & (frac < 0.5)).astype(float))  # at a whole turn it stands still
    # The measured points sit on the predicted curve for the ideal aliasing model.
    points = ax.containers[0].lines[0]
    px, py = points.get_xdata(), points.get_ydata()
    np.testing.assert_array_equal(py, (px - np.floor(px) < 0.5).astype(float))
    assert ax.get_xlabel().startswith("x = f") and ax.get_ylabel().startswith("Direction accuracy")


def test_aliasing_collapse_draws_each_model_and_marks_the_left_out_one():
    ideal, other = simulate_synthetic(n_videos=30), simulate_synthetic(n_videos=30, seed=1, model="guess")
    fig = plots.aliasing_collapse(pd.concat([ideal, other], ignore_index=True), excluded=["guess"])
    ax = fig.axes[0]
    labels = [container.get_label() for container in ax.containers]
    assert len(labels) == 2 and "left out of the check" in labels[1] and "left out" not in labels[0]
    assert ax.containers[1].lines[0].get_markerfacecolor() == "none"


def test_save_figure_writes_each_format(tmp_path, tables):
    fig = plots.accuracy_heatmap(_alpha(tables))
    paths = plots.save_figure(fig, tmp_path / "sub" / "heat", ["png", "svg", "pdf"])
    assert [p.suffix for p in paths] == [".png", ".svg", ".pdf"]
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and paths[2].read_bytes()[:4] == b"%PDF"
    assert b"<svg" in paths[1].read_bytes()[:500]


def test_heatmap_text_colour_follows_the_scale(tables):
    cells = tables["results"].query("model == 'alpha'")["accuracy"]
    ax = plots.accuracy_heatmap(_alpha(tables)).axes[0]
    mid = (cells.min() + cells.max()) / 2
    for text in ax.texts:
        value = float(text.get_text().split("\n")[0])
        if abs(value - mid) > 1e-3:  # dark cells get white text, light cells black
            assert text.get_color() == ("black" if value > mid else "white")
