"""A study's plan: the recipes, their names and folders, the shared overrides, and every check made before any work.

    >>> recipes, shared = load_study_file("recipes/studies/demo.yaml")
    >>> study = plan_study(recipes, "outputs/study", shared)              # RecipeError: one line, before any work
    >>> [(m.name, str(m.output_dir)) for m in study.models][:1]
    [('timesformer', 'outputs/study/timesformer')]

Layout: ``<out>/<name>/`` (training ``output_dir``), ``<out>/eval/<name>/`` (evaluation), ``<out>/logs/<name>.log``
(subprocess stages), the comparison's files and ``<out>/study_summary.json``. ``<name>`` is the recipe's stem, or
``<parent>-<stem>`` for recipes that share a stem (``recipes/vivit/ucf101.yaml`` -> ``vivit-ucf101``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..configs import Recipe, RecipeParser, parse_recipe
from ..errors import RecipeError
from ..recipe_catalog import resolve_recipe
from ..recipe_values import load_recipe_yaml


STUDY_KEYS = ("recipes", "shared")
SET_BY_STUDY = ("output_dir", "eval_output_dir", "checkpoints", "config")  # the study's folders, not the recipes'
RESERVED_NAMES = ("eval", "logs", "figures")  # folders of the study beside the models' own
DATASET_KEYS = ("dataset_source", "dataset_dir", "dataset_name", "manifest_path")  # as run.json's fingerprint
SUMMARY_FILE = "study_summary.json"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")  # an evaluation checkpoint name (it names a folder)


@dataclass
class StudyModel:
    """One model of the study: its recipe, the arguments every stage gets, and the parsed recipe."""

    name: str
    recipe_path: str
    argv: list[str]  # --config <recipe> + shared + overrides + the study's folders
    recipe: Recipe

    @property
    def output_dir(self) -> Path:
        return Path(self.recipe.training.output_dir)

    @property
    def eval_dir(self) -> Path:
        return Path(self.recipe.evaluation.eval_output_dir) / self.name


@dataclass
class Study:
    models: list[StudyModel]
    out: Path
    shared: dict[str, Any] = field(default_factory=dict)
    mixed: list[str] = field(default_factory=list)  # how the recipes' test videos / cells differ (--allow-mixed)


def load_study_file(path: str | Path) -> tuple[list[str], dict[str, Any]]:
    """``recipes:`` (paths, relative to the working folder) and ``shared:`` (recipe keys set for every model)."""
    path = resolve_recipe(str(path))
    if not Path(path).is_file():
        raise RecipeError(f"{path}: study file not found (a path, or a shipped study's name: `inforates recipes`)")
    config, lines = load_recipe_yaml(path)
    for key in config:
        if key not in STUDY_KEYS:
            where = f"{path}:{lines[str(key)]}" if str(key) in lines else path
            raise RecipeError(f"{where}: unknown key {key!r}; a study file holds recipes: (a list of recipe files) "
                              "and shared: (recipe keys set for every model)")  # fmt: skip
    recipes, shared = config.get("recipes"), config.get("shared") or {}
    if not isinstance(recipes, list) or not recipes or not all(isinstance(r, str) for r in recipes):
        raise RecipeError(f"{path}: recipes: must be a non-empty list of recipe files, got {recipes!r}")
    if not isinstance(shared, dict):
        raise RecipeError(f"{path}: shared: must be a mapping of recipe keys, got {type(shared).__name__}")
    return recipes, shared


def model_names(paths: Sequence[str]) -> list[str]:
    """The stem of each recipe, ``<parent>-<stem>`` where stems repeat; ``RecipeError`` if names still collide."""
    stems = [Path(p).stem for p in paths]
    names = [f"{Path(p).parent.name}-{s}" if stems.count(s) > 1 else s for p, s in zip(paths, stems)]
    for name, path in zip(names, paths):
        clash = [p for n, p in zip(names, paths) if n == name]
        if len(clash) > 1:
            raise RecipeError(f"recipes {', '.join(clash)} would all write {name}/: give them distinct file names")
        if name in RESERVED_NAMES or not _NAME.match(name):
            raise RecipeError(f"{path}: a study names this model {name!r}, which "
                              f"{'the study uses for its own folder' if name in RESERVED_NAMES else 'is not a folder name'}"
                              "; rename the recipe file (letters, digits, '.', '_', '-')")  # fmt: skip
    return names


def _value_args(key: str, value: Any) -> list[str]:
    if isinstance(value, list):
        if not value:
            raise RecipeError(f"shared: {key}: [] cannot be set on the command line; give at least one value")
        return [f"--{key}", *(_text(v) for v in value)]
    return [f"--{key}", _text(value)]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value) if isinstance(value, dict) else str(value)


def shared_args(shared: dict[str, Any]) -> list[str]:
    """``shared:`` as command-line overrides (``--key value``, a list as several values); null keys are left out
    (the command line cannot unset a value; :func:`plan_study` checks that no recipe sets them)."""
    known = {a.dest for a in RecipeParser()._actions} - {"help", *SET_BY_STUDY}
    argv: list[str] = []
    for key, value in shared.items():
        if key in SET_BY_STUDY:
            raise RecipeError(f"shared: {key} is set by the study (<out>/<name>/, <out>/eval/); leave it out")
        if key not in known:
            raise RecipeError(f"shared: unknown recipe key {key!r}; see `inforates train --help` for keys")
        if value is not None:
            argv += _value_args(str(key), value)
    return argv


def check_overrides(overrides: Sequence[str]) -> None:
    for word in overrides:
        if word.startswith("--") and word[2:].split("=", 1)[0] in SET_BY_STUDY:
            raise RecipeError(f"{word.split('=', 1)[0]}: the study sets each model's folders (under --out)")


def eval_identity(recipe: Recipe) -> dict[str, Any]:
    """What decides a recipe's test videos and cells, before any run: split, subset, segments, grid and views."""
    evaluation = recipe.evaluation
    return {
        "eval_split": evaluation.eval_split,
        "max_eval_videos": evaluation.max_eval_videos,
        "subset seed": recipe.training.seed if evaluation.max_eval_videos else None,
        "segment_frames": evaluation.segment_frames,
        "ucf_split": recipe.data.ucf_split if recipe.data.dataset_source == "ucf101" else None,
        "hmdb_split": recipe.data.hmdb_split if recipe.data.dataset_source == "hmdb51" else None,
        "variants": [v.name for v in recipe.sampling.grid()],
        "views": f"{evaluation.test_clips} clips x {evaluation.test_crops} crops",
    }


def _short(value: Any) -> str:
    if isinstance(value, list):
        return f"{len(value)} cells ({', '.join(map(str, value[:3]))}{', ...' if len(value) > 3 else ''})"
    text = str(value)
    return text[:12] if len(text) == 64 else text  # a sha256


def differences(records: dict[str, dict[str, Any]]) -> list[str]:
    """``"<key> differs (a, b: 1; c: 2)"`` for every key whose value is not the same for every name."""
    out = []
    keys = list(dict.fromkeys(k for record in records.values() for k in record))
    for key in keys:
        groups: dict[str, list[str]] = {}
        for name, record in records.items():
            groups.setdefault(json.dumps(record.get(key), sort_keys=True, default=str), []).append(name)
        if len(groups) > 1:
            parts = [f"{', '.join(names)}: {_short(json.loads(value))}" for value, names in groups.items()]
            out.append(f"{key} differs ({'; '.join(parts)})")
    return out


def plan_study(
    recipes: Sequence[str],
    out: str | Path,
    shared: dict[str, Any] | None = None,
    overrides: Sequence[str] = (),
    allow_mixed: bool = False,
) -> Study:
    """Parse every recipe with the study's overrides and folders; every bad input is one ``RecipeError`` here."""
    out, shared = Path(out), dict(shared or {})
    if out.exists() and not out.is_dir():
        raise RecipeError(f"--out {out}: is a file, not a folder; choose a folder for the study")
    seen: dict[Path, str] = {}
    for path in recipes:
        if not Path(path).is_file():
            raise RecipeError(f"{path}: recipe file not found")
        resolved = Path(path).resolve()
        if resolved in seen:
            raise RecipeError(f"{path} is listed twice in the study (as {seen[resolved]} too); list it once")
        seen[resolved] = path
    check_overrides(overrides)
    common = [*shared_args(shared), *overrides]
    models = []
    for path, name in zip(recipes, model_names(recipes)):
        folders = ["--output_dir", str(out / name), "--eval_output_dir", str(out / "eval")]
        argv = ["--config", str(path), *common, *folders, "--checkpoints", f"{name}={out / name}"]
        recipe = parse_recipe(argv, prog="inforates study")
        resolved = recipe.to_dict()
        for key in (k for k, v in shared.items() if v is None and resolved.get(k) is not None):
            raise RecipeError(f"shared: {key}: null cannot unset {path}'s {key}={resolved[key]!r} on the command line; "
                              "remove it from the recipe or give a value")  # fmt: skip
        models.append(StudyModel(name, str(path), argv, recipe))
    datasets = differences({m.recipe_path: {k: getattr(m.recipe.data, k) for k in DATASET_KEYS} for m in models})
    if datasets:
        raise RecipeError(f"the recipes need different datasets: {'; '.join(datasets)}; a study compares models on "
                          "the same test videos: set the dataset once, under shared: in a study file")  # fmt: skip
    mixed = differences({m.name: eval_identity(m.recipe) for m in models})
    if mixed and not allow_mixed:
        raise RecipeError(f"the recipes would evaluate different test videos or cells: {'; '.join(mixed)}; set them "
                          "under shared: in a study file, or pass --allow-mixed")  # fmt: skip
    return Study(models, out, shared, mixed)
