"""`inforates train` end to end on the synthetic benchmark: outputs, plain-transformers loading, output_dir
protection, resumption, model-selection checks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import REPO_ROOT
from safetensors.torch import load_file

from inforates.commands.train import main
from inforates.configs import parse_recipe
from inforates.errors import RecipeError
from inforates.training.launch import set_cpu_threads
from inforates.training.run_dir import RUN_FILE, fingerprint, is_finished


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    """A small synthetic benchmark (6 classes; 96 train, 18 validation, 36 test videos)."""
    from inforates.data.synthetic import generate_synthetic

    return generate_synthetic(tmp_path_factory.mktemp("synth") / "bench", seed=0, scale=0.25)


def train_argv(synth, out, *extra, recipe="recipes/demo/videomae.yaml"):
    argv = ["--config", str(REPO_ROOT / recipe), "--dataset_dir", str(synth), "--output_dir", str(out)]
    argv += ["--max_train_videos", "32", "--num_train_epochs", "2", "--per_device_train_batch_size", "8"]
    argv += ["--eval_strategy", "epoch", "--save_strategy", "epoch", "--save_total_limit", "5"]
    return argv + ["--report_to", "none", "--disable_tqdm", "true", "--dataloader_num_workers", "0", *extra]


def run(synth, out, *extra, recipe="recipes/demo/videomae.yaml"):
    assert main(train_argv(synth, out, *extra, recipe=recipe)) == 0
    return Path(out)


def test_train_writes_a_complete_checkpoint(synth, tmp_path):
    out = run(synth, tmp_path / "run")
    for name in ("model.safetensors", "config.json", "preprocessor_config.json", "recipe.yaml", "README.md"):
        assert (out / name).is_file(), name
    assert (out / "skipped.csv").read_text().splitlines() == ["path,stage,reason"]
    assert not (out / "skipped.spool.csv").exists()
    train = json.loads((out / "train_results.json").read_text())
    assert train["train_clips_per_second"] > 0 and 0 <= train["train_data_wait_share"] <= 1
    evaluation = json.loads((out / "eval_results.json").read_text())
    assert {"eval_accuracy", "eval_top5", "eval_mean_class_accuracy"} <= set(evaluation)
    state = json.loads((out / "trainer_state.json").read_text())
    assert state["best_metric"] is not None  # load_best_model_at_end on validation accuracy
    assert sorted(p.name for p in out.glob("checkpoint-*")) == ["checkpoint-4", "checkpoint-8"]
    recipe = (out / "recipe.yaml").read_text()
    assert "num_frames: 8" in recipe and "model_name_or_path: demo-videomae" in recipe
    again = parse_recipe(["--config", str(out / "recipe.yaml")])  # the resolved recipe is itself a recipe
    assert fingerprint(again) == json.loads((out / RUN_FILE).read_text())["fingerprint"]
    card = (out / "README.md").read_text()
    assert "## Sampling protocol" in card and "8 frames" in card and "eval_accuracy" in card


def test_checkpoint_loads_in_plain_transformers(synth, tmp_path):
    """A subprocess that never imports inforates reproduces the validation logits of the saved model."""
    out = run(synth, tmp_path / "run", "--max_steps", "2")
    from inforates.data.decoding import open_video
    from inforates.data.transforms import eval_transform
    from inforates.models import load_checkpoint
    from inforates.sampling import clip_indices

    video = next((synth / "validation").rglob("*.mp4"))
    model, settings, clip_len = load_checkpoint(str(out))
    with open_video(str(video)) as reader:
        frames = reader.get(clip_indices(reader.total_frames, 100, 1, clip_len))
    with torch.no_grad():
        ours = model(pixel_values=eval_transform(frames, settings)[None]).logits[0]
    torch.save(frames, tmp_path / "frames.pt")
    script = f"""
import sys, torch
from transformers import AutoImageProcessor, AutoModelForVideoClassification
model = AutoModelForVideoClassification.from_pretrained({str(out)!r}).eval()
processor = AutoImageProcessor.from_pretrained({str(out)!r})
frames = torch.load({str(tmp_path / "frames.pt")!r})
inputs = processor(list(frames.permute(0, 2, 3, 1).numpy()), return_tensors="pt")
with torch.no_grad():
    print(model(**inputs).logits[0].tolist())
assert not any(name.startswith("inforates") for name in sys.modules)
"""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": ""}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    theirs = torch.tensor(json.loads(done.stdout.strip().splitlines()[-1]))
    torch.testing.assert_close(theirs, ours, atol=2e-3, rtol=1e-3)  # same pixels up to PIL vs torch rounding


def test_output_dir_of_another_run_is_refused(synth, tmp_path):
    out = run(synth, tmp_path / "run", "--max_steps", "1", "--save_strategy", "no", "--eval_strategy", "no",
              "--load_best_model_at_end", "false")  # fmt: skip
    with pytest.raises(RecipeError, match="a run of a different recipe.*--overwrite_output_dir"):
        run(synth, out, "--max_steps", "1", "--learning_rate", "1e-4")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(RecipeError, match="files of another program"):
        run(synth, foreign, "--max_steps", "1")
    assert (foreign / "notes.txt").read_text() == "mine"


def test_resumed_run_reaches_the_same_weights(synth, tmp_path):
    """Interrupted after epoch 1 (what an interrupted run leaves on disk), resumed, compared with an unbroken run."""
    args = ("--load_best_model_at_end", "false", "--dataloader_num_workers", "1", "--seed", "3")
    whole = run(synth, tmp_path / "whole", *args)
    broken = tmp_path / "broken"
    broken.mkdir()
    shutil.copy(whole / RUN_FILE, broken / RUN_FILE)
    shutil.copytree(whole / "checkpoint-4", broken / "checkpoint-4")
    resumed = run(synth, broken, *args)
    state = json.loads((resumed / "trainer_state.json").read_text())
    assert state["global_step"] == 8
    a, b = load_file(whole / "model.safetensors"), load_file(resumed / "model.safetensors")
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0, msg=key)
    first = load_file(whole / "checkpoint-4" / "model.safetensors")
    assert any(not torch.equal(first[k], a[k]) for k in first if k in a)  # epoch 2 did train


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (["--validation_split", "test"], "model selection must not see the evaluation split"),
        (["--metric_for_best_model", "f1"], "choose one of accuracy, top5, mean_class_accuracy"),
    ],
)
def test_model_selection_never_uses_test(synth, tmp_path, override, message):
    with pytest.raises(RecipeError, match=message):
        run(synth, tmp_path / "run", *override)
    assert not (tmp_path / "run").exists()


def test_cpu_training_leaves_a_core_to_each_worker(monkeypatch, tmp_path):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "1")
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(4)), raising=False)
    before = torch.get_num_threads()
    try:
        for workers, expected in ((1, 3), (2, 2), (8, 1)):
            recipe = parse_recipe(["--output_dir", str(tmp_path), "--use_cpu", "true",
                                   "--dataloader_num_workers", str(workers)])  # fmt: skip
            assert set_cpu_threads(recipe) == expected == torch.get_num_threads()
        monkeypatch.setenv("OMP_NUM_THREADS", "2")  # the user's explicit choice wins
        assert set_cpu_threads(recipe) is None
    finally:
        torch.set_num_threads(before)


def test_a_finished_run_is_recognised_only_for_its_own_recipe(synth, tmp_path):
    args = train_argv(synth, tmp_path / "out", "--max_steps", "2")
    assert not is_finished(parse_recipe(args))
    assert main(args) == 0
    assert is_finished(parse_recipe(args))
    assert not is_finished(parse_recipe([*args, "--learning_rate", "0.01"]))


def test_every_fine_tuning_key_trains_together_and_is_recorded(synth, tmp_path):
    """The published protocols' options all at once, through `inforates train`: the run finishes, recipe.yaml
    records each value, and the saved model (the weights' average) loads in plain transformers."""
    keys = {
        "layer_decay": "0.75", "mixup_alpha": "0.8", "cutmix_alpha": "1.0", "mixup_prob": "1.0",
        "mixup_switch_prob": "0.5", "label_smoothing_factor": "0.1", "drop_path_rate": "0.1", "ema_decay": "0.9",
        "rand_augment": "rand-m7-n4-mstd0.5-inc1", "crop_min_scale": "0.08", "crop_max_scale": "1.0",
        "crop_min_aspect": "0.75", "crop_max_aspect": "1.3333", "clips_per_video": "2", "head_dropout": "0.5",
        "random_erasing_prob": "0.25",
    }  # fmt: skip
    extra = [word for key, value in keys.items() for word in (f"--{key}", value)]
    out = run(synth, tmp_path / "run", "--max_steps", "2", "--load_best_model_at_end", "false", *extra)
    import yaml
    from transformers import AutoModelForVideoClassification

    saved = yaml.safe_load((out / "recipe.yaml").read_text())
    for key, value in keys.items():
        assert str(saved[key]) == value or saved[key] == pytest.approx(float(value)), key
    assert json.loads((out / "eval_results.json").read_text())["eval_ema_decay"] == 0.9
    model, info = AutoModelForVideoClassification.from_pretrained(out, output_loading_info=True)
    assert model.config.drop_path_rate == 0.1 and model.config.classifier_dropout == 0.5
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"]
    assert all(torch.isfinite(w).all() for w in load_file(out / "model.safetensors").values())
