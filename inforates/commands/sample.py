"""``inforates sample``: the frame indices and facts of one sampling variant (imports no torch).

inforates sample --frames 50 --coverage 25 --stride 2 --clip-len 8 --fps 25
inforates sample --frames 96 --sampler spacing_budget --spacing 4 --budget 8 --clip-len 8 --fps 24
"""

from __future__ import annotations

from .arguments import CommandParser


def main(argv: list[str] | None = None) -> int:
    """``inforates sample``: show exactly which frames a variant gives the model, and what that clip shows."""
    from ..sampling import ANCHORS, SAMPLERS, SPACING_UNITS, SamplingVariant, clip_facts

    parser = CommandParser(prog="inforates sample", description=main.__doc__)
    parser.add_argument("--frames", type=int, required=True, help="frames in the video")
    parser.add_argument("--coverage", type=float, default=100.0, help="coverage window, %% of the video")
    parser.add_argument("--stride", type=float, default=1, help="take every stride-th frame of the window")
    parser.add_argument("--spacing", type=float, default=None, help="spacing_budget: spacing of the distinct frames")
    parser.add_argument("--budget", type=int, default=None, help="spacing_budget: distinct frames in the clip")
    parser.add_argument("--spacing-unit", default="frames", choices=list(SPACING_UNITS), help="unit of stride/spacing")
    parser.add_argument("--clip-len", type=int, default=8, help="frames the model takes")
    parser.add_argument("--sampler", default="coverage_stride", choices=list(SAMPLERS))
    parser.add_argument("--anchor", default=None, choices=list(ANCHORS), help="default: the sampler's")
    parser.add_argument("--seed", type=int, default=0, help="seed for anchor=random")
    parser.add_argument("--fps", type=float, default=None, help="frame rate: spans in seconds, spacings in seconds")
    args = parser.parse_args(argv)
    import numpy as np

    step = args.spacing if args.spacing is not None else args.stride
    try:
        variant = SamplingVariant(args.coverage, step, args.sampler, args.anchor, args.budget, args.spacing_unit)
        variant.check(args.clip_len)
        indices = variant.indices(args.frames, args.clip_len, rng=np.random.default_rng(args.seed), fps=args.fps)
    except ValueError as err:
        parser.error(str(err))
    print(f"variant:         {variant.name} ({args.sampler}, anchor={variant.anchor})")
    if indices is None:
        span = (variant.budget - 1) * variant.stride_frames(args.fps) + 1
        print(f"too short:       a {args.frames}-frame video cannot hold this cell ({span} frames); evaluation "
              "leaves such videos out of the cell and counts them (too_short)")  # fmt: skip
        return 0
    facts = clip_facts(indices, args.fps)
    padded = (
        "" if facts.distinct_frames == args.clip_len else f" (padded: {args.clip_len - facts.distinct_frames} repeats)"
    )
    print(f"indices:         {' '.join(map(str, indices.tolist()))}")
    if variant.needs_motion:
        print("                 (no video here, so no motion: equal steps of time; on a video, equal steps of its "
              "motion)")  # fmt: skip
    print(f"distinct frames: {facts.distinct_frames} of {args.clip_len}{padded}")
    print(f"span:            {facts.span_frames} frames", end="")
    print(f" = {facts.span_seconds:.3f} s at {args.fps:g} fps" if args.fps else "")
    print(f"median spacing:  {facts.median_spacing:g} frames", end="")
    print(f" = {facts.median_spacing / args.fps:.3f} s" if args.fps and facts.distinct_frames > 1 else "")
    return 0
