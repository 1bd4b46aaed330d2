"""The figures' content, read back from the matplotlib Figure objects (labels, titles, series, annotations)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.container import BarContainer
from test_stats_simulation import simulate_predictions, simulate_synthetic

from inforates import schema
from inforates.analysis import paired, plots, robustness
from inforates.analysis.accuracy import accuracy_by_variant, best_variants


@pytest.fixture(scope="module")
def tables():
    pred = simulate_predictions(n_classes=10, videos_per_class=12, seed=3)
    accuracy = accuracy_by_variant(pred, n_boot=200, seed=0)
    per_class = schema.per_class_table(pred)
    return {"pred": pred, "accuracy": accuracy, "results": accuracy, "per_class": per_class}


def _texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def test_accuracy_heatmap_annotates_every_cell(tables):
    fig = plots.accuracy_heatmap(tables["results"], "alpha")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Stride (frames)" and ax.get_ylabel().startswith("Coverage")
    assert ax.get_title() == "alpha: accuracy by coverage and stride"
    cells = tables["results"][tables["results"]["model"] == "alpha"]
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
    sens = robustness.class_sensitivity(per_class)
    fig = plots.per_class_representative(tables["per_class"], sens, "alpha", n=3)
    left, right = fig.axes
    assert left.get_title().startswith("Most sensitive") and right.get_title().startswith("Most robust")
    assert [line.get_label().split(" ")[0] for line in left.lines] == list(sens["class"].head(3))
    assert [line.get_label().split(" ")[0] for line in right.lines] == list(sens["class"].tail(3)[::-1])


def test_aliasing_drop_hist_counts_all_classes_and_tiers(tables):
    per_class = tables["per_class"][tables["per_class"]["model"] == "gamma"]
    sens = robustness.class_sensitivity(per_class)
    fig = plots.aliasing_drop_hist(sens, "gamma")
    ax = fig.axes[0]
    assert sum(p.get_height() for p in ax.patches) == len(sens)
    counts = sens["tier"].value_counts()
    assert f"{counts.get('sensitive', 0)} sensitive" in ax.get_title()
    thresholds = sorted(line.get_xdata()[0] for line in ax.lines if line.get_linestyle() == "--")
    assert thresholds == list(robustness.TIER_THRESHOLDS)


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


def test_comparison_best_accuracy_bars_with_intervals(tables):
    best = best_variants(tables["accuracy"])
    fig = plots.comparison_best_accuracy(best)
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches]
    assert heights == pytest.approx(list(best["accuracy"]))
    assert [t.get_text() for t in ax.get_xticklabels()] == list(best["model"])
    assert all(v in " ".join(_texts(ax)) for v in best["variant"])
    bars = next(c for c in ax.containers if isinstance(c, BarContainer))
    segments = bars.errorbar.lines[2][0].get_segments()  # one vertical error bar per model, from CI low to high
    low, high = best["boot_low"].to_numpy(), best["boot_high"].to_numpy()
    np.testing.assert_allclose([seg[:, 1].min() for seg in segments], low)
    np.testing.assert_allclose([seg[:, 1].max() for seg in segments], high)


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
    fig = plots.accuracy_heatmap(tables["results"], "alpha")
    paths = plots.save_figure(fig, tmp_path / "sub" / "heat", ["png", "svg", "pdf"])
    assert [p.suffix for p in paths] == [".png", ".svg", ".pdf"]
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and paths[2].read_bytes()[:4] == b"%PDF"
    assert b"<svg" in paths[1].read_bytes()[:500]


def test_heatmap_text_colour_follows_the_scale(tables):
    cells = tables["results"].query("model == 'alpha'")["accuracy"]
    ax = plots.accuracy_heatmap(tables["results"], "alpha").axes[0]
    mid = (cells.min() + cells.max()) / 2
    for text in ax.texts:
        value = float(text.get_text().split("\n")[0])
        if abs(value - mid) > 1e-3:  # dark cells get white text, light cells black
            assert text.get_color() == ("black" if value > mid else "white")
