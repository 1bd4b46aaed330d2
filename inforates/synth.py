"""``inforates synth``: write the rotating-shape aliasing benchmark to a folder, and a picture of a few frames.

    inforates synth --out data/synthetic            # the default benchmark (6 classes, ~600 short MP4s)
    inforates synth --out data/synth_small --scale 0.25 --frames 64 --fps 30

The benchmark itself (parameters, rendering, the folder) is ``inforates.data.synthetic``.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .aliasing import aliasing_x
from .data.synthetic import (
    MANIFEST_NAME,
    METADATA_NAME,
    SPLITS,
    TASKS,
    SynthParams,
    draw_video,
    generate_synthetic,
    read_params,
    render,
)


logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------------------------
# A picture of a few frames (docs/img/synthetic_frames.png)
# ---------------------------------------------------------------------------------------------------------------
def save_preview(png_path: str | os.PathLike, params: SynthParams | None = None, clip_len: int = 8, dpi: int = 100):
    """Write a PNG: one row per class showing ``clip_len`` consecutive frames (spacing 1, the densest cell), and a
    last row with a clockwise video at spacing 4 whose turn of 0.8 revolutions per step appears as 0.2 the other
    way (uncompressed).

    >>> save_preview("docs/img/synthetic_frames.png")
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    from .sampling import spacing_budget_indices

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


# ---------------------------------------------------------------------------------------------------------------
# inforates synth
# ---------------------------------------------------------------------------------------------------------------
def _parser() -> argparse.ArgumentParser:
    defaults = SynthParams()
    parser = argparse.ArgumentParser(prog="inforates synth", description="Generate the rotating-shape benchmark.")
    parser.add_argument("--out", required=True, help="output folder (new, empty, or holding this benchmark)")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--scale", type=float, default=defaults.scale, help="multiplies the videos per class")
    parser.add_argument("--frames", type=int, default=defaults.num_frames, help="frames per video")
    parser.add_argument("--fps", type=float, default=defaults.fps, help="frame rate")
    parser.add_argument("--size", type=int, default=defaults.size, help="frame width and height in pixels")
    parser.add_argument("--f-min", type=float, default=defaults.f_range[0], help="lowest rotation frequency (rev/s)")
    parser.add_argument("--f-max", type=float, default=defaults.f_range[1], help="highest rotation frequency (rev/s)")
    parser.add_argument("--f-distribution", default=defaults.f_distribution, choices=["loguniform", "uniform"])
    for split in SPLITS:
        count = defaults.videos_per_class[split]
        parser.add_argument(f"--{split}", type=int, default=count, help=f"{split} videos per class at scale 1")
    parser.add_argument("--noise", type=float, default=defaults.noise_std, help="per-frame noise std (0-255)")
    parser.add_argument("--task", default=defaults.task, choices=list(TASKS), help="aliasing (the demo's) or pretrain")
    parser.add_argument("--overwrite", action="store_true", help="replace a benchmark generated with other parameters")
    return parser


def _summary(root: Path, params: SynthParams, seconds: float) -> str:
    counts, names = params.counts(), params.class_names
    total = sum(counts.values()) * len(names)
    per_split = ", ".join(f"{split} {n * len(names)}" for split, n in counts.items())
    lo, hi = (float(aliasing_x(f, 1, params.fps)) for f in params.f_range)
    return "\n".join(
        [
            f"{root}: {params.task} task, {total} videos ({per_split}), {len(names)} classes: {', '.join(names)}",
            f"  {params.num_frames} frames at {params.fps:g} fps, {params.size}x{params.size} px, "
            f"f in [{params.f_range[0]:g}, {params.f_range[1]:g}] rev/s ({params.f_distribution}), seed {params.seed}",
            f"  x = f*delta/fps, revolutions between consecutive frames (delta 1): {lo:.3f} to {hi:.3f}",
            f"  metadata: {root / METADATA_NAME}; parameters: {root / MANIFEST_NAME}; took {seconds:.1f} s",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``inforates synth --out DIR [--seed N] [--scale S] [--frames N] [--fps F] [--size PX] ...``"""
    args = _parser().parse_args(argv)
    start = time.perf_counter()
    try:
        root = generate_synthetic(
            args.out,
            seed=args.seed,
            scale=args.scale,
            num_frames=args.frames,
            fps=args.fps,
            size=args.size,
            f_range=(args.f_min, args.f_max),
            f_distribution=args.f_distribution,
            videos_per_class={split: getattr(args, split) for split in SPLITS},
            noise_std=args.noise,
            task=args.task,
            overwrite=args.overwrite,
        )
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(_summary(root, read_params(root), time.perf_counter() - start))
    return 0


if __name__ == "__main__":
    sys.exit(main())
