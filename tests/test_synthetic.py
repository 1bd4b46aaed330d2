"""The rotating-shape benchmark: the prediction, the rendering (direction, frequency), the folder it writes."""

from __future__ import annotations

import csv
import dataclasses
import math
import time

import numpy as np
import pytest
from torchcodec.decoders import VideoDecoder

from inforates.aliasing import aliasing_x
from inforates.cli import main as cli_main
from inforates.configs import DataArguments
from inforates.data.synthetic import (
    CLASS_NAMES,
    METADATA_COLUMNS,
    SynthParams,
    draw_video,
    ensure_synthetic,
    generate_synthetic,
    iter_videos,
    predicted_direction_visible,
    read_params,
    render,
)
from inforates.data.synthetic.preview import save_preview


SMALL = {"num_frames": 12, "fps": 12.0, "size": 16, "videos_per_class": {"train": 2, "validation": 1, "test": 1}}


def read_metadata(root):
    with open(root / "metadata.csv", newline="") as f:
        return list(csv.DictReader(f))


def centroid_angles(frames: np.ndarray) -> np.ndarray:
    """Angle (radians, counter-clockwise on screen) of the bright shape's centroid about the frame centre."""
    luma = frames.astype(np.float64).mean(axis=1)  # (T, H, W)
    threshold = (luma.max(axis=(1, 2), keepdims=True) + np.median(luma, axis=(1, 2), keepdims=True)) / 2
    mask = luma > threshold
    size = frames.shape[-1]
    rows, cols = np.mgrid[0:size, 0:size] + 0.5 - size / 2
    x = (mask * cols).sum(axis=(1, 2)) / mask.sum(axis=(1, 2))
    y = -(mask * rows).sum(axis=(1, 2)) / mask.sum(axis=(1, 2))
    return np.arctan2(y, x)


def wrapped(angle):
    return (np.asarray(angle) + math.pi) % (2 * math.pi) - math.pi


# --- the prediction ---------------------------------------------------------------------------------------------
def test_aliasing_x_is_revolutions_per_step():
    assert aliasing_x(1.0, 6, 24.0) == pytest.approx(0.25)
    assert aliasing_x(1.5, 16, 24.0) == pytest.approx(1.0)
    np.testing.assert_allclose(aliasing_x([0.3, 0.6], [8, 16], 24.0), [0.1, 0.4])


@pytest.mark.parametrize(
    "x, visible",
    [(0.1, True), (0.45, True), (0.5, False), (0.55, False), (0.9, False), (1.0, False), (1.2, True), (1.7, False)],
)
def test_direction_visible_only_below_half_a_turn_per_step(x, visible):
    fps, delta = 24.0, 8
    f_hz = x * fps / delta
    assert predicted_direction_visible(f_hz, delta, fps) is visible


def test_prediction_matches_the_rendered_motion():
    """Between frames delta apart the shape's apparent turn (shortest angle) has the true sign iff predicted."""
    params = SynthParams(num_frames=33, fps=24.0, size=48, noise_std=0.0)
    delta = 16
    checked = 0
    for direction in ("cw", "ccw"):
        for x in (0.1, 0.3, 0.45, 0.6, 0.8, 1.2, 1.4):
            video = dataclasses.replace(draw_video(params, "test", f"dot_{direction}", 0), f_hz=x * params.fps / delta)
            angles = centroid_angles(render(video, params)[[0, delta]])
            apparent = wrapped(angles[1] - angles[0])
            true_sign = -1 if direction == "cw" else 1
            assert (np.sign(apparent) == true_sign) == predicted_direction_visible(video.f_hz, delta, params.fps), (
                direction,
                x,
                apparent,
            )
            checked += 1
    assert checked == 14


# --- rendering --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("class_name", CLASS_NAMES)
def test_each_class_turns_its_way_at_its_frequency(class_name):
    params = SynthParams(num_frames=24, fps=24.0, size=48)
    for index in range(3):
        video = draw_video(params, "train", class_name, index)
        steps = wrapped(np.diff(centroid_angles(render(video, params))))
        expected = (-1 if video.direction == "cw" else 1) * 2 * math.pi * video.f_hz / params.fps
        assert np.all(np.sign(steps) == np.sign(expected)), (video.video_id, steps)
        assert np.median(steps) == pytest.approx(expected, rel=0.15, abs=0.02), video.video_id


def test_render_is_deterministic_and_seeded():
    params = SynthParams(**SMALL)
    first = [render(v, params) for v in iter_videos(params)]
    second = [render(v, params) for v in iter_videos(params)]
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    assert first[0].shape == (12, 3, 16, 16) and first[0].dtype == np.uint8
    other = [render(v, dataclasses.replace(params, seed=1)) for v in iter_videos(dataclasses.replace(params, seed=1))]
    assert not any(np.array_equal(a, b) for a, b in zip(first, other))


def test_scale_adds_videos_without_changing_existing_ones():
    small, large = SynthParams(scale=0.5), SynthParams(scale=1.0)
    assert small.counts() == {"train": 32, "validation": 6, "test": 12}
    assert large.counts() == {"train": 64, "validation": 12, "test": 24}
    assert draw_video(small, "test", "bar_cw", 3) == draw_video(large, "test", "bar_cw", 3)
    ids = [v.video_id for v in iter_videos(large)]
    assert len(ids) == len(set(ids)) == 100 * len(CLASS_NAMES)


def test_frequencies_follow_the_configured_range():
    params = SynthParams(f_range=(0.5, 2.0), videos_per_class={"train": 200, "validation": 0, "test": 0})
    f = np.array([v.f_hz for v in iter_videos(params)])
    assert f.min() >= 0.5 and f.max() <= 2.0
    # log-uniform: as many below the geometric mean (1.0) as above it
    assert 0.4 < np.mean(f < 1.0) < 0.6
    uniform = dataclasses.replace(params, f_distribution="uniform")
    assert 0.4 < np.mean(np.array([v.f_hz for v in iter_videos(uniform)]) < 1.25) < 0.6


DEMO_SPACINGS = range(1, 13)  # the demo's within-video design: spacings 1..12 frames, 8 distinct frames


def test_default_benchmark_fits_the_demo_sampling():
    """Training clips (8 consecutive frames, spacing 1 or 2) stay below the Nyquist limit for every video; every test
    video, swept over spacings 1..12, is seen below the limit at spacing 1 and past it (0.6 < frac(x) < 0.9) at some
    spacing of its own, and those spacings differ from video to video; the longest cell fits every video."""
    params = SynthParams()
    f = np.array([v.f_hz for v in iter_videos(params)])
    assert aliasing_x(f, 2, params.fps).max() <= 0.4
    test = np.array([v.f_hz for v in iter_videos(params) if v.split == "test"])
    fractions = np.stack([aliasing_x(test, d, params.fps) % 1 for d in DEMO_SPACINGS], axis=1)
    assert np.all(fractions[:, 0] < 0.4)
    crossing = (fractions > 0.6) & (fractions < 0.9)
    assert crossing.any(axis=1).all()
    first_crossing = crossing.argmax(axis=1) + 1
    assert len(set(first_crossing)) >= 5  # at spacings that differ from video to video
    assert (8 - 1) * max(DEMO_SPACINGS) + 1 <= params.num_frames


def test_pretrain_task_has_its_own_labels_and_speeds():
    params = SynthParams(task="pretrain")
    assert len(params.class_names) == 12 and not set(params.class_names) & set(CLASS_NAMES)
    slow = [draw_video(params, "train", "ring_cw_slow", i).f_hz for i in range(20)]
    fast = [draw_video(params, "train", "ring_cw_fast", i).f_hz for i in range(20)]
    assert max(slow) <= np.sqrt(np.prod(params.f_range)) <= min(fast)
    frames = render(draw_video(params, "train", "cross_ccw_fast", 0), dataclasses.replace(params, num_frames=4))
    assert frames.shape == (4, 3, 32, 32) and frames.std() > 10


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"scale": 0}, "scale"),
        ({"num_frames": 1}, "num_frames"),
        ({"size": 8}, "size"),
        ({"f_range": (2.0, 1.0)}, "f_range"),
        ({"f_distribution": "normal"}, "f_distribution"),
        ({"videos_per_class": {"training": 3}}, "unknown split"),
        ({"task": "kinetics"}, "task"),
    ],
)
def test_bad_parameters_are_named(bad, message):
    with pytest.raises(ValueError, match=message):
        SynthParams(**bad)


# --- the folder -------------------------------------------------------------------------------------------------
def test_generated_folder_matches_its_metadata(tmp_path):
    root = generate_synthetic(tmp_path / "synth", seed=3, **SMALL)
    rows = read_metadata(root)
    assert tuple(rows[0]) == METADATA_COLUMNS
    assert len(rows) == 4 * len(CLASS_NAMES)
    assert {r["split"] for r in rows} == {"train", "validation", "test"}
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*.mp4")) == sorted(r["path"] for r in rows)
    params = read_params(root)
    by_id = {v.video_id: v for v in iter_videos(params)}
    for row in rows:
        assert row["class"] == f"{row['shape']}_{row['direction']}"
        assert row["path"] == f"{row['split']}/{row['class']}/{row['video_id']}.mp4"
        decoder = VideoDecoder(str(root / row["path"]), seek_mode="exact")
        assert decoder.metadata.num_frames == int(row["num_frames"]) == 12
        assert decoder.metadata.average_fps == pytest.approx(float(row["fps"]))
        assert (decoder.metadata.height, decoder.metadata.width) == (16, 16)
        assert float(row["f_hz"]) == by_id[row["video_id"]].f_hz
    # the encoded frames are the rendered ones, up to lossy coding
    video = by_id[rows[0]["video_id"]]
    decoded = VideoDecoder(str(root / rows[0]["path"])).get_frames_in_range(0, 12).data.numpy()
    assert np.abs(decoded.astype(int) - render(video, params).astype(int)).mean() < 12


def test_same_seed_same_benchmark(tmp_path):
    a = generate_synthetic(tmp_path / "a", seed=5, **SMALL)
    b = generate_synthetic(tmp_path / "b", seed=5, **SMALL)
    c = generate_synthetic(tmp_path / "c", seed=6, **SMALL)
    assert (a / "metadata.csv").read_bytes() == (b / "metadata.csv").read_bytes()
    assert [r["f_hz"] for r in read_metadata(a)] != [r["f_hz"] for r in read_metadata(c)]


def test_existing_benchmark_is_reused_not_rewritten(tmp_path):
    root = generate_synthetic(tmp_path / "synth", **SMALL)
    stamps = {p: p.stat().st_mtime_ns for p in root.rglob("*")}
    assert generate_synthetic(tmp_path / "synth", **SMALL) == root
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*")} == stamps


def test_interrupted_generation_is_completed(tmp_path):
    root = generate_synthetic(tmp_path / "synth", **SMALL)
    victim = sorted(root.rglob("*.mp4"))[3]
    victim.unlink()
    others = {p: p.stat().st_mtime_ns for p in root.rglob("*.mp4")}
    generate_synthetic(tmp_path / "synth", **SMALL)
    assert victim.is_file() and VideoDecoder(str(victim)).metadata.num_frames == 12
    assert all(p.stat().st_mtime_ns == t for p, t in others.items())


def test_different_parameters_need_overwrite_which_keeps_user_files(tmp_path):
    root = generate_synthetic(tmp_path / "synth", **SMALL)
    notes = root / "notes.txt"
    notes.write_text("mine")
    before = sorted(p.name for p in root.rglob("*.mp4"))
    with pytest.raises(ValueError, match=r"synth.*other parameters.*num_frames: 12 -> 10.*overwrite"):
        generate_synthetic(root, **{**SMALL, "num_frames": 10})
    assert sorted(p.name for p in root.rglob("*.mp4")) == before
    generate_synthetic(root, overwrite=True, **{**SMALL, "num_frames": 10, "videos_per_class": {"test": 1}})
    assert notes.read_text() == "mine"
    assert not (root / "train").exists()
    assert len(list(root.rglob("*.mp4"))) == len(CLASS_NAMES)
    assert VideoDecoder(str(next(root.rglob("*.mp4")))).metadata.num_frames == 10


def test_a_folder_that_is_not_a_benchmark_is_never_touched(tmp_path, make_video):
    video = make_video("mine/clip.mp4", num_frames=5, size=(16, 16))
    for overwrite in (False, True):
        with pytest.raises(ValueError, match=r"mine.*not a benchmark written by inforates synth"):
            generate_synthetic(video.parent, overwrite=overwrite, **SMALL)
    assert sorted(p.name for p in video.parent.iterdir()) == ["clip.mp4"]


def test_ensure_synthetic_generates_then_reuses(tmp_path, caplog):
    args = DataArguments(dataset_source="synthetic", dataset_dir=str(tmp_path / "synth"), synth_scale=0.02)
    root = ensure_synthetic(args)
    assert read_params(root).scale == 0.02
    assert len(read_metadata(root)) == 3 * len(CLASS_NAMES)  # one video per class and split
    # a folder generated with other settings is used as it is, with a warning
    other = generate_synthetic(tmp_path / "other", seed=9, **SMALL)
    assert ensure_synthetic(DataArguments(dataset_source="synthetic", dataset_dir=str(other))) == other
    assert "seed=9" in caplog.text
    with pytest.raises(ValueError, match="dataset_dir"):
        ensure_synthetic(DataArguments(dataset_source="synthetic"))


def test_cli_prints_what_it_wrote(tmp_path, capsys):
    out = tmp_path / "synth"
    argv = ["synth", "--out", str(out), "--seed", "2", "--frames", "10", "--fps", "10", "--size", "16"]
    assert cli_main([*argv, "--train", "1", "--validation", "1", "--test", "1"]) == 0
    printed = capsys.readouterr().out
    assert f"{out}: aliasing task, 18 videos (train 6, validation 6, test 6)" in printed
    assert "10 frames at 10 fps, 16x16 px" in printed and "metadata.csv" in printed
    assert read_params(out).seed == 2
    assert cli_main(["synth", "--out", str(out), "--f-min", "2", "--f-max", "1"]) == 2
    assert "f_range" in capsys.readouterr().err


def test_preview_png_is_small(tmp_path):
    png = save_preview(tmp_path / "img" / "frames.png", SynthParams(size=32))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert 10_000 < png.stat().st_size < 200_000


@pytest.mark.slow
def test_default_benchmark_generates_in_under_a_minute(tmp_path):
    start = time.perf_counter()
    root = generate_synthetic(tmp_path / "synth")
    seconds = time.perf_counter() - start
    assert len(list(root.rglob("*.mp4"))) == len(read_metadata(root)) == 600
    assert seconds < 60, seconds


def test_the_worked_example_in_the_docs():
    """docs/synthetic.md's table: each cell's indices on a 96-frame video and x at f = 2.4 Hz."""
    from pathlib import Path

    from inforates.sampling import spacing_budget_indices

    docs = (Path(__file__).resolve().parents[1] / "docs" / "synthetic.md").read_text()
    section = docs.split("**Worked example.**", 1)[1].split("## Default parameters", 1)[0]
    rows = [[c.strip().strip("`") for c in line.strip("|").split("|")] for line in section.splitlines()
            if line.startswith("| `d")]  # fmt: skip
    assert len(rows) == 5
    for name, indices, delta, x, _ in rows:
        assert indices == " ".join(map(str, spacing_budget_indices(96, int(delta), 8, 8))) and name == f"d{delta}_k8"
        assert float(x) == pytest.approx(float(aliasing_x(2.4, int(delta), 24.0)))
