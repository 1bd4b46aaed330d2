"""The ``inforates`` command: one subcommand per stage of the pipeline.

    inforates sample --frames 50 --coverage 25 --stride 2 --clip-len 8 --fps 25
    inforates synth --out data/synthetic
    inforates train --config recipes/demo/videomae.yaml
    inforates evaluate --config recipes/demo/videomae.yaml
    inforates compare --runs outputs/demo/eval --out outputs/demo/compare
    inforates demo
    inforates doctor --config recipes/videomae/ucf101.yaml

Each subcommand lives in its own module with ``main(argv) -> int``; this file only dispatches (lazily, so that
``inforates sample`` does not import torch).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .errors import USER_OS_ERRORS, InforatesError, describe_os_error


# name -> (module with main(argv), one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "sample": ("inforates.cli", "print the frame indices and facts of one sampling variant"),
    "synth": ("inforates.synth", "generate the synthetic rotating-shape aliasing benchmark"),
    "train": ("inforates.train", "fine-tune a video model from a recipe"),
    "evaluate": ("inforates.evaluate", "evaluate checkpoints over the sampling grid"),
    "compare": ("inforates.compare", "statistics, plots and a report across evaluation runs"),
    "demo": ("inforates.demo", "the whole pipeline on the synthetic benchmark, CPU-sized"),
    "study": ("inforates.study", "train, evaluate and compare several recipes in one command"),
    "pretrain-demo": ("inforates.pretrain_demo", "pretrain the demo's tiny checkpoints on another synthetic task"),
    "doctor": ("inforates.doctor", "check this machine (and a recipe) before a long run"),
}


def sample_main(argv: list[str] | None = None) -> int:
    """``inforates sample``: show exactly which frames a variant gives the model, and what that clip shows."""
    from .sampling import ANCHORS, SAMPLERS, SPACING_UNITS, SamplingVariant, clip_facts

    parser = argparse.ArgumentParser(prog="inforates sample", description=sample_main.__doc__)
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
    print(f"distinct frames: {facts.distinct_frames} of {args.clip_len}{padded}")
    print(f"span:            {facts.span_frames} frames", end="")
    print(f" = {facts.span_seconds:.3f} s at {args.fps:g} fps" if args.fps else "")
    print(f"median spacing:  {facts.median_spacing:g} frames", end="")
    print(f" = {facts.median_spacing / args.fps:.3f} s" if args.fps and facts.distinct_frames > 1 else "")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        lines = [f"  {name:<13} {help_}" for name, (_, help_) in COMMANDS.items()]
        print("usage: inforates <command> [options]   (inforates <command> --help for its options)\n")
        print("commands:\n" + "\n".join(lines))
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"inforates: unknown command {name!r}; commands: {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    if name == "sample":
        return sample_main(rest)
    module_name = COMMANDS[name][0]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name != module_name:
            raise
        print(f"inforates {name} is not available in this version", file=sys.stderr)
        return 2
    try:
        return int(module.main(rest) or 0)
    except InforatesError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # an unwritable folder, a full disk: the user's to fix, named in one line
        if err.errno not in USER_OS_ERRORS:
            raise
        print(f"error: {describe_os_error(err)}; check the folder's permissions and free space", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
