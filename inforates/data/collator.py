"""Dataset rows -> model inputs: sample frame indices, decode them, transform, stack.

    collator = VideoCollator(settings, clip_len=16, variant=SamplingVariant(coverage=50, stride=2), train=False)
    batch = collator([{"video": "a.mp4", "label": 3}, {"video": "b.avi", "label": 0}])
    batch["pixel_values"].shape, batch["labels"]
    # -> (torch.Size([2, 16, 3, 224, 224]), tensor([3, 0]))

Pass it to the ``Trainer`` as ``data_collator`` (with ``remove_unused_columns=False``, so rows keep their video).
Training clips take the variant's coverage and stride with the window placed at random (``anchor="random"``) and
are augmented in VideoMAE's order: RandAugment (``rand_augment="rand-m7-n4-mstd0.5-inc1"``, off by default) on the
decoded clip, a random resized crop (area ``min_scale``..``max_scale``, width/height ``min_aspect``..``max_aspect``),
a horizontal flip, then on the normalised clip random erasing (``random_erasing_prob``, off by default); one draw per
clip, the same on every frame (docs/training.md, "Clip augmentation"). Given several
variants, each training clip draws one (temporal-sampling augmentation).
``clips_per_video > 1`` takes that many training clips from one decode of each video (repeated augmentation, as
VideoMAE's fine-tuning does), so a batch holds ``len(rows) * clips_per_video`` clips. ``cache_mb > 0`` keeps
the videos decoded in memory (:class:`~inforates.data.frame_cache.FrameCache`), for small sets of short clips.
The draws come from ``seed``, the DataLoader worker's seed and a per-call counter, so a seeded run repeats.
Evaluation is deterministic. A video that cannot be decoded is left out of its batch and recorded in
``skip_log``; given ``refill`` (the training rows), a training batch takes the place of each such video with
another drawn from it (a known-broken one is never drawn twice), so a batch keeps its size and a broken video
never stops a run. A batch in which nothing decodes, and nothing could refill, raises :class:`VideoDecodeError`.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ..sampling import SamplingVariant, video_rng
from .decoding import VideoDecodeError, open_video, video_source
from .frame_cache import FrameCache
from .motion import motion_for
from .processor import ProcessorSettings
from .rand_augment import RandAugment
from .skips import SkipLog
from .sources.common import annotated_window
from .transforms import (
    check_crop,
    eval_geometry,
    random_erasing,
    reduce_resolution,
    to_pixel_values,
    train_geometry,
    weighted_frames,
)


logger = logging.getLogger(__name__)


class VideoCollator:
    """Collate rows ``{video_column: path | {"path", "bytes"} | VideoDecoder, label_column: int}``."""

    def __init__(
        self,
        settings: ProcessorSettings,
        clip_len: int,
        variant: SamplingVariant | Sequence[SamplingVariant],
        train: bool,
        seed: int = 0,
        random_resized_crop: bool = True,
        min_scale: float = 0.5,
        horizontal_flip: bool = True,
        skip_log: SkipLog | None = None,
        video_column: str = "video",
        label_column: str = "label",
        clips_per_video: int = 1,
        cache_mb: float = 0,
        max_scale: float = 1.0,
        min_aspect: float = 3 / 4,
        max_aspect: float = 4 / 3,
        rand_augment: str | RandAugment | None = None,
        random_erasing_prob: float = 0.0,
        refill: Sequence[dict[str, Any]] | None = None,
    ):
        if int(clip_len) != clip_len or clip_len < 1:
            raise ValueError(f"clip_len must be an integer >= 1, got {clip_len!r}")
        if int(clips_per_video) != clips_per_video or clips_per_video < 1 or (clips_per_video > 1 and not train):
            raise ValueError(f"clips_per_video must be an integer >= 1 (1 when evaluating), got {clips_per_video!r}")
        check_crop((min_scale, max_scale), (min_aspect, max_aspect))
        self.settings = settings
        self.clip_len = int(clip_len)
        variants = (variant,) if isinstance(variant, SamplingVariant) else tuple(variant)
        if not variants or (len(variants) > 1 and not train):
            raise ValueError(
                f"an evaluation collator takes exactly one variant, a training one at least one; got {variant!r}"
            )
        self.variants = tuple(dataclasses.replace(v, anchor="random") for v in variants) if train else variants
        self.variant = self.variants[0]
        if len({v.resolution for v in self.variants}) > 1:
            raise ValueError("the variants of one collator share one resolution (train_resolution)")
        self.train = train
        self.seed = int(seed)
        self.random_resized_crop = random_resized_crop
        self.min_scale = min_scale
        self.max_scale = max_scale
        self.min_aspect = min_aspect
        self.max_aspect = max_aspect
        self.horizontal_flip = horizontal_flip
        self.rand_augment = RandAugment(rand_augment) if isinstance(rand_augment, str) else rand_augment
        self.random_erasing_prob = float(random_erasing_prob) if train else 0.0
        self.skip_log = skip_log
        self.video_column = video_column
        self.label_column = label_column
        self.clips_per_video = int(clips_per_video)
        self.cache = FrameCache(cache_mb) if cache_mb else None
        self.refill = refill if train else None
        self._broken: set[str] = set()  # sources that failed to decode, never drawn again to refill a batch
        self._calls = 0

    def _batch_rng(self) -> np.random.Generator:
        """A fresh generator per training batch: (seed, worker seed, call number) -> reproducible and distinct."""
        info = torch.utils.data.get_worker_info()
        # the worker seed is drawn from the (seeded) main process each epoch, so re-created workers differ
        worker_seed = info.seed % 2**63 if info is not None else 0
        self._calls += 1
        return np.random.default_rng([self.seed, worker_seed, self._calls])

    def _label(self, row: dict[str, Any]) -> int:
        try:
            return int(row[self.label_column])
        except KeyError:
            raise KeyError(
                f"row has no label column {self.label_column!r} (columns: {', '.join(map(str, row))}); "
                "set label_column, and keep remove_unused_columns=False"
            ) from None

    def _clips(
        self, value: Any, rng: np.random.Generator | None, video_id: str | None, window=(None, None)
    ) -> list[torch.Tensor]:
        """The video's clip (``clips_per_video`` of them when training), decoded in one pass, from its annotated
        frames (``window``: the row's ``start_frame``, ``end_frame``; the whole video without them); a prefiltered
        variant's frames are each the weighted mean of the decoded frames around them."""
        if self.cache is not None:
            frames, fps = self.cache.read(value)
            first, count = self._window(window, len(frames), video_source(value))
            frames = frames[first : first + count]
            key = video_id if video_id is not None else video_source(value)
            picks = self._indices(key, len(frames), fps, rng, motion_for(self.variants, value, first, count))
            plans = [variant.frame_weights(indices, len(frames)) for indices, variant in picks]
            return [weighted_frames(frames[torch.from_numpy(sources)], weights) for sources, weights in plans]
        with open_video(value) as video:
            first, count = self._window(window, video.total_frames, video.path)
            key = video_id if video_id is not None else video.path
            picks = self._indices(key, count, video.fps, rng, motion_for(self.variants, value, first, count))
            if all(variant.prefilter == "none" for _, variant in picks):
                indices = np.concatenate([indices for indices, _ in picks])
                return list(video.get(indices + first).split(self.clip_len))
            plans = [variant.frame_weights(indices, count) for indices, variant in picks]
            union = np.unique(np.concatenate([sources for sources, _ in plans]))
            frames = video.get(union + first)
            return [weighted_frames(frames[np.searchsorted(union, s)], w) for s, w in plans]

    @staticmethod
    def _window(window, total_frames: int, path: str) -> tuple[int, int]:
        try:
            return annotated_window(*window, total_frames)
        except ValueError as err:
            raise VideoDecodeError(path, "metadata", str(err)) from None

    def _indices(
        self, video_id: str, total_frames: int, fps: float, rng: np.random.Generator | None, motion=None
    ) -> list[tuple[np.ndarray, SamplingVariant]]:
        """Frame indices of each clip to take from the video ``video_id`` (its path where rows have no id), with
        the variant that drew them. A video too short for a ``spacing_budget`` variant gets the largest spacing
        that fits (``fit``): training and validation clips are never left out; the evaluation grid leaves such
        videos out of the cell instead."""
        if not self.train:  # a random anchor at evaluation time is drawn per video, the same in every run
            rng = video_rng(self.seed, video_id)
            indices = self.variant.indices(total_frames, self.clip_len, rng=rng, fps=fps, fit=True, motion=motion)
            return [(indices, self.variant)]
        picks = []
        for _ in range(self.clips_per_video):
            variant = self.variants[rng.integers(len(self.variants))] if len(self.variants) > 1 else self.variant
            indices = variant.indices(total_frames, self.clip_len, rng=rng, fps=fps, fit=True, motion=motion)
            picks.append((indices, variant))
        return picks

    def __call__(self, rows: Sequence[dict[str, Any]]) -> dict[str, torch.Tensor]:
        if len(rows) == 0:
            raise ValueError("VideoCollator got an empty batch")
        rng = self._batch_rng() if self.train else None
        generator = torch.Generator().manual_seed(int(rng.integers(2**63))) if rng is not None else None
        pixel_values, labels, errors = [], [], []
        for row in rows:
            if not self._add(row, rng, generator, pixel_values, labels, errors):
                self._add_refill(rng, generator, pixel_values, labels, errors)
        if not pixel_values:
            first = errors[0]
            others = f"; all {len(errors)} videos of this batch failed" if len(errors) > 1 else ""
            raise VideoDecodeError(first.path, first.stage, first.reason + others) from first
        # stacked as uint8 and converted once: the same values as eval/train_transform, a quarter of the copying
        pixels = reduce_resolution(to_pixel_values(torch.stack(pixel_values), self.settings), self.variant.resolution)
        if self.random_erasing_prob > 0:  # on normalised pixels, as VideoMAE: the noise is N(0, 1) there
            for clip in pixels:
                random_erasing(clip, self.random_erasing_prob, generator)
        return {"pixel_values": pixels, "labels": torch.tensor(labels, dtype=torch.int64)}

    def _add(self, row, rng, generator, pixel_values: list, labels: list, errors: list) -> bool:
        """Append the row's clips and labels; False (recorded in ``skip_log``) when its video does not decode."""
        if self.video_column not in row:
            raise KeyError(
                f"row has no video column {self.video_column!r} (columns: {', '.join(map(str, row))}); "
                "set video_column, and keep remove_unused_columns=False"
            )
        label = self._label(row)
        try:
            clips = self._clips(
                row[self.video_column], rng, row.get("video_id"), (row.get("start_frame"), row.get("end_frame"))
            )
        except VideoDecodeError as err:
            errors.append(err)
            self._broken.add(str(err.path))
            if self.skip_log is not None:
                self.skip_log.record(err.path, err.stage, err.reason)
            logger.warning("skipping %s", err)
            return False
        for frames in clips:
            if self.train:
                clip = train_geometry(
                    frames,
                    self.settings,
                    generator,
                    self.random_resized_crop,
                    self.min_scale,
                    self.horizontal_flip,
                    max_scale=self.max_scale,
                    min_aspect=self.min_aspect,
                    max_aspect=self.max_aspect,
                    rand_augment=self.rand_augment,
                )
            else:
                clip = eval_geometry(frames, self.settings)
            pixel_values.append(clip)
            labels.append(label)
        return True

    def _add_refill(self, rng, generator, pixel_values: list, labels: list, errors: list, tries: int = 8) -> None:
        """Take the place of a video that failed with a row drawn from ``refill`` (up to ``tries`` draws)."""
        if self.refill is None or len(self.refill) == 0:
            return
        for _ in range(tries):
            row = self.refill[int(rng.integers(len(self.refill)))]
            if video_source(row[self.video_column]) in self._broken:
                continue
            if self._add(row, rng, generator, pixel_values, labels, errors):
                return

    def __repr__(self) -> str:
        mode = "train" if self.train else "eval"
        names = "|".join(v.name for v in self.variants)
        return f"VideoCollator({names}, clip_len={self.clip_len}, {mode}, seed={self.seed})"
