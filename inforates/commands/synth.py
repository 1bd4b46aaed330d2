"""``inforates synth``: write the rotating-shape aliasing benchmark to a folder, and a picture of a few frames.

    inforates synth --out data/synthetic            # the default benchmark (6 classes, ~600 short MP4s)
    inforates synth --out data/synth_small --scale 0.25 --frames 64 --fps 30

The benchmark itself (parameters, rendering, the folder, the preview picture) is ``inforates.data.synthetic``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from ..aliasing import aliasing_x
from ..data.synthetic import MANIFEST_NAME, METADATA_NAME, SPLITS, TASKS, SynthParams, generate_synthetic, read_params
from ..errors import RecipeError
from .arguments import CommandParser


def make_parser() -> CommandParser:
    defaults = SynthParams()
    parser = CommandParser(prog="inforates synth", description="Generate the rotating-shape benchmark.")
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
    args = make_parser().parse_args(argv)
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
        raise RecipeError(str(err)) from None
    print(_summary(root, read_params(root), time.perf_counter() - start))
    return 0
