"""Decode each video once for the whole sampling grid: a batch of videos -> every variant's clip, stacked.

The frames of all variants of a video (``sampling.union_indices``) are decoded in one pass, transformed once,
and each variant's clip is gathered from them. A video that cannot be decoded is reported, not raised.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
import torch

from ..data.decoding import VideoDecodeError, open_video, video_source
from ..data.transforms import eval_transform
from ..sampling import SamplingVariant, union_indices


def variant_indices(
    variants: Sequence[SamplingVariant], num_frames: int, clip_len: int, seed: int = 0, path: str = ""
) -> np.ndarray:
    """Frame indices ``(V, clip_len)`` of every variant for one video. A random anchor draws from a generator
    seeded by ``(seed, crc32(path))``, as ``data.collator.VideoCollator`` does at evaluation: every process,
    every resumed run and the validation collator sample the same frames of a video."""
    key = zlib.crc32(str(path).encode())
    return np.stack(
        [variant.indices(num_frames, clip_len, rng=np.random.default_rng([seed, key])) for variant in variants]
    )


class VideoRows(torch.utils.data.Dataset):
    """The videos handed to ``Trainer.predict``: item ``i`` is ``{"row": rows[i], "video": videos[i]}``, a
    video value as a dataset row holds it (a path, or ``{"path", "bytes"}`` of ``datasets.Video(decode=False)``)."""

    def __init__(self, rows: Sequence[int], videos: Sequence):
        if len(rows) != len(videos):
            raise ValueError(f"{len(rows)} rows but {len(videos)} videos")
        self.rows, self.videos = list(rows), list(videos)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict:
        return {"row": self.rows[i], "video": self.videos[i]}


class GridCollator:
    """Video rows -> ``pixel_values (n_ok, V, T, C, H, W)`` for all ``V`` variants, each video decoded once.

    Returns ``rows``, ``ok`` (decoded), ``num_frames``, ``fps`` for every row (``pixel_values`` only for the
    decoded ones) and ``skipped``: ``(path, stage, reason)`` of the videos that could not be decoded.
    """

    def __init__(self, variants: Sequence[SamplingVariant], clip_len: int, settings, seed: int = 0):
        self.variants, self.clip_len, self.settings, self.seed = list(variants), int(clip_len), settings, seed

    def video_clips(self, video) -> tuple[torch.Tensor, int, float]:
        """All variant clips of one video, ``(V, T, C, H, W)`` float32, plus its frame count and frame rate."""
        reader = open_video(video)
        indices = variant_indices(self.variants, reader.num_frames, self.clip_len, self.seed, reader.path)
        union = union_indices(indices)
        frames = reader.get(union)
        # Eval transforms act frame by frame (resize, crop, normalise): transform the union once, then gather.
        pixels = eval_transform(frames, self.settings)
        positions = torch.from_numpy(np.searchsorted(union, indices))
        return pixels[positions], int(reader.num_frames), float(reader.fps)

    def __call__(self, items: Sequence[dict]) -> dict:
        clips, ok, num_frames, fps, skipped = [], [], [], [], []
        for item in items:
            try:
                video, frames, rate = self.video_clips(item["video"])
            except VideoDecodeError as err:
                skipped.append((video_source(item["video"]), err.stage, err.reason))
                video, frames, rate = None, 0, float("nan")
            else:
                clips.append(video)
            ok.append(video is not None)
            num_frames.append(frames)
            fps.append(rate)
        empty = (0, len(self.variants), self.clip_len, 3, 1, 1)
        return {
            "rows": torch.tensor([int(item["row"]) for item in items], dtype=torch.int64),
            "ok": torch.tensor(ok, dtype=torch.bool),
            "num_frames": torch.tensor(num_frames, dtype=torch.int64),
            "fps": torch.tensor(fps, dtype=torch.float64),
            "pixel_values": torch.stack(clips) if clips else torch.empty(empty),
            "skipped": skipped,
        }
