"""Figures from result tables. matplotlib only (``Figure`` objects, no pyplot state, Agg when saved).

Every function returns a :class:`matplotlib.figure.Figure`; :func:`save_figure` writes it in the asked formats:

    >>> results = pd.DataFrame({"model": "m", "coverage": [25, 25, 100, 100], "stride": [1, 4, 1, 4],
    ...                         "accuracy": [0.6, 0.4, 0.9, 0.7]})
    >>> fig = accuracy_heatmap(results)
    >>> [ax.get_title() for ax in fig.axes[:1]]
    ['coverage x stride (coverage_stride, anchor start)']

Per model: ``accuracy_heatmap`` (one panel per sampling design), ``accuracy_vs_coverage``,
``accuracy_vs_spacing_seconds``, ``per_class_distribution_by_coverage``, ``per_class_representative``,
``class_change_hist``. Across models: ``comparison_accuracy_vs_coverage``, ``comparison_heatmaps``,
``critical_difference``. The synthetic benchmark: ``aliasing_collapse``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter

from ..aliasing import direction_visible
from ..result_grids import DesignGrid, design_grids
from ..schema import wilson_interval
from .attribution import clip_facts
from .nyquist import aliasing_table, design_rows
from .paired import coverage_blocks
from .robustness import TIER_THRESHOLDS, TIERS


COVERAGE_LABEL = "Coverage (% of the clip)"
ACCURACY_LABEL = "Top-1 accuracy"
CMAP = "viridis"


def save_figure(fig: Figure, stem: str | Path, formats: Sequence[str] = ("png",), dpi: int = 150) -> list[Path]:
    """Write ``stem.<fmt>`` for each format (png, svg, pdf); returns the paths."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        path = stem.with_suffix(f".{fmt}")
        fig.savefig(path, dpi=dpi, bbox_inches="tight", metadata=None if fmt != "png" else {"Software": None})
        paths.append(path)
    return paths


def _fmt(value: float) -> str:
    return f"{value:g}"


def _interval(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap interval where present, else Wilson."""
    if {"boot_low", "boot_high"} <= set(df.columns) and df["boot_low"].notna().all():
        return df["boot_low"].to_numpy(float), df["boot_high"].to_numpy(float)
    return df["ci_low"].to_numpy(float), df["ci_high"].to_numpy(float)


# ---------------------------------------------------------------------------------------------------------------
# Per model
# ---------------------------------------------------------------------------------------------------------------
def _draw_heatmap(ax, grid: DesignGrid, norm: Normalize, facts: DesignGrid | None = None):
    """One design's accuracy per cell; with ``facts`` (a grid of text notes), each cell's distinct frames and
    spacing in seconds under it, so that a stride cell that pads is visible as such."""
    wide = grid.table.sort_index(ascending=False)
    notes = facts.table.reindex(index=wide.index, columns=wide.columns) if facts is not None else None
    image = ax.imshow(wide.to_numpy(float), cmap=CMAP, norm=norm, aspect="auto")
    ax.set_xticks(range(wide.shape[1]), [_fmt(s) for s in wide.columns])
    ax.set_yticks(range(wide.shape[0]), [_fmt(c) for c in wide.index])
    ax.set_xlabel(grid.label(grid.columns).capitalize())
    ax.set_ylabel(grid.label(grid.rows).capitalize())
    mid = (norm.vmin + norm.vmax) / 2
    for i in range(wide.shape[0]):
        for j in range(wide.shape[1]):
            value = wide.iat[i, j]
            if np.isfinite(value):
                color = "black" if value > mid else "white"
                note = notes.iat[i, j] if notes is not None and isinstance(notes.iat[i, j], str) else None
                text = f"{value:.3f}" + (f"\n{note}" if note else "")
                ax.text(j, i, text, ha="center", va="center", color=color, fontsize=8 if note is None else 6.5)
    return image


def _fact_notes(results: pd.DataFrame) -> pd.DataFrame | None:
    """Each cell's ``distinct frames, spacing`` note, where the results have the facts."""
    if not (
        {"distinct_frames", "spacing_seconds"} <= set(results.columns) and results["distinct_frames"].notna().any()
    ):
        return None
    notes = [f"{d:.3g} fr, {s:.2g} s" if pd.notna(d) and pd.notna(s) else (f"{d:.3g} fr" if pd.notna(d) else None)
             for d, s in zip(results["distinct_frames"], results["spacing_seconds"])]  # fmt: skip
    return results.assign(note=notes)


def accuracy_heatmap(results: pd.DataFrame) -> Figure:
    """One model's accuracy, a heatmap per sampling design on its own axes (:mod:`inforates.result_grids`), each
    cell annotated with its accuracy and, where the results have them, its distinct frames and median spacing in
    seconds (docs/sampling.md)."""
    model = str(results["model"].iloc[0])
    grids = design_grids(results)
    noted = _fact_notes(results)
    notes = design_grids(noted, "note") if noted is not None else [None] * len(grids)
    width = sum(1.1 * g.table.shape[1] + 2.2 for g in grids)
    fig = Figure(figsize=(max(6.0, width), 5.2), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(grids), width_ratios=[g.table.shape[1] + 1.5 for g in grids]))
    norm = Normalize(results["accuracy"].min(), results["accuracy"].max())
    image = None
    for ax, grid, note in zip(axes, grids, notes):
        image = _draw_heatmap(ax, grid, norm, note)
        ax.set_title(grid.title, fontsize=9)
    fig.colorbar(image, ax=list(axes), label=ACCURACY_LABEL)
    fig.suptitle(f"{model}: accuracy of each sampling design")
    return fig


def accuracy_vs_coverage(accuracy: pd.DataFrame, model: str) -> Figure:
    """Accuracy against coverage, one line per stride, with a 95 % band (cluster bootstrap, else Wilson)."""
    df = accuracy[accuracy["model"] == model]
    fig = Figure(figsize=(6.4, 4.4), layout="constrained")
    ax = fig.add_subplot()
    for stride, sdf in df.groupby("stride", sort=True):
        sdf = sdf.sort_values("coverage")
        low, high = _interval(sdf)
        (line,) = ax.plot(sdf["coverage"], sdf["accuracy"], marker="o", label=f"stride {stride}")
        ax.fill_between(sdf["coverage"], low, high, color=line.get_color(), alpha=0.15, linewidth=0)
    ax.set_xlabel(COVERAGE_LABEL)
    ax.set_ylabel(ACCURACY_LABEL)
    ax.set_title(f"{model}: accuracy vs coverage (95 % CI bands)")
    ax.set_xticks(sorted(df["coverage"].unique()))
    ax.grid(alpha=0.3)
    ax.legend(title="Stride", fontsize=8)
    return fig


def spacing_curves(predictions: pd.DataFrame, bins_per_octave: int = 2, min_clips: int = 5) -> pd.DataFrame:
    """Accuracy per (distinct-frame count, spacing bin): clips binned by log2 of their spacing in seconds
    (``bins_per_octave`` bins per doubling); bins with fewer than ``min_clips`` clips and clips with a single
    distinct frame (no spacing) are left out. Columns: distinct_frames, spacing_seconds (the bin's median), accuracy,
    n."""
    facts = clip_facts(predictions).assign(correct=predictions["correct"].astype(float))
    facts = facts[facts["spacing_seconds"] > 0]
    facts = facts.assign(bin=np.floor(np.log2(facts["spacing_seconds"]) * bins_per_octave))
    table = facts.groupby(["distinct_frames", "bin"]).agg(
        spacing_seconds=("spacing_seconds", "median"), accuracy=("correct", "mean"), n=("correct", "size")
    )
    table = table[table["n"] >= min_clips].reset_index().drop(columns="bin")
    return table.astype({"distinct_frames": int, "n": int})


def accuracy_vs_spacing_seconds(predictions: pd.DataFrame, model: str) -> Figure:
    """Accuracy against the spacing between sampled frames in seconds (log axis), one line per number of distinct
    frames (:func:`spacing_curves`, every variant of the model), coloured by that number."""
    from matplotlib.cm import ScalarMappable

    table = spacing_curves(predictions[predictions["model"] == model])
    fig = Figure(figsize=(6.8, 4.4), layout="constrained")
    ax = fig.add_subplot()
    counts = sorted(table["distinct_frames"].unique())
    norm = Normalize(min(counts, default=1), max(max(counts, default=2), min(counts, default=1) + 1))
    cmap = colormaps[CMAP]
    for count in counts:
        rows = table[table["distinct_frames"] == count].sort_values("spacing_seconds")
        ax.plot(rows["spacing_seconds"], rows["accuracy"], marker="o", markersize=3, color=cmap(norm(count)),
                label=f"{count} distinct")  # fmt: skip
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("Spacing between sampled frames (seconds, log scale)")
    ax.set_ylabel(ACCURACY_LABEL)
    ax.set_title(f"{model}: accuracy vs frame spacing, by distinct frames")
    ax.grid(alpha=0.3, which="both")
    fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, label="Distinct frames in the clip")
    return fig


def _class_by_coverage(per_class: pd.DataFrame) -> pd.DataFrame:
    """Classes x coverages of per-class accuracy averaged over strides."""
    return coverage_blocks(per_class)


def per_class_distribution_by_coverage(per_class: pd.DataFrame, model: str) -> Figure:
    """Distribution of per-class accuracy (averaged over strides) at each coverage: box plot and violin plot."""
    wide = _class_by_coverage(per_class[per_class["model"] == model])
    data = [wide[c].dropna().to_numpy() for c in wide.columns]
    labels = [_fmt(c) for c in wide.columns]
    fig = Figure(figsize=(10, 4.4), layout="constrained")
    box_ax, violin_ax = fig.subplots(1, 2, sharey=True)
    box_ax.boxplot(data, tick_labels=labels, showmeans=True)
    box_ax.set_title("Box plot (triangle: mean)")
    violin_ax.violinplot(data, showmedians=True)
    violin_ax.set_xticks(range(1, len(labels) + 1), labels)
    violin_ax.set_title("Violin plot (bar: median)")
    for ax in (box_ax, violin_ax):
        ax.set_xlabel(COVERAGE_LABEL)
        ax.grid(axis="y", alpha=0.3)
    box_ax.set_ylabel("Per-class accuracy (mean over strides)")
    fig.suptitle(f"{model}: per-class accuracy by coverage ({len(wide)} classes)")
    return fig


def per_class_representative(per_class: pd.DataFrame, changes: pd.DataFrame, model: str, n: int = 5) -> Figure:
    """Accuracy vs coverage of the ``n`` classes that change most from 100 % to 25 % coverage (either way) and of
    the ``n`` that change least."""
    wide = _class_by_coverage(per_class[per_class["model"] == model])
    ranked = changes.assign(size=changes["drop"].abs()).sort_values("size", ascending=False, kind="stable")
    n = max(1, min(n, len(ranked) // 2))
    groups = (("Largest-change", ranked.head(n)), ("Most stable", ranked.tail(n).iloc[::-1]))
    fig = Figure(figsize=(11, 4.4), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    for ax, (title, rows) in zip(axes, groups):
        for cls, drop in zip(rows["class"], rows["drop"]):
            ax.plot(wide.columns, wide.loc[cls], marker="o", label=f"{cls} ({drop:+.2f})")
        ax.set_title(f"{title} classes (accuracy at 100 % minus at 25 %)")
        ax.set_xlabel(COVERAGE_LABEL)
        ax.set_xticks(list(wide.columns))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    axes[0].set_ylabel("Per-class accuracy (mean over strides)")
    fig.suptitle(f"{model}: representative classes")
    return fig


def class_change_hist(changes: pd.DataFrame, model: str, thresholds: tuple[float, float] = TIER_THRESHOLDS) -> Figure:
    """Histogram of per-class changes from 100 % to 25 % coverage, with the tier thresholds on both sides."""
    fig = Figure(figsize=(6.4, 4.4), layout="constrained")
    ax = fig.add_subplot()
    drops = changes["drop"].to_numpy(float)
    ax.hist(drops, bins=min(30, max(5, len(drops) // 3)), color="tab:blue", alpha=0.8, edgecolor="white")
    counts = changes["tier"].value_counts()
    for sign in (-1, 1):
        ax.axvline(sign * thresholds[0], color="tab:green", linestyle="--",
                   label=f"stable within +-{thresholds[0]:g}" if sign > 0 else None)  # fmt: skip
        ax.axvline(sign * thresholds[1], color="tab:red", linestyle="--",
                   label=f"large beyond +-{thresholds[1]:g}" if sign > 0 else None)  # fmt: skip
    ax.axvline(float(np.mean(drops)), color="black", linestyle=":", label=f"mean {np.mean(drops):+.3f}")
    tiers = ", ".join(f"{counts.get(t, 0)} {t}" for t in TIERS)
    ax.set_title(f"{model}: per-class change, 100 % -> 25 % coverage ({tiers})", fontsize=10)
    ax.set_xlabel("Accuracy at 100 % minus at 25 % coverage (mean over strides; positive: lost at 25 %)")
    ax.set_ylabel("Classes")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=8)
    return fig


# ---------------------------------------------------------------------------------------------------------------
# Across models
# ---------------------------------------------------------------------------------------------------------------
def comparison_accuracy_vs_coverage(accuracy: pd.DataFrame) -> Figure:
    """One panel per stride, one line per model (95 % bands), shared y axis."""
    strides = sorted(accuracy["stride"].unique())
    fig = Figure(figsize=(3.2 * len(strides) + 1, 3.8), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(strides), sharey=True))
    for ax, stride in zip(axes, strides):
        for model, mdf in accuracy[accuracy["stride"] == stride].groupby("model", sort=False):
            mdf = mdf.sort_values("coverage")
            low, high = _interval(mdf)
            (line,) = ax.plot(mdf["coverage"], mdf["accuracy"], marker="o", markersize=4, label=model)
            ax.fill_between(mdf["coverage"], low, high, color=line.get_color(), alpha=0.15, linewidth=0)
        ax.set_title(f"stride {stride}")
        ax.set_xlabel(COVERAGE_LABEL, fontsize=8)
        ax.set_xticks(sorted(accuracy["coverage"].unique()))
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(ACCURACY_LABEL)
    axes[-1].legend(fontsize=8)
    fig.suptitle("Accuracy vs coverage by stride, all models (95 % CI bands)")
    return fig


def comparison_heatmaps(results: pd.DataFrame) -> Figure:
    """One coverage x stride heatmap per model on one shared colour scale."""
    models = list(dict.fromkeys(results["model"]))
    fig = Figure(figsize=(4.2 * len(models) + 1, 4.2), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(models), sharey=True))
    norm = Normalize(results["accuracy"].min(), results["accuracy"].max())
    image = None
    for ax, model in zip(axes, models):
        image = _draw_heatmap(ax, design_grids(results[results["model"] == model])[0], norm)
        ax.set_title(model)
    for ax in axes[1:]:
        ax.set_ylabel("")
    fig.colorbar(image, ax=list(axes), label=f"{ACCURACY_LABEL} (shared scale)")
    fig.suptitle("Accuracy by coverage and stride")
    return fig


def critical_difference(mean_ranks: dict, p_values: pd.DataFrame, title: str, alpha: float = 0.05) -> Figure:
    """Critical-difference diagram (scikit-posthocs): mean ranks, bars join groups not significantly different."""
    import scikit_posthocs as sp

    fig = Figure(figsize=(7, 0.5 * len(mean_ranks) + 1.6), layout="constrained")
    ax = fig.add_subplot()
    sp.critical_difference_diagram(pd.Series(mean_ranks), p_values, ax=ax, alpha=alpha)
    fig.suptitle(f"{title}\nmean rank (1 = best); bars join groups not significantly different", fontsize=10)
    return fig


# ---------------------------------------------------------------------------------------------------------------
# The synthetic benchmark
# ---------------------------------------------------------------------------------------------------------------
def aliasing_collapse(
    predictions: pd.DataFrame,
    bins_per_half_cycle: int = 3,
    min_distinct: int = 3,
    excluded: Sequence[str] = (),
) -> Figure:
    """Direction accuracy against x = f * spacing / fps, binned over variants, one series per model, with the
    predicted curve (1 while 0 < frac(x) < 0.5, 0 otherwise) and the Nyquist line at x = 0.5. Bin edges fall on every
    multiple of 0.5, so no bin mixes both sides of a reversal. Models in ``excluded`` (left out of the Nyquist
    check) are drawn hollow and say so in the legend. Reads the within-video design's clips where there are
    some (:func:`~inforates.analysis.nyquist.design_rows`), as the check does."""
    table = aliasing_table(design_rows(predictions), min_distinct)
    fig = Figure(figsize=(7, 4.4), layout="constrained")
    ax = fig.add_subplot()
    x_max = max(1.0, float(np.ceil(table["x"].max() * 2) / 2)) if len(table) else 1.0
    edges = np.linspace(0, x_max, int(round(x_max * 2 * bins_per_half_cycle)) + 1)
    table = table.assign(bin=pd.cut(table["x"], edges, include_lowest=True, labels=False))
    n_models, width = table["model"].nunique(), edges[1] - edges[0]
    for k, (model, rows) in enumerate(table.groupby("model", sort=False)):
        binned = rows.groupby("bin")["direction_correct"].agg(["sum", "size"])
        offset = (k - (n_models - 1) / 2) * width * 0.12  # side by side within a bin
        centres = (edges[binned.index.astype(int)] + edges[binned.index.astype(int) + 1]) / 2 + offset
        acc = (binned["sum"] / binned["size"]).to_numpy()
        ci = np.array([wilson_interval(int(s), int(n)) for s, n in zip(binned["sum"], binned["size"])])
        left_out = model in excluded
        ax.errorbar(centres, acc, yerr=[acc - ci[:, 0], ci[:, 1] - acc], fmt="o", capsize=3,
                    markerfacecolor="none" if left_out else None, color=f"C{(k + 2) % 10}",
                    label=f"{model} ({len(rows)} clips{', left out of the check' if left_out else ''})")  # fmt: skip
    grid = np.linspace(0, x_max, 2000, endpoint=False)
    predicted = direction_visible(grid).astype(float)
    ax.plot(grid, predicted, color="tab:orange", linewidth=1.5, label="predicted: 1 if 0 < frac(x) < 0.5 else 0")
    ax.axvline(0.5, color="tab:red", linestyle="--", label="Nyquist limit x = 0.5")
    ax.set_xlabel("x = f * spacing / fps (cycles per sampled frame)")
    ax.set_ylabel("Direction accuracy (95 % CI)")
    ax.set_ylim(-0.05, 1.05)
    ax.set_title("Aliasing collapse: direction accuracy vs sampled motion frequency")
    ax.legend(fontsize=7.5, loc="upper right")
    ax.grid(alpha=0.3)
    return fig


def resolution_heatmap(table: pd.DataFrame, model: str, native_px: int) -> Figure:
    """Accuracy per spatial resolution (rows, px) and spacing between sampled frames (columns, frames), from
    :func:`~inforates.analysis.resolution.resolution_spacing_table`; the model's own input size is marked."""
    fig = Figure(figsize=(max(5.5, 0.9 * table.shape[1] + 3), 1.0 + 0.6 * table.shape[0] + 1.5), layout="constrained")
    ax = fig.add_subplot()
    values = table.to_numpy(float)
    norm = Normalize(np.nanmin(values), np.nanmax(values))
    image = ax.imshow(values, cmap=CMAP, norm=norm, aspect="auto")
    ax.set_xticks(range(table.shape[1]), [_fmt(s) for s in table.columns])
    ax.set_yticks(range(table.shape[0]), [f"{r} px" + (" (input)" if r == native_px else "") for r in table.index])
    ax.set_xlabel("Spacing between sampled frames (frames, each clip's median)")
    ax.set_ylabel("Spatial resolution")
    mid = (norm.vmin + norm.vmax) / 2
    for i in range(table.shape[0]):
        for j in range(table.shape[1]):
            if np.isfinite(values[i, j]):
                ax.text(j, i, f"{values[i, j]:.3f}", ha="center", va="center", fontsize=8,
                        color="black" if values[i, j] > mid else "white")  # fmt: skip
    fig.colorbar(image, ax=ax, label=ACCURACY_LABEL)
    ax.set_title(f"{model}: accuracy by spatial resolution and frame spacing")
    return fig
