"""The full-size architectures on CPU: `inforates train` then `inforates evaluate`, each a child process.

TimeSformer-B (8 frames), VideoMAE-B (16) and ViViT-B (32) at 224 px, built from their configs with random weights
(``--random_init true``: nothing downloaded), are trained for 2 optimizer steps (batch 1, fp32, activation
checkpointing) on a videofolder of real H.264 videos (240x320, 40 frames), reloaded, and evaluated on 2 test
videos x 3 cells. Each command's wall time and peak RSS (``ru_maxrss`` of that command alone) are printed at the
end of the module; docs/benchmarks.md ("Full-size architectures on CPU") records them. Times are not asserted.

    HF_HUB_OFFLINE=1 .venv/bin/python -m pytest -q -m slow tests/test_full_size.py -s
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import torch
from conftest import REPO_ROOT, numbered_frames, write_video
from safetensors.torch import load_file

from inforates.model_registry import MODEL_REGISTRY


pytestmark = pytest.mark.slow
INFORATES = str(Path(sys.executable).with_name("inforates"))
CLASSES = ("jumping", "waving")
VIDEO_FRAMES, VIDEO_HEIGHT, VIDEO_WIDTH = 40, 240, 320  # >= 32 frames: ViViT's clip holds distinct frames
STRIDES = (1, 2, 4)  # with coverage 100: 3 cells
TEST_VIDEOS = len(CLASSES)  # one per class
# A clip of a base-size model, trained or evaluated on CPU, fits an ordinary 16 GB machine (measured: 1-3 GiB,
# docs/benchmarks.md); a loose bound, for a run that grows several times over.
PEAK_RSS_LIMIT_GIB = 12
# Linux carries a process's peak RSS across exec, so a child forked from this pytest process (which holds models)
# would report at least pytest's own peak. A small launcher in between makes the command a grandchild whose
# ru_maxrss is its own; the launcher writes it (KiB) to argv[1] and exits with the command's status.
LAUNCHER = (
    "import os, subprocess, sys\n"
    "child = subprocess.Popen(sys.argv[2:])\n"
    "_, status, usage = os.wait4(child.pid, 0)\n"
    "open(sys.argv[1], 'w').write(str(usage.ru_maxrss))\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)

MEASURED: list[dict] = []


@dataclass
class Measured:
    returncode: int
    output: str
    seconds: float
    peak_rss_gib: float


def run_measured(args: list[str], log: Path, timeout_s: float = 1800) -> Measured:
    """Run ``args``; its wall time and its own peak RSS (``ru_maxrss`` of the command alone, see LAUNCHER)."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1"}
    rss_file = log.with_suffix(".maxrss")
    with log.open("w") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, str(rss_file), *args],
            stdout=out, stderr=subprocess.STDOUT, cwd=REPO_ROOT, env=env, start_new_session=True,
        )  # fmt: skip
        try:
            returncode = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the launcher and the command
            returncode = proc.wait()
        seconds = time.perf_counter() - start
    peak_kib = int(rss_file.read_text()) if rss_file.is_file() else 0
    return Measured(returncode, log.read_text(), seconds, peak_kib * 1024 / 2**30)


@pytest.fixture(scope="module")
def videofolder(tmp_path_factory) -> Path:
    """``root/{train,validation,test}/<class>/*.mp4``: 2 x 2 training, 2 validation and 2 test videos."""
    root = tmp_path_factory.mktemp("full_size") / "videos"
    for split, per_class in (("train", 2), ("validation", 1), ("test", 1)):
        for c, name in enumerate(CLASSES):
            for i in range(per_class):
                seed = 100 * len(split) + 10 * c + i
                frames = numbered_frames(VIDEO_FRAMES, VIDEO_HEIGHT, VIDEO_WIDTH, seed=seed)
                write_video(root / split / name / f"{name}_{i}.mp4", frames, fps=25.0)
    return root


@pytest.fixture(scope="module", autouse=True)
def report_measurements():
    """Print what this module measured, as the table in docs/benchmarks.md."""
    yield
    if not MEASURED:
        return
    print("\n\n| model | clip | train wall s | train loop s | train peak RSS GiB | evaluate wall s | "
          "evaluate peak RSS GiB |\n| --- | --- | --- | --- | --- | --- | --- |")  # fmt: skip
    for row in MEASURED:
        print(
            f"| {row['model']} | {row['clip_len']} x 224 px | {row['train_s']:.0f} | {row['train_loop_s']:.0f} | "
            f"{row['train_rss_gib']:.2f} | {row['evaluate_s']:.0f} | {row['evaluate_rss_gib']:.2f} |"
        )


def train_argv(name: str, videofolder: Path, out: Path) -> list[str]:
    return [
        INFORATES, "train", "--model_name_or_path", name, "--random_init", "true",
        "--dataset_dir", str(videofolder), "--output_dir", str(out),
        "--max_steps", "2", "--per_device_train_batch_size", "1", "--per_device_eval_batch_size", "1",
        "--activation_checkpointing", "true", "--use_cpu", "true", "--max_validation_videos", "1",
        "--eval_strategy", "no", "--save_strategy", "no", "--logging_steps", "1",
        "--dataloader_num_workers", "0", "--report_to", "none", "--disable_tqdm", "true",
    ]  # fmt: skip


def evaluate_argv(checkpoint: Path, videofolder: Path, out: Path) -> list[str]:
    return [
        INFORATES, "evaluate", "--model_name_or_path", str(checkpoint), "--dataset_dir", str(videofolder),
        "--output_dir", str(out), "--coverages", "100", "--strides", *map(str, STRIDES),
        "--per_device_eval_batch_size", "1", "--use_cpu", "true", "--report_to", "none", "--disable_tqdm", "true",
    ]  # fmt: skip


def check_training(out: Path, name: str, clip_len: int) -> dict:
    """Two optimizer steps with finite losses and gradients; the saved model reloads with every weight as saved."""
    from transformers import AutoModelForVideoClassification

    state = json.loads((out / "trainer_state.json").read_text())
    assert state["global_step"] == 2
    steps = [entry for entry in state["log_history"] if "loss" in entry]
    assert [entry["step"] for entry in steps] == [1, 2]
    assert all(math.isfinite(e["loss"]) and math.isfinite(e["grad_norm"]) for e in steps), steps
    assert steps[0]["grad_norm"] > 0  # the backward pass through the checkpointed layers reached the weights
    train = json.loads((out / "train_results.json").read_text())
    validation = json.loads((out / "eval_results.json").read_text())
    assert math.isfinite(train["train_loss"]) and math.isfinite(validation["eval_loss"])

    config = json.loads((out / "config.json").read_text())
    assert config["model_type"] == MODEL_REGISTRY[name].model_type
    assert (config["num_frames"], config["image_size"]) == (clip_len, 224)
    assert sorted(config["id2label"].values()) == list(CLASSES)
    processor = json.loads((out / "preprocessor_config.json").read_text())
    assert processor["crop_size"] == {"height": 224, "width": 224}

    model, info = AutoModelForVideoClassification.from_pretrained(out, output_loading_info=True)
    assert not any(info[key] for key in ("missing_keys", "unexpected_keys", "mismatched_keys")), info
    # transformers renames keys on load (ViViT's whole encoder, VideoMAE's q_bias) and back on save: a round trip
    model.save_pretrained(out / "resaved")
    saved, resaved = load_file(out / "model.safetensors"), load_file(out / "resaved" / "model.safetensors")
    assert saved.keys() == resaved.keys() and "classifier.weight" in saved
    for key in saved:
        torch.testing.assert_close(resaved[key], saved[key], rtol=0, atol=0, msg=key)
    del model, saved, resaved
    return train


def check_evaluation(out: Path, clip_len: int) -> None:
    """2 test videos x 3 cells, one finite prediction each."""
    (run,) = [p.parent for p in out.rglob("predictions.parquet")]
    predictions = pd.read_parquet(run / "predictions.parquet")
    assert len(predictions) == TEST_VIDEOS * len(STRIDES)
    assert (
        predictions.groupby("video_id")["variant"].apply(sorted).tolist()
        == [[f"cov100_s{s}" for s in STRIDES]] * TEST_VIDEOS
    )
    assert (predictions["clip_len"] == clip_len).all()
    assert predictions["p_true"].between(0, 1).all()  # NaN would fail too
    assert sorted(predictions["class_name"].unique()) == list(CLASSES)
    assert len(pd.read_csv(run / "results.csv")) == len(STRIDES)


@pytest.mark.parametrize(("name", "clip_len"), [("timesformer", 8), ("videomae", 16), ("vivit", 32)])
def test_full_size_model_trains_reloads_and_evaluates_on_cpu(name, clip_len, videofolder, tmp_path):
    assert MODEL_REGISTRY[name].clip_len == clip_len and MODEL_REGISTRY[name].image_size == 224
    out = tmp_path / name
    train = run_measured(train_argv(name, videofolder, out), tmp_path / "train.log")
    assert train.returncode == 0, train.output[-4000:]
    train_results = check_training(out, name, clip_len)

    evaluation = run_measured(evaluate_argv(out, videofolder, tmp_path / "eval"), tmp_path / "evaluate.log")
    assert evaluation.returncode == 0, evaluation.output[-4000:]
    check_evaluation(tmp_path / "eval", clip_len)

    MEASURED.append({
        "model": name, "clip_len": clip_len, "train_s": train.seconds, "train_loop_s": train_results["train_runtime"],
        "train_rss_gib": train.peak_rss_gib, "evaluate_s": evaluation.seconds,
        "evaluate_rss_gib": evaluation.peak_rss_gib,
    })  # fmt: skip
    for measured in (train, evaluation):
        assert 0 < measured.peak_rss_gib < PEAK_RSS_LIMIT_GIB
