"""The motion-guided sampler (``motion_uniform``): oracle tests of its indices, its motion measured on real encoded
video, the same frames in training and evaluation (its comparison with uniform sampling in the report:
tests/test_resolution.py, which evaluates and compares both new axes in one run)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import write_video

from inforates.data.collator import VideoCollator
from inforates.data.motion import motion_profile
from inforates.data.processor import ProcessorSettings
from inforates.evaluation.grid import GridCollator, variant_indices
from inforates.sampling import SamplingVariant
from inforates.sampling.samplers import clip_indices, motion_uniform_indices


IDENTITY = ProcessorSettings(image_mean=0.0, image_std=1.0, shortest_edge=None, crop_size=None, rescale_factor=1.0)
MOVING_FROM = 40


def test_frames_go_where_the_motion_is():
    second_half = np.r_[np.zeros(50), np.ones(50)]
    picks = motion_uniform_indices(100, 100, 1, 8, motion=second_half)
    assert (picks >= 50).all() and len(set(picks)) == 8 and (np.diff(picks) > 0).all()
    burst = np.zeros(100)
    burst[20:30] = 5.0  # a burst of motion among still frames: most frames on it, the rest spread
    picks = motion_uniform_indices(100, 100, 1, 8, motion=burst)
    assert ((picks >= 19) & (picks < 31)).sum() >= 6
    even = motion_uniform_indices(100, 100, 1, 4, motion=np.ones(100))
    assert even.tolist() == motion_uniform_indices(100, 100, 1, 4, motion=np.zeros(100)).tolist()
    assert np.abs(even - np.array([12, 37, 62, 87])).max() <= 1  # uniform motion: the segments' centres

    window = motion_uniform_indices(100, 50, 4, 6, anchor="end", motion=second_half)  # window 50..99, every 4th
    assert ((window >= 50) & ((window - 50) % 4 == 0)).all() and len(set(window)) == 6
    assert motion_uniform_indices(20, 100, 8, 8, motion=np.ones(20)).tolist() == clip_indices(20, 100, 8, 8).tolist()
    again = motion_uniform_indices(100, 100, 1, 8, motion=burst)
    assert again.tolist() == motion_uniform_indices(100, 100, 1, 8, motion=burst).tolist()  # deterministic
    with pytest.raises(ValueError, match="motion has 99 frames, the window ends at frame 100"):
        motion_uniform_indices(100, 100, 1, 8, motion=np.ones(99))


@pytest.fixture(scope="module")
def half_moving(tmp_path_factory):
    """80 frames, 64 px: a still texture for 40 frames, then the texture sliding 3 px a frame; each frame's number
    in its top-left 8 x 8 block (grey = 3 x number), read back from decoded pixels."""
    rng = np.random.default_rng(0)
    texture = rng.integers(0, 256, (16, 50), dtype=np.uint8).repeat(4, 0).repeat(4, 1)  # 4-px blocks: H.264 keeps them
    frames = []
    for t in range(80):
        shift = 0 if t < MOVING_FROM else 3 * (t - MOVING_FROM + 1)
        frame = np.roll(texture, shift, axis=1)[:, :64].copy()
        frame[:8, :8] = 3 * t
        frames.append(np.repeat(frame[None], 3, axis=0))  # (3, H, W)
    return write_video(tmp_path_factory.mktemp("motion") / "half.mp4", np.stack(frames), fps=25.0)


def _numbers(clip) -> list[int]:
    return [int(round(float(frame[:, :8, :8].mean()) / 3)) for frame in clip]


def test_motion_is_measured_on_the_video_and_steers_training_and_evaluation_alike(half_moving):
    energy = motion_profile(str(half_moving))
    assert len(energy) == 80 and energy[1:MOVING_FROM].max() < 0.2 * energy[MOVING_FROM + 1 :].mean()
    assert motion_profile(str(half_moving), 10, 20).tolist() == pytest.approx([0.0, *energy[11:30]], abs=1e-9)

    guided = SamplingVariant(coverage=100, stride=1, sampler="motion_uniform")
    clips, frames, _ = GridCollator([guided, SamplingVariant()], 8, IDENTITY, seed=0).video_clips(str(half_moving))
    seen, uniform = _numbers(clips[0]), _numbers(clips[1])
    assert min(seen) >= MOVING_FROM - 1 and len(set(seen)) == 8  # every frame where the motion is
    assert min(uniform) == 0  # uniform sampling spends half its frames on the still half
    assert seen == variant_indices([guided], 80, 8, motion=energy)[0].tolist()  # what the facts are computed from

    train = VideoCollator(IDENTITY, 8, guided, train=True, random_resized_crop=False, horizontal_flip=False)
    assert _numbers(train([{"video": str(half_moving), "label": 0}])["pixel_values"][0]) == seen
