"""The confusion figure: two confusion matrices of one model side by side (its densest cell and the cell where its
accuracy drops most), each row normalised to the share of its true class's clips, on one colour scale. Read from
the matrices ``inforates compare`` writes (``confusion_<model>_<variant>.csv``), not from a model.

    dense = pd.read_csv("compare/confusion_videomae_d1_k8.csv", index_col=0)
    drop = pd.read_csv("compare/confusion_videomae_d9_k8.csv", index_col=0)
    fig = confusion_pair(dense, drop, "videomae", "d1_k8 (0.958)", "d9_k8 (0.333)")

Readable for many classes: each cell's count is written only up to :data:`ANNOTATE_MAX` classes, and at most
:data:`LABEL_MAX` class names label each axis (one in k beyond that).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.colors import Normalize
from matplotlib.figure import Figure


ANNOTATE_MAX = 12  # classes up to which every non-empty cell shows its count
LABEL_MAX = 40  # class names per axis at most
CMAP = "Blues"  # white where no clip went


def row_shares(matrix: pd.DataFrame) -> pd.DataFrame:
    """Each row divided by its sum (NaN for a true class without clips)."""
    totals = matrix.sum(axis=1)
    return matrix.div(totals.where(totals > 0), axis=0)


def _label_axes(ax, names: list[str]) -> None:
    n = len(names)
    step = math.ceil(n / LABEL_MAX)
    ticks = list(range(0, n, step))
    size = 8 if n <= 20 else 6 if n <= LABEL_MAX else 5
    ax.set_xticks(ticks, [names[i] for i in ticks], rotation=90, fontsize=size)
    ax.set_yticks(ticks, [names[i] for i in ticks], fontsize=size)
    every = "" if step == 1 else f" (1 in {step} named)"
    ax.set_xlabel(f"Predicted class{every}")
    ax.set_ylabel(f"True class{every}")


def confusion_pair(dense: pd.DataFrame, drop: pd.DataFrame, model: str, dense_title: str, drop_title: str) -> Figure:
    """``dense`` and ``drop`` (true class x predicted class counts, the same classes in the same order) side by side,
    normalised by row; the panels are titled ``dense_title`` and ``drop_title``."""
    names = [str(c) for c in dense.index]
    n = len(names)
    side = min(9.0, max(3.6, 0.11 * n + 2.4))
    fig = Figure(figsize=(2 * side + 1.4, side + 0.8), layout="constrained")
    axes = fig.subplots(1, 2)
    norm = Normalize(0.0, 1.0)
    for ax, matrix, title in ((axes[0], dense, dense_title), (axes[1], drop, drop_title)):
        shares = row_shares(matrix).to_numpy(float)
        image = ax.imshow(shares, cmap=CMAP, norm=norm, interpolation="nearest", aspect="equal")
        _label_axes(ax, names)
        ax.set_title(title, fontsize=10)
        if n <= ANNOTATE_MAX:
            counts = matrix.to_numpy()
            for i, j in zip(*np.nonzero(counts)):
                color = "white" if shares[i, j] > 0.5 else "black"
                ax.text(j, i, str(counts[i, j]), ha="center", va="center", color=color, fontsize=8)
    fig.colorbar(image, ax=list(axes), label="Share of the true class's clips", shrink=0.8)
    fig.suptitle(f"{model}: confusion matrices, normalised by row")
    return fig
