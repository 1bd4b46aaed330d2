"""The estimate against ground truth: ``bandwidth.csv`` beside the synthetic benchmark's true frequencies.

    python -m inforates.bandwidth.validation outputs/demo/bandwidth.csv data/synthetic docs/img/bandwidth_validation.png

prints one row per split (videos, Spearman's rho, median and 95th-percentile relative error, the share within 10 %)
and draws estimated against true frequency (log-log; the diagonal is a perfect estimate).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd


def against_truth(bandwidth: pd.DataFrame, metadata: pd.DataFrame) -> pd.DataFrame:
    """Per split (and ``all``): videos, Spearman's rho, median / 95th-percentile / largest relative error (%), and
    the share of videos within 10 %."""
    from scipy.stats import spearmanr

    both = bandwidth.merge(metadata[["video_id", "f_hz"]], on="video_id", suffixes=("", "_true")).dropna(
        subset=["f_hz", "f_hz_true"]
    )
    error = (both["f_hz"] - both["f_hz_true"]).abs() / both["f_hz_true"]
    rows = []
    for split, part in [*both.groupby("split", sort=False), ("all", both)]:
        e = error.loc[part.index]
        rows.append({
            "split": split, "videos": len(part), "spearman": spearmanr(part["f_hz"], part["f_hz_true"]).statistic,
            "median relative error (%)": 100 * e.median(), "95th percentile (%)": 100 * e.quantile(0.95),
            "largest (%)": 100 * e.max(), "within 10 % (share)": (e <= 0.1).mean(),
        })  # fmt: skip
    return pd.DataFrame(rows)


def draw(bandwidth: pd.DataFrame, metadata: pd.DataFrame, path: str | Path) -> Path:
    """Estimated against true frequency, one point per video, log-log."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FormatStrFormatter

    from ..analysis.plots import save_figure

    both = bandwidth.merge(metadata[["video_id", "f_hz"]], on="video_id", suffixes=("", "_true"))
    fig, ax = plt.subplots(figsize=(4.2, 4.0))
    ax.loglog(both["f_hz_true"], both["f_hz"], ".", alpha=0.5, ms=4)
    lo, hi = float(np.nanmin(both["f_hz_true"])) * 0.9, float(np.nanmax(both["f_hz_true"])) * 1.1
    ax.plot([lo, hi], [lo, hi], "k--", lw=0.8)
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(FormatStrFormatter("%g"))
        axis.set_minor_formatter(FormatStrFormatter("%g"))
    ax.set(xlabel="true frequency (Hz)", ylabel="estimated frequency (Hz)",
           title=f"inforates bandwidth, {len(both)} videos")  # fmt: skip
    path = Path(path)
    return save_figure(fig, path.with_suffix(""), [path.suffix.lstrip(".") or "png"])[0]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 3:
        print("usage: python -m inforates.bandwidth.validation BANDWIDTH_CSV BENCHMARK_DIR OUT.png", file=sys.stderr)
        return 2
    bandwidth = pd.read_csv(args[0], dtype={"video_id": str})
    metadata = pd.read_csv(Path(args[1]) / "metadata.csv", dtype={"video_id": str})
    from ..analysis.markdown import markdown_table

    print(markdown_table(against_truth(bandwidth, metadata)))
    print(f"figure: {draw(bandwidth, metadata, args[2])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
