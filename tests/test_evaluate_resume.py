"""A real `inforates evaluate` run, SIGKILLed mid-run and started again, ends with an uninterrupted run's outputs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
from conftest import REPO_ROOT
from test_evaluate import make_checkpoint, make_videofolder

from inforates.commands.evaluate import main


def command(checkpoint, videos, out) -> list[str]:
    """The common case (no recipe): a checkpoint on a videofolder's test split, small grid, one video per shard."""
    return [
        "--model_name_or_path", str(checkpoint), "--dataset_dir", str(videos), "--output_dir", str(out),
        "--coverages", "25", "50", "100", "--strides", "1", "4", "--eval_shard_size", "1",
        "--use_cpu", "true", "--report_to", "none", "--seed", "0",
    ]  # fmt: skip


def launch(args: list[str]) -> subprocess.Popen:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    return subprocess.Popen(
        [sys.executable, "-m", "inforates.evaluate", *args],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def recorded_shards(run_dir) -> int:
    try:
        return len(json.loads((run_dir / "progress.json").read_text())["shards"])
    except (OSError, ValueError, KeyError):
        return 0


@pytest.mark.slow  # two `python -m inforates.evaluate` processes: ~30 s on 2 cores
def test_sigkill_mid_run_then_same_command_resumes_to_identical_outputs(tmp_path, capsys):
    checkpoint = make_checkpoint(tmp_path / "tiny-videomae")
    videos = make_videofolder(tmp_path / "videos", per_class=4)
    total = len(list((videos / "test").glob("*/*.mp4")))  # 12 videos + 1 broken = 13 shards

    # the reference: one uninterrupted run (in this process)
    assert main(command(checkpoint, videos, tmp_path / "whole")) == 0
    reference = tmp_path / "whole" / "eval" / "tiny-videomae"
    assert str(reference) in capsys.readouterr().out  # the command says where the results are

    out = tmp_path / "cut"
    run_dir = out / "eval" / "tiny-videomae"
    proc = launch(command(checkpoint, videos, out))
    deadline = time.monotonic() + 240
    while recorded_shards(run_dir) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert proc.poll() is None, f"the run ended before it could be killed:\n{proc.communicate()[1][-2000:]}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    done = recorded_shards(run_dir)
    assert 3 <= done < total and not (run_dir / "run.json").exists()

    proc = launch(command(checkpoint, videos, out))
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr[-3000:]
    assert f"resuming: {done} of {total} shards" in stdout + stderr

    resumed = pd.read_parquet(run_dir / "predictions.parquet")
    whole = pd.read_parquet(reference / "predictions.parquet")
    assert not resumed.duplicated(["path", "variant"]).any() and len(resumed) == len(whole) == 12 * 6
    pd.testing.assert_frame_equal(resumed, whole, check_exact=False, rtol=1e-5)
    timing = ["clips_per_s", "avg_time"]
    pd.testing.assert_frame_equal(
        pd.read_csv(run_dir / "results.csv").drop(columns=timing),
        pd.read_csv(reference / "results.csv").drop(columns=timing),
    )
    for name in ("per_class.csv", "skipped.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(run_dir / name), pd.read_csv(reference / name))
    run = json.loads((run_dir / "run.json").read_text())
    assert run["timings"]["sessions"] == 2 and run["videos"]["skipped"] == 1
    assert sorted(p.name for p in run_dir.iterdir()) == sorted(
        ["predictions.parquet", "results.csv", "per_class.csv", "skipped.csv", "run.json"]
    )
