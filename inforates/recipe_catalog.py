"""The recipes shipped in the package (``inforates/recipes/``; the repository's ``recipes/`` links there), by name.

    >>> [r.name for r in shipped_recipes()][:3]
    ['demo/pretrain/timesformer', 'demo/pretrain/videomae', 'demo/pretrain/vivit']
    >>> resolve_recipe("videomae/ucf101") == str(RECIPES_ROOT / "videomae" / "ucf101.yaml")
    True

A recipe's name is its path under ``inforates/recipes/`` without ``.yaml``. ``--config`` and ``--study`` take a
file path or such a name (a path that exists wins); ``inforates recipes`` lists them, ``inforates recipes copy``
writes one out to edit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml


RECIPES_ROOT = Path(__file__).resolve().parent / "recipes"


@dataclass(frozen=True)
class ShippedRecipe:
    name: str  # "videomae/ucf101"
    path: Path
    model: str  # model_name_or_path, or a study's recipes
    dataset: str  # dataset_source (and dataset_name / dataset_dir where they say more)
    hardware: str  # what the recipe is sized for: its first line, up to the first ':', ';' or '.'


def _hardware(text: str) -> str:
    first = text.splitlines()[0].lstrip("# ").strip() if text.strip() else ""
    return re.split(r"[:;]|\.\s", first, maxsplit=1)[0].strip()


def _describe(path: Path) -> ShippedRecipe:
    text = path.read_text()
    config = yaml.safe_load(text) or {}
    name = path.relative_to(RECIPES_ROOT).with_suffix("").as_posix()
    if "recipes" in config:  # a study file
        model = "study of " + ", ".join(r.removeprefix("recipes/").removesuffix(".yaml") for r in config["recipes"])
        config = config.get("shared") or {}
    else:
        model = str(config.get("model_name_or_path", ""))
    source = str(config.get("dataset_source", "videofolder"))
    detail = config.get("dataset_name") or config.get("dataset_dir")
    dataset = f"{source} ({detail})" if detail and source not in str(detail) else source
    return ShippedRecipe(name, path, model, dataset, _hardware(text))


def shipped_recipes() -> list[ShippedRecipe]:
    """Every recipe and study file in the package, sorted by name."""
    return [_describe(p) for p in sorted(RECIPES_ROOT.rglob("*.yaml"))]


def resolve_recipe(config: str) -> str:
    """``config`` when it is a file (or names nothing shipped), else the shipped recipe it names
    (``videomae/ucf101``, ``videomae/ucf101.yaml`` or ``recipes/videomae/ucf101.yaml`` from any folder)."""
    if Path(config).is_file():
        return config
    name = config.removesuffix(".yaml").removeprefix("recipes/")
    path = RECIPES_ROOT / f"{name}.yaml"
    return str(path) if path.is_file() and path.resolve().is_relative_to(RECIPES_ROOT) else config
