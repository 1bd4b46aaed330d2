"""Metrics reach the trackers' local stores: trackio's SQLite database and TensorBoard event files."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

from conftest import REPO_ROOT


def test_metrics_reach_trackio_and_tensorboard(tmp_path):
    from inforates.data.synthetic import generate_synthetic

    synth = generate_synthetic(tmp_path / "synth", seed=0, scale=0.1)
    recipe = tmp_path / "recipe.yaml"
    lines = (REPO_ROOT / "recipes/demo/videomae.yaml").read_text().splitlines()
    recipe.write_text("\n".join(line for line in lines if not line.startswith("report_to")) + "\n"
                      "report_to: [tensorboard, trackio]\nproject: inforates-test\nrun_name: tracked\n")  # fmt: skip
    out = tmp_path / "run"
    argv = ["--config", str(recipe), "--dataset_dir", str(synth), "--output_dir", str(out), "--max_steps", "4"]
    argv += ["--logging_steps", "1", "--eval_strategy", "steps", "--eval_steps", "2", "--save_strategy", "no"]
    argv += ["--load_best_model_at_end", "false", "--disable_tqdm", "true"]
    env = {**os.environ, "TRACKIO_DIR": str(tmp_path / "trackio"), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", "inforates.cli", "train", *argv], env=env, capture_output=True,
                          text=True, cwd=REPO_ROOT)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    losses = {log["step"]: log["loss"] for log in history if "loss" in log}
    accuracies = {log["step"]: log["eval_accuracy"] for log in history if "eval_accuracy" in log}
    assert len(losses) == 4 and len(accuracies) == 2

    # trackio: one SQLite database per project, a JSON row of metrics per log call
    with sqlite3.connect(tmp_path / "trackio" / "inforates-test.db") as db:
        rows = [json.loads(m) for name, m in db.execute("select run_name, metrics from metrics") if name == "tracked"]
    logged = {row["train/global_step"]: row["train/loss"] for row in rows if "train/loss" in row}
    assert logged == losses
    assert all(row["train/clips_per_second"] > 0 for row in rows if "train/loss" in row)
    assert {row["train/global_step"]: row["eval/accuracy"] for row in rows if "eval/accuracy" in row} == accuracies

    # TensorBoard: event files under output_dir/runs
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    scalars = {}
    for folder in (out / "runs").iterdir():
        events = EventAccumulator(str(folder))
        events.Reload()
        for tag in events.Tags()["scalars"]:
            scalars.setdefault(tag, {}).update({e.step: e.value for e in events.Scalars(tag)})
    assert scalars["train/loss"] == {step: float(_f32(v)) for step, v in losses.items()}
    assert set(scalars["train/data_wait_share"]) == set(losses)
    assert set(scalars["eval/accuracy"]) == set(accuracies)


def _f32(value: float) -> float:
    import numpy as np

    return float(np.float32(value))
