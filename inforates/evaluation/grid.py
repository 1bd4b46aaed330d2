"""Decode each video once for the whole sampling grid: a batch of videos -> every variant's clip, stacked.

The frames of all variants of a video (``sampling.union_indices``) are decoded in one pass, transformed once,
and each variant's clip is gathered from them. A video that cannot be decoded is reported, not raised.

With several views per cell (``test_clips``/``test_crops``, :mod:`.views`) the union covers every view of every
cell; the frames are resized once and turned into pixels once per distinct crop, and each distinct (indices,
crop) clip of the video is gathered once:

    collator = GridCollator(variants, clip_len=16, settings=settings, test_clips=2, test_crops=3)
    batch = collator([{"row": 0, "video": "a.mp4"}])  # pixel_values (frames x crops, C, H, W)
    clip = batch["pixel_values"][batch["clip_frames"][0]]  # a distinct clip (T, C, H, W)
    batch["view_slots"].shape, batch["view_flags"].shape  # (videos, cells, 2 * 3 + 1)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import torch

from ..data.decoding import VideoDecodeError, open_video, video_source
from ..data.motion import motion_for
from ..data.sources.common import annotated_window
from ..data.transforms import (
    crop_axis,
    crop_boxes,
    eval_geometry,
    eval_transform,
    pad_to_crop,
    reduce_resolution,
    to_pixel_values,
    weighted_frames,
)
from ..sampling import SamplingVariant, union_indices, video_rng
from .views import CROP_AXES, plan_views


def variant_indices(
    variants: Sequence[SamplingVariant],
    total_frames: int,
    clip_len: int,
    seed: int = 0,
    video_id: str = "",
    fps: float | None = None,
    motion: np.ndarray | None = None,
) -> list[np.ndarray | None]:
    """Frame indices (``clip_len``) of every variant for one video, ``None`` where the video is too short for the
    cell (``spacing_budget``). A random anchor draws from :func:`~inforates.sampling.video_rng` ``(seed,
    video_id)``, as ``data.collator.VideoCollator`` does when it evaluates: every process, every resumed run and
    every mount point sample the same frames of a video. ``fps`` turns spacings in seconds into frames; ``motion``
    (the video's per-frame motion energy) places a motion-guided cell's frames."""
    return [
        variant.indices(total_frames, clip_len, rng=video_rng(seed, video_id), fps=fps, motion=motion)
        for variant in variants
    ]


def stacked_indices(indices: Sequence[np.ndarray | None], clip_len: int) -> np.ndarray:
    """``(V, clip_len)``: a cell the video is too short for takes another cell's frames (its clip is computed
    but never scored: prediction rows mark it ``too_short``)."""
    stand_in = next((i for i in indices if i is not None), np.zeros(clip_len, np.int64))
    return np.stack([i if i is not None else stand_in for i in indices])


class VideoRows(torch.utils.data.Dataset):
    """The videos handed to ``Trainer.predict``: item ``i`` is ``{"row": rows[i], "video": videos[i], "video_id":
    video_ids[i], "segment": segments[i]}``, a video value as a dataset row holds it (a path, or ``{"path",
    "bytes"}`` of ``datasets.Video(decode=False)``); ``video_ids`` default to the video paths, ``segments``
    (``(first frame, length)``, the part of the video evaluated) to None, the whole video."""

    def __init__(
        self, rows: Sequence[int], videos: Sequence, video_ids: Sequence[str] | None = None, segments=None
    ) -> None:
        if len(rows) != len(videos):
            raise ValueError(f"{len(rows)} rows but {len(videos)} videos")
        self.rows, self.videos = list(rows), list(videos)
        self.video_ids = [str(v) for v in video_ids] if video_ids is not None else [video_source(v) for v in videos]
        self.segments = list(segments) if segments is not None else [None] * len(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict:
        return {
            "row": self.rows[i],
            "video": self.videos[i],
            "video_id": self.video_ids[i],
            "segment": self.segments[i],
        }


class GridCollator:
    """Video rows -> ``pixel_values (n_ok, V, T, C, H, W)`` for all ``V`` variants, each video decoded once.

    Returns ``rows``, ``ok`` (decoded), ``total_frames``, ``fps`` for every row (``pixel_values`` only for the
    decoded ones) and ``skipped``: ``(path, stage, reason)`` of the videos that could not be decoded.

    With ``test_clips * test_crops > 1``: ``pixel_values (n_frames, C, H, W)``, the decoded frames of the batch
    once per crop, ``clip_frames (n_clips, T)``, each distinct clip's rows in them, ``view_slots (B, V, M)`` (the
    clip of each view slot, -1: none), ``view_flags (B, V, M)`` and ``crop_axis (B,)`` (an index in
    ``views.CROP_AXES``), see :mod:`.views`.
    """

    def __init__(
        self,
        variants: Sequence[SamplingVariant],
        clip_len: int,
        settings,
        seed: int = 0,
        test_clips: int = 1,
        test_crops: int = 1,
    ):
        self.variants, self.clip_len, self.settings, self.seed = list(variants), int(clip_len), settings, seed
        self.test_clips, self.test_crops = int(test_clips), int(test_crops)

    @property
    def views(self) -> int:
        return self.test_clips * self.test_crops

    def _open(self, video, video_id, segment):
        reader = open_video(video)
        key = video_id if video_id is not None else reader.path
        first, length = segment if segment is not None else (0, -1)
        try:  # an annotation's last frame past the decoded ones ends at the last
            first, total_frames = annotated_window(first, first + length if length >= 0 else -1, reader.total_frames)
        except ValueError as err:
            raise VideoDecodeError(reader.path, "metadata", f"segment {first}+{length}: {err}") from None
        return reader, key, first, total_frames

    def video_views(self, video, video_id: str | None = None, segment: tuple[int, int] | None = None):
        """The distinct view clips of one video as ``(table, clip_frames)``: ``table (n, C, H, W)`` float32 the
        decoded frames once per crop, ``clip_frames (n_clips, T)`` each clip's rows in it (clips are gathered
        a model batch at a time, so memory holds frames, not clips); then its ``views.VideoViews`` plan, frame
        count, frame rate and crop-axis code."""
        reader, key, first, total_frames = self._open(video, video_id, segment)
        crop = self.settings.crop_size

        def plan(boxes):
            try:
                return plan_views(
                    self.variants, total_frames, self.clip_len, self.test_clips, boxes, self.seed, key, reader.fps
                )
            except ValueError as err:  # a spacing in seconds on a video without a frame rate
                raise VideoDecodeError(reader.path, "metadata", str(err)) from None

        # the frames every view needs (the crops come after the decode: they depend on the decoded frame size)
        needed = [indices for indices, _ in plan([(0, 0)]).clips] or [np.zeros(1, np.int64)]
        union = union_indices(needed)
        frames = pad_to_crop(eval_geometry(reader.get(union + first), _no_crop(self.settings)), crop)
        height, width = frames.shape[-2:]
        views = plan(crop_boxes(height, width, crop, self.test_crops))
        size = crop or (height, width)
        # the union's frames once per distinct crop box, one table; each clip is a row of indices into it
        boxes = list(dict.fromkeys(box for _, box in views.clips))
        table = [to_pixel_values(frames[..., t : t + size[0], x : x + size[1]], self.settings) for t, x in boxes]
        table = torch.cat(table) if table else torch.empty((0, 3, *size))
        clip_frames = [boxes.index(box) * len(union) + np.searchsorted(union, indices) for indices, box in views.clips]
        clip_frames = torch.from_numpy(
            np.stack(clip_frames) if clip_frames else np.zeros((0, self.clip_len), np.int64)
        )
        axis = CROP_AXES.index(crop_axis(height, width, crop))
        return table, clip_frames, views, int(total_frames), float(reader.fps), axis

    def video_clips(
        self, video, video_id: str | None = None, segment: tuple[int, int] | None = None
    ) -> tuple[torch.Tensor, int, float]:
        """All variant clips of one video (of its ``segment``, ``(first frame, length)``, when given),
        ``(V, T, C, H, W)`` float32, plus its frame count (the segment's) and frame rate."""
        reader, key, first, total_frames = self._open(video, video_id, segment)
        motion = motion_for(self.variants, video, first, total_frames)
        try:
            cells = variant_indices(self.variants, total_frames, self.clip_len, self.seed, key, reader.fps, motion)
        except ValueError as err:  # a spacing in seconds on a video without a frame rate
            raise VideoDecodeError(reader.path, "metadata", str(err)) from None
        indices = stacked_indices(cells, self.clip_len)
        if all(variant.prefilter == "none" for variant in self.variants):
            union = union_indices(indices + first)
            # Eval transforms act frame by frame (resize, crop, normalise): transform the union once, then gather.
            pixels = eval_transform(reader.get(union), self.settings)
            positions = torch.from_numpy(np.searchsorted(union, indices + first))
            return self._at_resolutions(pixels[positions]), int(total_frames), float(reader.fps)
        # Prefiltered cells: each frame a weighted mean of decoded frames. The transforms are linear (resize, crop,
        # an affine normalisation), so the mean of transformed frames is the transformed mean: transform once.
        plans = [variant.frame_weights(cell, total_frames) for variant, cell in zip(self.variants, indices)]
        union = np.unique(np.concatenate([sources for sources, _ in plans]))
        pixels = eval_transform(reader.get(union + first), self.settings)
        clips = [weighted_frames(pixels[np.searchsorted(union, s)], w) for s, w in plans]
        return self._at_resolutions(torch.stack(clips)), int(total_frames), float(reader.fps)

    def _at_resolutions(self, clips: torch.Tensor) -> torch.Tensor:
        """Each cell's clip ``(V, T, C, H, W)`` at its ``resolution`` (the frames are decoded and transformed once;
        a reduced-resolution cell is the same frames with less spatial detail)."""
        for i, variant in enumerate(self.variants):
            if variant.resolution is not None:
                clips[i] = reduce_resolution(clips[i], variant.resolution)
        return clips

    def __call__(self, items: Sequence[dict]) -> dict:
        if self.views > 1:
            return self._collate_views(items)
        clips, ok, total_frames, fps, skipped = [], [], [], [], []
        for item in items:
            try:
                video, frames, rate = self.video_clips(item["video"], item.get("video_id"), item.get("segment"))
            except VideoDecodeError as err:
                skipped.append((video_source(item["video"]), err.stage, err.reason))
                video, frames, rate = None, 0, float("nan")
            else:
                clips.append(video)
            ok.append(video is not None)
            total_frames.append(frames)
            fps.append(rate)
        empty = (0, len(self.variants), self.clip_len, 3, 1, 1)
        return {
            "rows": torch.tensor([int(item["row"]) for item in items], dtype=torch.int64),
            "ok": torch.tensor(ok, dtype=torch.bool),
            "total_frames": torch.tensor(total_frames, dtype=torch.int64),
            "fps": torch.tensor(fps, dtype=torch.float64),
            "pixel_values": torch.stack(clips) if clips else torch.empty(empty),
            "skipped": skipped,
        }

    def _collate_views(self, items: Sequence[dict]) -> dict:
        tables, clip_frames, ok, total_frames, fps, axes, skipped = [], [], [], [], [], [], []
        num_slots = self.views + 1
        slots = torch.full((len(items), len(self.variants), num_slots), -1, dtype=torch.int64)
        flags = torch.zeros((len(items), len(self.variants), num_slots), dtype=torch.int8)
        frame_offset = clip_offset = 0
        for b, item in enumerate(items):
            try:
                table, frames_of_clips, plan, frames, rate, axis = self.video_views(
                    item["video"], item.get("video_id"), item.get("segment")
                )
            except VideoDecodeError as err:
                skipped.append((video_source(item["video"]), err.stage, err.reason))
                table, frames, rate, axis = None, 0, float("nan"), 0
            else:
                tables.append(table)
                clip_frames.append(frames_of_clips + frame_offset)
                slots[b] = torch.from_numpy(np.where(plan.slots >= 0, plan.slots + clip_offset, -1))
                flags[b] = torch.from_numpy(plan.flags)
                frame_offset, clip_offset = frame_offset + len(table), clip_offset + len(frames_of_clips)
            ok.append(table is not None)
            total_frames.append(frames)
            fps.append(rate)
            axes.append(axis)
        return {
            "rows": torch.tensor([int(item["row"]) for item in items], dtype=torch.int64),
            "ok": torch.tensor(ok, dtype=torch.bool),
            "total_frames": torch.tensor(total_frames, dtype=torch.int64),
            "fps": torch.tensor(fps, dtype=torch.float64),
            "crop_axis": torch.tensor(axes, dtype=torch.int64),
            "pixel_values": torch.cat(tables) if tables else torch.empty((0, 3, 1, 1)),
            "clip_frames": torch.cat(clip_frames)
            if clip_frames
            else torch.zeros((0, self.clip_len), dtype=torch.int64),
            "view_slots": slots,
            "view_flags": flags,
            "skipped": skipped,
        }


def _no_crop(settings):
    """The settings without the crop: the short-side resize alone, the crops are taken from it."""
    return dataclasses.replace(settings, crop_size=None)
