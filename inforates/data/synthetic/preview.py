"""A picture of a few frames of the benchmark (docs/img/synthetic_frames.png), written by ``inforates synth``."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np

from ...aliasing import aliasing_x
from .params import SynthParams, draw_video
from .render import render


def save_preview(png_path: str | os.PathLike, params: SynthParams | None = None, clip_len: int = 8, dpi: int = 100):
    """Write a PNG: one row per class showing ``clip_len`` consecutive frames (spacing 1, the densest cell), and a
    last row with a clockwise video at spacing 4 whose turn of 0.8 revolutions per step appears as 0.2 the other
    way (uncompressed).

    save_preview("docs/img/synthetic_frames.png")
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    from ...sampling import spacing_budget_indices

    params = params or SynthParams()
    class_names = params.class_names
    dense = spacing_budget_indices(params.num_frames, 1, clip_len, clip_len)
    rows = []
    for class_name in class_names:
        video = draw_video(params, "train", class_name, 0)
        x = float(aliasing_x(video.f_hz, 1, params.fps))
        rows.append((render(video, params)[dense], f"{class_name}\nf={video.f_hz:.2f} Hz, x={x:.2f}"))
    spacing = 4
    first = class_names[0]
    aliased = dataclasses.replace(draw_video(params, "train", first, 1), f_hz=0.8 * params.fps / spacing)
    sparse = spacing_budget_indices(params.num_frames, spacing, clip_len, clip_len)
    label = f"{first}, spacing {spacing}\nf={aliased.f_hz:.2f} Hz, x=0.80\n(appears reversed)"
    rows.append((render(aliased, params)[sparse], label))

    fig, axes = plt.subplots(len(rows), clip_len, figsize=(clip_len * 0.9 + 1.6, len(rows) * 0.95), squeeze=False)
    for r, (frames, text) in enumerate(rows):
        indices = dense if r < len(class_names) else sparse
        for c in range(clip_len):
            ax = axes[r, c]
            ax.imshow(frames[c].transpose(1, 2, 0), interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if r in (0, len(class_names)):
                ax.set_title(f"frame {indices[c]}", fontsize=6)
        axes[r, 0].set_ylabel(text, rotation=0, ha="right", va="center", fontsize=6)
    fig.tight_layout(pad=0.3)
    fig.set_dpi(dpi)
    fig.canvas.draw()
    image = Image.fromarray(np.asarray(fig.canvas.buffer_rgba())[..., :3])
    plt.close(fig)
    Path(png_path).parent.mkdir(parents=True, exist_ok=True)
    image.quantize(colors=256).save(png_path, optimize=True)  # a palette PNG: a third of the bytes
    return Path(png_path)
