"""``SamplingArguments``: the sampler, its evaluation grid, and the training and validation clips."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ..sampling import (
    ANCHORS,
    DEFAULT_COVERAGES,
    DEFAULT_STRIDES,
    PREFILTERS,
    SAMPLERS,
    SPACING_UNITS,
    SamplingVariant,
    build_grid,
)
from .checks import check_choice, check_coverage, fail


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
    prefilter: str = field(
        default="none",
        metadata={"help": f"Temporal anti-aliasing of training and validation clips (and of the evaluation grid "
                          f"unless eval_prefilters): {', '.join(PREFILTERS)}; box averages the frames of each "
                          "sample's spacing window into it (docs/bandwidth.md)."},
    )  # fmt: skip
    eval_prefilters: list[str] = field(
        default_factory=list,
        metadata={"help": "Prefilters the evaluation grid is crossed with, e.g. [none, box] (default: [prefilter])."},
    )
    train_resolution: int | None = field(
        default=None,
        metadata={"help": "Train (and validate) at this spatial resolution: each frame downscaled to N x N px "
                          "(antialiased) and resized back to the model's input. Default: the model's input."},
    )  # fmt: skip
    eval_resolutions: list[int] = field(
        default_factory=list,
        metadata={"help": "Spatial resolutions (px) the evaluation grid is crossed with, beside the model's own "
                          "input (or train_resolution), e.g. [32, 16, 8]."},
    )  # fmt: skip

    def __post_init__(self) -> None:
        check_choice("sampler", self.sampler, tuple(SAMPLERS))
        check_choice("prefilter", self.prefilter, PREFILTERS)
        for name in self.eval_prefilters:
            check_choice("eval_prefilters", name, PREFILTERS)
        if len(set(self.eval_prefilters)) != len(self.eval_prefilters):
            fail("eval_prefilters", self.eval_prefilters, "each prefilter once")
        for key, values in (
            ("train_resolution", [self.train_resolution]),
            ("eval_resolutions", self.eval_resolutions),
        ):
            for value in values:
                if value is not None and (value != int(value) or value < 1):
                    fail(key, value, "a resolution is a whole number of pixels >= 1")
        if len(set(self.eval_resolutions)) != len(self.eval_resolutions):
            fail("eval_resolutions", self.eval_resolutions, "each resolution once")
        check_choice("spacing_unit", self.spacing_unit, SPACING_UNITS)
        if self.anchor is not None:
            check_choice("anchor", self.anchor, ANCHORS)
        for name in self.eval_samplers:
            check_choice("eval_samplers", name, tuple(SAMPLERS))
        if len(set(self.eval_samplers)) != len(self.eval_samplers):
            fail("eval_samplers", self.eval_samplers, "each sampler once")
        for name in {self.sampler, *self.eval_samplers}:
            exact = SAMPLERS[name].takes_budget
            axes = (("spacings", self.spacings), ("budgets", self.budgets)) if exact else (
                ("coverages", self.coverages), ("strides", self.strides)
            )  # fmt: skip
            for key, values in axes:
                if not values:
                    fail(key, values, f"the {name} grid needs at least one value")
        for value in self.coverages:
            check_coverage("coverages", value)
        for key in ("strides", "spacings", "train_stride"):
            for value in getattr(self, key):
                self._check_step(key, value)
            setattr(self, key, [self._step(value) for value in getattr(self, key)])
        for value in self.budgets:
            if value < 1:
                fail("budgets", value, "a budget is a number of distinct frames >= 1")
        if not self.train_coverage:
            fail("train_coverage", self.train_coverage, "training clips need at least one value")
        if not self.train_stride:
            fail("train_stride", self.train_stride, "training clips need at least one value")
        for value in self.train_coverage:
            check_coverage("train_coverage", value)
        check_coverage("validation_coverage", self.validation_coverage)
        self._check_step("validation_stride", self.validation_stride)
        self.validation_stride = self._step(self.validation_stride)

    def _step(self, value: float) -> float:
        """Whole frames as integers (a recipe reads the same whether it says 4 or 4.0)."""
        return int(value) if self.spacing_unit == "frames" else float(value)

    def _check_step(self, key: str, value: float) -> None:
        if self.spacing_unit == "seconds":
            if not value > 0:
                fail(key, value, "a spacing in seconds must be > 0")
        elif value < 1 or value != int(value):
            fail(key, value, "a stride/spacing in frames is an integer >= 1 (or set spacing_unit: seconds)")

    def grid(self) -> list[SamplingVariant]:
        """The evaluation grid this design names: each of ``eval_samplers``' grids (default: ``sampler``'s)."""
        grid = []
        for name in self.eval_samplers or [self.sampler]:
            steps = self.spacings if SAMPLERS[name].takes_budget else self.strides
            grid += build_grid(self.coverages, steps, name, self.anchor, self.budgets, self.spacing_unit)
        prefilters = self.eval_prefilters or [self.prefilter]
        resolutions = [self.train_resolution, *(r for r in self.eval_resolutions if r != self.train_resolution)]
        return [
            dataclasses.replace(variant, prefilter=p, resolution=r)
            for r in resolutions
            for p in prefilters
            for variant in grid
        ]

    def train_variants(self) -> list[SamplingVariant]:
        """The training clips' variants (random anchor); spacing_budget ones take the largest budget."""
        budget = max(self.budgets) if SAMPLERS[self.sampler].takes_budget else None
        return [
            SamplingVariant(
                coverage,
                stride,
                self.sampler,
                "random",
                budget,
                self.spacing_unit,
                self.prefilter,
                self.train_resolution,
            )
            for coverage in self.train_coverage
            for stride in self.train_stride
        ]

    def validation_variant(self) -> SamplingVariant:
        """The validation clip's variant (the evaluation anchor; the centre where that is random)."""
        anchor = self.anchor if self.anchor != "random" else "center"
        budget = max(self.budgets) if SAMPLERS[self.sampler].takes_budget else None
        return SamplingVariant(
            self.validation_coverage,
            self.validation_stride,
            self.sampler,
            anchor,
            budget,
            self.spacing_unit,
            self.prefilter,
            self.train_resolution,
        )
