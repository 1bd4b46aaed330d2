"""Checks and settings before a training run starts: logging, launch set-up, CPU threads, model selection and
the training set's classes. Each raises ``RecipeError`` with one line for a set-up that would run as something
else.

    check_launch(recipe); check_model_selection(recipe); set_cpu_threads(recipe)
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import datasets
import transformers

from ..configs import Recipe
from ..errors import RecipeError
from ..trackers import current_group, requested_trackers, tracking_names
from .trainer import METRIC_NAMES


logger = logging.getLogger(__name__)


def setup_logging(recipe: Recipe) -> None:
    logging.basicConfig(
        format="%(asctime)s - %(levelname)s - %(name)s - %(message)s",
        datefmt="%Y-%m-%d %H:%M:%S",
        handlers=[logging.StreamHandler(sys.stdout)],
    )
    level = recipe.training.get_process_log_level()
    for name in ("inforates", __name__):
        logging.getLogger(name).setLevel(level)
    datasets.utils.logging.set_verbosity(level)
    transformers.utils.logging.set_verbosity(level)
    transformers.utils.logging.enable_explicit_format()


def set_up_trackers(recipe: Recipe) -> None:
    """The run's name and project as evaluation and comparison will use them (:func:`inforates.trackers.
    tracking_names`): ``run_name`` defaults to the model's name (``output_dir``'s), wandb's project is the recipe's
    ``project``, a study's group is wandb's. wandb writes ``./wandb`` in the working folder unless told otherwise: it
    goes to ``output_dir``."""
    args = recipe.training
    project, args.run_name = tracking_names(args, Path(args.output_dir).name)
    if "wandb" not in requested_trackers(args.report_to):
        return
    os.environ["WANDB_PROJECT"] = project
    if current_group() and "WANDB_RUN_GROUP" not in os.environ:
        os.environ["WANDB_RUN_GROUP"] = current_group()
    os.environ.setdefault("WANDB_DIR", str(Path(args.output_dir).resolve()))


def check_launch(recipe: Recipe) -> None:
    """Launch set-ups that would otherwise run silently as something else."""
    args = recipe.training
    if os.environ.get("ACCELERATE_USE_DEEPSPEED", "false").lower() == "true" and args.use_cpu:
        raise RecipeError(
            "use_cpu=True: DeepSpeed would be dropped silently; on a machine without GPUs launch DeepSpeed with "
            "--use_cpu false --ddp_backend gloo"
        )
    launched = int(os.environ.get("WORLD_SIZE", "1"))
    if launched > 1 and args.world_size != launched:
        raise RecipeError(
            f"launched as {launched} processes but the Trainer sees {args.world_size}: on a machine without GPUs "
            "set use_cpu: true (DDP over gloo)"
        )


def set_cpu_threads(recipe: Recipe) -> int | None:
    """Training on CPU: leave a core to each DataLoader worker. torch's intra-op threads and the decoding workers
    otherwise compete for the same cores (2 cores, 1 worker: a tiny model's step took twice as long). An explicit
    ``OMP_NUM_THREADS`` is left alone. Returns the thread count set, or None."""
    import torch

    args = recipe.training
    if "OMP_NUM_THREADS" in os.environ or (torch.cuda.is_available() and not args.use_cpu):
        return None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    per_process = cores // max(1, int(os.environ.get("LOCAL_WORLD_SIZE", "1")))
    threads = max(1, per_process - args.dataloader_num_workers)
    torch.set_num_threads(threads)
    logger.info(
        "CPU training: %d torch thread(s) per process, %d DataLoader worker(s)", threads, args.dataloader_num_workers
    )
    return threads


def check_model_selection(recipe: Recipe) -> None:
    """Model selection uses the validation split, never the split the sampling grid is evaluated on."""
    data, args = recipe.data, recipe.training
    if data.validation_split in (recipe.evaluation.eval_split, "test"):
        raise RecipeError(
            f"validation_split={data.validation_split!r}: model selection must not see the evaluation split "
            f"({recipe.evaluation.eval_split!r}); use a validation split"
        )
    if args.load_best_model_at_end:
        metric = (args.metric_for_best_model or "").removeprefix("eval_")
        if metric not in (*METRIC_NAMES, "loss"):
            raise RecipeError(
                f"metric_for_best_model={args.metric_for_best_model!r}: choose one of {', '.join(METRIC_NAMES)}, loss"
            )


def check_classes(dataset, data_args) -> list[str]:
    """The training split's class names; a classifier needs at least two classes among its videos."""
    train = dataset[data_args.train_split]
    class_names = train.features["label"].names
    present = sorted({class_names[i] for i in train.unique("label")})
    if len(present) < 2:
        found = ", ".join(present) or "none"
        where = data_args.dataset_dir or data_args.dataset_name or data_args.manifest_path
        raise RecipeError(
            f"{where}: the {data_args.train_split} split has {len(present)} class ({found}); a classifier needs at "
            "least 2. A videofolder is <dataset_dir>/train/<class>/*.mp4, one folder per class (docs/data.md)"
        )
    return class_names
