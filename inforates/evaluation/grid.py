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
    variants: Sequence[SamplingVariant], total_frames: int, clip_len: int, seed: int = 0, video_id: str = ""
) -> np.ndarray:
    """Frame indices ``(V, clip_len)`` of every variant for one video. A random anchor draws from
    :func:`~inforates.sampling.video_rng` ``(seed, video_id)``, as ``data.collator.VideoCollator`` does when it
    evaluates: every process, every resumed run and every mount point sample the same frames of a video."""
    return np.stack([variant.indices(total_frames, clip_len, rng=video_rng(seed, video_id)) for variant in variants])


class VideoRows(torch.utils.data.Dataset):
    """The videos handed to ``Trainer.predict``: item ``i`` is ``{"row": rows[i], "video": videos[i], "video_id":
    video_ids[i]}``, a video value as a dataset row holds it (a path, or ``{"path", "bytes"}`` of
    ``datasets.Video(decode=False)``); ``video_ids`` default to the video paths."""

    def __init__(self, rows: Sequence[int], videos: Sequence, video_ids: Sequence[str] | None = None):
        if len(rows) != len(videos):
            raise ValueError(f"{len(rows)} rows but {len(videos)} videos")
        self.rows, self.videos = list(rows), list(videos)
        self.video_ids = [str(v) for v in video_ids] if video_ids is not None else [video_source(v) for v in videos]

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict:
        return {"row": self.rows[i], "video": self.videos[i], "video_id": self.video_ids[i]}


class GridCollator:
    """Video rows -> ``pixel_values (n_ok, V, T, C, H, W)`` for all ``V`` variants, each video decoded once.

    Returns ``rows``, ``ok`` (decoded), ``total_frames``, ``fps`` for every row (``pixel_values`` only for the
    decoded ones) and ``skipped``: ``(path, stage, reason)`` of the videos that could not be decoded.
    """

    def __init__(self, variants: Sequence[SamplingVariant], clip_len: int, settings, seed: int = 0):
        self.variants, self.clip_len, self.settings, self.seed = list(variants), int(clip_len), settings, seed

    def video_clips(self, video, video_id: str | None = None) -> tuple[torch.Tensor, int, float]:
        """All variant clips of one video, ``(V, T, C, H, W)`` float32, plus its frame count and frame rate."""
        reader = open_video(video)
        key = video_id if video_id is not None else reader.path
        indices = variant_indices(self.variants, reader.total_frames, self.clip_len, self.seed, key)
        union = union_indices(indices)
        frames = reader.get(union)
        # Eval transforms act frame by frame (resize, crop, normalise): transform the union once, then gather.
        pixels = eval_transform(frames, self.settings)
        positions = torch.from_numpy(np.searchsorted(union, indices))
        return pixels[positions], int(reader.total_frames), float(reader.fps)

    def __call__(self, items: Sequence[dict]) -> dict:
        clips, ok, total_frames, fps, skipped = [], [], [], [], []
        for item in items:
            try:
                video, frames, rate = self.video_clips(item["video"], item.get("video_id"))
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
