"""Real runs killed, stopped or starved at their most dangerous moments: every file is whole or absent, the rerun
finishes with an uninterrupted run's results, a finished run is left byte for byte, and nothing leaks a token.

The kills come from inside (``INFORATES_CRASH_AT``: ``SIGKILL`` between a file and the record that vouches for it)
or from outside (``SIGTERM``); a full disk is an ``ENOSPC`` raised by the writer.
"""

from __future__ import annotations

import errno
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch
from conftest import REPO_ROOT
from safetensors.torch import load_file
from test_evaluate import CLASSES, make_checkpoint, make_videofolder
from test_evaluate_resume import recorded_shards
from test_train import synth, train_argv  # noqa: F401 (synth: a fixture)

from inforates import cli
from inforates.evaluation.store import RunStore
from inforates.files import CRASH_AT
from inforates.training.run_dir import CHECKPOINT_RECORD, RUN_FILE, mark_checkpoint


SECRET = "hf_NOT_A_REAL_TOKEN_0123456789"


def fault_train_argv(synth, out, *extra):  # noqa: F811
    """Two epochs of two steps (checkpoint-2, checkpoint-4), a DataLoader worker so that a resumed run draws the
    same augmentations, and a Hub token that must end up nowhere."""
    return ["train", *train_argv(synth, out, "--max_train_videos", "16", "--max_validation_videos", "6",
                                 "--dataloader_num_workers", "1", "--hub_token", SECRET, *extra)]  # fmt: skip


def launch(argv: list[str], crash_at: str | None = None) -> subprocess.Popen:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    env.pop(CRASH_AT, None)
    if crash_at:
        env[CRASH_AT] = crash_at
    return subprocess.Popen([sys.executable, "-m", "inforates", *argv], cwd=REPO_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def killed_at(argv: list[str], point: str) -> str:
    """Run ``argv`` in a process that kills itself at ``point``; its output."""
    proc = launch(argv, crash_at=point)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == -signal.SIGKILL, f"not killed at {point}:\n{err[-3000:]}"
    return out + err


def one_error_line(err: str) -> str:
    """The single ``error: ...`` line of a command's stderr (progress bars aside), and no traceback."""
    lines = [line for line in err.replace("\r", "\n").splitlines() if line.startswith("error: ")]
    assert len(lines) == 1 and "Traceback" not in err, err[-3000:]
    return lines[0]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def no_secret_in(folder: Path) -> None:
    leaks = [name for name, data in snapshot(folder).items() if SECRET.encode() in data]
    assert not leaks, f"the token is written in {leaks}"


def same_weights(a: Path, b: Path) -> None:
    left, right = load_file(a / "model.safetensors"), load_file(b / "model.safetensors")
    assert left.keys() == right.keys()
    for key in left:
        torch.testing.assert_close(left[key], right[key], rtol=0, atol=0, msg=key)


@pytest.fixture(scope="module")
def whole_run(synth, tmp_path_factory):  # noqa: F811
    """The uninterrupted run every interrupted one must end up equal to."""
    out = tmp_path_factory.mktemp("whole") / "run"
    assert cli.main(fault_train_argv(synth, out)) == 0
    return out


# ---- training ----


def test_killed_mid_checkpoint_the_rerun_resumes_from_the_last_whole_one(synth, whole_run, tmp_path, capsys):  # noqa: F811
    out = tmp_path / "run"
    killed_at(fault_train_argv(synth, out), "checkpoint-before-record:2")  # checkpoint-4 written, never vouched for
    assert (out / "checkpoint-4").is_dir() and not (out / "checkpoint-4" / CHECKPOINT_RECORD).exists()
    assert not (out / "model.safetensors").exists()
    optimizer = out / "checkpoint-4" / "optimizer.pt"
    optimizer.write_bytes(optimizer.read_bytes()[:1000])  # as a kill in the middle of the Trainer's write leaves it

    assert cli.main(fault_train_argv(synth, out)) == 0
    printed = capsys.readouterr().out
    assert f"skipping {out / 'checkpoint-4'}: incomplete: interrupted while saving (no completion record, and " \
           "optimizer.pt is cut short)" in printed  # fmt: skip
    assert f"resuming from {out / 'checkpoint-2'}" in printed
    same_weights(out, whole_run)
    no_secret_in(out)
    no_secret_in(whole_run)

    # the same command again: the finished run is left as it is, byte for byte, and says so
    before = snapshot(out)
    assert cli.main(fault_train_argv(synth, out)) == 0
    assert "this run is already finished (unchanged)" in capsys.readouterr().out
    assert snapshot(out) == before
    # a damaged file of the finished run: the rerun restores it from the last checkpoint
    (out / "model.safetensors").write_bytes((out / "model.safetensors").read_bytes()[:100])
    assert cli.main(fault_train_argv(synth, out)) == 0
    same_weights(out, whole_run)


@pytest.mark.slow  # a training process killed after its files, before its finish record; then resumed
def test_killed_before_the_finish_record_the_rerun_ends_alike(synth, whole_run, tmp_path):  # noqa: F811
    out = tmp_path / "run"
    killed_at(fault_train_argv(synth, out), "finish-before-record")
    assert (out / "model.safetensors").is_file() and "finished" not in json.loads((out / RUN_FILE).read_text())
    assert cli.main(fault_train_argv(synth, out)) == 0
    same_weights(out, whole_run)
    assert "finished" in json.loads((out / RUN_FILE).read_text())


def test_a_full_disk_is_one_line_and_the_rerun_resumes(synth, whole_run, tmp_path, capsys, monkeypatch):  # noqa: F811
    out = tmp_path / "run"
    real_save = torch.save

    def full_disk(obj, f, *args, **kwargs):
        if "checkpoint-4" in str(f):
            raise OSError(errno.ENOSPC, "No space left on device", str(f))
        return real_save(obj, f, *args, **kwargs)

    monkeypatch.setattr(torch, "save", full_disk)
    assert cli.main(fault_train_argv(synth, out)) == 2
    err = one_error_line(capsys.readouterr().err)
    assert err.startswith(f"error: {out}: no space left on the device while saving; free at least ")
    assert "(one checkpoint)" in err
    monkeypatch.setattr(torch, "save", real_save)
    assert cli.main(fault_train_argv(synth, out)) == 0
    same_weights(out, whole_run)


def test_a_checkpoint_file_a_safe_load_refuses_is_one_line(synth, whole_run, tmp_path, capsys):  # noqa: F811
    out = tmp_path / "run"
    out.mkdir()
    shutil.copy(whole_run / RUN_FILE, out / RUN_FILE)
    shutil.copytree(whole_run / "checkpoint-2", out / "checkpoint-2")
    record = json.loads((out / RUN_FILE).read_text())
    (out / RUN_FILE).write_text(json.dumps({k: v for k, v in record.items() if k != "finished"}))

    class Payload:
        def __reduce__(self):
            return (os.system, ("echo owned",))

    (out / "checkpoint-2" / "rng_state.pth").write_bytes(pickle.dumps(Payload(), protocol=2))
    mark_checkpoint(out / "checkpoint-2")  # vouched for, as a checkpoint from elsewhere would be
    assert cli.main(fault_train_argv(synth, out)) == 2
    err = one_error_line(capsys.readouterr().err)
    assert "owned" not in capsys.readouterr().out + err
    assert f"{out / 'checkpoint-2'}: a file of this checkpoint is refused by a safe load" in err


def test_overwrite_replaces_only_inforates_files(synth, tmp_path, capsys):  # noqa: F811
    out = tmp_path / "run"
    out.mkdir()
    (out / "README.md").write_text("my notes")
    assert cli.main(fault_train_argv(synth, out, "--overwrite_output_dir", "true")) == 2
    assert "README.md would be replaced by this run, but inforates did not write it" in capsys.readouterr().err
    assert (out / "README.md").read_text() == "my notes" and not (out / RUN_FILE).exists()


# ---- evaluation ----


def eval_argv(checkpoint: Path, videos: Path, out: Path, *extra) -> list[str]:
    return ["evaluate", "--model_name_or_path", str(checkpoint), "--dataset_dir", str(videos), "--output_dir",
            str(out), "--coverages", "50", "100", "--strides", "1", "4", "--eval_shard_size", "2", "--use_cpu", "true",
            "--report_to", "none", "--seed", "0", "--hub_token", SECRET, *extra]  # fmt: skip


@pytest.fixture(scope="module")
def eval_inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("faults_eval")
    checkpoint = make_checkpoint(root / "tiny-videomae")
    videos = make_videofolder(root / "videos", per_class=3, splits=("test",))
    assert cli.main(eval_argv(checkpoint, videos, root / "whole")) == 0
    return checkpoint, videos, root / "whole" / "eval" / "tiny-videomae"


def same_results(run_dir: Path, whole: Path) -> None:
    pd.testing.assert_frame_equal(pd.read_parquet(run_dir / "predictions.parquet"),
                                  pd.read_parquet(whole / "predictions.parquet"), check_exact=False, rtol=1e-5)  # fmt: skip
    throughput = ["clips_per_s", "avg_time"]
    pd.testing.assert_frame_equal(pd.read_csv(run_dir / "results.csv").drop(columns=throughput),
                                  pd.read_csv(whole / "results.csv").drop(columns=throughput))  # fmt: skip


def test_evaluation_killed_mid_shard_and_stopped_before_its_record_reruns_to_the_same_results(
    eval_inputs, tmp_path, capsys, monkeypatch
):
    checkpoint, videos, whole = eval_inputs
    run_dir = tmp_path / "eval" / "tiny-videomae"
    argv = eval_argv(checkpoint, videos, tmp_path)
    killed_at(argv, "shard-before-record:2")  # shard 1 written, not recorded
    assert recorded_shards(run_dir) == 1 and (run_dir / "shards" / "00001.parquet").is_file()

    def ctrl_c(name: str) -> None:  # Ctrl-C once every result table is written, before run.json
        if name == "finish-before-record":
            raise KeyboardInterrupt

    monkeypatch.setattr("inforates.evaluation.store.crash_point", ctrl_c)
    assert cli.main(argv) == 130
    assert "inforates evaluate: stopped (Ctrl-C); what it finished is kept" in capsys.readouterr().err
    assert (run_dir / "results.csv").is_file() and not (run_dir / "run.json").exists()
    monkeypatch.undo()
    assert cli.main(argv) == 0
    same_results(run_dir, whole)
    run = json.loads((run_dir / "run.json").read_text())
    assert run["timings"]["sessions"] == 3 and SECRET not in json.dumps(run)
    no_secret_in(tmp_path)

    before = snapshot(run_dir)
    assert cli.main(argv) == 0 and snapshot(run_dir) == before  # finished: not a byte changed
    assert "already complete (unchanged;" in capsys.readouterr().out
    predictions = run_dir / "predictions.parquet"
    predictions.write_bytes(predictions.read_bytes()[:-50])  # truncated: the footer is gone
    assert cli.main(argv) == 0
    assert (
        "predictions.parquet is damaged (not the file that was written): evaluating again" in capsys.readouterr().out
    )
    same_results(run_dir, whole)


def test_a_damaged_shard_is_computed_again(tmp_path):
    store = RunStore(tmp_path / "run", {"a": 1})
    progress = store.start("new")
    rows = pd.DataFrame({"video_id": ["v0", "v1"], "p_true": [0.5, 0.25]})
    for k in range(2):
        store.write_shard(progress, k, rows, pd.DataFrame(columns=["path", "stage", "reason"]), {"videos": 2})
    assert store.done_shards(progress) == {0, 1} and not store.problems
    shard = store.shard_dir / "00000.parquet"
    shard.write_bytes(shard.read_bytes()[:-20])
    assert store.done_shards(progress) == {1}
    assert store.problems == [f"{store.shard_dir}: shard 0: 00000.parquet is damaged (not the file that was "
                              "written): computing it again"]  # fmt: skip


def test_sigterm_stops_with_one_line_and_the_rerun_resumes(eval_inputs, tmp_path):
    checkpoint, videos, whole = eval_inputs
    run_dir = tmp_path / "eval" / "tiny-videomae"
    argv = eval_argv(checkpoint, videos, tmp_path)
    proc = launch(argv)
    deadline = time.monotonic() + 240
    while recorded_shards(run_dir) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert proc.poll() is None, f"the run ended before it could be stopped:\n{proc.communicate()[1][-2000:]}"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143 and "Traceback" not in err, err[-3000:]
    assert "inforates evaluate: stopped (SIGTERM); what it finished is kept" in err
    assert cli.main(argv) == 0
    same_results(run_dir, whole)


def test_a_full_disk_in_evaluation_is_one_line_and_the_rerun_finishes(eval_inputs, tmp_path, capsys, monkeypatch):
    checkpoint, videos, whole = eval_inputs
    real = pd.DataFrame.to_parquet
    calls = []

    def full_disk(self, path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full_disk)
    argv = eval_argv(checkpoint, videos, tmp_path)
    assert cli.main(argv) == 2
    assert "no space left on device; free space in that folder" in one_error_line(capsys.readouterr().err)
    monkeypatch.setattr(pd.DataFrame, "to_parquet", real)
    assert cli.main(argv) == 0
    same_results(tmp_path / "eval" / "tiny-videomae", whole)


def test_evaluation_overwrite_replaces_only_its_own_files(eval_inputs, tmp_path, capsys):
    checkpoint, videos, _ = eval_inputs
    run_dir = tmp_path / "eval" / "tiny-videomae"
    run_dir.mkdir(parents=True)
    (run_dir / "results.csv").write_text("my,own\n1,2\n")
    assert cli.main(eval_argv(checkpoint, videos, tmp_path, "--overwrite", "true")) == 2
    err = capsys.readouterr().err
    assert "results.csv would be replaced by --overwrite, but inforates did not write it" in err
    assert (run_dir / "results.csv").read_text() == "my,own\n1,2\n"
    assert sorted(p.name for p in run_dir.iterdir()) == ["results.csv"] and CLASSES
