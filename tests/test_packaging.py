"""The wheel holds everything `inforates demo` needs, so `pip install .` then `inforates demo` works anywhere."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile

from conftest import REPO_ROOT


def test_the_wheel_ships_every_module_the_metric_and_every_recipe(tmp_path):
    source = tmp_path / "src"  # a copy: building writes build/ and egg-info beside the sources
    shutil.copytree(REPO_ROOT / "inforates", source / "inforates", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(REPO_ROOT / name, source / name)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    (wheel,) = tmp_path.glob("inforates-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {p.relative_to(REPO_ROOT).as_posix() for p in (REPO_ROOT / "inforates").rglob("*.py")}
    assert modules <= names, sorted(modules - names)
    models = ("timesformer", "videomae", "vivit")
    demo = {f"inforates/recipes/demo/{m}.yaml" for m in models} | {
        f"inforates/recipes/demo/pretrain/{m}.yaml" for m in models
    }
    checkpoints = {f"inforates/checkpoints/demo/{m}/{f}" for m in models for f in ("config.json", "model.safetensors",
                   "preprocessor_config.json", "README.md")}  # fmt: skip
    assert demo <= names and checkpoints <= names and "inforates/metrics/video_accuracy.py" in names
    recipes = {p.relative_to(REPO_ROOT).as_posix() for p in (REPO_ROOT / "inforates" / "recipes").rglob("*.yaml")}
    assert len(recipes) >= 22 and recipes <= names, sorted(recipes - names)
    assert {"inforates/recipes/videomae/ucf101_published.yaml", "inforates/recipes/studies/ucf101.yaml"} <= names
    assert not any(n.startswith(("tests/", "bench/")) for n in names)


def test_the_demo_reads_its_recipes_from_the_package_in_any_folder(tmp_path, monkeypatch):
    from inforates.configs import parse_recipe
    from inforates.demo import pipeline
    from inforates.model_registry import resolve

    monkeypatch.chdir(tmp_path)
    assert pipeline.RECIPES_DIR.is_relative_to(REPO_ROOT / "inforates")
    for model in pipeline.MODELS:
        recipe = parse_recipe(["--config", str(pipeline.RECIPES_DIR / f"{model}.yaml")])
        resolved = resolve(recipe.model.model_name_or_path)  # the package's checkpoint, from anywhere
        assert resolved.local and resolved.source == str(pipeline.checkpoint_dir(model))
        assert resolved.source.startswith(str(REPO_ROOT / "inforates" / "checkpoints"))
    assert (REPO_ROOT / "recipes" / "demo" / "videomae.yaml").read_text() == (
        pipeline.RECIPES_DIR / "videomae.yaml"
    ).read_text()


def test_recipes_are_listed_copied_and_named_from_any_folder(tmp_path, monkeypatch, capsys):
    from inforates import cli
    from inforates.configs import parse_recipe
    from inforates.recipe_catalog import RECIPES_ROOT
    from inforates.study.plan import load_study_file

    monkeypatch.chdir(tmp_path)  # no recipes/ here: names resolve to the package's
    assert cli.main(["recipes"]) == 0
    listing = capsys.readouterr().out.splitlines()
    rows = {line.split()[0]: line for line in listing[1:] if line and "/" in line.split()[0]}
    shipped = {p.relative_to(RECIPES_ROOT).with_suffix("").as_posix() for p in RECIPES_ROOT.rglob("*.yaml")}
    assert shipped <= set(rows)
    assert "videomae" in rows["videomae/ucf101_published"] and "1 x A100 80GB, bf16" in rows["videomae/ucf101"]
    assert "ucf101 (data/UCF-101)" in rows["vivit/ucf101"] and "CPU, 2 cores" in rows["demo/videomae"]

    assert cli.main(["recipes", "copy", "videomae/hmdb51", "mine/"]) == 0
    copied = tmp_path / "mine" / "hmdb51.yaml"
    assert copied.read_text() == (RECIPES_ROOT / "videomae" / "hmdb51.yaml").read_text()
    copied.write_text(copied.read_text() + "# my edit\n")
    assert cli.main(["recipes", "copy", "videomae/hmdb51", "mine/"]) == 2  # never replaces a file
    assert copied.read_text().endswith("# my edit\n")
    assert "already exists" in capsys.readouterr().err
    assert cli.main(["recipes", "copy", "videomae/nope", "x.yaml"]) == 2

    cpu = ["--use_cpu", "true"]
    for name in ("videomae/ucf101", "videomae/ucf101.yaml", "recipes/videomae/ucf101.yaml"):
        recipe = parse_recipe(["--config", name, *cpu])
        assert recipe.config_path == str(RECIPES_ROOT / "videomae" / "ucf101.yaml")
        assert recipe.data.dataset_source == "ucf101" and recipe.model.num_frames == 16
    assert parse_recipe(["--config", str(copied), *cpu]).data.dataset_source == "hmdb51"  # a path wins
    recipes, shared = load_study_file("studies/ucf101")  # its recipes: repository paths, resolved the same way
    assert [parse_recipe(["--config", r, *cpu]).data.dataset_source for r in recipes] == ["ucf101"] * 3
