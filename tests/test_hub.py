"""push_to_hub for real, against a local fake Hub (tests/fake_hub.py): files, model card, results grid."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import REPO_ROOT
from fake_hub import FakeHub

from inforates.configs import parse_recipe
from inforates.hub import model_card, recipe_overrides


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    from inforates.data.synthetic import generate_synthetic

    return generate_synthetic(tmp_path_factory.mktemp("synth") / "bench", seed=0, scale=0.1)


def _python(code_or_args: list[str], hub: FakeHub):
    # HF_ENDPOINT/HF_TOKEN must be set before huggingface_hub is imported: a fresh interpreter
    env = hub.client_env({k: v for k, v in os.environ.items() if not k.startswith("HF_")})
    return subprocess.run([sys.executable, *code_or_args], env=env, capture_output=True, text=True, cwd=REPO_ROOT)


def test_train_pushes_the_model_with_a_card_and_then_the_grid(synth, tmp_path):
    out = tmp_path / "run"
    argv = ["-m", "inforates.cli", "train", "--config", "recipes/demo/videomae.yaml", "--dataset_dir", str(synth)]
    argv += ["--output_dir", str(out), "--max_steps", "2", "--save_steps", "1", "--save_strategy", "steps"]
    argv += ["--eval_strategy", "steps", "--eval_steps", "1", "--disable_tqdm", "true"]
    argv += ["--push_to_hub", "true", "--hub_model_id", "demo-videomae"]
    with FakeHub() as hub:
        done = _python(argv, hub)
        assert done.returncode == 0, done.stderr[-3000:]
        assert hub.unhandled == [] and all(hub.authorized)
        files = hub.files["tester/demo-videomae"]  # no namespace: the token's user
        assert len(hub.commits) == 1  # once, at the end (the Trainer's own pushes are off)
        expected = {"README.md", "config.json", "model.safetensors", "preprocessor_config.json", "recipe.yaml"}
        assert expected <= set(files)
        assert not any(name.startswith("checkpoint-") or name == "inforates_train.json" for name in files)
        for name in expected:
            assert files[name] == (out / name).read_bytes(), name
        card = files["README.md"].decode()
        assert card.startswith("---\n") and "pipeline_tag: video-classification" in card
        assert "# demo-videomae" in card and "## Sampling protocol" in card and "eval_accuracy" in card
        assert "model_name_or_path: inforates/checkpoints/demo/videomae" in card  # the pretrained checkpoint

        results = tmp_path / "results.csv"
        rows = ["model,variant,coverage,stride,accuracy"] + [
            f"videomae,cov{c}_s{s},{c},{s},{0.5 + c / 1000 - s / 100}" for c in (25, 100) for s in (1, 4)
        ]
        results.write_text("\n".join(rows) + "\n")
        code = f"from inforates.hub import push_checkpoint; print(push_checkpoint({str(out)!r}, 'tester/demo-videomae', {str(results)!r}))"
        done = _python(["-c", code], hub)
        assert done.returncode == 0, done.stderr[-3000:]
        assert done.stdout.strip().startswith(f"{hub.endpoint}/tester/demo-videomae/commit/")
        card = hub.files["tester/demo-videomae"]["README.md"].decode()
        assert "## Accuracy over the sampling grid (%)" in card
        assert "| 25 | 51.5 | 48.5 |" in card and "| 100 | 59.0 | 56.0 |" in card
        assert card.count("## Sampling protocol") == 1
        assert hub.files["tester/demo-videomae"]["results.csv"] == results.read_bytes()


def test_card_names_base_model_dataset_and_recipe():
    recipe = parse_recipe(["--config", "recipes/videomae/ucf101.yaml", "--use_cpu", "true"])
    card = model_card(recipe, clip_len=16, image_size=224, metrics={"eval_accuracy": 0.91234})
    assert "base_model: MCG-NJU/videomae-base-finetuned-kinetics" in card
    assert "on **UCF-101**" in card and "16 frames** at 224 x 224 px" in card
    assert "| eval_accuracy | 0.9123 |" in card
    overrides = recipe_overrides(recipe)
    assert overrides["num_train_epochs"] == 5 and overrides["dataset_source"] == "ucf101"
    assert "output_dir" not in overrides
    assert "RandAugment" not in card and "mixup" not in card


def test_card_states_the_published_protocol_options():
    recipe = parse_recipe(["--config", "recipes/videomae/ucf101_published.yaml", "--use_cpu", "true"])
    card = model_card(recipe, clip_len=16, image_size=224)
    section = card.split("## Fine-tuning protocol")[1].split("##")[0]
    for words in (
        "area 0.08-1",
        "RandAugment `rand-m7-n4-mstd0.5-inc1`",
        "2 clips per decoded video",
        "mixup 0.8 / CutMix 1",
        "label smoothing 0.1",
        "drop path 0.2",
        "decay 0.7",
        "5 clips x 3 crops",
    ):
        assert words in section, words  # fmt: skip
