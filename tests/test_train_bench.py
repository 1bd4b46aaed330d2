"""bench/gpu_train.py runs its whole matrix with tiny models on CPU (--tiny), as it would on a GPU."""

from __future__ import annotations

import csv
import os
import subprocess
import sys

import pytest
from conftest import REPO_ROOT


@pytest.mark.slow  # a check of the benchmark script (26 settings in a subprocess), not of the package
def test_gpu_train_bench_tiny(tmp_path):
    out = tmp_path / "bench.csv"
    cmd = [sys.executable, "bench/gpu_train.py", "--tiny", "--steps", "1", "--warmup", "1", "--published"]
    cmd += ["--out", str(out)]
    done = subprocess.run(
        cmd, cwd=REPO_ROOT, capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"}
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = list(csv.DictReader(out.open()))
    settings = {(r["model"], r["attention"], r["grad_ckpt"], r["input"], r["recipe"]) for r in rows}
    assert len(rows) == len(settings) == 4 + 8 + 8 + 3 * 2  # TimeSformer has no SDPA; published: 2 per model
    published = [r for r in rows if r["recipe"] == "published"]
    assert {(r["grad_ckpt"], r["input"]) for r in published} == {("False", "memory"), ("False", "pipeline")}
    assert not any(r["model"] == "tiny-timesformer" and r["attention"] == "sdpa" for r in rows)
    assert all(float(r["clips_per_s"]) > 0 and r["frames"] == "8" and r["image_size"] == "32" for r in rows)
    assert all(float(r["data_wait_share"]) > 0.0 for r in rows if r["input"] == "pipeline")
    assert "pipeline/memory clips/s" in done.stdout and "sdpa/eager clips/s" in done.stdout
    assert done.stdout.count("published/plain clips/s") == 6
