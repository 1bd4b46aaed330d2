"""`accelerate launch` with 2 CPU processes (gloo) splits the videos and gives a 1-process run's predictions."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pandas as pd
import pytest
from conftest import REPO_ROOT
from test_evaluate import make_checkpoint, make_videofolder

from inforates.commands.evaluate import main


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def evaluate_in_two_processes(args: list[str], output_dir) -> subprocess.CompletedProcess:
    """``accelerate launch`` of ``inforates.evaluate`` with 2 CPU processes (gloo) writing to ``output_dir``."""
    launcher = [
        sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
        "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
        "--main_process_port", str(free_port()), "-m", "inforates.evaluate",
    ]  # fmt: skip
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [*launcher, *args, "--output_dir", str(output_dir)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


@pytest.mark.slow
def test_two_processes_give_the_same_outputs_as_one(tmp_path):
    checkpoint = make_checkpoint(tmp_path / "tiny")
    videos = make_videofolder(tmp_path / "videos", per_class=3)  # 9 videos + 1 broken
    args = [
        "--checkpoints", f"tiny={checkpoint}", "--dataset_dir", str(videos),
        "--coverages", "10", "50", "100", "--strides", "1", "8",
        "--eval_shard_size", "3",  # shards of 3, 3, 3, 1 videos: uneven across 2 processes, padded by accelerate
        "--per_device_eval_batch_size", "6",  # 1 video (6 clips) per batch
        "--use_cpu", "true", "--report_to", "none", "--seed", "0",
    ]  # fmt: skip
    assert main([*args, "--output_dir", str(tmp_path / "one")]) == 0

    proc = evaluate_in_two_processes(args, tmp_path / "two")
    assert proc.returncode == 0, proc.stderr[-4000:]
    one, two = tmp_path / "one" / "eval" / "tiny", tmp_path / "two" / "eval" / "tiny"
    assert proc.stdout.count(f"{two}/results.csv") == 1  # printed by the main process only
    run = json.loads((two / "run.json").read_text())
    assert run["num_processes"] == 2 and run["videos"] == {"total": 10, "evaluated": 9, "skipped": 1, "missing": 0}

    single, double = pd.read_parquet(one / "predictions.parquet"), pd.read_parquet(two / "predictions.parquet")
    assert len(double) == 9 * 6 and not double.duplicated(["path", "variant"]).any()
    pd.testing.assert_frame_equal(double, single, check_exact=False, rtol=1e-5)
    for name in ("per_class.csv", "skipped.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(two / name), pd.read_csv(one / name))
    timing = ["clips_per_s", "avg_time"]
    pd.testing.assert_frame_equal(
        pd.read_csv(two / "results.csv").drop(columns=timing), pd.read_csv(one / "results.csv").drop(columns=timing)
    )
