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
import typing
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from transformers import HfArgumentParser, TrainingArguments

from .data.sources import SOURCES
from .errors import RecipeError
from .model_registry import resolve
from .recipe_values import coerce_value, escape_help, load_recipe_yaml
from .sampling import ANCHORS, DEFAULT_COVERAGES, DEFAULT_STRIDES, SAMPLERS, SPACING_UNITS, SamplingVariant, build_grid


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
                resolve(self.model_name_or_path)
            except ValueError as err:
                raise RecipeError(f"model_name_or_path: {err}") from None
        if self.num_frames is not None and self.num_frames < 1:
            _fail("num_frames", self.num_frames, "must be >= 1")
        if self.image_size is not None and self.image_size < 1:
            _fail("image_size", self.image_size, "must be >= 1")
        _check_choice("attn_implementation", self.attn_implementation, ("auto", "sdpa", "eager"))


DATASET_SOURCES = tuple(SOURCES)


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
    synth_task: str = field(
        default="aliasing", metadata={"help": "Task of the synthetic benchmark: aliasing (the demo's) or pretrain."}
    )
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
        if not 0 <= self.synth_seed < 2**32:
            _fail("synth_seed", self.synth_seed, "a seed is an integer in [0, 2**32)")
        _check_choice("synth_task", self.synth_task, ("aliasing", "pretrain"))


@dataclass
class SamplingArguments:
    """The sampling design (docs/sampling.md): which sampler, its evaluation grid, and the training/validation clips.

    ``coverages`` x ``strides`` for the coverage samplers, ``budgets`` x ``spacings`` for ``spacing_budget``;
    ``spacing_unit`` says whether strides and spacings (evaluation, training and validation) count frames or
    seconds (turned into frames per video from its frame rate)."""

    sampler: str = field(default="coverage_stride", metadata={"help": f"One of {', '.join(SAMPLERS)}."})
    coverages: list[float] = field(
        default_factory=lambda: list(DEFAULT_COVERAGES), metadata={"help": "Evaluation grid: coverages in %."}
    )
    strides: list[float] = field(default_factory=lambda: list(DEFAULT_STRIDES), metadata={"help": "Grid strides."})
    spacings: list[float] = field(
        default_factory=lambda: list(DEFAULT_STRIDES),
        metadata={"help": "spacing_budget grid: spacings between the distinct frames (spacing_unit)."},
    )
    budgets: list[int] = field(
        default_factory=list, metadata={"help": "spacing_budget grid: distinct frames per clip (each <= clip_len)."}
    )
    spacing_unit: str = field(
        default="frames", metadata={"help": f"Unit of strides and spacings: {', '.join(SPACING_UNITS)}."}
    )
    eval_samplers: list[str] = field(
        default_factory=list,
        metadata={"help": "Samplers whose grids the evaluation runs, in order (default: sampler); e.g. "
                          "[spacing_budget, coverage_stride] for the exact design beside the 2025 grid."},
    )  # fmt: skip
    anchor: str | None = field(
        default=None,
        metadata={"help": f"Anchor when evaluating: {', '.join(ANCHORS)}; default: the sampler's (start; center "
                          "for spacing_budget)."},
    )  # fmt: skip
    train_coverage: list[float] = field(
        default_factory=lambda: [100.0],
        metadata={"help": "Coverage % of training clips (random window); several: each clip draws a variant."},
    )
    train_stride: list[float] = field(
        default_factory=lambda: [1],
        metadata={"help": "Stride(s) of training clips (x train_coverage); spacings for spacing_budget."},
    )
    validation_coverage: float = field(default=100.0, metadata={"help": "Coverage % of validation clips."})
    validation_stride: float = field(default=1, metadata={"help": "Stride (spacing) of validation clips."})

    def __post_init__(self) -> None:
        _check_choice("sampler", self.sampler, tuple(SAMPLERS))
        _check_choice("spacing_unit", self.spacing_unit, SPACING_UNITS)
        if self.anchor is not None:
            _check_choice("anchor", self.anchor, ANCHORS)
        for name in self.eval_samplers:
            _check_choice("eval_samplers", name, tuple(SAMPLERS))
        if len(set(self.eval_samplers)) != len(self.eval_samplers):
            _fail("eval_samplers", self.eval_samplers, "each sampler once")
        for name in {self.sampler, *self.eval_samplers}:
            exact = SAMPLERS[name].takes_budget
            axes = (("spacings", self.spacings), ("budgets", self.budgets)) if exact else (
                ("coverages", self.coverages), ("strides", self.strides)
            )  # fmt: skip
            for key, values in axes:
                if not values:
                    _fail(key, values, f"the {name} grid needs at least one value")
        for value in self.coverages:
            _check_coverage("coverages", value)
        for key in ("strides", "spacings", "train_stride"):
            for value in getattr(self, key):
                self._check_step(key, value)
            setattr(self, key, [self._step(value) for value in getattr(self, key)])
        for value in self.budgets:
            if value < 1:
                _fail("budgets", value, "a budget is a number of distinct frames >= 1")
        if not self.train_coverage:
            _fail("train_coverage", self.train_coverage, "training clips need at least one value")
        if not self.train_stride:
            _fail("train_stride", self.train_stride, "training clips need at least one value")
        for value in self.train_coverage:
            _check_coverage("train_coverage", value)
        _check_coverage("validation_coverage", self.validation_coverage)
        self._check_step("validation_stride", self.validation_stride)
        self.validation_stride = self._step(self.validation_stride)

    def _step(self, value: float) -> float:
        """Whole frames as integers (a recipe reads the same whether it says 4 or 4.0)."""
        return int(value) if self.spacing_unit == "frames" else float(value)

    def _check_step(self, key: str, value: float) -> None:
        if self.spacing_unit == "seconds":
            if not value > 0:
                _fail(key, value, "a spacing in seconds must be > 0")
        elif value < 1 or value != int(value):
            _fail(key, value, "a stride/spacing in frames is an integer >= 1 (or set spacing_unit: seconds)")

    def grid(self) -> list[SamplingVariant]:
        """The evaluation grid this design names: each of ``eval_samplers``' grids (default: ``sampler``'s)."""
        grid = []
        for name in self.eval_samplers or [self.sampler]:
            steps = self.spacings if SAMPLERS[name].takes_budget else self.strides
            grid += build_grid(self.coverages, steps, name, self.anchor, self.budgets, self.spacing_unit)
        return grid

    def train_variants(self) -> list[SamplingVariant]:
        """The training clips' variants (random anchor); spacing_budget ones take the largest budget."""
        budget = max(self.budgets) if SAMPLERS[self.sampler].takes_budget else None
        return [
            SamplingVariant(coverage, stride, self.sampler, "random", budget, self.spacing_unit)
            for coverage in self.train_coverage
            for stride in self.train_stride
        ]

    def validation_variant(self) -> SamplingVariant:
        """The validation clip's variant (the evaluation anchor; the centre where that is random)."""
        anchor = self.anchor if self.anchor != "random" else "center"
        budget = max(self.budgets) if SAMPLERS[self.sampler].takes_budget else None
        return SamplingVariant(
            self.validation_coverage, self.validation_stride, self.sampler, anchor, budget, self.spacing_unit
        )


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
    segment_frames: int | None = field(
        default=None,
        metadata={"help": "Evaluate fixed-length segments cut from each video (the 2025 protocol: 50); "
                          "default: whole videos."},
    )  # fmt: skip

    def __post_init__(self) -> None:
        if self.segment_frames is not None and self.segment_frames < 1:
            _fail("segment_frames", self.segment_frames, "a segment is >= 1 frame (or unset for whole videos)")
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
    layer_decay: float | None = field(
        default=None,
        metadata={"help": "Layer-wise learning-rate decay in (0, 1]: encoder layer i trains at lr * decay^(depth - i), "
                          "the head at lr; no weight decay on biases, norms, position embeddings. Off by default."},
    )  # fmt: skip

    def __post_init__(self) -> None:
        for key, (ok, why) in _TRAINING_RANGES.items():
            value = getattr(self, key, None)
            if value is not None and not ok(value):
                _fail(key, value, why)
        super().__post_init__()


# Ranges TrainingArguments itself leaves to fail later, deep inside the optimizer, the sampler or numpy.
_TRAINING_RANGES: dict[str, tuple[Any, str]] = {
    **{key: (lambda v: v >= 0, "must be >= 0") for key in (
        "learning_rate", "weight_decay", "adam_epsilon", "max_grad_norm", "num_train_epochs", "warmup_steps",
        "dataloader_num_workers", "save_total_limit", "eval_delay",
    )},
    **{key: (lambda v: v > 0, "must be > 0") for key in (
        "per_device_train_batch_size", "per_device_eval_batch_size", "gradient_accumulation_steps",
        "eval_accumulation_steps", "logging_steps", "save_steps", "eval_steps", "dataloader_prefetch_factor",
    )},
    **{key: (lambda v: 0 <= v < 2**32, "a seed is an integer in [0, 2**32)") for key in ("seed", "data_seed")},
    **{key: (lambda v: 0 <= v < 1, "must be in [0, 1)") for key in (
        "adam_beta1", "adam_beta2", "label_smoothing_factor",
    )},
    "layer_decay": (lambda v: 0 < v <= 1, "must be in (0, 1]: 1 is no decay, 0.75 VideoMAE's ViT-B fine-tuning"),
    "max_steps": (lambda v: v == -1 or v > 0, "a positive step count, or -1 to train for num_train_epochs"),
}  # fmt: skip


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
