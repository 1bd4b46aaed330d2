"""Matched evidence: does stride still matter once every clip has the model's full number of distinct frames?

A clip is *padded* when it has fewer distinct frames than the model's input length (``clip_len``): a large
stride runs out of candidates and repeats frames. Comparing strides over all clips then mixes the effect of the
stride with that of padding (the 2025 study's stride 1 -> 16 drop of ~10.7 points was ~-0.5 among clips that
never padded). ``matched_evidence`` puts the two contrasts side by side at every coverage: the *padded* one
(smallest vs largest stride of the grid, every clip, as the 2025 study read it) and the *matched* one (smallest vs
largest stride that keeps enough videos unpadded, on those videos only).

    >>> cells = pd.DataFrame({"video_id": ["a", "b", "a", "b"], "stride": [1, 1, 4, 4], "correct": [1, 1, 1, 0],
    ...                       "cluster": ["a", "b", "a", "b"]})
    >>> paired_drop(cells, 1, 4, n_boot=0)["drop"]
    0.5
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..schema import primary_grid
from .accuracy import cluster_ids
from .attribution import clip_lengths
from .paired import mcnemar_counts
from .pvalues import chi2_p


MIN_VIDEOS = 10  # a stride joins the matched comparison while this many videos stay unpadded in every stride


def _drop_draws(small: np.ndarray, large: np.ndarray, clusters: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    """Cluster-bootstrap draws of mean(small) - mean(large) over paired videos (resampling whole clusters)."""
    codes, _ = pd.factorize(clusters)
    k = codes.max() + 1
    s, g, n = (np.bincount(codes, weights=w, minlength=k) for w in (small, large, np.ones(len(codes))))
    rng = np.random.default_rng(seed)
    weights = np.stack([np.bincount(rng.integers(0, k, k), minlength=k) for _ in range(n_boot)]).astype(float)
    return (weights @ s - weights @ g) / (weights @ n)


def paired_drop(cells: pd.DataFrame, small: int, large: int, n_boot: int = 1000, seed: int = 0) -> dict:
    """Accuracy at stride ``small`` minus at stride ``large`` on the videos present at both (``cells``: video_id,
    stride, correct, cluster), with a percentile cluster-bootstrap 95 % CI; positive = accuracy lost at the large
    stride."""
    wide = cells.pivot_table(index=["video_id", "cluster"], columns="stride", values="correct", aggfunc="first")
    wide = wide[[small, large]].dropna().astype(float)
    a, b = wide[small].to_numpy(), wide[large].to_numpy()
    out = {
        "n_videos": len(wide),
        "accuracy_small": float(a.mean()) if len(a) else math.nan,
        "accuracy_large": float(b.mean()) if len(b) else math.nan,
    }
    out["drop"] = out["accuracy_small"] - out["accuracy_large"]
    draws = _drop_draws(a, b, wide.index.get_level_values("cluster").to_numpy(), n_boot, seed) if n_boot else []
    low, high = np.quantile(draws, [0.025, 0.975]) if len(draws) else (math.nan, math.nan)
    return {**out, "drop_low": float(low), "drop_high": float(high)}


def _matched_strides(unpadded: pd.DataFrame, strides: list[int], min_videos: int) -> tuple[list[int], set]:
    """Strides from the smallest up, while at least ``min_videos`` videos stay unpadded in all of them."""
    by_stride = {s: set(unpadded.loc[unpadded["stride"] == s, "video_id"]) for s in strides}
    chosen, common = [], None
    for stride in strides:
        both = by_stride[stride] if common is None else common & by_stride[stride]
        if len(both) < min_videos:
            break
        chosen, common = [*chosen, stride], both
    return chosen, common or set()


def _mcnemar(matrix: np.ndarray) -> dict:
    """McNemar between the first and the last column of a videos x strides 0/1 matrix."""
    b = int(((matrix[:, 0] == 1) & (matrix[:, -1] == 0)).sum())
    c = int(((matrix[:, 0] == 0) & (matrix[:, -1] == 1)).sum())
    mc = mcnemar_counts(np.array([b]), np.array([c])).iloc[0]
    return {
        "b": b,
        "c": c,
        "test": mc["test"],
        "statistic": float(mc["statistic"]),
        "p_value": float(mc["p_value"]),
        "log10_p": float(mc["log10_p"]),
    }


def _prefixed(prefix: str, record: dict) -> dict:
    return {f"{prefix}{key}": value for key, value in record.items()}


def _padded_contrast(cell: pd.DataFrame, small: int, large: int, n_boot: int, seed: int) -> dict:
    """The smallest vs the largest stride of the grid over every clip (padded or not), on the videos scored at
    both: the drop with its CI, McNemar, and the share of the large stride's clips that pad."""
    drop = paired_drop(cell, small, large, n_boot, seed)
    wide = cell.pivot_table(index="video_id", columns="stride", values="correct", aggfunc="first")
    test = _mcnemar(wide[[small, large]].dropna().to_numpy(int))
    share = float(cell.loc[cell["stride"] == large, "padded"].mean())
    return {
        "stride_small": int(small),
        "stride_large": int(large),
        **drop,
        "padded_share_large": share,
        **_prefixed("mcnemar_", test),
    }


def matched_evidence(predictions: pd.DataFrame, n_boot: int = 1000, seed: int = 0, min_videos: int = MIN_VIDEOS):
    """Per coverage of one model's coverage x stride grid (and ``clip_len``), two contrasts of accuracy at a small
    minus a large stride on the same videos (positive = accuracy lost at the large stride), each with a
    cluster-bootstrap CI and McNemar:

    - *padded* (``padded_*``): the grid's smallest vs largest stride over every clip, with the share of the large
      stride's clips that pad -- the 2025 study's reading;
    - *matched* (``matched_*``): among clips with no padding (distinct_frames == clip_len), the strides from the
      smallest up that keep ``min_videos`` videos unpadded in all of them, smallest vs largest of those on those
      videos, with Cochran's Q over their cells. NaN where fewer than two strides qualify (``matched_skipped``).

    Returns ``(json, table)``: ``comparisons`` (one record per coverage) and the table ``matched_evidence.csv``."""
    from statsmodels.stats.contingency_tables import cochrans_q

    grid = primary_grid(predictions)
    clip_len = clip_lengths(grid)
    cells = pd.DataFrame(
        {
            "video_id": grid["video_id"].astype(str).to_numpy(),
            "coverage": grid["coverage"].to_numpy(),
            "stride": grid["stride"].astype(int).to_numpy(),
            "correct": grid["correct"].astype(int).to_numpy(),
            "cluster": cluster_ids(grid).to_numpy(),
            "clip_len": clip_len.to_numpy(),
            "padded": (grid["distinct_frames"] < clip_len).to_numpy(),
        }
    )
    several = cells["clip_len"].nunique() > 1
    rows = []
    for (clip_len, coverage), cell in cells.groupby(["clip_len", "coverage"], sort=True):
        strides = sorted(cell["stride"].unique())
        if len(strides) < 2:
            continue
        row = {"clip_len": int(clip_len), "coverage": float(coverage), "strides_in_grid": " ".join(map(str, strides))}
        row.update(_prefixed("padded_", _padded_contrast(cell, strides[0], strides[-1], n_boot, seed)))
        chosen, videos = _matched_strides(cell[~cell["padded"]], strides, min_videos)
        if len(chosen) < 2:
            row["matched_skipped"] = (
                f"fewer than two strides keep {min_videos} videos unpadded ({clip_len} distinct frames)"
            )
            rows.append(row)
            continue
        small, large = chosen[0], chosen[-1]
        matched = cell[cell["video_id"].isin(videos) & cell["stride"].isin(chosen) & ~cell["padded"]]
        matrix = matched.pivot_table(index="video_id", columns="stride", values="correct", aggfunc="first")
        matrix = matrix[chosen].dropna().to_numpy(int)
        with np.errstate(divide="ignore", invalid="ignore"):
            q = cochrans_q(matrix)
        q_p, q_log10 = chi2_p(q.statistic, q.df)
        drop = paired_drop(matched, small, large, n_boot, seed)
        row.update(
            matched_skipped="",
            matched_strides=" ".join(map(str, chosen)),
            matched_stride_small=int(small),
            matched_stride_large=int(large),
            **_prefixed("matched_", drop),
            **_prefixed("matched_mcnemar_", _mcnemar(matrix)),
            matched_cochran_q=float(q.statistic),
            matched_cochran_df=int(q.df),
            matched_cochran_p=q_p,
            matched_cochran_log10_p=q_log10,
        )
        rows.append(row)
    for row in rows:
        row["label"] = f"{row['coverage']:g}" + (f"/clip_len {row['clip_len']}" if several else "")
    return {"min_videos": min_videos, "comparisons": rows}, pd.DataFrame(rows)
