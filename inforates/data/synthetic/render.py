"""Rendering a benchmark video (numpy, vectorised over frames and pixels) and encoding it (torchcodec)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ...files import atomic_write
from .params import SyntheticVideo, SynthParams


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
    if shape == "square":  # the pretraining task's shapes: larger, mirror-symmetric about the x axis too
        return np.maximum(np.abs(x - radius), np.abs(y)) - 0.30 * s
    if shape == "cross":
        arm, width = 0.42 * s, 0.13 * s
        horizontal = np.maximum(np.abs(x - radius) - arm, np.abs(y) - width)
        vertical = np.maximum(np.abs(x - radius) - width, np.abs(y) - arm)
        return np.minimum(horizontal, vertical)
    if shape == "ring":
        return np.abs(np.hypot(x - radius, y) - 0.30 * s) - 0.11 * s
    if shape == "triangle":  # isosceles, apex pointing outwards
        apex, base, half_base = radius + 0.34 * s, radius - 0.24 * s, 0.34 * s
        side = math.hypot(half_base, apex - base)
        slanted = ((x - apex) * half_base + np.abs(y) * (apex - base)) / side
        return np.maximum(base - x, slanted)
    raise ValueError(f"unknown shape {shape!r}")


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
    # one thread per encoder, "veryfast": tiny frames, where x264's threads and search cost more than they save
    options = {"threads": 1}
    write = lambda tmp: encoder.to_file(tmp, crf=crf, preset="veryfast", extra_options=options)  # noqa: E731
    atomic_write(path, write, suffix=f".tmp{path.suffix}")
