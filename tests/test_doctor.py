"""`inforates doctor`: real checks of this machine and of recipes, one line each."""

from inforates.doctor import main, run_checks


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
