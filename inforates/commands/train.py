"""``inforates train``: fine-tune a video model from a recipe.

    # one process (CPU, or one GPU)
    inforates train --config recipes/demo/videomae.yaml

    # several GPUs (num_processes = GPUs); any recipe key can be overridden on the command line
    accelerate launch --config_file accelerate_configs/ddp.yaml --num_processes 8 -m inforates.train \\
        --config recipes/videomae/ucf101.yaml --learning_rate 5e-5

Parsing only: :func:`inforates.training.run.train` does the work (docs/training.md).
"""

from __future__ import annotations

from ..configs import parse_recipe


def main(argv: list[str] | None = None) -> int:
    from ..training.run import train

    train(parse_recipe(argv, prog="inforates train"))
    return 0
