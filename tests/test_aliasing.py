"""The aliasing rule lives in one module, and the benchmark, the statistics and the plot agree with it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from inforates.aliasing import aliasing_x, direction_of, direction_visible, frac


def test_visible_iff_strictly_between_zero_and_half_a_turn():
    x = np.array([0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 2.5])
    assert direction_visible(x).tolist() == [False, True, False, False, False, True, False]
    assert frac(1.25) == 0.25 and aliasing_x(2.0, 3, 24.0) == 0.25


def test_direction_of_reads_only_the_synthetic_suffixes():
    assert direction_of(["dot_cw", "bar_ccw", "triangle_cw", "walk", "cw"]).tolist() == ["cw", "ccw", "cw", "", "cw"]


def test_stats_and_plot_use_the_rule():
    from inforates.analysis import nyquist
    from inforates.analysis.plots import aliasing_collapse

    rows = pd.DataFrame(
        {
            "model": "m",
            "video_id": ["a", "b", "c"],
            "f_hz": [1.0, 1.0, 2.0],
            "median_spacing": [6.0, 24.0, 9.0],  # x = 0.25, 1.0, 0.75
            "fps": 24.0,
            "distinct_frames": 8,
            "class_name": ["dot_cw"] * 3,
            "pred_class": ["dot_cw", "dot_ccw", "dot_ccw"],
        }
    )
    table = nyquist.aliasing_table(rows)
    assert table["frac_x"].tolist() == [0.25, 0.0, 0.75]
    assert table["direction_correct"].tolist() == [True, False, False]
    fig = aliasing_collapse(rows)
    line = next(line for line in fig.axes[0].get_lines() if line.get_label().startswith("predicted"))
    xs, ys = line.get_data()
    assert ys[np.argmin(np.abs(xs - 1.0))] == 0.0 and ys[np.argmin(np.abs(xs - 0.25))] == 1.0
    assert (ys == direction_visible(xs)).all()
