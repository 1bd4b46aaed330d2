"""Recipe parsing: one flat YAML recipe + CLI overrides -> typed argument dataclasses (TRL's semantics)."""

from __future__ import annotations

import argparse
import copy
import dataclasses
import difflib
import sys
import typing
from typing import Any, NamedTuple

from transformers import HfArgumentParser

from ..errors import RecipeError
from ..recipe_catalog import resolve_recipe
from ..recipe_values import coerce_value, escape_help, load_recipe_yaml
from .data import DataArguments
from .evaluation import EvaluationArguments
from .model import ModelArguments
from .sampling import SamplingArguments
from .training import VideoTrainingArguments


class Recipe(NamedTuple):
    model: ModelArguments
    data: DataArguments
    sampling: SamplingArguments
    evaluation: EvaluationArguments
    training: VideoTrainingArguments
    config_path: str | None

    def to_dict(self) -> dict[str, Any]:
        """Every resolved field (recipe + overrides), for run metadata."""
        out: dict[str, Any] = {"config_path": self.config_path}
        for args in self[:4]:
            out.update(dataclasses.asdict(args))
        out.update({k: v for k, v in self.training.to_dict().items() if not k.startswith("_")})
        return out

    def replace(self, **changes: Any) -> Recipe:
        """A copy with some keys changed, each checked by its dataclass as a recipe value is (``RecipeError``).

        >>> recipe = parse_recipe(["--config", "recipes/demo/videomae.yaml"])
        >>> recipe.replace(eval_split="validation", budgets=[8]).evaluation.eval_split
        'validation'
        """
        parts: list[Any] = list(self)
        unknown = set(changes)
        for i, args in enumerate(parts[:5]):
            mine = {k: v for k, v in changes.items() if k in {f.name for f in dataclasses.fields(args) if f.init}}
            unknown -= set(mine)
            if not mine:
                continue
            if isinstance(args, VideoTrainingArguments):  # its __post_init__ rewrites values: set them on a copy
                parts[i] = copy.copy(args)
                for key, value in mine.items():
                    setattr(parts[i], key, value)
            else:
                parts[i] = dataclasses.replace(args, **mine)
        if unknown:
            raise RecipeError(f"unknown recipe key(s) {', '.join(sorted(unknown))}")
        return Recipe(*parts)


ARGUMENT_CLASSES = (ModelArguments, DataArguments, SamplingArguments, EvaluationArguments, VideoTrainingArguments)


def _field_types() -> dict[str, Any]:
    """Each recipe key's type annotation (the type a YAML value must have)."""
    hints: dict[str, Any] = {}
    for cls in ARGUMENT_CLASSES:
        resolved = typing.get_type_hints(cls)
        hints.update({f.name: resolved[f.name] for f in dataclasses.fields(cls) if f.init})
    return hints


def _closest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=3, cutoff=0.6)
    return f"; did you mean {', '.join(close)}?" if close else ""


def _our_words(message: str) -> str:
    """TrainingArguments' messages that name the wrong fix, said for a recipe."""
    if "support bf16/gpu" in message:
        return (
            "bf16: true needs a GPU with bfloat16 and this machine has none; run the recipe on the hardware its "
            "first line names, or add --bf16 false --use_cpu true to run it here on the CPU (slowly)"
        )
    return message


class RecipeParser(HfArgumentParser):
    """``HfArgumentParser`` whose ``--config`` YAML supplies defaults, with unknown keys and bad values fatal."""

    def __init__(self, dataclass_types=ARGUMENT_CLASSES, **kwargs):
        super().__init__(dataclass_types, allow_abbrev=False, **kwargs)  # --learning_rat is an error, not a guess
        self.add_argument("--config", default=None, help="YAML recipe whose keys become the defaults.")
        for action in self._actions:
            action.help = escape_help(action.help)  # "Coverage % of ..." must not break --help
            if action.dest == "report_to":  # a list, as in a recipe: --report_to wandb trackio
                action.nargs = "+"

    def _apply_config(self, config: dict[str, Any], lines: dict[str, int], path: str) -> None:
        by_dest: dict[str, list[argparse.Action]] = {}  # a bool field has two actions: --x and --no_x
        for action in self._actions:
            by_dest.setdefault(action.dest, []).append(action)
        known = sorted(set(by_dest) - {"help", "config"})
        hints = _field_types()
        defaults = {}
        for key, value in config.items():
            where = f"{path}:{lines[str(key)]}" if str(key) in lines else path
            if key not in by_dest or key == "config":
                hint = _closest(str(key), known) or "; see `inforates train --help` for keys"
                raise RecipeError(f"{where}: unknown key {key!r}{hint}")
            try:
                defaults[key] = coerce_value(key, value, hints.get(key, Any))
            except RecipeError as err:
                raise RecipeError(f"{where}: {err}") from None
            choices = next((a.choices for a in by_dest[key] if a.choices), None)
            if choices and isinstance(defaults[key], str) and defaults[key] not in [str(c) for c in choices]:
                raise RecipeError(f"{where}: {key}={value!r}: choose one of {', '.join(map(str, choices))}")
        self.set_defaults(**defaults)  # updates every action of each dest
        for action in self._actions:
            if action.dest in defaults:
                action.required = False

    def _check_flags(self, remaining: list[str]) -> None:
        """Command-line words no dataclass took: a mistyped flag is named as a flag, with the closest ones."""
        flags = sorted(o for a in self._actions for o in a.option_strings if o.startswith("--") and "-" not in o[2:])
        for word in remaining:
            if word.startswith("-"):
                flag = word.split("=", 1)[0]
                hint = _closest(flag, flags) or "; see --help for the flags"
                raise RecipeError(f"unknown command-line flag {flag}{hint}")
        raise RecipeError(f"unexpected command-line argument {remaining[0]!r} (flags are --key value)")

    def parse(self, args: list[str] | None = None) -> Recipe:
        args = sys.argv[1:] if args is None else list(args)
        pre = argparse.ArgumentParser(add_help=False)
        pre.add_argument("--config", default=None)
        known, _ = pre.parse_known_args(args)
        if known.config:
            known.config = resolve_recipe(known.config)
            config, lines = load_recipe_yaml(known.config)
            self._apply_config(config, lines, known.config)
        where = f"{known.config}: " if known.config else ""
        try:
            *parsed, remaining = self.parse_args_into_dataclasses(args=args, return_remaining_strings=True)
        except RecipeError as err:
            raise RecipeError(f"{where}{err}") from None
        except argparse.ArgumentTypeError as err:
            raise RecipeError(f"{where}{err}") from None
        except (TypeError, ValueError) as err:  # TrainingArguments' own checks
            raise RecipeError(f"{where}{_our_words(str(err).strip().splitlines()[0])}") from None
        if remaining:
            self._check_flags(remaining)
        return Recipe(*parsed[: len(ARGUMENT_CLASSES)], config_path=known.config)


def parse_recipe(args: list[str] | None = None, prog: str | None = None) -> Recipe:
    """Parse ``--config`` + overrides into a :class:`Recipe`; raises :class:`RecipeError` on a bad recipe."""
    return RecipeParser(prog=prog).parse(args)
