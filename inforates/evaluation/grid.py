"""Decode each video once for the whole sampling grid: a batch of videos -> every variant's clip, stacked.

The frames of all variants of a video (``sampling.union_indices``) are decoded in one pass, transformed once,
and each variant's clip is gathered from them. A video that cannot be decoded is reported, not raised.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ..data.decoding import VideoDecodeError, open_video, video_source
from ..data.transforms import eval_transform
from ..sampling import SamplingVariant, union_indices, video_rng


def variant_indices(
    variants: Sequence[SamplingVariant],
    total_frames: int,
    clip_len: int,
    seed: int = 0,
    video_id: str = "",
    fps: float | None = None,
) -> list[np.ndarray | None]:
    """Frame indices (``clip_len``) of every variant for one video, ``None`` where the video is too short for the
    cell (``spacing_budget``). A random anchor draws from :func:`~inforates.sampling.video_rng` ``(seed,
    video_id)``, as ``data.collator.VideoCollator`` does when it evaluates: every process, every resumed run and
    every mount point sample the same frames of a video. ``fps`` turns spacings in seconds into frames."""
    return [variant.indices(total_frames, clip_len, rng=video_rng(seed, video_id), fps=fps) for variant in variants]


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
    """

    def __init__(self, variants: Sequence[SamplingVariant], clip_len: int, settings, seed: int = 0):
        self.variants, self.clip_len, self.settings, self.seed = list(variants), int(clip_len), settings, seed

    def video_clips(
        self, video, video_id: str | None = None, segment: tuple[int, int] | None = None
    ) -> tuple[torch.Tensor, int, float]:
        """All variant clips of one video (of its ``segment``, ``(first frame, length)``, when given),
        ``(V, T, C, H, W)`` float32, plus its frame count (the segment's) and frame rate."""
        reader = open_video(video)
        key = video_id if video_id is not None else reader.path
        first, total_frames = segment if segment is not None else (0, reader.total_frames)
        if first + total_frames > reader.total_frames:
            raise VideoDecodeError(
                reader.path, "metadata", f"segment {first}+{total_frames} past its {reader.total_frames} frames"
            )
        try:
            cells = variant_indices(self.variants, total_frames, self.clip_len, self.seed, key, reader.fps)
        except ValueError as err:  # a spacing in seconds on a video without a frame rate
            raise VideoDecodeError(reader.path, "metadata", str(err)) from None
        indices = stacked_indices(cells, self.clip_len) + first
        union = union_indices(indices)
        frames = reader.get(union)
        # Eval transforms act frame by frame (resize, crop, normalise): transform the union once, then gather.
        pixels = eval_transform(frames, self.settings)
        positions = torch.from_numpy(np.searchsorted(union, indices))
        return pixels[positions], int(total_frames), float(reader.fps)

    def __call__(self, items: Sequence[dict]) -> dict:
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
