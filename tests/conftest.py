"""Shared test fixtures: real encoded videos, made here (no downloads)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest


os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
# trackio reads its store's folder once, when imported: every test of a process shares this one (a project each)
os.environ.setdefault("TRACKIO_DIR", tempfile.mkdtemp(prefix="inforates-trackio-"))

REPO_ROOT = Path(__file__).resolve().parents[1]


def numbered_frames(num_frames: int, height: int = 64, width: int = 64, seed: int = 0) -> np.ndarray:
    """uint8 frames (T, 3, H, W) whose mean brightness encodes the frame index (recoverable after lossy coding)."""
    rng = np.random.default_rng(seed)
    levels = np.linspace(16, 239, max(num_frames, 2))[:num_frames]
    frames = np.empty((num_frames, 3, height, width), np.uint8)
    noise = rng.integers(-6, 7, size=(3, height, width))
    for t, level in enumerate(levels):
        frames[t] = np.clip(level + noise, 0, 255)
    return frames


def frame_number(frame: np.ndarray, num_frames: int) -> int:
    """Invert :func:`numbered_frames`: which frame index a decoded frame (3, H, W) shows."""
    levels = np.linspace(16, 239, max(num_frames, 2))[:num_frames]
    return int(np.argmin(np.abs(levels - float(np.asarray(frame, np.float64).mean()))))


def write_video(path: Path, frames: np.ndarray, fps: float = 25.0) -> Path:
    """Encode uint8 (T, 3, H, W) frames by extension: .mp4/.mkv/.mov H.264 (torchcodec), .avi MPEG-4 Part 2,
    .webm VP9 (system ffmpeg)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix in (".mp4", ".mkv", ".mov"):
        import torch
        from torchcodec.encoders import VideoEncoder

        VideoEncoder(torch.from_numpy(np.ascontiguousarray(frames)), frame_rate=fps).to_file(str(path), crf=10)
        return path
    codec = {".avi": ["-c:v", "mpeg4", "-q:v", "2"], ".webm": ["-c:v", "libvpx-vp9", "-b:v", "0", "-crf", "20"]}
    if suffix not in codec or shutil.which("ffmpeg") is None:
        raise ValueError(f"cannot encode {suffix} here")
    t, _, h, w = frames.shape
    cmd = ["ffmpeg", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}"]
    cmd += ["-r", str(fps), "-i", "-", *codec[suffix], "-pix_fmt", "yuv420p", str(path)]
    subprocess.run(cmd, input=np.ascontiguousarray(frames.transpose(0, 2, 3, 1)).tobytes(), check=True)
    return path


def decoded_texture(folder: Path, num_frames: int, height: int, width: int, noise: float = 15.0):
    """``num_frames`` real decoded frames (an H.264 round trip), uint8 ``(T, 3, H, W)``: a texture moving from frame
    to frame, with noise, so that every frame differs."""
    from inforates.data.decoding import VideoReader

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:height, 0:width]
    frames = []
    for t in range(num_frames):
        base = 128 + 60 * np.sin(xx / 6 + t) + 40 * np.cos(yy / 5 - t) + rng.normal(0, noise, (height, width))
        frames.append(np.stack([base, 0.6 * np.roll(base, 7, axis=1) + 40, 255 - base]))
    path = write_video(folder / "texture.mp4", np.clip(frames, 0, 255).astype(np.uint8))
    with VideoReader(path) as video:
        return video.get(list(range(num_frames)))


@pytest.fixture
def make_video(tmp_path):
    """``make_video(name, num_frames=30, fps=25, size=(64, 64), seed=0) -> Path`` of a real encoded video."""

    def _make(name: str, num_frames: int = 30, fps: float = 25.0, size=(64, 64), seed: int = 0) -> Path:
        return write_video(tmp_path / name, numbered_frames(num_frames, *size, seed=seed), fps)

    return _make


@pytest.fixture
def broken_videos(tmp_path):
    """``{name: (path, stage)}``: real broken files and the decoding stage each fails at.

    zero bytes, a truncated MP4 (no moov atom), text renamed .avi, an audio-only MP4 (no video stream), and an MP4
    whose index is intact but whose frame data is garbage (fails mid-decode)."""
    folder = tmp_path / "broken"
    folder.mkdir()
    good = write_video(folder / "good.mp4", numbered_frames(30))
    data = good.read_bytes()
    (folder / "zero.mp4").write_bytes(b"")
    (folder / "truncated.mp4").write_bytes(data[: len(data) // 2])
    (folder / "text.avi").write_text("this is a text file, not a video\n")
    run = ["ffmpeg", "-loglevel", "error", "-y"]
    audio = folder / "audio_only.mp4"
    subprocess.run([*run, "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", str(audio)], check=True)
    faststart = folder / "faststart.mp4"
    subprocess.run([*run, "-i", str(good), "-c", "copy", "-movflags", "+faststart", str(faststart)], check=True)
    corrupt = bytearray(faststart.read_bytes())
    start, stop = len(corrupt) // 3, len(corrupt) - 100
    corrupt[start:stop] = np.random.default_rng(0).integers(0, 256, stop - start, dtype=np.uint8).tobytes()
    (folder / "corrupt_frames.mp4").write_bytes(bytes(corrupt))
    faststart.unlink()
    good.unlink()
    stages = {"zero.mp4": "open", "truncated.mp4": "open", "text.avi": "open", "audio_only.mp4": "open"}
    stages["corrupt_frames.mp4"] = "decode"
    return {name: (folder / name, stage) for name, stage in stages.items()}
