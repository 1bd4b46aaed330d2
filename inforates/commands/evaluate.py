"""``inforates evaluate``: checkpoints over the sampling grid (coverage % x stride, or any recipe's designs).

    # a checkpoint on a videofolder's test split, default 5 x 5 grid -> OUT/eval/<checkpoint name>/
    inforates evaluate --model_name_or_path outputs/demo/videomae --dataset_dir data/videos --output_dir OUT
    # a recipe: its trained output_dir (or --checkpoints NAME=PATH ...), results in <eval_output_dir>/<name>/
    inforates evaluate --config recipes/demo/videomae.yaml --max_eval_videos 50
    accelerate launch --multi_gpu --num_processes 2 -m inforates.evaluate --config recipes/demo/videomae.yaml

Parsing only: :func:`inforates.evaluation.run.evaluate` does the work (docs/evaluation.md); with ``report_to``
each evaluation it runs is logged to the trackers (:mod:`inforates.analysis.tracking`).
"""

from __future__ import annotations

import sys

from ..configs import parse_recipe


def main(argv: list[str] | None = None) -> int:
    from ..analysis.tracking import evaluation_logger
    from ..evaluation.run import evaluate

    argv = sys.argv[1:] if argv is None else list(argv)
    recipe = parse_recipe(argv, prog="inforates evaluate")
    evaluate(recipe, command=argv, on_evaluated=evaluation_logger(recipe))
    return 0
