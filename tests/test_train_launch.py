"""Multi-process launches for real: 2 CPU processes over gloo (DDP), and DeepSpeed ZeRO-2 on CPU."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT


pytestmark = pytest.mark.slow
ACCELERATE = str(Path(sys.executable).with_name("accelerate"))


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    from inforates.data.synthetic import generate_synthetic

    return generate_synthetic(tmp_path_factory.mktemp("synth") / "bench", seed=0, scale=0.25)


def launch(config: str, synth, out, *extra, num_processes: int = 2):
    cmd = [
        ACCELERATE,
        "launch",
        "--config_file",
        config,
        "--num_processes",
        str(num_processes),
        "-m",
        "inforates.train",
    ]
    cmd += ["--config", "recipes/demo/videomae.yaml", "--dataset_dir", str(synth), "--output_dir", str(out)]
    cmd += ["--max_train_videos", "32", "--num_train_epochs", "1", "--per_device_train_batch_size", "8"]
    cmd += ["--eval_strategy", "epoch", "--save_strategy", "epoch", "--disable_tqdm", "true", *extra]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)


def _trained(out: Path, done) -> dict:
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert (out / "model.safetensors").is_file() and (out / "preprocessor_config.json").is_file()
    return json.loads((out / "trainer_state.json").read_text())


def test_two_cpu_processes_share_the_epoch(synth, tmp_path):
    out = tmp_path / "ddp"
    state = _trained(out, launch("accelerate_configs/cpu_2proc.yaml", synth, out))
    assert state["global_step"] == 2  # 32 clips / (8 per process x 2 processes); one process would take 4
    assert sorted(p.name for p in out.glob("checkpoint-*")) == ["checkpoint-2"]
    assert json.loads((out / "eval_results.json").read_text())["eval_samples_per_second"] > 0


def test_deepspeed_zero2_on_cpu(synth, tmp_path):
    out = tmp_path / "zero2"
    done = launch("accelerate_configs/zero2.yaml", synth, out, "--use_cpu", "false", "--ddp_backend", "gloo")
    state = _trained(out, done)
    assert state["global_step"] == 2
    assert "deepspeed" in (done.stdout + done.stderr).lower()
    assert any((out / "checkpoint-2").glob("global_step*"))  # DeepSpeed's own engine checkpoint


def test_a_launch_that_would_run_as_one_process_is_refused(synth, tmp_path):
    done = launch("accelerate_configs/cpu_2proc.yaml", synth, tmp_path / "x", "--use_cpu", "false")
    assert done.returncode != 0
    assert "launched as 2 processes but the Trainer sees 1" in done.stdout + done.stderr
