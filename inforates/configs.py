"""Recipe parsing: one flat YAML recipe + CLI overrides -> typed argument dataclasses.

TRL's semantics on top of ``HfArgumentParser``: ``--config recipe.yaml`` supplies the defaults, any
``--field value`` on the command line overrides them, and a YAML key that no dataclass knows fails with one line
naming the key, the file and the closest valid keys. Values are validated in ``__post_init__`` before any heavy work.

    >>> recipe = parse_recipe(["--config", "recipes/demo/videomae.yaml", "--learning_rate", "1e-3"])
    >>> recipe.training.learning_rate, recipe.model.model_name_or_path
    (0.001, 'tiny-videomae')
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from transformers import HfArgumentParser, TrainingArguments

from .errors import RecipeError
from .model_registry import resolve_model_name
from .sampling import ANCHORS, DEFAULT_COVERAGES, DEFAULT_STRIDES, SAMPLERS


def _fail(key: str, value: Any, why: str) -> None:
    raise RecipeError(f"{key}={value!r}: {why}")


def _check_coverage(key: str, value: float) -> None:
    if not 0 < value <= 100:
        _fail(key, value, "coverage is a percentage of the clip in (0, 100]")


def _check_stride(key: str, value: int) -> None:
    if value < 1:
        _fail(key, value, "stride must be an integer >= 1")


def _check_choice(key: str, value: str, choices) -> None:
    if value not in choices:
        _fail(key, value, f"choose one of {', '.join(choices)}")


@dataclass
class ModelArguments:
    model_name_or_path: str | None = field(
        default=None,
        metadata={"help": "Registry name (timesformer, videomae, vivit, tiny-*), a local checkpoint, or a Hub id."},
    )
    num_frames: int | None = field(default=None, metadata={"help": "Frames per clip; defaults to the model's."})
    image_size: int | None = field(default=None, metadata={"help": "Input size in pixels; defaults to the model's."})
    attn_implementation: str = field(default="auto", metadata={"help": "auto (SDPA where supported), sdpa or eager."})
    model_revision: str = field(default="main", metadata={"help": "Hub revision (branch, tag or commit)."})
    trust_remote_code: bool = field(default=False, metadata={"help": "Allow custom model code from the Hub."})
    random_init: bool = field(
        default=False,
        metadata={"help": "Build the architecture from its config, random weights (no download)."},
    )

    def __post_init__(self) -> None:
        if self.model_name_or_path is not None:
            try:
                resolve_model_name(self.model_name_or_path)
            except ValueError as err:
                raise RecipeError(f"model_name_or_path: {err}") from None
        if self.num_frames is not None and self.num_frames < 1:
            _fail("num_frames", self.num_frames, "must be >= 1")
        if self.image_size is not None and self.image_size < 1:
            _fail("image_size", self.image_size, "must be >= 1")
        _check_choice("attn_implementation", self.attn_implementation, ("auto", "sdpa", "eager"))


DATASET_SOURCES = ("videofolder", "ucf101", "manifest", "hub", "kinetics", "synthetic")


@dataclass
class DataArguments:
    dataset_source: str = field(default="videofolder", metadata={"help": f"One of {', '.join(DATASET_SOURCES)}."})
    dataset_dir: str | None = field(
        default=None, metadata={"help": "Root folder of the videos (videofolder, ucf101, kinetics, synthetic)."}
    )
    dataset_name: str | None = field(default=None, metadata={"help": "Hub dataset id or save_to_disk folder (hub)."})
    manifest_path: str | None = field(default=None, metadata={"help": "CSV/JSONL with path,label[,split] (manifest)."})
    annotations_path: str | None = field(
        default=None, metadata={"help": "ucfTrainTestlist/ folder (ucf101) or annotation CSV folder (kinetics)."}
    )
    ucf_split: int = field(default=1, metadata={"help": "UCF-101 official split 1, 2 or 3."})
    validation_fraction: float = field(
        default=0.1, metadata={"help": "Share of train carved out as validation (by group for UCF-101)."}
    )
    video_column: str = field(default="video", metadata={"help": "Video column of a Hub dataset."})
    label_column: str = field(default="label", metadata={"help": "Label column of a Hub dataset."})
    train_split: str = field(default="train", metadata={"help": "Split used for training."})
    validation_split: str = field(default="validation", metadata={"help": "Split used for model selection."})
    max_train_videos: int | None = field(default=None, metadata={"help": "Seeded subset of the training split."})
    max_validation_videos: int | None = field(default=None, metadata={"help": "Seeded subset of validation."})
    synth_scale: float = field(default=1.0, metadata={"help": "Size of the synthetic benchmark when generated."})
    synth_seed: int = field(default=0, metadata={"help": "Seed of the synthetic benchmark when generated."})
    random_resized_crop: bool = field(default=True, metadata={"help": "Random resized crop when training."})
    crop_min_scale: float = field(default=0.5, metadata={"help": "Smallest area share of the random resized crop."})
    horizontal_flip: bool = field(
        default=True, metadata={"help": "Random horizontal flip when training (off where direction is the label)."}
    )
    clips_per_video: int = field(
        default=1,
        metadata={"help": "Training clips per decoded video (repeated augmentation); a batch holds batch x this."},
    )
    decoded_cache_mb: float = field(
        default=0,
        metadata={
            "help": "Keep decoded videos in memory, up to this many MB per collator (0: off); for small sets of short "
            "clips. Each DataLoader worker has its own: use with dataloader_num_workers 0 or persistent workers."
        },
    )

    def __post_init__(self) -> None:
        _check_choice("dataset_source", self.dataset_source, DATASET_SOURCES)
        if self.ucf_split not in (1, 2, 3):
            _fail("ucf_split", self.ucf_split, "UCF-101 has splits 1, 2 and 3")
        if not 0 <= self.validation_fraction < 1:
            _fail("validation_fraction", self.validation_fraction, "must be in [0, 1)")
        if not 0 < self.crop_min_scale <= 1:
            _fail("crop_min_scale", self.crop_min_scale, "must be in (0, 1]")
        if self.clips_per_video < 1:
            _fail("clips_per_video", self.clips_per_video, "must be >= 1")
        if self.decoded_cache_mb < 0:
            _fail("decoded_cache_mb", self.decoded_cache_mb, "must be >= 0 (0 turns the cache off)")
        for key in ("max_train_videos", "max_validation_videos"):
            if getattr(self, key) is not None and getattr(self, key) < 1:
                _fail(key, getattr(self, key), "must be >= 1 (or unset for all)")
        if self.synth_scale <= 0:
            _fail("synth_scale", self.synth_scale, "must be > 0")


@dataclass
class SamplingArguments:
    sampler: str = field(default="coverage_stride", metadata={"help": f"One of {', '.join(SAMPLERS)}."})
    coverages: list[float] = field(
        default_factory=lambda: list(DEFAULT_COVERAGES), metadata={"help": "Evaluation grid: coverages in %."}
    )
    strides: list[int] = field(default_factory=lambda: list(DEFAULT_STRIDES), metadata={"help": "Grid strides."})
    anchor: str = field(default="start", metadata={"help": f"Window anchor when evaluating: {', '.join(ANCHORS)}."})
    train_coverage: list[float] = field(
        default_factory=lambda: [100.0],
        metadata={"help": "Coverage % of training clips (random window); several: each clip draws a variant."},
    )
    train_stride: list[int] = field(
        default_factory=lambda: [1], metadata={"help": "Stride(s) of training clips (x train_coverage)."}
    )
    validation_coverage: float = field(default=100.0, metadata={"help": "Coverage % of validation clips."})
    validation_stride: int = field(default=1, metadata={"help": "Stride of validation clips."})

    def __post_init__(self) -> None:
        _check_choice("sampler", self.sampler, tuple(SAMPLERS))
        _check_choice("anchor", self.anchor, ANCHORS)
        if not self.coverages:
            _fail("coverages", self.coverages, "the sampling grid needs at least one coverage")
        if not self.strides:
            _fail("strides", self.strides, "the sampling grid needs at least one stride")
        for value in self.coverages:
            _check_coverage("coverages", value)
        for value in self.strides:
            _check_stride("strides", value)
        for name, values in (("train_coverage", self.train_coverage), ("train_stride", self.train_stride)):
            if not values:
                _fail(name, values, "training clips need at least one value")
        for value in self.train_coverage:
            _check_coverage("train_coverage", value)
        for value in self.train_stride:
            _check_stride("train_stride", value)
        _check_coverage("validation_coverage", self.validation_coverage)
        _check_stride("validation_stride", self.validation_stride)


@dataclass
class EvaluationArguments:
    checkpoints: list[str] = field(
        default_factory=list,
        metadata={"help": "Checkpoints to evaluate, as PATH or NAME=PATH; default: model_name_or_path."},
    )
    eval_split: str = field(default="test", metadata={"help": "Split evaluated over the sampling grid."})
    eval_output_dir: str | None = field(
        default=None, metadata={"help": "Where evaluation writes its results; default: <output_dir>/eval."}
    )
    max_eval_videos: int | None = field(default=None, metadata={"help": "Seeded, class-stratified subset size."})
    overwrite: bool = field(default=False, metadata={"help": "Replace a finished evaluation's outputs."})
    eval_shard_size: int = field(
        default=128, metadata={"help": "Videos per results shard: a killed run resumes after its last whole shard."}
    )

    def __post_init__(self) -> None:
        if self.max_eval_videos is not None and self.max_eval_videos < 1:
            _fail("max_eval_videos", self.max_eval_videos, "must be >= 1 (or unset for all)")
        if self.eval_shard_size < 1:
            _fail("eval_shard_size", self.eval_shard_size, "must be >= 1")


@dataclass
class VideoTrainingArguments(TrainingArguments):
    """``transformers.TrainingArguments`` with the defaults video training needs."""

    remove_unused_columns: bool = field(
        default=False, metadata={"help": "Kept False: the video collator reads the raw video column."}
    )
    overwrite_output_dir: bool = field(
        default=False, metadata={"help": "Reuse a non-empty output_dir that holds a different run."}
    )
    ddp_find_unused_parameters: bool | None = field(
        default=False,
        metadata={"help": "False: TimeSformer/VideoMAE/ViViT use every parameter each step."},
    )


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


ARGUMENT_CLASSES = (ModelArguments, DataArguments, SamplingArguments, EvaluationArguments, VideoTrainingArguments)


def _load_yaml(path: str) -> dict[str, Any]:
    if not Path(path).is_file():
        raise RecipeError(f"{path}: recipe file not found")
    try:
        with open(path) as f:
            config = yaml.safe_load(f) or {}
    except yaml.YAMLError as err:
        raise RecipeError(f"{path}: not valid YAML ({str(err).splitlines()[0]})") from None
    if not isinstance(config, dict):
        raise RecipeError(f"{path}: a recipe is a flat mapping of key: value, got {type(config).__name__}")
    return config


class RecipeParser(HfArgumentParser):
    """``HfArgumentParser`` whose ``--config`` YAML supplies defaults, with unknown keys and bad values fatal."""

    def __init__(self, dataclass_types=ARGUMENT_CLASSES, **kwargs):
        super().__init__(dataclass_types, allow_abbrev=False, **kwargs)  # --learning_rat is an error, not a guess
        self.add_argument("--config", default=None, help="YAML recipe whose keys become the defaults.")

    def _apply_config(self, config: dict[str, Any], path: str) -> None:
        by_dest: dict[str, list[argparse.Action]] = {}  # a bool field has two actions: --x and --no_x
        for action in self._actions:
            by_dest.setdefault(action.dest, []).append(action)
        known = sorted(set(by_dest) - {"help", "config"})
        defaults = {}
        for key, value in config.items():
            if key not in by_dest or key == "config":
                close = difflib.get_close_matches(str(key), known, n=3, cutoff=0.6)
                hint = f"; did you mean {', '.join(close)}?" if close else "; see `inforates train --help` for keys"
                raise RecipeError(f"{path}: unknown key {key!r}{hint}")
            try:
                typed = next((a for a in by_dest[key] if a.type is not None), by_dest[key][0])
                defaults[key] = self._coerce(typed, value)
            except (TypeError, ValueError) as err:
                raise RecipeError(f"{path}: {key}={value!r} has the wrong type ({err})") from None
        self.set_defaults(**defaults)  # updates every action of each dest
        for action in self._actions:
            if action.dest in defaults:
                action.required = False

    @staticmethod
    def _coerce(action: argparse.Action, value: Any) -> Any:
        if value is None or action.type is None:
            return value
        if action.nargs in ("+", "*") or isinstance(value, list):
            values = value if isinstance(value, list) else [value]
            return [RecipeParser._coerce_one(action.type, v) for v in values]
        return RecipeParser._coerce_one(action.type, value)

    @staticmethod
    def _coerce_one(kind, value: Any) -> Any:
        if not (isinstance(value, str) or kind in (int, float)):
            return value
        if kind is int and isinstance(value, float) and not value.is_integer():
            raise ValueError(f"{value} is not an integer")
        return kind(value)

    def parse(self, args: list[str] | None = None) -> Recipe:
        args = sys.argv[1:] if args is None else list(args)
        pre = argparse.ArgumentParser(add_help=False)
        pre.add_argument("--config", default=None)
        known, _ = pre.parse_known_args(args)
        if known.config:
            self._apply_config(_load_yaml(known.config), known.config)
        where = f"{known.config}: " if known.config else ""
        try:
            parsed = self.parse_args_into_dataclasses(args=args)
        except RecipeError as err:
            raise RecipeError(f"{where}{err}") from None
        except ValueError as err:  # TrainingArguments' own checks
            raise RecipeError(f"{where}{str(err).strip().splitlines()[0]}") from None
        return Recipe(*parsed[: len(ARGUMENT_CLASSES)], config_path=known.config)


def parse_recipe(args: list[str] | None = None, prog: str | None = None) -> Recipe:
    """Parse ``--config`` + overrides into a :class:`Recipe`; raises :class:`RecipeError` on a bad recipe."""
    return RecipeParser(prog=prog).parse(args)
