"""A video's per-frame motion energy, measured on a small grey copy of its frames, for the motion-guided sampler.

    energy = motion_profile("data/videos/test/a/clip.mp4")         # (total_frames,) float, 0 for the first frame
    energy = motion_profile(row["video"], first=20, count=24)       # the annotated frames 20..43 only

The decoder scales frames down to about :data:`SMALL_SIDE` pixels on their short side (the same small decode as
``inforates bandwidth``'s), frames are read in chunks (a long video never sits in memory), and a video's profile is
kept per process (training reads it each epoch), keyed by its path, size and modification time.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import numpy as np

from ..sampling.motion import motion_energy
from .decoding import VideoReader, video_bytes, video_source


SMALL_SIDE = 64  # pixels on the short side the decoder scales frames down to, for motion and bandwidth
CHUNK = 256  # frames decoded at a time


def motion_for(variants, video: Any, first: int, count: int) -> np.ndarray | None:
    """The video's :func:`motion_profile` over frames ``first .. first + count - 1`` when one of ``variants`` (cells
    of a grid, or a collator's) samples by motion (``needs_motion``), else None: nothing is decoded for them."""
    return motion_profile(video, first, count) if any(v.needs_motion for v in variants) else None


def motion_profile(video: Any, first: int = 0, count: int | None = None) -> np.ndarray:
    """Motion energy of frames ``first .. first + count - 1`` of a dataset row's video value (a path, or
    embedded bytes): each frame's mean absolute grey difference from the frame before it, 0 for ``first``.
    Raises ``VideoDecodeError`` for a video that cannot be read."""
    data = video_bytes(video)
    path = video_source(video)
    if data is not None:
        return _profile(path, data, first, count)
    stat = os.stat(path) if os.path.isfile(path) else None
    return _cached(path, stat.st_size if stat else -1, stat.st_mtime_ns if stat else -1, first, count).copy()


@functools.lru_cache(maxsize=4096)
def _cached(path: str, size: int, mtime: int, first: int, count: int | None) -> np.ndarray:
    return _profile(path, None, first, count)


def _profile(path: str, data, first: int, count: int | None) -> np.ndarray:
    with VideoReader(path, data=data, shrink_to=SMALL_SIDE) as video:
        count = video.total_frames - first if count is None else count
        stop = min(first + count, video.total_frames)
        signals = []
        for start in range(first, stop, CHUNK):
            frames = video.get(np.arange(start, min(start + CHUNK, stop))).numpy()
            signals.append(frames.astype(np.float32).mean(axis=1).reshape(len(frames), -1))
    energy = motion_energy(np.concatenate(signals)) if signals else np.zeros(0)
    return np.pad(energy, (0, max(0, count - len(energy))))  # frames the metadata counts but the file lacks: still
