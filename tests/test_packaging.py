"""The wheel holds everything `inforates demo` needs, so `pip install .` then `inforates demo` works anywhere."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile

from conftest import REPO_ROOT


def test_the_wheel_ships_every_module_the_metric_and_the_demo_recipes(tmp_path):
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
