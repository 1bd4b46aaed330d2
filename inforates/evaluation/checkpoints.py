"""What is evaluated: the checkpoints of a recipe, their names, weight hashes, and their classes.

``checkpoints`` entries are ``PATH`` or ``NAME=PATH``. Left empty, the recipe's trained ``output_dir`` is
evaluated when it holds a model, otherwise ``model_name_or_path``.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import RecipeError


WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class Checkpoint:
    name: str  # the results folder: <eval_dir>/<name>/
    path: str  # a local folder, a registry name or a Hub id
    origin: str  # where it came from: "checkpoints", "output_dir" or "model_name_or_path"


def holds_model(folder: str | os.PathLike | None) -> bool:
    """Whether ``folder`` is a saved model: a ``config.json`` beside weights."""
    if not folder or not Path(folder).is_dir():
        return False
    return (Path(folder) / "config.json").is_file() and any((Path(folder) / f).is_file() for f in WEIGHT_FILES)


def default_name(path: str) -> str:
    """``outputs/demo/videomae`` -> ``videomae``; ``run/checkpoint-300`` -> ``run-checkpoint-300``;
    ``MCG-NJU/videomae-base`` -> ``videomae-base``; registry names stay as they are."""
    parts = Path(path.rstrip("/")).parts
    if not parts:
        return "model"
    name = parts[-1]
    if re.fullmatch(r"checkpoint-\d+", name) and len(parts) > 1:
        name = f"{parts[-2]}-{name}"
    return re.sub(r"[^A-Za-z0-9._-]", "_", name).lstrip("._-") or "model"


def parse_checkpoint(entry: str) -> Checkpoint:
    name, sep, path = entry.partition("=")
    if not sep:
        name, path = default_name(entry), entry
    if not path:
        raise RecipeError(f"checkpoints: {entry!r} has no path after '='")
    if not _NAME.match(name):
        raise RecipeError(f"checkpoints: name {name!r} must be letters, digits, '.', '_' or '-' (it names a folder)")
    return Checkpoint(name, path, "checkpoints")


def resolve_checkpoints(
    entries: Sequence[str], output_dir: str | None, model_name_or_path: str | None
) -> list[Checkpoint]:
    """The checkpoints to evaluate, uniquely named; raises ``RecipeError`` when there is none."""
    if entries:
        checkpoints = [parse_checkpoint(entry) for entry in entries]
    elif holds_model(output_dir):
        checkpoints = [Checkpoint(default_name(output_dir), output_dir, "output_dir")]
    elif model_name_or_path:
        checkpoints = [Checkpoint(default_name(model_name_or_path), model_name_or_path, "model_name_or_path")]
    else:
        raise RecipeError(
            "nothing to evaluate: set --model_name_or_path, --checkpoints, or an output_dir holding a model"
        )
    names = [c.name for c in checkpoints]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise RecipeError(f"checkpoints: the name(s) {', '.join(duplicates)} are used twice; name them NAME=PATH")
    return checkpoints


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def weights_sha256(path: str, model=None) -> str | None:
    """sha256 of the checkpoint's ``model.safetensors`` (or ``pytorch_model.bin``); for sharded weights, of the
    lines ``<file> <sha256>`` of every shard; for a model without files (registry presets), of its state dict."""
    folder = Path(path)
    for pattern in ("model*.safetensors", "pytorch_model*.bin"):
        files = sorted(folder.glob(pattern)) if folder.is_dir() else []
        if len(files) == 1:
            return _file_sha256(files[0])
        if files:
            lines = "".join(f"{f.name} {_file_sha256(f)}\n" for f in files)
            return hashlib.sha256(lines.encode()).hexdigest()
    if model is None:
        return None
    import torch

    digest = hashlib.sha256()
    for key, tensor in sorted(model.state_dict().items()):
        digest.update(key.encode())
        digest.update(tensor.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def _normalise(name: str) -> str:
    return re.sub(r"[\s_-]+", "_", str(name).strip().lower())


def generic_labels(id2label: dict) -> bool:
    """Whether a model's labels are transformers' placeholders ``LABEL_0 .. LABEL_N`` (no class names)."""
    return all(re.fullmatch(r"LABEL_\d+", str(n)) for n in id2label.values())


def label_mapping(id2label: dict, class_names: Sequence[str]) -> np.ndarray:
    """``mapping[label]`` = the model output index of each dataset class (-1 where the model lacks it).

    Classes are matched by name (case, spaces, '-' and '_' ignored); a model whose labels are the generic
    ``LABEL_i`` with as many outputs as there are classes is taken in dataset order. Otherwise ``RecipeError``.
    """
    model_names = {int(i): str(n) for i, n in id2label.items()}
    by_name = {_normalise(n): i for i, n in model_names.items()}
    wanted = [_normalise(c) for c in class_names]
    if all(w in by_name for w in wanted):
        return np.array([by_name[w] for w in wanted], dtype=np.int64)
    if generic_labels(model_names) and len(model_names) == len(class_names):
        return np.arange(len(class_names), dtype=np.int64)
    missing = [c for c, w in zip(class_names, wanted) if w not in by_name]
    raise RecipeError(
        f"the checkpoint's {len(model_names)} classes do not match the dataset's {len(class_names)}: "
        f"{len(missing)} dataset classes are unknown to the model (e.g. {', '.join(missing[:3])})"
    )
