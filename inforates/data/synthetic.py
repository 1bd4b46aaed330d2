"""The built-in aliasing benchmark: shapes rotating clockwise or counter-clockwise at a known frequency.

    >>> root = generate_synthetic("data/synthetic", seed=0)  # reused as is when it already holds this benchmark
    >>> aliasing_x(f_hz=1.5, delta_frames=16, fps=24.0)  # revolutions between two sampled frames
    1.0
    >>> predicted_direction_visible(1.2, 16, 24.0)  # frac(x) > 0.5: the shape appears to turn backwards
    False

Classes are ``<shape>_<direction>``, shape in {dot, bar, triangle} and direction in {cw, ccw}. Every video turns
its shape rigidly about the frame centre at ``f_hz`` revolutions per second (drawn per video), with a random phase,
orbit radius, size, colours and a static textured background plus per-frame noise. A single frame carries no
direction cue (the shapes are mirror-symmetric about their radius and the phase is uniform), so the direction can
only be read from motion between frames, and sampling sparser than the Nyquist limit (``frac(x) >= 0.5``) makes it
unreadable. Videos are rendered in numpy, encoded as H.264 MP4 with torchcodec's ``VideoEncoder`` and laid out as a
videofolder ``root/{train,validation,test}/<class>/<video_id>.mp4`` with ``metadata.csv`` (one row per video) and
``synthetic.json`` (the generation parameters). ``inforates synth`` (``inforates/synth.py``) writes it from the
command line. See docs/synthetic.md.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import logging
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..aliasing import DIRECTIONS, aliasing_x, direction_visible
from ..files import atomic_write, write_json


logger = logging.getLogger(__name__)

SHAPES = ("dot", "bar", "triangle")
CLASS_NAMES = tuple(f"{shape}_{direction}" for shape in SHAPES for direction in DIRECTIONS)
SPLITS = ("train", "validation", "test")
DEFAULT_VIDEOS_PER_CLASS = {"train": 64, "validation": 12, "test": 24}
METADATA_COLUMNS = ("video_id", "split", "class", "shape", "direction", "f_hz", "fps", "num_frames", "path")
MANIFEST_NAME = "synthetic.json"
METADATA_NAME = "metadata.csv"
FORMAT_VERSION = 1  # bump when the rendering changes, so that an old folder is not mistaken for a new one


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
class SynthParams:
    """Everything that determines a benchmark folder's content (written to ``synthetic.json``)."""

    seed: int = 0
    scale: float = 1.0
    num_frames: int = 48
    fps: float = 24.0
    size: int = 32
    f_range: tuple[float, float] = (0.5, 1.35)
    f_distribution: str = "loguniform"
    videos_per_class: dict = field(default_factory=lambda: dict(DEFAULT_VIDEOS_PER_CLASS))
    noise_std: float = 6.0
    texture_amplitude: float = 18.0
    crf: int = 18

    def __post_init__(self) -> None:
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

    def to_json(self) -> dict:
        return json.loads(json.dumps(dataclasses.asdict(self)))  # tuples -> lists, as read back from disk


@dataclass(frozen=True)
class SyntheticVideo:
    """One video's draws. ``render(video, params)`` turns them into frames, identically for identical draws."""

    video_id: str
    split: str
    shape: str
    direction: str
    f_hz: float
    phase: float  # radians at frame 0, counter-clockwise from the +x axis (image right)
    radius: float  # orbit radius of the shape's centre, in half-frame units
    shape_scale: float
    foreground: tuple[float, float, float]
    background: tuple[float, float, float]
    render_seed: int  # texture and noise

    @property
    def class_name(self) -> str:
        return f"{self.shape}_{self.direction}"

    @property
    def relative_path(self) -> str:
        return f"{self.split}/{self.class_name}/{self.video_id}.mp4"


def _draw_frequency(rng: np.random.Generator, params: SynthParams) -> float:
    lo, hi = params.f_range
    if params.f_distribution == "loguniform":
        return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))
    return float(rng.uniform(lo, hi))


def draw_video(params: SynthParams, split: str, class_name: str, index: int) -> SyntheticVideo:
    """The draws of video ``index`` of ``class_name`` in ``split``: a function of (seed, split, class, index)
    only, so that a larger ``scale`` adds videos without changing the existing ones."""
    shape, direction = class_name.split("_")
    key = [params.seed, SPLITS.index(split), CLASS_NAMES.index(class_name), index]
    rng = np.random.default_rng(np.random.SeedSequence(key))
    return SyntheticVideo(
        video_id=f"{class_name}_{split}_{index:04d}",
        split=split,
        shape=shape,
        direction=direction,
        f_hz=_draw_frequency(rng, params),
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
        for class_name in CLASS_NAMES:
            for index in range(count):
                yield draw_video(params, split, class_name, index)


# ---------------------------------------------------------------------------------------------------------------
# Rendering (numpy, vectorised over frames and pixels)
# ---------------------------------------------------------------------------------------------------------------
def _signed_distance(shape: str, x: np.ndarray, y: np.ndarray, radius: float, s: float) -> np.ndarray:
    """Signed distance (negative inside) to ``shape`` drawn on the +x axis at ``radius``, in half-frame units.

    Every shape is mirror-symmetric about the x axis, so that one frame of a clockwise video looks like one frame
    of a counter-clockwise video: only motion tells them apart. The bar is a clock hand (not a line through the
    centre), so it has no half-turn symmetry that would double its apparent frequency."""
    if shape == "dot":
        return np.hypot(x - radius, y) - 0.26 * s
    if shape == "bar":
        inner, outer = radius - 0.42 * s, radius + 0.30 * s
        return np.hypot(x - np.clip(x, inner, outer), y) - 0.11 * s
    if shape == "triangle":  # isosceles, apex pointing outwards
        apex, base, half_base = radius + 0.34 * s, radius - 0.24 * s, 0.34 * s
        side = math.hypot(half_base, apex - base)
        slanted = ((x - apex) * half_base + np.abs(y) * (apex - base)) / side
        return np.maximum(base - x, slanted)
    raise ValueError(f"unknown shape {shape!r}; shapes are {', '.join(SHAPES)}")


def shape_angles(video: SyntheticVideo, params: SynthParams) -> np.ndarray:
    """The shape's angle (radians, counter-clockwise on screen) in every frame: ``phase -/+ 2 pi f t / fps``."""
    sign = -1.0 if video.direction == "cw" else 1.0
    t = np.arange(params.num_frames, dtype=np.float64)
    return video.phase + sign * 2 * math.pi * video.f_hz * t / params.fps


def render(video: SyntheticVideo, params: SynthParams) -> np.ndarray:
    """uint8 frames ``(num_frames, 3, size, size)`` of ``video``, before any encoding."""
    size, half = params.size, params.size / 2
    rng = np.random.default_rng(video.render_seed)
    centres = (np.arange(size, dtype=np.float64) + 0.5 - half) / half
    u, v = np.meshgrid(centres, -centres)  # u to the right, v up (rows run down)

    texture = np.zeros((size, size))
    for _ in range(3):  # a few random plane waves: a static background pattern with no direction of its own
        k, theta, offset = rng.uniform(1.5, 5.0), rng.uniform(0, math.pi), rng.uniform(0, 2 * math.pi)
        texture += np.sin(k * math.pi * (u * math.cos(theta) + v * math.sin(theta)) + offset)
    background = np.asarray(video.background)[:, None, None] + params.texture_amplitude / 3 * texture

    # Rotate the pixel grid by -angle instead of the shape by +angle: one distance evaluation for all frames.
    angles = shape_angles(video, params)[:, None, None]
    cos, sin = np.cos(angles), np.sin(angles)
    x, y = u * cos + v * sin, -u * sin + v * cos
    distance = _signed_distance(video.shape, x, y, video.radius, video.shape_scale)
    alpha = np.clip(0.5 - distance * half, 0.0, 1.0)[:, None]  # one-pixel anti-aliased edge

    foreground = np.asarray(video.foreground)[None, :, None, None]
    frames = background[None] * (1 - alpha) + foreground * alpha
    frames += rng.normal(0.0, params.noise_std, frames.shape)
    return np.clip(np.rint(frames), 0, 255).astype(np.uint8)


def _encode(frames: np.ndarray, fps: float, path: Path, crf: int) -> None:
    import torch
    from torchcodec.encoders import VideoEncoder

    encoder = VideoEncoder(torch.from_numpy(np.ascontiguousarray(frames)), frame_rate=fps)
    atomic_write(path, lambda tmp: encoder.to_file(tmp, crf=crf), suffix=f".tmp{path.suffix}")


# ---------------------------------------------------------------------------------------------------------------
# The benchmark folder
# ---------------------------------------------------------------------------------------------------------------
def _read_manifest(root: Path) -> dict | None:
    path = root / MANIFEST_NAME
    if not path.is_file():
        return None
    try:
        manifest = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err}); it is not a benchmark written by inforates synth") from None
    if not isinstance(manifest, dict) or "params" not in manifest:
        raise ValueError(f"{path}: has no 'params'; it is not a benchmark written by inforates synth")
    return manifest


def _metadata_rows(params: SynthParams) -> list[dict]:
    return [
        {
            "video_id": video.video_id,
            "split": video.split,
            "class": video.class_name,
            "shape": video.shape,
            "direction": video.direction,
            "f_hz": repr(video.f_hz),
            "fps": repr(float(params.fps)),
            "num_frames": params.num_frames,
            "path": video.relative_path,
        }
        for video in iter_videos(params)
    ]


def _write_metadata(path: Path, rows: list[dict]) -> None:
    def write(tmp: str) -> None:
        with open(tmp, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=METADATA_COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)

    atomic_write(path, write)


def _remove_previous(root: Path) -> int:
    """Remove what an earlier ``generate_synthetic`` wrote in ``root`` (the files its metadata.csv lists, its
    leftovers and its two index files) and nothing else; folders go only when that leaves them empty."""
    removed = 0
    metadata = root / METADATA_NAME
    if metadata.is_file():
        with open(metadata, newline="") as f:
            for row in csv.DictReader(f):
                path = (root / row.get("path", "")).resolve()
                if path.suffix == ".mp4" and path.is_file() and root.resolve() in path.parents:
                    path.unlink()
                    removed += 1
    for split in SPLITS:
        for class_name in CLASS_NAMES:
            folder = root / split / class_name
            for leftover in folder.glob(".*.tmp.mp4") if folder.is_dir() else ():  # atomic_write's, if killed
                leftover.unlink()
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        if (root / split).is_dir() and not any((root / split).iterdir()):
            (root / split).rmdir()
    metadata.unlink(missing_ok=True)
    (root / MANIFEST_NAME).unlink()
    return removed


def _check_target(root: Path, params: SynthParams, overwrite: bool) -> str:
    """``"new"``, ``"same"`` (this benchmark, maybe unfinished) or ``"replaced"`` (an older one removed)."""
    if root.exists() and not root.is_dir():
        raise ValueError(f"{root}: exists and is not a folder; choose another output folder")
    if not root.exists() or not any(root.iterdir()):
        return "new"
    manifest = _read_manifest(root)
    if manifest is None:
        raise ValueError(
            f"{root}: is not empty and holds no {MANIFEST_NAME}, so it is not a benchmark written by inforates synth; "
            "choose a new or empty output folder (nothing in it was changed)"
        )
    old = manifest["params"]
    if manifest.get("format") == FORMAT_VERSION and old == params.to_json():
        return "same"
    if not overwrite:
        changed = sorted(k for k in set(old) | set(params.to_json()) if old.get(k) != params.to_json().get(k))
        if manifest.get("format") != FORMAT_VERSION:
            changed.append("format")
        detail = ", ".join(f"{k}: {old.get(k)!r} -> {params.to_json().get(k)!r}" for k in changed if k != "format")
        raise ValueError(
            f"{root}: holds a synthetic benchmark generated with other parameters ({detail or 'an older format'}); "
            "choose another output folder, or pass overwrite=True (inforates synth --overwrite) to replace it"
        )
    removed = _remove_previous(root)
    logger.info("removed the previous benchmark in %s (%d videos)", root, removed)
    return "replaced"


def make_params(**values) -> SynthParams:
    """:class:`SynthParams` from keyword values as callers and ``synthetic.json`` give them (lists, ints for
    floats, ``videos_per_class=None`` for the default); an unknown name is a ``ValueError``."""
    if values.get("videos_per_class") is None:
        values.pop("videos_per_class", None)
    if "f_range" in values:
        values["f_range"] = tuple(float(v) for v in values["f_range"])
    known = {f.name for f in dataclasses.fields(SynthParams)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"unknown synthetic benchmark parameter(s) {unknown}; known: {', '.join(sorted(known))}")
    return SynthParams(**values)


def generate_synthetic(out_dir: str | os.PathLike, overwrite: bool = False, **params) -> Path:
    """Write the benchmark to ``out_dir`` and return it as a ``Path``.

    ``params`` are :class:`SynthParams` fields (``seed``, ``scale``, ``num_frames``, ``fps``, ``size``,
    ``f_range``, ``f_distribution``, ``videos_per_class``, ``noise_std``, ``texture_amplitude``, ``crf``), their
    defaults being the class's. ``videos_per_class`` (default ``{"train": 64, "validation": 12, "test": 24}``) is
    multiplied by ``scale``. A folder that already holds this benchmark (same parameters) is reused, and an
    interrupted run is completed; one holding a benchmark with other parameters is an error unless ``overwrite``
    (which removes only the files that benchmark wrote); any other non-empty folder is an error.
    """
    params = make_params(**params)
    root = Path(out_dir)
    state = _check_target(root, params, overwrite)
    manifest = _read_manifest(root) if state == "same" else None
    if manifest is not None and manifest.get("complete") and _all_present(root, params):
        logger.info("reusing the synthetic benchmark in %s", root)
        return root

    root.mkdir(parents=True, exist_ok=True)
    write_json(root / MANIFEST_NAME, {"format": FORMAT_VERSION, "complete": False, "params": params.to_json()})
    _write_metadata(root / METADATA_NAME, _metadata_rows(params))  # first, so that an overwrite can find every file
    written = 0
    for video in iter_videos(params):
        path = root / video.relative_path
        if path.is_file():  # left by an interrupted run with the same parameters: identical content
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        _encode(render(video, params), params.fps, path, params.crf)
        written += 1
    write_json(root / MANIFEST_NAME, {"format": FORMAT_VERSION, "complete": True, "params": params.to_json()})
    logger.info("wrote %d videos to %s", written, root)
    return root


def _all_present(root: Path, params: SynthParams) -> bool:
    return (root / METADATA_NAME).is_file() and all((root / v.relative_path).is_file() for v in iter_videos(params))


def read_params(root: str | os.PathLike) -> SynthParams | None:
    """The parameters a benchmark folder was generated with (``None`` when it holds no ``synthetic.json``)."""
    manifest = _read_manifest(Path(root))
    if manifest is None:
        return None
    try:
        return make_params(**manifest["params"])
    except ValueError as err:
        raise ValueError(f"{Path(root) / MANIFEST_NAME}: {err}") from None


def ensure_synthetic(data_args) -> Path:
    """The benchmark of a recipe (``dataset_dir``), generated with ``synth_seed`` and ``synth_scale`` when missing.

    A folder that already holds a benchmark is used as it is (whatever it was generated with, e.g. by
    ``inforates synth --frames 64``); an unfinished one is completed with its own parameters.
    """
    if not data_args.dataset_dir:
        raise ValueError("dataset_source=synthetic needs dataset_dir: the folder that holds (or will hold) it")
    root = Path(data_args.dataset_dir)
    existing = read_params(root) if root.is_dir() else None
    if existing is None:
        return generate_synthetic(root, seed=data_args.synth_seed, scale=data_args.synth_scale)
    if (existing.seed, existing.scale) != (data_args.synth_seed, data_args.synth_scale):
        logger.warning(
            "%s holds a synthetic benchmark generated with seed=%s scale=%s; using it as it is (the recipe's "
            "synth_seed=%s synth_scale=%s apply only when the folder is generated)",
            root,
            existing.seed,
            existing.scale,
            data_args.synth_seed,
            data_args.synth_scale,
        )
    values = dataclasses.asdict(existing)
    return generate_synthetic(root, **values)
