"""A training run's ``output_dir``: who owns it (a fingerprint of the recipe), which checkpoints are whole, resume,
the files it may replace, and the record that it finished.

    last = check_output_dir(recipe)        # None: start fresh; else the newest complete checkpoint to resume from
    claim_output_dir(recipe)               # main process, once everything else has been checked
    mark_checkpoint(folder)                # the last thing a checkpoint save writes: from now on it counts
    mark_finished(recipe, files)           # the last thing a run writes: a rerun of it changes nothing
    is_finished(recipe)                    # a finished run of this very recipe is there, its files whole

A non-empty folder with another fingerprint (or none) is refused unless ``overwrite_output_dir``; a folder holding
only an unfinished claim (no checkpoint, no saved model) is free for the corrected command. The same recipe with a
larger ``max_steps`` or ``num_train_epochs`` continues a run (its checkpoints are kept); anything else is another
run. A checkpoint counts only with its completion record (written after every other file of it, with their
sizes); one whose files no longer have those sizes, or one without it whose Trainer files do not prove it whole
(a checkpoint from before the records, or from the Trainer alone, does), was interrupted while saving and is
skipped, said so, and removed when the folder is claimed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import re
import shutil
import zipfile
from pathlib import Path

import yaml

from ..configs import Recipe
from ..errors import OutputError, RecipeError
from ..files import atomic_write, file_problem, file_record, read_json, write_json


logger = logging.getLogger(__name__)

RUN_FILE = "inforates_train.json"  # fingerprint of the run that owns output_dir, and its finish record
CHECKPOINT_RECORD = "inforates_checkpoint.json"  # written last into every complete checkpoint
# Training arguments that define a run (with every model, data and sampling argument); the others (output
# folders, logging, trackers, Hub, launch details) may change between an interrupted run and its resumption.
RUN_DEFINING_TRAINING_KEYS = (
    "seed", "data_seed", "num_train_epochs", "max_steps", "per_device_train_batch_size",
    "gradient_accumulation_steps", "learning_rate", "weight_decay", "adam_beta1", "adam_beta2", "adam_epsilon",
    "max_grad_norm", "lr_scheduler_type", "lr_scheduler_kwargs", "warmup_ratio", "warmup_steps", "optim",
    "label_smoothing_factor", "bf16", "fp16",
)  # fmt: skip
LENGTH_KEYS = ("max_steps", "num_train_epochs")  # raising these continues a run rather than starting another
# The top-level files a run writes: with overwrite_output_dir, one of these that this run's folder did not get from
# inforates stops the run instead of being replaced.
RUN_OUTPUTS = (
    "README.md", "config.json", "model.safetensors", "preprocessor_config.json", "recipe.yaml", "training_args.bin",
    "train_results.json", "eval_results.json", "all_results.json", "trainer_state.json", "skipped.csv",
    "generation_config.json", "ema.safetensors",
)  # fmt: skip
_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")


# Keys newer than some runs, and the value every run before them had: left out of the identity at that value, so
# that adding a key never makes an earlier run someone else's.
LATER_KEYS = {
    "prefilter": "none",
    "eval_prefilters": [],
    "random_erasing_prob": 0.0,
    "head_dropout": None,
    "train_resolution": None,
    "eval_resolutions": [],
}


def identity(recipe: Recipe) -> dict:
    """What defines the run: model, data and sampling arguments and the optimisation settings."""
    training = recipe.training.to_dict()
    parts = {
        type(args).__name__: {k: v for k, v in dataclasses.asdict(args).items() if LATER_KEYS.get(k, ...) != v}
        for args in (recipe.model, recipe.data, recipe.sampling)
    }
    parts["training"] = {key: training.get(key) for key in RUN_DEFINING_TRAINING_KEYS}
    return json.loads(json.dumps(parts, sort_keys=True, default=str))


def fingerprint(recipe: Recipe) -> str:
    """A hash of :func:`identity` (its parts in a list, as runs recorded before the identity itself was)."""
    parts = identity(recipe)
    ordered = [parts[name] for name in ("ModelArguments", "DataArguments", "SamplingArguments", "training")]
    return hashlib.sha256(json.dumps(ordered, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _run_record(out: Path) -> dict | None:
    """The folder's ``inforates_train.json`` (None: none); a damaged one is an ``OutputError`` naming it."""
    path = out / RUN_FILE
    if not path.exists():
        return None
    record = read_json(path)
    if record is None or "fingerprint" not in record:
        raise OutputError(f"{path}: damaged (not the JSON record inforates writes); move the folder away or pass "
                          "--overwrite_output_dir true to train there afresh")  # fmt: skip
    return record


def continues(record: dict, recipe: Recipe) -> bool:
    """Whether ``recipe`` is the recorded run with a larger ``max_steps`` or ``num_train_epochs`` (neither smaller,
    nothing else changed): it continues that run from its last checkpoint."""
    theirs, ours = record.get("identity"), identity(recipe)
    if not isinstance(theirs, dict) or theirs.keys() != ours.keys():
        return False
    old, new = dict(theirs["training"]), dict(ours["training"])
    lengths = [(old.pop(key), new.pop(key)) for key in LENGTH_KEYS]
    same = old == new and all(theirs[key] == ours[key] for key in ours if key != "training")
    never_shorter = all(float(n) >= float(o) for o, n in lengths if o is not None and n is not None)
    return same and never_shorter and any(o != n for o, n in lengths)


# ---------------------------------------------------------------------------------------------------------------
# Checkpoints
# ---------------------------------------------------------------------------------------------------------------
def _sizes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in sorted(folder.iterdir()) if p.is_file() and p.name != CHECKPOINT_RECORD}


def mark_checkpoint(folder: str | Path) -> None:
    """The last write of a checkpoint save: the size of each of its files (a checkpoint without it is incomplete)."""
    folder = Path(folder)
    write_json(folder / CHECKPOINT_RECORD, {"files": _sizes(folder)})


def checkpoint_problem(folder: Path) -> str | None:
    """Why a checkpoint folder cannot be resumed from (None: it is whole)."""
    if not (folder / CHECKPOINT_RECORD).exists():
        return _unrecorded_problem(folder)
    record = read_json(folder / CHECKPOINT_RECORD)
    if record is None or not isinstance(record.get("files"), dict):
        return f"{CHECKPOINT_RECORD} is damaged"
    have = _sizes(folder)
    for name, size in record["files"].items():
        if name not in have:
            return f"{name} is missing"
        if have[name] != size:
            return f"{name} is damaged ({have[name]} bytes, written as {size})"
    return None


def _unrecorded_problem(folder: Path) -> str | None:
    """A checkpoint without a completion record: one a save did not finish, or one written before the records
    (or by the Trainer alone). It counts only if the Trainer's own files prove it whole: its state names its step,
    and the weights and every torch file are complete (the safetensors header's sizes, the zip directories)."""
    incomplete = "incomplete: interrupted while saving (no completion record"
    state = read_json(folder / "trainer_state.json")
    match = _CHECKPOINT.match(folder.name)
    if state is None or match is None or state.get("global_step") != int(match.group(1)):
        return incomplete + ", and its trainer_state.json is missing or not its own)"
    weights = sorted(folder.glob("*.safetensors"))
    if not weights or read_json(folder / "config.json") is None:
        return incomplete + ", and its weights or config.json are missing)"
    for path in weights:
        if not _whole_safetensors(path):
            return incomplete + f", and {path.name} is cut short)"
    for path in sorted(folder.glob("*.pt")) + sorted(folder.glob("*.pth")):
        if not zipfile.is_zipfile(path):
            return incomplete + f", and {path.name} is cut short)"
    return None


def _whole_safetensors(path: Path) -> bool:
    """Whether a safetensors file holds every byte its header promises."""
    try:
        with open(path, "rb") as f:
            size = int.from_bytes(f.read(8), "little")
            header = json.loads(f.read(size))
    except (OSError, ValueError):
        return False
    end = max((t["data_offsets"][1] for k, t in header.items() if k != "__metadata__"), default=0)
    return path.stat().st_size == 8 + size + end


def checkpoints(out: Path) -> list[Path]:
    """The checkpoint folders of ``out``, newest (highest step) first."""
    if not out.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in out.iterdir() if p.is_dir() and (m := _CHECKPOINT.match(p.name))]
    return [p for _, p in sorted(found, reverse=True)]


def last_complete_checkpoint(out: Path, say: bool = False) -> tuple[Path | None, list[tuple[Path, str]]]:
    """The newest whole checkpoint of ``out`` and the newer ones skipped, each with why (logged when ``say``)."""
    skipped = []
    for folder in checkpoints(out):
        problem = checkpoint_problem(folder)
        if problem is None:
            return folder, skipped
        skipped.append((folder, problem))
        if say:
            print(f"skipping {folder}: {problem}", flush=True)
    return None, skipped


def check_resume_from(folder: str | None) -> None:
    """An explicit ``resume_from_checkpoint``: a folder holding a Trainer checkpoint (``RecipeError`` if not); one
    inforates did not mark complete is used with a warning (another program's checkpoints have no record)."""
    if not folder or isinstance(folder, bool):
        return
    path = Path(folder)
    if not (path / "trainer_state.json").is_file():
        raise RecipeError(f"resume_from_checkpoint={folder!r}: no Trainer checkpoint there (no trainer_state.json); "
                          "name a checkpoint-N folder or leave it out to resume from the newest complete one")  # fmt: skip
    if (problem := checkpoint_problem(path)) is not None:
        logger.warning("resume_from_checkpoint=%s: %s; resuming from it as asked", folder, problem)


# ---------------------------------------------------------------------------------------------------------------
# The folder
# ---------------------------------------------------------------------------------------------------------------
def _is_temporary(name: str) -> bool:
    return name.startswith(".") and name.endswith(".tmp")  # atomic_write's, left by a kill


def _unfinished_claim(out: Path, present: list[Path]) -> bool:
    """A run that stopped before its first checkpoint and before saving a model: nothing in it is worth keeping."""
    if all(p.name in (RUN_FILE, "skipped.spool.csv") for p in present):
        return True
    if not (out / RUN_FILE).is_file() or checkpoints(out):
        return False
    return not any((out / name).exists() for name in ("config.json", "model.safetensors", "eval_results.json"))


def check_output_dir(recipe: Recipe) -> str | None:
    """Whether this run may use ``output_dir`` (read-only, the same answer on every process); the checkpoint to
    resume from, or None to start fresh."""
    out = Path(recipe.training.output_dir)
    if out.exists() and not out.is_dir():
        raise RecipeError(f"output_dir={str(out)!r} is a file, not a folder; choose another output_dir")
    present = [p for p in out.iterdir() if not _is_temporary(p.name)] if out.is_dir() else []
    if not present:
        return None
    if recipe.training.overwrite_output_dir:
        foreign_outputs(out)  # refused before anything is touched
        return None
    record = _run_record(out)
    if record is None or (record["fingerprint"] != fingerprint(recipe) and not continues(record, recipe)):
        if _unfinished_claim(out, present):
            logger.info("output_dir %s holds only an unfinished claim (no checkpoint): starting there afresh", out)
            return None
        what = "files of another program" if record is None else "a run of a different recipe"
        raise RecipeError(
            f"output_dir={str(out)!r} is not empty and holds {what}; choose another output_dir or pass "
            "--overwrite_output_dir true to train there anyway (inforates replaces only its own files)"
        )
    last, _ = last_complete_checkpoint(out, say=recipe.training.process_index == 0)
    if last is not None and recipe.training.process_index == 0:
        print(f"resuming from {last}", flush=True)
    return str(last) if last is not None else None


def foreign_outputs(out: Path) -> None:
    """``OutputError`` when ``out`` holds a file a run writes (:data:`RUN_OUTPUTS`) that inforates did not write
    there: overwriting replaces inforates' own files only. Inforates' are those its finish record lists, or, in a
    run it did not finish, every one (it writes them at the end, after its record)."""
    record = read_json(out / RUN_FILE)
    listed = (record or {}).get("finished", {}).get("files") if record else None
    clashes = [name for name in RUN_OUTPUTS if (out / name).exists()]
    foreign = clashes if record is None else [n for n in clashes if listed is not None and n not in listed]
    if foreign:
        them = "it" if len(foreign) == 1 else "them"
        raise OutputError(f"{out}: {', '.join(foreign)} would be replaced by this run, but inforates did not write "
                          f"{them}; move {them} away or choose another output_dir")  # fmt: skip


def claim_output_dir(recipe: Recipe) -> None:
    """Main process: record this run's fingerprint in ``output_dir``; clear what it may not resume from (old
    checkpoints when overwriting, checkpoints interrupted while saving)."""
    out = Path(recipe.training.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    if recipe.training.overwrite_output_dir:
        for checkpoint in checkpoints(out):
            shutil.rmtree(checkpoint)
            logger.warning("overwrite_output_dir: removed %s", checkpoint)
    else:
        _, skipped = last_complete_checkpoint(out)
        asked = recipe.training.resume_from_checkpoint
        for folder, problem in skipped:
            if isinstance(asked, str) and Path(asked).resolve() == folder.resolve():
                continue  # resumed from as asked (check_resume_from warned)
            shutil.rmtree(folder)
            logger.warning("removed %s (%s): a new save of that step replaces it", folder, problem)
    record = {"fingerprint": fingerprint(recipe), "identity": identity(recipe)}
    write_json(out / RUN_FILE, record)  # other processes read the old or the new one


def is_run_output(path: Path) -> bool:
    """A top-level file a run writes: one of :data:`RUN_OUTPUTS`, or a shard of a large model."""
    return path.is_file() and (path.name in RUN_OUTPUTS or re.fullmatch(r"model-\d+-of-\d+\.safetensors|"
                                                                        r"model\.safetensors\.index\.json", path.name) is not None)  # fmt: skip


def mark_finished(recipe: Recipe, files: list[str]) -> None:
    """The run's last write: ``files`` (top-level names) with their sizes and sha256, after every other file."""
    out = Path(recipe.training.output_dir)
    finished = {name: file_record(out / name) for name in files if (out / name).is_file()}
    record = {"fingerprint": fingerprint(recipe), "identity": identity(recipe), "finished": {"files": finished}}
    write_json(out / RUN_FILE, record)


def finished_problem(out: Path) -> str | None:
    """Why a folder's recorded finished run is not whole (None: it is, or there is no finish record)."""
    record = read_json(out / RUN_FILE) or {}
    for name, expected in ((record.get("finished") or {}).get("files") or {}).items():
        if (problem := file_problem(out / name, expected)) is not None:
            return problem
    return None


def is_finished(recipe: Recipe) -> bool:
    """Whether ``output_dir`` holds a finished run of this very recipe: its fingerprint and its finish record, every
    file it lists whole."""
    out = Path(recipe.training.output_dir)
    try:
        record = _run_record(out)
    except OutputError:
        return False
    if record is None or record.get("fingerprint") != fingerprint(recipe) or not record.get("finished"):
        return False
    return finished_problem(out) is None


def save_recipe(recipe: Recipe, path: Path, clip_len: int, image_size: int) -> None:
    """``recipe.yaml``: every resolved key (secrets left out), with the clip length and image size the model takes."""
    resolved = {k: v for k, v in recipe.to_dict().items() if k != "config_path" and not k.endswith("_token")}
    resolved.update(num_frames=clip_len, image_size=image_size)
    header = f"# Resolved recipe of this run (from {recipe.config_path or 'the command line'} + overrides).\n"
    atomic_write(path, lambda tmp: Path(tmp).write_text(header + yaml.safe_dump(resolved, sort_keys=False)))
