"""The evaluation stage as one call: every checkpoint of a parsed recipe over its sampling grid.

    from inforates.configs import parse_recipe
    from inforates.evaluation.run import evaluate
    folders = evaluate(parse_recipe(["--config", "recipes/demo/videomae.yaml"]))

Each video is decoded once for all variants and predicted through ``Trainer.predict``. Results are written per
shard of videos: the same call resumes a killed run. A finished folder is kept unless ``overwrite``. Outputs:
predictions.parquet, results.csv, per_class.csv, skipped.csv, run.json (docs/evaluation.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import transformers
from accelerate import PartialState

from ..bandwidth.run import BANDWIDTH_FILE
from ..configs import Recipe
from ..errors import RecipeError
from .checkpoints import resolve_checkpoints
from .runner import evaluate_checkpoint
from .videos import attach_bandwidth, load_eval_videos


logger = logging.getLogger(__name__)


def eval_root(recipe: Recipe) -> Path:
    """``eval_output_dir``, else ``<output_dir>/eval``."""
    return Path(recipe.evaluation.eval_output_dir or Path(recipe.training.output_dir) / "eval")


def evaluate(
    recipe: Recipe, command: Sequence[str] = (), on_evaluated: Callable[[Path, int], None] | None = None
) -> list[Path]:
    """Every checkpoint of ``recipe`` over its grid; results in ``<eval_root>/<name>/`` (printed, and returned in
    checkpoint order). ``command`` is recorded in each ``run.json``; ``on_evaluated(folder, checkpoints)`` is called
    on the main process for each folder evaluated by this call (not one found complete). Bad values raise
    ``RecipeError``."""
    args, evaluation = recipe.training, recipe.evaluation
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=args.get_process_log_level())
    transformers.utils.logging.set_verbosity(args.get_process_log_level())
    state = PartialState()

    checkpoints = resolve_checkpoints(evaluation.checkpoints, args.output_dir, recipe.model.model_name_or_path)
    variants = recipe.sampling.grid()
    if evaluation.views > 1 and any(v.prefilter != "none" or v.resolution is not None or v.needs_motion
                                    for v in variants):  # fmt: skip
        raise RecipeError("prefilter/eval_prefilters/eval_resolutions/motion_uniform: a prefiltered, resized or "
                          "motion-guided cell is evaluated with one view; set test_clips and test_crops to 1, or "
                          "evaluate them in a run of their own")  # fmt: skip
    with args.main_process_first(desc="loading the evaluation split"):
        videos = load_eval_videos(
            recipe.data, evaluation.eval_split, evaluation.max_eval_videos, args.seed, evaluation.segment_frames
        )
    bandwidth = evaluation.bandwidth_file or Path(args.output_dir) / BANDWIDTH_FILE
    if evaluation.bandwidth_file or Path(bandwidth).is_file():
        videos = attach_bandwidth(videos, bandwidth)
    if state.is_main_process:
        print(
            f"evaluating {len(checkpoints)} checkpoint(s) on {len(videos)} {evaluation.eval_split} "
            f"{'videos' if videos.segment_frames is None else videos.protocol} "
            f"x {len(variants)} variants -> {eval_root(recipe)}/"
        )

    folders = []
    for checkpoint in checkpoints:
        out_dir = eval_root(recipe) / checkpoint.name
        status = evaluate_checkpoint(checkpoint, recipe, videos, variants, out_dir, command=command)
        if state.is_main_process:
            note = "already complete (unchanged; --overwrite to redo)" if status == "complete" else "done"
            print(f"{checkpoint.name} ({checkpoint.path}): {note}: {out_dir}/results.csv")
            if on_evaluated is not None and status != "complete":
                on_evaluated(out_dir, len(checkpoints))
        folders.append(out_dir)
    return folders
