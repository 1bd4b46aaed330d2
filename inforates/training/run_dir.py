"""A training run's ``output_dir``: who owns it (a fingerprint of the recipe), resume, and the files it keeps.

    last = check_output_dir(recipe)        # None: start fresh; else the checkpoint to resume from
    claim_output_dir(recipe)               # main process, once everything else has been checked
    is_finished(recipe)                    # a finished run of this very recipe is there

A non-empty folder with another fingerprint (or none) is refused unless ``overwrite_output_dir``; a folder holding
only an unfinished claim (no checkpoint, no saved model) is free for the corrected command.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import shutil
from pathlib import Path

import yaml
from transformers.trainer_utils import get_last_checkpoint

from ..configs import Recipe
from ..errors import RecipeError
from ..files import write_json


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
