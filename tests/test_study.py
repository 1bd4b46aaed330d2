"""``inforates study``: the plan and its one-line errors, device slots, the same-videos check, --only and
--compare-only on hand-made runs (fast); two tiny models trained for real, in one process and 2 at a time, and a
rerun that reuses every stage (slow)."""

from __future__ import annotations

import json
import os
import re
import shlex
import sqlite3
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import REPO_ROOT
from test_compare import write_run
from test_stats_simulation import simulate_predictions

from inforates import cli
from inforates.commands.study import main, make_parser
from inforates.errors import RecipeError
from inforates.study import runner
from inforates.study.plan import load_study_file, model_names, plan_study
from inforates.study.runner import Options, device_slots, stage_command
from inforates.study.summary import check_same_inputs


CPU = ["--bf16", "false", "--use_cpu", "true"]  # the UCF-101 recipes are bf16 (GPU); parsed here on the CPU
TINY = {"model_name_or_path": "tiny-videomae", "dataset_source": "videofolder", "dataset_dir": "data/videos",
        "use_cpu": True}  # fmt: skip


def recipe(folder: Path, name: str, **keys) -> str:
    """A recipe file ``<folder>/<name>.yaml`` of a tiny model (only parsed, except where a test says)."""
    path = folder / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({**TINY, **keys}))
    return str(path)


def fingerprint(sha: str = "a" * 64, variants=None, videos: int = 60) -> dict:
    variants = variants or [f"cov{c}_s{s}" for c in (10, 25, 50, 75, 100) for s in (1, 2, 4, 8, 16)]
    data = {"dataset_source": "videofolder", "dataset_dir": "data/videos", "dataset_name": None, "manifest_path": None}
    return {"data": data, "split": "test", "protocol": "whole videos", "videos": videos, "videos_sha256": sha,
            "variants": variants}  # fmt: skip


def hand_made_runs(out: Path, names=("alpha", "beta"), **differs) -> None:
    """Complete evaluation folders ``out/eval/<name>`` of simulated predictions, each with its run.json."""
    pred = simulate_predictions(n_classes=3, videos_per_class=4, seed=1)
    for i, name in enumerate(names):
        model = pred[pred["model"] == ("alpha", "beta", "gamma")[i]].assign(model=name).reset_index(drop=True)
        fp = fingerprint(**(differs if i == len(names) - 1 else {}))
        run = {"model": name, "status": "complete", "fingerprint": fp, "timings": {"finished": "2026-12-02T00:00"},
               "videos": {"total": fp["videos"], "evaluated": fp["videos"]}}  # fmt: skip
        write_run(out / "eval" / name, model, run)


# ---- the study file, names and the plan's one-line errors ----


def test_the_committed_study_files_plan_their_models():
    recipes, shared = load_study_file(REPO_ROOT / "recipes/studies/ucf101.yaml")
    study = plan_study(recipes, "outputs/study/ucf101", shared, CPU)
    assert [m.name for m in study.models] == ["timesformer-ucf101", "videomae-ucf101", "vivit-ucf101"]
    for model in study.models:
        assert model.output_dir == Path("outputs/study/ucf101") / model.name
        assert model.eval_dir == Path("outputs/study/ucf101/eval") / model.name
        assert (model.recipe.data.dataset_source, model.recipe.data.ucf_split) == ("ucf101", 1)
        assert model.recipe.evaluation.max_eval_videos is None and "cov100_s1" in [
            v.name for v in model.recipe.sampling.grid()
        ]
    assert not study.mixed
    recipes, shared = load_study_file(REPO_ROOT / "recipes/studies/demo.yaml")
    study = plan_study(recipes, "outputs/study/demo", shared)
    assert [m.name for m in study.models] == ["timesformer", "videomae", "vivit"]
    assert {m.recipe.sampling.grid()[0].name for m in study.models} == {"d1_k8"}  # 8 consecutive frames, as the demo


def test_names_are_stems_or_parent_stem_when_stems_repeat():
    assert model_names(["recipes/demo/videomae.yaml", "recipes/demo/vivit.yaml"]) == ["videomae", "vivit"]
    paths = ["recipes/videomae/ucf101.yaml", "recipes/vivit/ucf101.yaml", "recipes/demo/vivit.yaml"]
    assert model_names(paths) == ["videomae-ucf101", "vivit-ucf101", "vivit"]
    with pytest.raises(RecipeError, match="would all write x-m/"):
        model_names(["a/x/m.yaml", "b/x/m.yaml"])
    with pytest.raises(RecipeError, match="'eval'.*the study uses for its own folder"):
        model_names(["recipes/eval.yaml"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("recipes: [a.yaml]\nmodels: 3\n", r"study.yaml:2: unknown key 'models'; a study file holds recipes:"),
        ("recipes: a.yaml\n", "recipes: must be a non-empty list"),
        ("recipes: []\n", "recipes: must be a non-empty list"),
        ("recipes: [a.yaml]\nshared: [1]\n", "shared: must be a mapping"),
        ("recipes: [a.yaml]\nrecipes: [b.yaml]\n", "key 'recipes' is given twice"),
    ],
)
def test_a_bad_study_file_is_one_line(tmp_path, text, message):
    (tmp_path / "study.yaml").write_text(text)
    with pytest.raises(RecipeError, match=message):
        load_study_file(tmp_path / "study.yaml")


def test_bad_recipes_and_shared_keys_fail_before_any_work(tmp_path):
    a, b = recipe(tmp_path, "a"), recipe(tmp_path, "b")
    out = tmp_path / "out"
    cases = [
        (([a, str(tmp_path / "none.yaml")],), "none.yaml: recipe file not found"),
        (([a, b, str(tmp_path / "." / "a.yaml")],), "a.yaml is listed twice"),
        (([a, b], {"max_eval_vidoes": 5}), "shared: unknown recipe key 'max_eval_vidoes'"),
        (([a, b], {"output_dir": "x"}), "shared: output_dir is set by the study"),
        (([a, b], {"coverages": []}), r"coverages: \[\] cannot be set"),
        (([a, b], {}, ["--eval_output_dir", "x"]), "--eval_output_dir: the study sets each model's folders"),
        (([a, b], {}, ["--learning_rat", "1"]), "unknown command-line flag --learning_rat"),
    ]
    for args, message in cases:
        with pytest.raises(RecipeError, match=message):
            plan_study(args[0], out, *args[1:])
    assert not out.exists()
    # the package's recipes/demo is linked from the repository's: the same file under two names
    demo = [str(REPO_ROOT / "recipes/demo/vivit.yaml"), str(REPO_ROOT / "inforates/recipes/demo/vivit.yaml")]
    with pytest.raises(RecipeError, match="listed twice"):
        plan_study(demo, out)


def test_shared_keys_override_every_recipe_and_null_cannot_unset(tmp_path):
    a, b = recipe(tmp_path, "a", max_eval_videos=20, seed=1), recipe(tmp_path, "b", seed=2)
    shared = {"max_eval_videos": 10, "seed": 5, "coverages": [50, 100], "horizontal_flip": False}
    study = plan_study([a, b], tmp_path / "out", shared)
    for model in study.models:
        r = model.recipe
        assert (r.evaluation.max_eval_videos, r.training.seed, r.sampling.coverages) == (10, 5, [50.0, 100.0])
        assert r.data.horizontal_flip is False
    assert model.argv[:2] == ["--config", b] and "--checkpoints" in model.argv
    with pytest.raises(RecipeError, match=r"max_eval_videos: null cannot unset .*a.yaml's max_eval_videos=20"):
        plan_study([a, b], tmp_path / "out", {"max_eval_videos": None})


def test_recipes_on_different_datasets_are_refused_naming_them(tmp_path):
    a = recipe(tmp_path / "one", "a")
    b = recipe(tmp_path / "two", "b", dataset_dir="data/other")
    with pytest.raises(
        RecipeError, match=r"different datasets: dataset_dir differs \(.*a.yaml: data/videos; .*b.yaml"
    ):
        plan_study([a, b], tmp_path / "out")
    assert plan_study([a, b], tmp_path / "out", {"dataset_dir": "data/videos"}).models  # shared: makes it one


def test_recipes_on_different_videos_or_cells_need_allow_mixed(tmp_path):
    a = recipe(tmp_path, "a", coverages=[50, 100])
    b = recipe(tmp_path, "b", max_eval_videos=30)
    with pytest.raises(
        RecipeError, match=r"max_eval_videos differs \(a: None; b: 30\).*variants differs.*allow-mixed"
    ):
        plan_study([a, b], tmp_path / "out")
    study = plan_study([a, b], tmp_path / "out", allow_mixed=True)
    assert any(line.startswith("variants differs (a: 10 cells") for line in study.mixed)


def test_recipes_on_other_test_views_or_hmdb_splits_need_allow_mixed(tmp_path):
    a = recipe(tmp_path, "a", test_clips=5, test_crops=3)
    b = recipe(tmp_path, "b")
    with pytest.raises(RecipeError, match=r"views differs \(a: 5 clips x 3 crops; b: 1 clips x 1 crops\)"):
        plan_study([a, b], tmp_path / "out")
    hmdb = {"dataset_source": "hmdb51", "dataset_dir": "data/hmdb51_org"}
    c, d = recipe(tmp_path, "c", **hmdb), recipe(tmp_path, "d", **hmdb, hmdb_split=2)
    with pytest.raises(RecipeError, match=r"hmdb_split differs \(c: 1; d: 2\)"):
        plan_study([c, d], tmp_path / "out")


# ---- devices ----


def test_device_slots_split_the_gpus_or_the_cores():
    assert [s.env for s in device_slots(2, gpus=["0", "1", "2", "3"])] == [
        {"CUDA_VISIBLE_DEVICES": "0,1"},
        {"CUDA_VISIBLE_DEVICES": "2,3"},
    ]
    slots = device_slots(2, gpus=["4", "5", "6"])  # the remainder stays idle
    assert [s.env["CUDA_VISIBLE_DEVICES"] for s in slots] == ["4", "5"] and {s.gpus for s in slots} == {1}
    cpu = device_slots(2, gpus=[], cores=4)
    assert cpu[0].env["OMP_NUM_THREADS"] == "2" and cpu[0].args == ["--dataloader_num_workers", "0"]
    for parallel, gpus, message in (
        (3, ["0", "1"], "shows 2 GPU"),
        (3, [], "the CPU, which has 2 core"),
        (0, [], "at least 1"),
    ):
        with pytest.raises(RecipeError, match=message):
            device_slots(parallel, gpus=gpus, cores=2)


def test_training_goes_through_accelerate_with_the_slots_gpus(tmp_path):
    options = Options(tmp_path, accelerate_config="accelerate_configs/ddp.yaml")
    command = stage_command("train", ["--config", "r.yaml"], options, device_slots(2, gpus=["0", "1", "2", "3"])[1])
    text = " ".join(command)
    assert "-m accelerate.commands.launch --config_file accelerate_configs/ddp.yaml --num_processes 2" in text
    assert "--main_process_port 29501" in text  # launches side by side need their own port
    assert text.endswith("-m inforates.train --config r.yaml")
    assert stage_command("evaluate", ["--config", "r.yaml"], options, None)[1:4] == ["-m", "inforates.cli", "evaluate"]


def test_parallel_beyond_the_machine_is_one_line_before_any_work(tmp_path, capsys):
    a, b = recipe(tmp_path, "a"), recipe(tmp_path, "b")
    assert cli.main(["study", "--recipes", a, b, "--out", str(tmp_path / "out"), "--parallel", "64"]) == 2
    assert re.search(
        r"error: --parallel 64: (this machine shows \d+ GPU|the models run on the CPU, which has)",
        capsys.readouterr().err,
    )
    assert cli.main(["study", "--recipes", a, b, "--out", str(tmp_path / "out"), "--only", "2"]) == 2
    assert "--only 2: the study has 2 models, numbered 0-1" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# ---- the same test videos and cells ----


def test_runs_that_saw_other_videos_or_cells_are_refused_naming_them(tmp_path):
    hand_made_runs(tmp_path, ("alpha", "beta", "gamma"), sha="b" * 64, variants=["cov100_s1"])
    folders = {name: tmp_path / "eval" / name for name in ("alpha", "beta", "gamma")}
    assert check_same_inputs({k: folders[k] for k in ("alpha", "beta")}) == []
    with pytest.raises(RecipeError) as err:
        check_same_inputs(folders)
    message = str(err.value)
    assert "videos_sha256 differs (alpha, beta: aaaaaaaaaaaa; gamma: bbbbbbbbbbbb)" in message
    assert "variants differs (alpha, beta: 25 cells (cov10_s1, cov10_s2, cov10_s4, ...); gamma: 1 cells" in message
    assert "--allow-mixed" in message and "\n" not in message
    assert len(check_same_inputs(folders, allow_mixed=True)) == 2


def test_compare_only_compares_hand_made_runs_and_reuses_the_comparison(tmp_path, capsys):
    out = tmp_path / "out"
    a, b = (recipe(tmp_path, name, report_to=["trackio"], project="study-project") for name in ("alpha", "beta"))
    args = ["study", "--recipes", a, b, "--out", str(out), "--compare-only", "--protocol", "paired", "--n-boot", "20"]
    assert cli.main(args) == 2  # nothing evaluated yet
    assert "--compare-only: no complete evaluation of alpha, beta" in capsys.readouterr().err
    hand_made_runs(out)
    assert cli.main(args) == 0
    printed = capsys.readouterr().out
    summary = json.loads((out / "study_summary.json").read_text())
    assert (out / "report.md").is_file() and summary["exit_status"] == 0 and summary["mixed"] == []
    expected = pd.read_csv(out / "eval" / "alpha" / "results.csv").set_index("variant").loc["cov100_s1", "accuracy"]
    assert summary["models"]["alpha"]["densest_variant"] == "cov100_s1"
    assert summary["models"]["alpha"]["accuracy"] == pytest.approx(expected)
    assert [r["model"] for r in summary["robustness"]] and "robustness (AUC over coverage)" in printed
    assert summary["robustness_tests"] in printed  # what the paired tests support, never an order alone
    assert summary["models"]["alpha"]["attribution"] and "attribution:" in printed
    # the comparison reached the models' tracker, in their project, named and grouped after the study's folder
    assert "comparison logged to trackio" in printed
    with sqlite3.connect(Path(os.environ["TRACKIO_DIR"]) / "study-project.db") as db:
        configs = [
            json.loads(c) for name, c in db.execute("select run_name, config from configs") if name == "out-compare"
        ]
        logged = {k for name, m in db.execute("select run_name, metrics from metrics") if name == "out-compare"
                  for k in json.loads(m)}  # fmt: skip
    assert [c["_Group"] for c in configs] == ["out"] and configs[0]["runs"] == ["alpha", "beta"]
    assert {"accuracy_by_variant", "report"} <= logged
    before = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    assert cli.main(args) == 0
    printed = capsys.readouterr().out
    assert "logged" not in printed  # unchanged: not logged again
    assert "this comparison is already there, of the same inputs and options (unchanged)" in printed
    assert "the study is already finished (unchanged)" in printed
    assert {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()} == before  # not a byte changed
    assert json.loads((out / "study_summary.json").read_text())["models"] == summary["models"]


def test_compare_only_refuses_mixed_runs_unless_allowed(tmp_path, capsys):
    out = tmp_path / "out"
    hand_made_runs(out, videos=59, sha="c" * 64)
    a, b = recipe(tmp_path, "alpha"), recipe(tmp_path, "beta")
    args = ["study", "--recipes", a, b, "--out", str(out), "--compare-only", "--protocol", "paired", "--n-boot", "20"]
    assert cli.main(args) == 2
    err = capsys.readouterr().err.strip()
    assert (
        err.startswith("error: the runs did not see the same test videos")
        and "videos differs (alpha: 60; beta: 59)" in err
    )
    assert cli.main([*args, "--allow-mixed"]) == 0
    assert "MIXED (--allow-mixed)" in capsys.readouterr().out
    summary = json.loads((out / "study_summary.json").read_text())
    assert summary["allow_mixed"] and any("videos_sha256 differs" in line for line in summary["mixed"])


def test_a_failed_model_is_reported_and_the_others_go_on(tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    hand_made_runs(out, ("beta",))
    a, b = recipe(tmp_path, "alpha"), recipe(tmp_path, "beta")

    def stage(model, stage, slot, options, trained):
        if model.name == "alpha":
            raise RecipeError("alpha's videos are unreadable")
        return "reused"

    monkeypatch.setattr(runner, "_stage", stage)
    assert main(["--recipes", a, b, "--out", str(out), "--protocol", "paired", "--n-boot", "20"]) == 1
    printed = capsys.readouterr().out
    assert "[alpha] train FAILED: alpha's videos are unreadable" in printed and "[beta] evaluate: reused" in printed
    summary = json.loads((out / "study_summary.json").read_text())
    assert summary["models"]["alpha"]["status"] == "failed" and summary["models"]["alpha"]["error"].startswith(
        "train:"
    )
    assert summary["models"]["beta"]["status"] == "finished" and "accuracy" in summary["models"]["beta"]
    assert (out / "report.md").is_file() and summary["exit_status"] == 1

    # --only runs the I-th model alone, without a comparison
    (out / "report.md").unlink()
    assert main(["--recipes", a, b, "--out", str(out), "--only", "1"]) == 0
    assert "compare once every model is done" in capsys.readouterr().out and not (out / "report.md").exists()
    assert main(["--recipes", a, b, "--out", str(out), "--only", "0"]) == 1


def test_a_failing_subprocess_stage_reports_its_error_line(tmp_path, capsys):
    """Two models at once, each failing in its own `inforates train` subprocess: each reports the line."""
    a, b = recipe(tmp_path, "alpha"), recipe(tmp_path, "beta")
    out = tmp_path / "out"
    argv = ["--recipes", a, b, "--out", str(out), "--parallel", "2", "--validation_split", "test"]
    assert main(argv) == 1
    printed = capsys.readouterr().out
    for name in ("alpha", "beta"):
        assert f"[{name}] train FAILED: validation_split='test': model selection must not see" in printed
        assert (out / "logs" / f"{name}.log").read_text().startswith("$ ")
    assert json.loads((out / "study_summary.json").read_text())["models"]["alpha"]["log"].endswith("alpha.log")


# ---- the documented commands ----


def study_args(line: str) -> list[str]:
    """The arguments of the `inforates study` a documented line runs (through `make -n` for `make study`)."""
    tokens = shlex.split(line, comments=True)
    if tokens[0] == "make":
        command = ["make", "-n", "-o", ".venv/.installed", *tokens[1:]]
        done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        tokens = shlex.split(next(x for x in done.stdout.splitlines() if "inforates study" in x))
        tokens[0] = "inforates"
    for i, token in enumerate(tokens):
        if token.startswith("inforates study"):  # sbatch --wrap "inforates study ..."
            return shlex.split(token)[2:]
        if token == "inforates" and tokens[i + 1] == "study":
            return tokens[i + 2 :]
    raise AssertionError(line)


def test_the_documented_study_commands_parse():
    """README.md's and docs/study.md's `inforates study` and `make study` lines parse with this parser and name
    existing recipes (README's sit in `sh` blocks until tests/test_readme.py has a checker for `study`)."""
    lines = []
    for doc in ("README.md", "docs/study.md"):
        for block in re.findall(r"^```(?:bash|sh)\n(.*?)^```", (REPO_ROOT / doc).read_text(), flags=re.M | re.S):
            text = block.replace("\\\n", " ")
            lines += [line.strip() for line in text.splitlines() if re.search(r"(inforates|make) study", line)]
    assert len(lines) >= 8
    for line in lines:
        args = [t.replace("$SLURM_ARRAY_TASK_ID", "0") for t in study_args(line)]
        parsed, overrides = make_parser().parse_known_args(args)
        recipes = load_study_file(REPO_ROOT / parsed.study)[0] if parsed.study else parsed.recipes
        assert all((REPO_ROOT / r).is_file() for r in recipes), line
        assert parsed.accelerate_config is None or (REPO_ROOT / parsed.accelerate_config).is_file(), line
        assert all(o.startswith("--") for o in overrides[::2]), line


# ---- two tiny models for real (slow) ----


TINY_RUN = (
    "--max_train_videos 12 --num_train_epochs 1 --per_device_train_batch_size 4 --eval_strategy no "
    "--save_strategy no --load_best_model_at_end false --max_eval_videos 6 --spacings 1 2 --coverages 50 100 "
    "--strides 1 2 --disable_tqdm true --decoded_cache_mb 0 --report_to none"
).split()


@pytest.fixture(scope="module")
def synth_small(tmp_path_factory):
    from inforates.data.synthetic import generate_synthetic

    return generate_synthetic(tmp_path_factory.mktemp("synth") / "bench", seed=0, scale=0.1)


@pytest.mark.slow
def test_two_tiny_models_in_one_process_and_two_at_a_time_agree_and_a_rerun_reuses_everything(
    synth_small, tmp_path, capsys
):
    """Measured on 2 cores (2026-12-02), inside one Python process: 16 s in-process, 37 s as 2 x 2 subprocesses
    (their imports dominate such tiny models), under 1 s for the rerun (the command itself: 27 s, 50 s, 7 s)."""
    recipes = [str(REPO_ROOT / "recipes/demo/videomae.yaml"), str(REPO_ROOT / "recipes/demo/vivit.yaml")]
    common = ["--recipes", *recipes, "--protocol", "paired", "--n-boot", "50", "--dataset_dir", str(synth_small)]
    common += TINY_RUN
    modes = {"sequential": [], "parallel": ["--parallel", "2"]}
    for mode, extra in modes.items():
        assert main([*common, "--out", str(tmp_path / mode), *extra]) == 0
    printed = capsys.readouterr().out
    assert "2 at a time, 1 CPU thread(s) each" in printed
    for name in ("videomae", "vivit"):
        one, two = (pd.read_parquet(tmp_path / mode / "eval" / name / "predictions.parquet") for mode in modes)
        assert len(one) == 6 * (2 + 4) and one["pred"].tolist() == two["pred"].tolist()
        assert (tmp_path / "parallel" / "logs" / f"{name}.log").is_file()
        assert not (tmp_path / "sequential" / "logs").exists()

    folder = tmp_path / "sequential"
    before = {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    assert main([*common, "--out", str(folder)]) == 0
    printed = capsys.readouterr().out
    for name in ("videomae", "vivit"):
        assert f"[{name}] train: reusing the finished run" in printed
        assert f"[{name}] evaluate: reusing the complete evaluation" in printed
    assert "this comparison is already there, of the same inputs and options (unchanged)" in printed
    assert "the study is already finished (unchanged)" in printed
    assert {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()} == before  # not a byte changed
