"""Decode the frames a sampler asks for, once each, with torchcodec.

    with VideoReader("clip.mp4") as video:
        frames = video.get([0, 0, 8, 4])  # uint8 (4, 3, H, W), in the order asked
    video.total_frames, video.fps  # -> (150, 25.0)

``VideoReader`` opens a torchcodec ``VideoDecoder`` in exact seek mode (a scan of the packets, so ``total_frames``
is what the file holds, not what its header claims: AVI headers can lie). Open one per item, inside the process
that reads it: decoders must not be shared across DataLoader workers. Anything that stops a video from being read
raises :class:`VideoDecodeError`, which names the file, the stage and the reason; the file itself is only read.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch


STAGES = ("open", "metadata", "decode")


class VideoDecodeError(RuntimeError):
    """A video that cannot be read. ``str(err)`` is ``"<path>: <stage>: <reason>"`` plus what to do."""

    def __init__(self, path: str, stage: str, reason: str):
        if stage not in STAGES:
            raise ValueError(f"stage must be one of {STAGES}, got {stage!r}")
        self.path, self.stage, self.reason = str(path), stage, reason
        super().__init__(
            f"{self.path}: {stage}: {reason} (check the file with `ffprobe {self.path}`; re-encode or remove it "
            "from the dataset; data loaders skip it and list it in skipped.csv)"
        )

    def __reduce__(self):  # picklable, so that it crosses DataLoader worker processes intact
        return type(self), (self.path, self.stage, self.reason)


@dataclass
class DecodeStats:
    """Process-wide counters: decoders opened and frames decoded (distinct frames, each counted once per get)."""

    opens: int = 0
    frames_decoded: int = 0


DECODE_STATS = DecodeStats()


def reset_decode_stats() -> None:
    """Zero :data:`DECODE_STATS` (e.g. before checking that an evaluation decodes each video once)."""
    DECODE_STATS.opens = 0
    DECODE_STATS.frames_decoded = 0


_TORCHCODEC_PREFIX = re.compile(r"^\w+, \S+\.cpp:\d+, ")


def _reason(err: BaseException) -> str:
    """torchcodec's message without its C++ source location, on one line."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return _TORCHCODEC_PREFIX.sub("", text)


def video_source(value: Any) -> str:
    """The path of a dataset row's video value.

    Accepts a path (``str``/``Path``), the ``{"path", "bytes"}`` dict of ``datasets.Video(decode=False)``, or the
    torchcodec ``VideoDecoder`` that ``datasets.Video()`` returns. A torchcodec decoder does not expose its source;
    ``datasets`` attaches it (``metadata.path``), so only decoders made by ``datasets`` are accepted. Prefer
    ``Video(decode=False)``: a decoded column has already opened (and scanned) the file once before we open it.

    >>> video_source({"path": "/data/a.mp4", "bytes": None})
    '/data/a.mp4'
    """
    if isinstance(value, (str, os.PathLike)):
        return os.fspath(value)
    if isinstance(value, dict):
        if value.get("path"):
            return str(value["path"])
        if value.get("bytes") is not None:
            return "<bytes>"
        raise ValueError(f"a video value needs 'path' or 'bytes', got {value!r}")
    encoded = getattr(value, "_hf_encoded", None)  # set by datasets.Video.decode_example
    if isinstance(encoded, dict) and (encoded.get("path") or encoded.get("bytes") is not None):
        return video_source(encoded)
    path = getattr(getattr(value, "metadata", None), "path", None)
    if path:
        return str(path)
    raise TypeError(
        f"cannot tell which file this video value ({type(value).__name__}) comes from; give a path, or cast the "
        "column with datasets.Video(decode=False) so rows hold {'path', 'bytes'}"
    )


def video_bytes(value: Any) -> bytes | None:
    """The embedded bytes of a row's video value, when it carries them (Hub datasets stored in parquet)."""
    encoded = value if isinstance(value, dict) else getattr(value, "_hf_encoded", None)
    data = encoded.get("bytes") if isinstance(encoded, dict) else None
    return bytes(data) if data is not None else None


class VideoReader:
    """Frames of one video by index, decoded with torchcodec (one decoder per reader, never shared).

    ``data`` decodes embedded bytes instead of reading ``path`` (which then only names the video in errors).
    ``shrink_to`` has the decoder itself scale frames down to about that many pixels on their short side (never
    up): a whole clip of a large video then fits in memory at a fraction of the cost.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        seek_mode: str = "exact",
        num_threads: int = 1,
        data=None,
        shrink_to: int | None = None,
    ):
        from torchcodec.decoders import VideoDecoder

        self.path = os.fspath(path)
        if data is None and not Path(self.path).is_file():
            raise VideoDecodeError(
                self.path, "open", "file not found" if not Path(self.path).exists() else "not a file"
            )
        try:
            self._decoder = VideoDecoder(
                self.path if data is None else data, seek_mode=seek_mode, num_ffmpeg_threads=num_threads
            )
        except ValueError as err:
            reason = "no video stream" if "video stream" in str(err) else _reason(err)
            raise VideoDecodeError(self.path, "open", reason) from err
        except RuntimeError as err:
            stage = "metadata" if str(err).startswith("scanFile") else "open"
            raise VideoDecodeError(self.path, stage, _reason(err)) from err
        DECODE_STATS.opens += 1
        metadata = self._decoder.metadata
        self.total_frames = int(metadata.num_frames or 0)
        if self.total_frames < 1:
            raise VideoDecodeError(self.path, "metadata", "the video stream holds no frames")
        fps = metadata.average_fps
        self.fps = float(fps) if fps else float("nan")
        self.height, self.width = metadata.height, metadata.width
        if shrink_to and self.height and self.width and min(self.height, self.width) > shrink_to:
            from torchcodec.transforms import Resize

            scale = shrink_to / min(self.height, self.width)
            size = (max(1, round(self.height * scale)), max(1, round(self.width * scale)))
            self._decoder = VideoDecoder(self.path if data is None else data, seek_mode=seek_mode,
                                         num_ffmpeg_threads=num_threads, transforms=[Resize(size)])  # fmt: skip

    def get(self, indices) -> torch.Tensor:
        """uint8 frames ``(len(indices), 3, H, W)`` in the order given; each distinct frame is decoded once."""
        indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        if indices.size == 0:
            raise ValueError(f"{self.path}: no frame indices requested")
        if indices.min() < 0 or indices.max() >= self.total_frames:
            raise IndexError(f"{self.path}: frame indices must be in [0, {self.total_frames}), got {indices.tolist()}")
        if self._decoder is None:
            raise ValueError(f"{self.path}: the reader is closed")
        unique = np.unique(indices)  # sorted: torchcodec then decodes forward from each key frame only once
        try:
            frames = self._decoder.get_frames_at(unique.tolist()).data
        except (RuntimeError, ValueError) as err:
            raise VideoDecodeError(self.path, "decode", _reason(err)) from err
        DECODE_STATS.frames_decoded += int(unique.size)
        if unique.size == indices.size and np.array_equal(unique, indices):
            return frames
        return frames[torch.from_numpy(np.searchsorted(unique, indices))]

    def close(self) -> None:
        self._decoder = None

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"VideoReader({self.path!r}, total_frames={self.total_frames}, fps={self.fps:g})"


def open_video(value: Any, seek_mode: str = "exact", num_threads: int = 1) -> VideoReader:
    """A :class:`VideoReader` for a dataset row's video value (see :func:`video_source`); embedded bytes are used
    when the value carries them, else the file at its path."""
    return VideoReader(video_source(value), seek_mode, num_threads, data=video_bytes(value))
