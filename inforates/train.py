"""Fine-tune a video classifier from a recipe.

Usage:

    # one process (CPU, or one GPU)
    inforates train --config recipes/demo/videomae.yaml

    # several GPUs (num_processes = GPUs); any recipe key can be overridden on the command line
    accelerate launch --config_file accelerate_configs/ddp.yaml --num_processes 8 -m inforates.train \\
        --config recipes/videomae/ucf101.yaml --learning_rate 5e-5

The output folder gets the model (safetensors), its processor config, the resolved recipe (``recipe.yaml``),
``train_results.json``/``eval_results.json`` and a model card. A run resumes from the last checkpoint in its
``output_dir``; a folder holding a different run is refused unless ``--overwrite_output_dir true``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import shutil
import sys
from pathlib import Path

import datasets
import transformers
import yaml
from transformers import set_seed
from transformers.trainer_utils import get_last_checkpoint

from .configs import Recipe, RecipeError, parse_recipe
from .data.skips import SkipLog
from .data.sources import load_video_dataset, undecoded
from .errors import ensure_writable
from .files import write_json
from .hub import model_card, push_checkpoint
from .models import load_model_for_training
from .trainer import METRIC_NAMES, VideoTrainer, make_collators, make_compute_metrics


logger = logging.getLogger(__name__)

RUN_FILE = "inforates_train.json"  # fingerprint of the run that owns output_dir
# Training arguments that define a run (with every model, data and sampling argument); the others (output
# folders, logging, trackers, Hub, launch details) may change between an interrupted run and its resumption.
RUN_DEFINING_TRAINING_KEYS = (
    "seed", "data_seed", "num_train_epochs", "max_steps", "per_device_train_batch_size",
    "gradient_accumulation_steps", "learning_rate", "weight_decay", "adam_beta1", "adam_beta2", "adam_epsilon",
    "max_grad_norm", "lr_scheduler_type", "lr_scheduler_kwargs", "warmup_ratio", "warmup_steps", "optim",
    "label_smoothing_factor", "bf16", "fp16",
)  # fmt: skip


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


def keep_tracker_files_in_output_dir(recipe: Recipe) -> None:
    """wandb writes ``./wandb`` in the working folder unless told otherwise: keep it in ``output_dir``."""
    if "wandb" in (recipe.training.report_to or []) and "WANDB_DIR" not in os.environ:
        os.environ["WANDB_DIR"] = str(Path(recipe.training.output_dir).resolve())


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


def fingerprint(recipe: Recipe) -> str:
    """A hash of what defines the run: model, data and sampling arguments and the optimisation settings."""
    training = recipe.training.to_dict()
    identity = [dataclasses.asdict(args) for args in (recipe.model, recipe.data, recipe.sampling)]
    identity.append({key: training.get(key) for key in RUN_DEFINING_TRAINING_KEYS})
    return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:16]


# What a run writes into output_dir before its first checkpoint: a folder holding only these (or a claim of a run
# that failed before any checkpoint) is free for the corrected command, whatever recipe claimed it.
EARLY_FILES = {RUN_FILE, "skipped.spool.csv"}
FINISHED_FILES = ("config.json", "model.safetensors", "eval_results.json", "recipe.yaml")


def _is_temporary(name: str) -> bool:
    return name.startswith(".") and name.endswith(".tmp")  # atomic_write's, left by a kill


def _unfinished_claim(out: Path, present: list[Path]) -> bool:
    """A run that stopped before its first checkpoint and before saving a model: nothing in it is worth keeping."""
    if all(p.name in EARLY_FILES for p in present):
        return True
    if not (out / RUN_FILE).is_file() or get_last_checkpoint(str(out)):
        return False
    return not any((out / name).exists() for name in FINISHED_FILES)


def check_output_dir(recipe: Recipe) -> str | None:
    """Whether this run may use ``output_dir`` (read-only, the same answer on every process); the checkpoint to
    resume from, or None to start fresh."""
    out = Path(recipe.training.output_dir)
    if out.exists() and not out.is_dir():
        raise RecipeError(f"output_dir={str(out)!r} is a file, not a folder; choose another output_dir")
    present = [p for p in out.iterdir() if not _is_temporary(p.name)] if out.is_dir() else []
    if not present or recipe.training.overwrite_output_dir:
        return None
    run_file = out / RUN_FILE
    theirs = json.loads(run_file.read_text()).get("fingerprint") if run_file.is_file() else None
    if theirs != fingerprint(recipe):
        if _unfinished_claim(out, present):
            logger.info("output_dir %s holds only an unfinished claim (no checkpoint): starting there afresh", out)
            return None
        what = "files of another program" if theirs is None else "a run of a different recipe"
        raise RecipeError(
            f"output_dir={str(out)!r} is not empty and holds {what}; choose another output_dir or pass "
            "--overwrite_output_dir true to train there anyway"
        )
    last = get_last_checkpoint(str(out))
    if last and recipe.training.process_index == 0:
        print(f"resuming from {last}", flush=True)
    return last


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


def is_finished(recipe: Recipe) -> bool:
    """Whether ``output_dir`` holds a finished run of this very recipe (its fingerprint, final model and metrics)."""
    out = Path(recipe.training.output_dir)
    run_file = out / RUN_FILE
    if not (run_file.is_file() and (out / "recipe.yaml").is_file() and (out / "eval_results.json").is_file()):
        return False
    return json.loads(run_file.read_text()).get("fingerprint") == fingerprint(recipe)


def claim_output_dir(recipe: Recipe) -> None:
    """Main process: record this run's fingerprint in ``output_dir`` (and clear old checkpoints when overwriting)."""
    out = Path(recipe.training.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    if recipe.training.overwrite_output_dir:
        for checkpoint in sorted(out.glob("checkpoint-*")):
            shutil.rmtree(checkpoint)
            logger.warning("overwrite_output_dir: removed %s", checkpoint)
    write_json(out / RUN_FILE, {"fingerprint": fingerprint(recipe)})  # other processes read the old or the new one


def save_recipe(recipe: Recipe, path: Path, clip_len: int, image_size: int) -> None:
    resolved = {k: v for k, v in recipe.to_dict().items() if k != "config_path"}
    resolved.update(num_frames=clip_len, image_size=image_size)
    header = f"# Resolved recipe of this run (from {recipe.config_path or 'the command line'} + overrides).\n"
    path.write_text(header + yaml.safe_dump(resolved, sort_keys=False))


def main(argv: list[str] | None = None) -> int:
    recipe = parse_recipe(argv, prog="inforates train")
    model_args, data_args, training_args = recipe.model, recipe.data, recipe.training

    # Setup: everything that can be checked is checked before output_dir is claimed
    setup_logging(recipe)
    check_launch(recipe)
    check_model_selection(recipe)
    set_cpu_threads(recipe)
    last_checkpoint = check_output_dir(recipe)
    ensure_writable(training_args.output_dir, "output_dir")
    keep_tracker_files_in_output_dir(recipe)
    logger.info("recipe: %s; output_dir: %s", recipe.config_path, training_args.output_dir)
    set_seed(training_args.seed)

    # Data
    skip_log = SkipLog(spool=Path(training_args.output_dir) / "skipped.spool.csv")
    with training_args.main_process_first(desc="loading the dataset"):  # the main process generates/caches first
        dataset = load_video_dataset(data_args, seed=training_args.seed, skip_log=skip_log)
    for split in (data_args.train_split, data_args.validation_split):
        if split not in dataset:
            raise RecipeError(f"the dataset has no split {split!r} (it has {', '.join(dataset)})")
    class_names = check_classes(dataset, data_args)
    id2label = dict(enumerate(class_names))
    label2id = {name: i for i, name in id2label.items()}
    logger.info("%d classes; %s", len(class_names), {k: len(v) for k, v in dataset.items()})

    # Model
    model, settings, clip_len = load_model_for_training(model_args, label2id, id2label)
    if training_args.should_save:
        claim_output_dir(recipe)

    # Trainer
    push, training_args.push_to_hub = training_args.push_to_hub, False
    train_collator, eval_collator = make_collators(
        settings, clip_len, recipe.sampling, data_args, training_args.seed, skip_log
    )
    trainer = VideoTrainer(
        model=model,
        args=training_args,
        train_dataset=undecoded(dataset[data_args.train_split]),
        eval_dataset=undecoded(dataset[data_args.validation_split]),
        data_collator=train_collator,
        eval_collator=eval_collator,
        processing_class=settings,  # saved beside every checkpoint as preprocessor_config.json
        compute_metrics=make_compute_metrics(),
    )

    # Train
    checkpoint = training_args.resume_from_checkpoint or last_checkpoint
    train_result = trainer.train(resume_from_checkpoint=checkpoint)
    trainer.log_metrics("train", train_result.metrics)
    trainer.save_metrics("train", train_result.metrics)
    trainer.save_state()

    # Save
    trainer.save_model(training_args.output_dir)
    eval_metrics = trainer.evaluate()
    trainer.log_metrics("eval", eval_metrics)
    trainer.save_metrics("eval", eval_metrics)
    out = Path(training_args.output_dir)
    image_size = settings.output_size[0] if settings.output_size else model_args.image_size
    if trainer.is_world_process_zero():
        save_recipe(recipe, out / "recipe.yaml", clip_len, image_size)
        skip_log.write(out / "skipped.csv")
        Path(skip_log.spool).unlink(missing_ok=True)
        metrics = {**train_result.metrics, **eval_metrics}
        card = model_card(recipe, clip_len, image_size, metrics, repo_id=training_args.hub_model_id)
        (out / "README.md").write_text(card)
        logger.info("saved the model, its processor config and recipe.yaml to %s", out)

    # Push (once, at the end, with the model card; the Trainer's own pushes are turned off above)
    if push and trainer.is_world_process_zero():
        url = push_checkpoint(out, training_args.hub_model_id or out.name, private=training_args.hub_private_repo)
        logger.info("pushed to %s", url)
    return 0


if __name__ == "__main__":  # `accelerate launch -m inforates.train`: errors as one line, like `inforates train`
    from .cli import main as cli_main

    sys.exit(cli_main(["train", *sys.argv[1:]]))
