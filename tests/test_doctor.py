"""`inforates doctor`: real checks of this machine and of recipes, one line each."""

import pytest
from test_sources import build_hmdb51, build_ssv2, hmdb_name

from inforates.commands.doctor import main, run_checks


def test_machine_checks_pass_here(capsys):
    checks = {c.name: c for c in run_checks(None, None)}
    assert checks["torch"].ok and checks["decode"].ok and checks["libraries"].ok and checks["disk"].ok
    assert "encoded + decoded 12 frames" in checks["decode"].detail


def test_recipe_checks_report_what_is_missing_with_a_fix(tmp_path, capsys):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        f"model_name_or_path: someorg/not-cached-model\ndataset_source: videofolder\n"
        f"dataset_dir: {tmp_path / 'nowhere'}\noutput_dir: {tmp_path / 'out'}\n"
    )
    assert main(["--config", str(recipe)]) == 1
    out = capsys.readouterr().out
    lines = {line.split()[1]: line for line in out.splitlines() if line.startswith(("OK", "FAIL"))}
    assert lines["recipe"].startswith("OK")
    assert lines["dataset"].startswith("FAIL") and "nowhere" in lines["dataset"]
    assert lines["model"].startswith("FAIL") and "someorg/not-cached-model" in lines["model"]
    assert "fix:" in out and "FAIL (dataset, model)" in out


def test_bad_recipe_is_one_failed_line(tmp_path, capsys):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("stides: [1]\n")
    assert main(["--config", str(recipe)]) == 1
    out = capsys.readouterr().out
    assert "FAIL  recipe" in out and "stides" in out


@pytest.mark.parametrize("source", ["hmdb51", "ssv2"])
def test_recipe_on_an_official_layout_reports_videos_per_split(tmp_path, capsys, source):
    if source == "hmdb51":
        root = build_hmdb51(tmp_path / "hmdb")
        gone = root / "hmdb51_org" / "brush_hair" / hmdb_name("brush_hair", 0)
        keys = f"dataset_dir: {root / 'hmdb51_org'}\nhmdb_split: 1\n"
        expected = "hmdb51: train 9, validation 3, test 3 videos, 3 classes"
    else:
        root = build_ssv2(tmp_path / "ssv2")
        gone = root / "20bn-something-something-v2" / "1000.webm"
        keys = f"dataset_dir: {root}\nannotations_path: {root / 'labels'}\n"
        expected = "ssv2: train 9, validation 3, test 3 videos, 3 classes"
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        f"model_name_or_path: tiny-videomae\ndataset_source: {source}\n{keys}validation_fraction: 0.25\n"
        f"output_dir: {tmp_path / 'out'}\n"
    )
    assert main(["--config", str(recipe)]) == 0
    dataset = next(line for line in capsys.readouterr().out.splitlines() if line.split()[1:2] == ["dataset"])
    assert dataset.startswith("OK") and dataset.endswith(expected)

    gone.unlink()  # listed but absent: reported, left out, not a failure
    assert main(["--config", str(recipe)]) == 0
    dataset = next(line for line in capsys.readouterr().out.splitlines() if line.split()[1:2] == ["dataset"])
    assert dataset.startswith("OK") and "train 8" in dataset
    assert dataset.endswith(f"; 1 listed videos are missing and left out (e.g. {gone.name})")
