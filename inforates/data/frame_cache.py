"""Decoded videos kept in memory, so that a small training set is decoded once, not once per epoch.

    cache = FrameCache(max_mb=64)
    frames = cache.frames("a.mp4")  # decodes every frame of a.mp4 (uint8, (T, 3, H, W)) and keeps it
    frames is cache.frames("a.mp4")
    # -> True

For datasets of short, small clips (the synthetic benchmark: 96 frames of 32 x 32 px, 300 KB each), decoding costs
more than the model step on a CPU. The cache never evicts: videos are kept in the order they are first read until
``max_mb`` is reached, later ones are decoded on every read. It lives in the process that collates, so each
DataLoader worker has its own; it outlasts an epoch only with ``dataloader_num_workers: 0`` or
``dataloader_persistent_workers: true``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .decoding import open_video, video_source


class FrameCache:
    """Every frame of each video read through it, up to ``max_mb`` megabytes in all."""

    def __init__(self, max_mb: float):
        if not max_mb > 0:
            raise ValueError(f"max_mb must be > 0, got {max_mb!r}")
        self.max_bytes = int(max_mb * 2**20)
        self.bytes = 0
        self._frames: dict[str, tuple[torch.Tensor, float]] = {}

    def __len__(self) -> int:
        return len(self._frames)

    def frames(self, value: Any) -> torch.Tensor:
        """All frames of a dataset row's video value (a path, ``{"path", "bytes"}``...), decoded at most once
        while the cache has room. Raises :class:`~inforates.data.decoding.VideoDecodeError` like ``open_video``."""
        return self.read(value)[0]

    def read(self, value: Any) -> tuple[torch.Tensor, float]:
        """``(frames, fps)`` of the video, as :meth:`frames` keeps them."""
        key = video_source(value)
        cached = self._frames.get(key)
        if cached is not None:
            return cached
        with open_video(value) as video:
            entry = (video.get(np.arange(video.total_frames)), float(video.fps))
        size = entry[0].numel() * entry[0].element_size()
        # embedded bytes without a path ("<bytes>") have nothing to be keyed by, so they are never kept
        if key != "<bytes>" and self.bytes + size <= self.max_bytes:
            self._frames[key] = entry
            self.bytes += size
        return entry
