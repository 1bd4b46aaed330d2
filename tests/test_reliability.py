"""A user's mistake is one line (exit 2) naming what to fix; a failed run never blocks its fix; no user file is
replaced; a folder in use or out of reach is said so in one line."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time
import types
import typing
from pathlib import Path

import pytest
from conftest import REPO_ROOT, numbered_frames, write_video

from inforates import cli
from inforates.configs import ARGUMENT_CLASSES, parse_recipe
from inforates.errors import OutputError, RecipeError
from inforates.files import LOCK_NAME, FolderLock, OwnedOutputs


def run_cli(*argv: str, cwd=REPO_ROOT, env=None, prefix=()) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
    command = [*prefix, sys.executable, "-m", "inforates.cli", *argv]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def one_line_error(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, done.stderr[-2000:]
    return errors[0]


# ---- 1. every subcommand lists its options ----


@pytest.mark.parametrize("command", list(cli.COMMANDS))
def test_every_subcommand_help_lists_its_options(command, capsys):
    with pytest.raises(SystemExit) as done:
        cli.main([command, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "usage: inforates" in out and "--" in out
    if command in ("train", "evaluate"):
        assert "--learning_rate" in out and "--train_coverage" in out and "Coverage % of training clips" in out


def test_module_entry_point_help():
    done = subprocess.run([sys.executable, "-m", "inforates.train", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "--output_dir" in done.stdout, done.stderr[-2000:]


# ---- 2. fewer than two classes ----


def one_class_folder(root: Path) -> Path:
    """The common layout mistake: every video in train/videos/ (one 'class')."""
    for split in ("train", "test"):
        for i in range(2):
            write_video(root / split / "videos" / f"v{i}.mp4", numbered_frames(16, 32, 32, seed=i))
    return root


def test_a_training_set_with_one_class_is_refused_before_the_folder_is_claimed(tmp_path, capsys):
    data, out = one_class_folder(tmp_path / "data"), tmp_path / "run"
    argv = ["train", "--model_name_or_path", "tiny-videomae", "--dataset_dir", str(data), "--output_dir", str(out)]
    assert cli.main([*argv, "--use_cpu", "true", "--report_to", "none"]) == 2
    error = capsys.readouterr().err
    assert "1 class (videos)" in error and "at least 2" in error and "train/<class>/" in error
    assert not (out / "inforates_train.json").exists()


def test_a_classifier_is_never_saved_as_regression():
    from inforates.configs import ModelArguments
    from inforates.models import load_model_for_training

    model, _, _ = load_model_for_training(ModelArguments("tiny-videomae"), {"only": 0}, {0: "only"})
    assert model.config.problem_type == "single_label_classification"


# ---- 3. a failed run does not block its fix ----


def test_a_failed_run_leaves_the_folder_free_for_the_corrected_command(tmp_path, capsys):
    from inforates.training.run_dir import RUN_FILE, check_output_dir

    data = tmp_path / "data"
    for split in ("train", "test"):
        for c in ("a", "b"):
            for i in range(2):
                write_video(data / split / c / f"{c}{i}.mp4", numbered_frames(16, 32, 32, seed=i))
    out = tmp_path / "run"
    base = ["--model_name_or_path", "tiny-videomae", "--dataset_dir", str(data), "--output_dir", str(out)]
    base += ["--use_cpu", "true", "--report_to", "none", "--validation_fraction", "0.5"]
    assert cli.main(["train", *base, "--num_frames", "7"]) == 2  # tubelets of 2 frames
    assert "num_frames=7" in capsys.readouterr().err
    assert cli.main(["train", *base[:2], "--dataset_dir", str(tmp_path / "typo"), *base[4:]]) == 2
    assert not (out / RUN_FILE).exists()
    assert check_output_dir(parse_recipe(base + ["--num_frames", "8"])) is None  # the corrected command may start

    # a claim left by an older version (or a crash) with no checkpoint is free; one with a checkpoint is not
    out.mkdir(exist_ok=True)
    (out / RUN_FILE).write_text(json.dumps({"fingerprint": "another recipe"}))
    (out / "runs").mkdir()
    assert check_output_dir(parse_recipe(base)) is None
    (out / "checkpoint-5").mkdir()
    (out / "checkpoint-5" / "trainer_state.json").write_text("{}")
    with pytest.raises(RecipeError, match="a run of a different recipe"):
        check_output_dir(parse_recipe(base))


def test_resuming_is_said_at_the_default_log_level_and_skips_what_is_not_whole(tmp_path, capsys):
    from inforates.training.run_dir import RUN_FILE, check_output_dir, fingerprint, mark_checkpoint

    recipe = parse_recipe(["--output_dir", str(tmp_path), "--use_cpu", "true"])
    (tmp_path / RUN_FILE).write_text(json.dumps({"fingerprint": fingerprint(recipe)}))
    for step in (3, 4, 5):
        (tmp_path / f"checkpoint-{step}").mkdir()
        (tmp_path / f"checkpoint-{step}" / "trainer_state.json").write_text("{}")
    mark_checkpoint(tmp_path / "checkpoint-3")
    mark_checkpoint(tmp_path / "checkpoint-4")
    (tmp_path / "checkpoint-4" / "trainer_state.json").write_text("{")  # changed after its record
    assert check_output_dir(recipe).endswith("checkpoint-3")
    out = capsys.readouterr().out
    assert f"skipping {tmp_path / 'checkpoint-5'}: incomplete: interrupted while saving" in out
    assert f"skipping {tmp_path / 'checkpoint-4'}: trainer_state.json is damaged" in out
    assert f"resuming from {tmp_path / 'checkpoint-3'}" in out


def test_a_checkpoint_without_a_record_counts_when_the_trainers_files_prove_it_whole(tmp_path):
    """Checkpoints from before the completion records (or from the Trainer alone) are not thrown away."""
    import torch
    from safetensors.torch import save_file

    from inforates.training.run_dir import checkpoint_problem

    folder = tmp_path / "checkpoint-6"
    folder.mkdir()
    (folder / "trainer_state.json").write_text(json.dumps({"global_step": 6}))
    (folder / "config.json").write_text("{}")
    save_file({"w": torch.ones(64, 64)}, folder / "model.safetensors")
    torch.save({"state": torch.zeros(100)}, folder / "optimizer.pt")
    assert checkpoint_problem(folder) is None
    weights = (folder / "model.safetensors").read_bytes()
    (folder / "model.safetensors").write_bytes(weights[:-10])
    assert checkpoint_problem(folder).endswith("model.safetensors is cut short)")
    (folder / "model.safetensors").write_bytes(weights)
    (folder / "trainer_state.json").write_text(json.dumps({"global_step": 5}))
    assert "trainer_state.json is missing or not its own" in checkpoint_problem(folder)


# ---- 4. every field, every wrong kind ----


def _hint_options(hint) -> list:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return [o for a in typing.get_args(hint) for o in _hint_options(a)]
    return [hint]


def _accepts(options, kind: str) -> bool:
    for option in options:
        origin = typing.get_origin(option)
        if option is typing.Any:
            return True
        if kind == "list" and origin is list:
            return True
        if kind == "mapping" and (option is dict or origin is dict):
            return True
        if kind == "string" and (option is str or (origin is list and typing.get_args(option) == (str,))):
            return True  # a single text is a one-element list of texts
    return False


def wrong_values():
    """(key, kind, value) for every field of every argument dataclass and each kind it does not accept."""
    cases = []
    for cls in ARGUMENT_CLASSES:
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            if not f.init:
                continue
            options = _hint_options(hints[f.name])
            for kind, value in (("list", [1, 2]), ("mapping", {"a": 1}), ("string", "not-a-value")):
                if not _accepts(options, kind):
                    cases.append((f.name, kind, value))
            if any(o in (int, float) for o in options):
                cases.append((f.name, "negative", -7))
    return cases


WRONG = wrong_values()


def test_the_wrong_kinds_cover_every_field():
    keys = {key for key, _, _ in WRONG}
    assert {"validation_stride", "validation_coverage", "seed", "eval_shard_size", "learning_rate", "bf16"} <= keys
    assert len(keys) > 150  # every TrainingArguments field too


@pytest.mark.parametrize("key, kind, value", WRONG, ids=[f"{k}-{kind}" for k, kind, _ in WRONG])
def test_a_wrong_kind_of_value_is_one_line_naming_the_key(tmp_path, key, kind, value):
    path = tmp_path / "recipe.yaml"
    path.write_text(json.dumps({key: value}) + "\n")  # JSON is YAML
    try:
        parse_recipe(["--config", str(path), "--output_dir", str(tmp_path / "out"), "--use_cpu", "true"])
    except RecipeError as err:
        message = str(err)
        assert key in message and "\n" not in message, message
        return
    assert kind == "negative", f"{key}={value!r} was accepted"  # a negative value may be valid (max_steps: -1 ...)


@pytest.mark.parametrize("text", ["validation_stride: [1, 2]", "validation_coverage: [50, 100]", "seed: [1]",
                                  "eval_shard_size: [3]"])  # fmt: skip
def test_the_reported_wrong_types_exit_2_with_one_line(tmp_path, text, capsys):
    path = tmp_path / "recipe.yaml"
    path.write_text(f"model_name_or_path: tiny-videomae\n{text}\n")
    assert cli.main(["train", "--config", str(path), "--output_dir", str(tmp_path / "out")]) == 2  # no exception
    error = capsys.readouterr().err.strip()
    assert error.startswith(f"error: {path}:2: {text.split(':')[0]}=") and "\n" not in error


# ---- 5. duplicate keys, YAML syntax, unknown flags ----


def test_a_key_given_twice_names_both_lines(tmp_path):
    path = tmp_path / "recipe.yaml"
    path.write_text("seed: 1\nlearning_rate: 0.1\nseed: 2\n")
    with pytest.raises(RecipeError, match=r"key 'seed' is given twice \(lines 1 and 3\)"):
        parse_recipe(["--config", str(path)])


def test_invalid_yaml_names_line_and_column(tmp_path):
    path = tmp_path / "recipe.yaml"
    path.write_text("seed: 1\nstrides: [1, 2\nlearning_rate: 0.1\n")
    with pytest.raises(RecipeError) as err:
        parse_recipe(["--config", str(path)])
    assert f"{path}:3:" in str(err.value) and "not valid YAML" in str(err.value)


def test_an_unknown_flag_is_named_as_a_flag_with_close_matches(tmp_path):
    path = tmp_path / "recipe.yaml"
    path.write_text("seed: 1\n")
    with pytest.raises(RecipeError) as err:
        parse_recipe(["--config", str(path), "--learnig_rate", "3"])
    message = str(err.value)
    assert message.startswith("unknown command-line flag --learnig_rate") and "--learning_rate" in message
    assert str(path) not in message


# ---- 6. output folders keep the user's files ----


@pytest.fixture(scope="module")
def compare_inputs(tmp_path_factory):
    from test_compare import write_runs
    from test_stats_simulation import simulate_predictions

    pred = simulate_predictions({"solo": (0.8, 0.2, 0.05)}, n_classes=4, videos_per_class=5, seed=1)
    return write_runs(tmp_path_factory.mktemp("runs"), pred)


def compare(inputs, out, *extra) -> int:

    try:
        return cli.main(["compare", "--runs", str(inputs), "--out", str(out), "--n-boot", "20", *extra])
    except OutputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


def test_compare_keeps_the_users_files(tmp_path, compare_inputs, capsys):
    out = tmp_path / "compare"
    out.mkdir()
    (out / "report.md").write_text("my notes\n")
    assert compare(compare_inputs, out) == 2
    assert "report.md" in capsys.readouterr().err and (out / "report.md").read_text() == "my notes\n"
    assert compare(compare_inputs, out, "--overwrite") == 2  # --overwrite replaces only inforates' own files
    assert (out / "report.md").read_text() == "my notes\n"
    assert sorted(p.name for p in out.iterdir()) == ["report.md"]  # nothing else was written either

    (out / "report.md").rename(out / "notes.md")
    assert compare(compare_inputs, out) == 2
    assert compare(compare_inputs, out, "--overwrite") == 0
    assert (out / "notes.md").read_text() == "my notes\n" and (out / "report.md").is_file()


def test_compare_replaces_its_own_earlier_outputs(tmp_path, compare_inputs):
    out = tmp_path / "compare"
    assert compare(compare_inputs, out) == 0
    stale = out / "figures" / "old_model" / "accuracy_heatmap.png"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"png")
    manifest = json.loads((out / ".inforates-outputs.json").read_text())
    manifest["files"].append("figures/old_model/accuracy_heatmap.png")
    (out / ".inforates-outputs.json").write_text(json.dumps(manifest))
    assert compare(compare_inputs, out) == 0  # a rerun: no --overwrite needed for inforates' own files
    assert not stale.parent.exists() and (out / "report.md").is_file()
    assert not any(p.name.startswith(".staging-") for p in out.iterdir())


def test_owned_outputs_leave_the_folder_as_it_was_on_error(tmp_path):
    (tmp_path / "report.md").write_text("old")
    with OwnedOutputs(tmp_path, overwrite=True) as staging:
        (staging / "kept.txt").write_text("x")
    with pytest.raises(RuntimeError):
        with OwnedOutputs(tmp_path, overwrite=True) as staging:
            (staging / "kept.txt").write_text("y")
            raise RuntimeError("the analysis failed half-way")
    assert (tmp_path / "kept.txt").read_text() == "x" and (tmp_path / "report.md").read_text() == "old"


# ---- 7. one evaluation per folder ----

HOLD = "import sys, time; from inforates.files import FolderLock; FolderLock(sys.argv[1]).acquire(); print('held', flush=True); time.sleep(60)"  # noqa: E501


def test_a_folder_locked_by_a_live_process_is_refused_naming_it(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(OutputError) as err:
            FolderLock(tmp_path).acquire()
        assert f"in use by pid {holder.pid} on " in str(err.value)
    finally:
        holder.kill()
        holder.wait()
    with FolderLock(tmp_path):  # the holder is gone (killed, never released): its lock went with it
        assert json.loads((tmp_path / LOCK_NAME).read_text())["pid"] == os.getpid()
    assert not (tmp_path / LOCK_NAME).exists()


def test_a_second_evaluation_of_the_same_folder_exits_2(tmp_path, capsys):
    from test_evaluate import make_checkpoint, make_videofolder

    checkpoint = make_checkpoint(tmp_path / "ckpt")
    videos = make_videofolder(tmp_path / "videos", per_class=1, broken=False, splits=("test",))
    out = tmp_path / "eval"
    argv = ["evaluate", "--model_name_or_path", str(checkpoint), "--dataset_dir", str(videos), "--output_dir",
            str(tmp_path), "--eval_output_dir", str(out), "--use_cpu", "true", "--coverages", "100", "--strides", "1"]  # fmt: skip
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(out / "ckpt")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        capsys.readouterr()  # the checkpoint's own progress bars
        assert cli.main(argv) == 2
        errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error: ")]
        assert len(errors) == 1 and f"in use by pid {holder.pid}" in errors[0]
        assert sorted(p.name for p in (out / "ckpt").iterdir()) == [LOCK_NAME]  # nothing written beside the lock
    finally:
        holder.kill()
        holder.wait()
    assert cli.main(argv) == 0
    assert (out / "ckpt" / "run.json").is_file() and not (out / "ckpt" / LOCK_NAME).exists()


# ---- 8. a folder that cannot be written ----


def _without_dac_override():
    if os.geteuid() != 0:
        return ()
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: cannot make a folder unwritable")
    return ("setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--inh-caps", "-all")


@pytest.mark.parametrize("command", ["compare", "synth"])
def test_an_unwritable_output_folder_is_one_line(tmp_path, compare_inputs, command):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        argv = ["compare", "--runs", str(compare_inputs), "--n-boot", "20"] if command == "compare" else ["synth"]
        done = run_cli(*argv, "--out", str(locked / "out"), prefix=_without_dac_override())
        error = one_line_error(done)
        assert str(locked / "out") in error and "permission denied" in error.lower()
    finally:
        locked.chmod(0o755)


def test_ensure_writable_names_the_key(tmp_path):
    from inforates.errors import ensure_writable

    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match=r"output_dir=.*file/sub.*cannot write there"):
        ensure_writable(tmp_path / "file" / "sub", "output_dir")


# ---- 9. offline Hub, bf16 on a CPU ----


def test_doctor_says_offline_in_one_line_without_retrying(monkeypatch):
    from inforates.commands import doctor

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    recipe = parse_recipe(["--model_name_or_path", "MCG-NJU/not-in-the-cache", "--use_cpu", "true"])
    began = time.perf_counter()
    check = doctor.check_model(recipe)
    assert time.perf_counter() - began < 10
    assert not check.ok and "HF_HUB_OFFLINE" in check.detail and "OSError" not in check.detail
    assert "`hf download MCG-NJU/not-in-the-cache`" in check.fix and "huggingface-cli" not in check.fix


def test_an_unreachable_endpoint_counts_as_offline(monkeypatch):
    from inforates.commands.doctor import hub_reachable

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # discard port: nothing listens
    online, why = hub_reachable(timeout=1)
    assert not online and "127.0.0.1:9" in why


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="a GPU machine may support bf16")
def test_bf16_on_a_cpu_machine_is_said_in_our_words():
    with pytest.raises(RecipeError) as err:
        parse_recipe(["--bf16", "true"])
    assert "bf16: true needs a GPU" in str(err.value) and "--bf16 false --use_cpu true" in str(err.value)


# ---- 10. labels by order, pickles ----


def test_generic_labels_are_said_to_be_taken_in_order(tmp_path, capsys):
    from test_evaluate import CLASSES, make_checkpoint, make_videofolder

    checkpoint = make_checkpoint(tmp_path / "ckpt", classes=[f"LABEL_{i}" for i in range(len(CLASSES))])
    videos = make_videofolder(tmp_path / "videos", per_class=1, broken=False, splits=("test",))
    argv = ["evaluate", "--model_name_or_path", str(checkpoint), "--dataset_dir", str(videos), "--output_dir",
            str(tmp_path / "out"), "--use_cpu", "true", "--coverages", "100", "--strides", "1"]  # fmt: skip
    assert cli.main(argv) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if "LABEL_0..LABEL_2" in line]
    assert len(lines) == 1 and "dataset's class order (circle_ccw, circle_cw, square_cw" in lines[0]


def test_a_pickle_weights_file_refused_by_weights_only_is_one_line(tmp_path):
    import argparse

    import torch
    from test_evaluate import make_checkpoint

    from inforates.models import load_checkpoint

    folder = make_checkpoint(tmp_path / "ckpt")
    from safetensors.torch import load_file

    state = load_file(folder / "model.safetensors")
    (folder / "model.safetensors").unlink()
    torch.save({**state, "extra": argparse.Namespace(a=1)}, folder / "pytorch_model.bin")
    with pytest.raises(RecipeError, match="pickle weights file was refused.*safetensors"):
        load_checkpoint(str(folder))


def test_enum_fields_refuse_unknown_choices(tmp_path):
    path = tmp_path / "recipe.yaml"
    path.write_text("lr_scheduler_type: cosinus\n")
    with pytest.raises(RecipeError, match=r"recipe.yaml:1: lr_scheduler_type='cosinus': choose one of linear"):
        parse_recipe(["--config", str(path)])
