"""Evaluate checkpoints over the sampling grid (coverage % x stride) with ``Trainer.predict``.

    # a checkpoint on a videofolder's test split, default 5 x 5 grid -> OUT/eval/<checkpoint name>/
    inforates evaluate --model_name_or_path outputs/demo/videomae --dataset_dir data/videos --output_dir OUT
    # a recipe: its trained output_dir (or --checkpoints NAME=PATH ...), results in <eval_output_dir>/<name>/
    inforates evaluate --config recipes/demo/videomae.yaml --max_eval_videos 50
    accelerate launch --multi_gpu --num_processes 2 -m inforates.evaluate --config recipes/demo/videomae.yaml

Each video is decoded once for all variants. Results are written per shard of videos: the same command resumes
a killed run. A finished folder is kept unless ``--overwrite``. Outputs: predictions.parquet, results.csv,
per_class.csv, skipped.csv, run.json (docs/evaluation.md).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import transformers
from accelerate import PartialState

from .configs import parse_recipe
from .evaluation.checkpoints import resolve_checkpoints
from .evaluation.runner import evaluate_checkpoint
from .evaluation.videos import load_eval_videos


logger = logging.getLogger(__name__)


def eval_root(recipe) -> Path:
    """``eval_output_dir``, else ``<output_dir>/eval``."""
    return Path(recipe.evaluation.eval_output_dir or Path(recipe.training.output_dir) / "eval")


def main(argv: list[str] | None = None) -> int:
    """``inforates evaluate [--config recipe.yaml] [--field value ...]``: every checkpoint over the grid; results
    in ``<eval_output_dir or output_dir/eval>/<name>/`` (printed). Returns 0; bad values raise ``RecipeError``."""
    argv = sys.argv[1:] if argv is None else list(argv)
    recipe = parse_recipe(argv, prog="inforates evaluate")
    args, evaluation = recipe.training, recipe.evaluation
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=args.get_process_log_level())
    transformers.utils.logging.set_verbosity(args.get_process_log_level())
    state = PartialState()

    checkpoints = resolve_checkpoints(evaluation.checkpoints, args.output_dir, recipe.model.model_name_or_path)
    variants = recipe.sampling.grid()
    with args.main_process_first(desc="loading the evaluation split"):
        videos = load_eval_videos(
            recipe.data, evaluation.eval_split, evaluation.max_eval_videos, args.seed, evaluation.segment_frames
        )
    if state.is_main_process:
        print(
            f"evaluating {len(checkpoints)} checkpoint(s) on {len(videos)} {evaluation.eval_split} "
            f"{'videos' if videos.segment_frames is None else videos.protocol} "
            f"x {len(variants)} variants -> {eval_root(recipe)}/"
        )

    for checkpoint in checkpoints:
        out_dir = eval_root(recipe) / checkpoint.name
        status = evaluate_checkpoint(checkpoint, recipe, videos, variants, out_dir, command=argv)
        if state.is_main_process:
            note = "already complete (unchanged; --overwrite to redo)" if status == "complete" else "done"
            print(f"{checkpoint.name} ({checkpoint.path}): {note}: {out_dir}/results.csv")
    return 0


if __name__ == "__main__":
    from .cli import main as cli_main

    sys.exit(cli_main(["evaluate", *sys.argv[1:]]))
