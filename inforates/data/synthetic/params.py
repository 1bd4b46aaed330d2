"""The benchmark's parameters, its tasks and each video's draws (pure numpy: no files, no rendering)."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from ...aliasing import DIRECTIONS, aliasing_x, direction_visible


SPLITS = ("train", "validation", "test")
DEFAULT_VIDEOS_PER_CLASS = {"train": 64, "validation": 12, "test": 24}


def predicted_direction_visible(f_hz, delta_frames, fps):
    """Whether frames ``delta_frames`` apart of a video turning at ``f_hz`` show its true direction
    (:func:`inforates.aliasing.direction_visible` of :func:`~inforates.aliasing.aliasing_x`).

    >>> predicted_direction_visible([0.5, 1.0, 1.6], 8, 24.0).tolist()  # x = 1/6, 1/3, 8/15
    [True, True, False]
    """
    return direction_visible(aliasing_x(f_hz, delta_frames, fps))


# ---------------------------------------------------------------------------------------------------------------
# Parameters and per-video draws
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Task:
    """What a benchmark asks: its shapes, and whether each video's speed band (slow/fast half of ``f_range``, on a
    log scale) is part of its label. Classes are ``<shape>_<direction>`` or ``<shape>_<direction>_<speed>``."""

    shapes: tuple[str, ...]
    speeds: tuple[str, ...] = ()

    @property
    def class_names(self) -> tuple[str, ...]:
        if not self.speeds:
            return tuple(f"{shape}_{direction}" for shape in self.shapes for direction in DIRECTIONS)
        return tuple(f"{s}_{d}_{v}" for s in self.shapes for d in DIRECTIONS for v in self.speeds)


# ``aliasing``: the benchmark the demo measures. ``pretrain``: another task for the demo's pretrained checkpoints
# (other shapes, direction and speed in the label), as Kinetics-400 is another task than UCF-101.
TASKS = {
    "aliasing": Task(("dot", "bar", "triangle")),
    "pretrain": Task(("square", "cross", "ring"), ("slow", "fast")),
}
SHAPES = TASKS["aliasing"].shapes
CLASS_NAMES = TASKS["aliasing"].class_names


@dataclass(frozen=True)
class SynthParams:
    """Everything that determines a benchmark folder's content (written to ``synthetic.json``)."""

    seed: int = 0
    scale: float = 1.0
    num_frames: int = 96
    fps: float = 24.0
    size: int = 32
    f_range: tuple[float, float] = (1.3, 4.8)
    f_distribution: str = "loguniform"
    videos_per_class: dict = field(default_factory=lambda: dict(DEFAULT_VIDEOS_PER_CLASS))
    noise_std: float = 6.0
    texture_amplitude: float = 18.0
    crf: int = 18
    task: str = "aliasing"

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {', '.join(TASKS)}, got {self.task!r}")
        if self.scale <= 0:
            raise ValueError(f"scale must be > 0, got {self.scale}")
        if int(self.num_frames) != self.num_frames or self.num_frames < 2:
            raise ValueError(f"num_frames must be an integer >= 2, got {self.num_frames}")
        if not self.fps > 0:
            raise ValueError(f"fps must be > 0, got {self.fps}")
        if int(self.size) != self.size or self.size < 16:
            raise ValueError(f"size must be an integer >= 16 pixels, got {self.size}")
        lo, hi = self.f_range
        if not 0 < lo <= hi:
            raise ValueError(f"f_range must be (lo, hi) with 0 < lo <= hi revolutions per second, got {self.f_range}")
        if self.f_distribution not in ("loguniform", "uniform"):
            raise ValueError(f"f_distribution must be 'loguniform' or 'uniform', got {self.f_distribution!r}")
        unknown = set(self.videos_per_class) - set(SPLITS)
        if unknown:
            raise ValueError(f"videos_per_class: unknown split(s) {sorted(unknown)}; splits are {', '.join(SPLITS)}")
        for split, count in self.videos_per_class.items():
            if int(count) != count or count < 0:
                raise ValueError(f"videos_per_class[{split!r}] must be an integer >= 0, got {count!r}")
        if self.noise_std < 0 or self.texture_amplitude < 0:
            raise ValueError("noise_std and texture_amplitude must be >= 0")
        if not 0 <= self.crf <= 51:
            raise ValueError(f"crf must be in [0, 51] (libx264), got {self.crf}")

    def counts(self) -> dict[str, int]:
        """Videos per class in each split at this scale (a split asked for is kept with at least one video)."""
        return {
            split: max(1, round(self.videos_per_class[split] * self.scale)) if self.videos_per_class.get(split) else 0
            for split in SPLITS
        }

    @property
    def class_names(self) -> tuple[str, ...]:
        return TASKS[self.task].class_names

    def to_json(self) -> dict:
        return json.loads(json.dumps(dataclasses.asdict(self)))  # tuples -> lists, as read back from disk


@dataclass(frozen=True)
class SyntheticVideo:
    """One video's draws. ``render(video, params)`` turns them into frames, identically for identical draws."""

    video_id: str
    split: str
    shape: str
    direction: str
    speed: str  # "" unless the task labels speed bands
    f_hz: float
    phase: float  # radians at frame 0, counter-clockwise from the +x axis (image right)
    radius: float  # orbit radius of the shape's centre, in half-frame units
    shape_scale: float
    foreground: tuple[float, float, float]
    background: tuple[float, float, float]
    render_seed: int  # texture and noise

    @property
    def class_name(self) -> str:
        return "_".join(part for part in (self.shape, self.direction, self.speed) if part)

    @property
    def relative_path(self) -> str:
        return f"{self.split}/{self.class_name}/{self.video_id}.mp4"


def _draw_frequency(rng: np.random.Generator, params: SynthParams, speed: str = "") -> float:
    lo, hi = params.f_range
    if speed:  # the slow or fast half of the range, split at its geometric mean
        mid = math.sqrt(lo * hi)
        lo, hi = (lo, mid) if speed == "slow" else (mid, hi)
    if params.f_distribution == "loguniform":
        return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))
    return float(rng.uniform(lo, hi))


def draw_video(params: SynthParams, split: str, class_name: str, index: int) -> SyntheticVideo:
    """The draws of video ``index`` of ``class_name`` in ``split``: a function of (seed, split, class, index)
    only, so that a larger ``scale`` adds videos without changing the existing ones."""
    shape, direction, *speed = class_name.split("_")
    speed = speed[0] if speed else ""
    key = [params.seed, SPLITS.index(split), params.class_names.index(class_name), index]
    if params.task != "aliasing":
        key.append(list(TASKS).index(params.task))
    rng = np.random.default_rng(np.random.SeedSequence(key))
    return SyntheticVideo(
        video_id=f"{class_name}_{split}_{index:04d}",
        split=split,
        shape=shape,
        direction=direction,
        speed=speed,
        f_hz=_draw_frequency(rng, params, speed),
        phase=float(rng.uniform(0, 2 * math.pi)),
        radius=float(rng.uniform(0.40, 0.56)),
        shape_scale=float(rng.uniform(0.9, 1.1)),
        foreground=tuple(float(v) for v in rng.uniform(170, 255, 3)),  # bright: >= 170 luma over a dark background
        background=tuple(float(v) for v in rng.uniform(15, 80, 3)),
        render_seed=int(rng.integers(0, 2**62)),
    )


def iter_videos(params: SynthParams) -> Iterator[SyntheticVideo]:
    """Every video of the benchmark, split by split, class by class."""
    for split, count in params.counts().items():
        for class_name in params.class_names:
            for index in range(count):
                yield draw_video(params, split, class_name, index)
