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
    "doctor": ("inforates.doctor", "check this machine (and a recipe) before a long run"),
}


def sample_main(argv: list[str] | None = None) -> int:
    """``inforates sample``: show exactly which frames a variant gives the model."""
    from .sampling import SAMPLERS, SamplingVariant, clip_facts

    parser = argparse.ArgumentParser(prog="inforates sample", description=sample_main.__doc__)
    parser.add_argument("--frames", type=int, required=True, help="frames in the video")
    parser.add_argument("--coverage", type=float, default=100.0, help="coverage window, %% of the video")
    parser.add_argument("--stride", type=int, default=1, help="take every stride-th frame of the window")
    parser.add_argument("--clip-len", type=int, default=8, help="frames the model takes")
    parser.add_argument("--sampler", default="coverage_stride", choices=list(SAMPLERS))
    parser.add_argument("--anchor", default="start", choices=["start", "center", "end", "random"])
    parser.add_argument("--seed", type=int, default=0, help="seed for anchor=random")
    parser.add_argument("--fps", type=float, default=None, help="frame rate, for the span in seconds")
    args = parser.parse_args(argv)
    import numpy as np

    try:
        variant = SamplingVariant(args.coverage, args.stride, args.sampler, args.anchor)
        indices = variant.indices(args.frames, args.clip_len, rng=np.random.default_rng(args.seed))
    except ValueError as err:
        parser.error(str(err))
    facts = clip_facts(indices, args.fps)
    print(f"variant:         {variant.name} ({args.sampler}, anchor={args.anchor})")
    print(f"indices:         {' '.join(map(str, indices.tolist()))}")
    print(f"distinct frames: {facts.distinct_frames} of {args.clip_len}")
    print(f"span:            {facts.span_frames} frames", end="")
    print(f" = {facts.span_seconds:.3f} s at {args.fps:g} fps" if args.fps else "")
    print(f"median spacing:  {facts.median_spacing:g} frames")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        lines = [f"  {name:<9} {help_}" for name, (_, help_) in COMMANDS.items()]
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
