"""push_to_hub for real, against a local fake Hub (tests/fake_hub.py): files, model card, results grid."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest
from conftest import REPO_ROOT
from fake_hub import FakeHub

from inforates.cli import main as cli_main
from inforates.configs import parse_recipe
from inforates.hub import GRID_TITLE, model_card, recipe_overrides


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    from inforates.data.synthetic import generate_synthetic

    return generate_synthetic(tmp_path_factory.mktemp("synth") / "bench", seed=0, scale=0.1)


def _python(code_or_args: list[str], hub: FakeHub):
    # HF_ENDPOINT/HF_TOKEN must be set before huggingface_hub is imported: a fresh interpreter
    env = hub.client_env({k: v for k, v in os.environ.items() if not k.startswith("HF_")})
    return subprocess.run([sys.executable, *code_or_args], env=env, capture_output=True, text=True, cwd=REPO_ROOT)


@pytest.fixture(scope="module")
def pushed_run(synth, tmp_path_factory):
    """A 2-step run of the demo's VideoMAE recipe trained with push_to_hub against the fake Hub, and what the Hub
    received; then evaluated over both of the recipe's designs (spacing x budget and coverage x stride)."""
    out = tmp_path_factory.mktemp("hub") / "run"
    argv = ["-m", "inforates.cli", "train", "--config", "recipes/demo/videomae.yaml", "--dataset_dir", str(synth)]
    argv += ["--output_dir", str(out), "--max_steps", "2", "--save_steps", "1", "--save_strategy", "steps"]
    argv += ["--eval_strategy", "steps", "--eval_steps", "1", "--disable_tqdm", "true"]
    argv += ["--push_to_hub", "true", "--hub_model_id", "demo-videomae"]
    with FakeHub() as hub:
        done = _python(argv, hub)
        assert done.returncode == 0, done.stderr[-3000:]
    evaluate = ["--config", "recipes/demo/videomae.yaml", "--dataset_dir", str(synth), "--output_dir", str(out)]
    assert cli_main(["evaluate", *evaluate, "--max_eval_videos", "12", "--disable_tqdm", "true"]) == 0
    return out, hub


def test_train_pushes_the_model_with_a_card(pushed_run):
    out, hub = pushed_run
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
    assert "model_name_or_path: demo-videomae" in card  # the pretrained checkpoint (shipped in the package)
    assert "base_model" not in card  # a local checkpoint is no Hub id
    # the protocol lines name the designs the recipe runs, not a coverage x stride grid it does not train on
    assert (
        "- training clips (one drawn per clip, random window): spacing_budget: spacing 1, 2 frames x budget 8" in card
    )
    assert (
        "- evaluation design spacing_budget: spacing 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 frames x budget 8" in card
    )
    assert "- evaluation design coverage_stride: coverage 10, 25, 50, 75, 100 % x stride 1, 2, 4, 8, 16" in card


def _design_tables(card: str) -> dict[str, list[list[str]]]:
    """The card's accuracy section: each design's title -> its table rows (cells)."""
    section = card.split(GRID_TITLE)[1]
    tables = {}
    for part in section.split("### ")[1:]:
        title, *lines = part.strip().splitlines()
        tables[title] = [[c.strip() for c in line.strip("|").split("|")] for line in lines if line.startswith("|")]
    return tables


def test_push_dry_run_writes_a_card_with_one_table_per_design(pushed_run, capsys):
    out, _ = pushed_run
    results = out / "eval" / "run" / "results.csv"
    assert cli_main(["push", str(out), "--repo", "tester/videomae-demo", "--results", str(results), "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert "dry run: would push" in printed and "results.csv" in printed and "model.safetensors" in printed
    assert "checkpoint-" not in printed
    card = (out / "README.md").read_text()
    tables = _design_tables(card)
    assert list(tables) == ["spacing x budget (spacing_budget, anchor center)",
                            "coverage x stride (coverage_stride, anchor start)"]  # fmt: skip
    spacing, grid = tables.values()
    assert spacing[0][0] == "spacing (frames) \\ budget (distinct frames)" and spacing[0][1:] == ["8"]
    assert [row[0] for row in spacing[2:]] == [str(d) for d in range(1, 13)]
    assert grid[0][1:] == ["1", "2", "4", "8", "16"] and [row[0] for row in grid[2:]] == [
        "10",
        "25",
        "50",
        "75",
        "100",
    ]
    accuracy = pd.read_csv(results).set_index("variant")["accuracy"]
    assert spacing[2][1] == f"{100 * accuracy['d1_k8']:.1f}" and grid[6][5] == f"{100 * accuracy['cov100_s16']:.1f}"
    assert "nan" not in card.lower() and "–" not in card.split(GRID_TITLE)[1]  # every cell of each design was run
    # a second dry run replaces the section, never adds another
    assert cli_main(["push", str(out), "--repo", "tester/videomae-demo", "--results", str(results), "--dry-run"]) == 0
    assert (out / "README.md").read_text() == card


def test_push_sends_the_run_and_its_designs_to_the_hub(pushed_run):
    out, _ = pushed_run
    results = out / "eval" / "run" / "results.csv"
    with FakeHub() as hub:
        done = _python(
            ["-m", "inforates.cli", "push", str(out), "--repo", "tester/pushed", "--results", str(results)], hub
        )
        assert done.returncode == 0, done.stderr[-3000:]
        assert f"{hub.endpoint}/tester/pushed/commit/" in done.stdout
        files = hub.files["tester/pushed"]
    assert files["results.csv"] == results.read_bytes() and files["README.md"] == (out / "README.md").read_bytes()
    assert len(_design_tables(files["README.md"].decode())) == 2 and files["README.md"].decode().count(GRID_TITLE) == 1
    assert not any(name.startswith("checkpoint-") or name == "inforates_train.json" for name in files)


@pytest.mark.parametrize(
    "argv, words",
    [
        (["push", "{tmp}", "--repo", "a/b", "--dry-run"], "no config.json"),
        (["push", "{run}", "--repo", "a/b/c", "--dry-run"], "a Hub repository is ORG/NAME"),
        (["push", "{run}", "--repo", "a/b", "--results", "{tmp}/none.csv", "--dry-run"], "no such file"),
    ],
)
def test_push_mistakes_are_one_line(pushed_run, tmp_path, capsys, argv, words):
    out, _ = pushed_run
    argv = [w.format(tmp=tmp_path, run=out) for w in argv]
    assert cli_main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and words in err and "Traceback" not in err


def test_push_refuses_to_replace_a_readme_it_did_not_write(pushed_run, tmp_path, capsys):
    import shutil

    out, _ = pushed_run
    copy = tmp_path / "copy"
    shutil.copytree(out, copy, ignore=shutil.ignore_patterns("checkpoint-*", "eval"))
    (copy / "README.md").write_text("# my own notes\n")
    results = out / "eval" / "run" / "results.csv"
    assert cli_main(["push", str(copy), "--repo", "a/b", "--results", str(results), "--dry-run"]) == 2
    assert "was not written by inforates" in capsys.readouterr().err
    assert (copy / "README.md").read_text() == "# my own notes\n"


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
