"""Training, evaluation, comparison and the study reach the trackers' local stores: wandb's offline run folder,
trackio's SQLite database and TensorBoard event files, written by the real libraries."""

from __future__ import annotations

import json
import os
import re
import sqlite3
from pathlib import Path

import pandas as pd
from conftest import REPO_ROOT

from inforates import cli


def test_metrics_reach_trackio_and_tensorboard(tmp_path):
    from inforates.data.synthetic import generate_synthetic

    synth = generate_synthetic(tmp_path / "synth", seed=0, scale=0.1)
    recipe = tmp_path / "recipe.yaml"
    lines = (REPO_ROOT / "recipes/demo/videomae.yaml").read_text().splitlines()
    recipe.write_text("\n".join(line for line in lines if not line.startswith("report_to")) + "\n"
                      "report_to: [tensorboard, trackio]\nproject: inforates-test\nrun_name: tracked\n")  # fmt: skip
    out = tmp_path / "run"
    argv = ["--config", str(recipe), "--dataset_dir", str(synth), "--output_dir", str(out), "--max_steps", "4"]
    argv += ["--logging_steps", "1", "--eval_strategy", "steps", "--eval_steps", "2", "--save_strategy", "no"]
    argv += ["--load_best_model_at_end", "false", "--disable_tqdm", "true"]
    assert cli.main(["train", *argv]) == 0  # in this process: trackio's store is the one conftest set
    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    losses = {log["step"]: log["loss"] for log in history if "loss" in log}
    accuracies = {log["step"]: log["eval_accuracy"] for log in history if "eval_accuracy" in log}
    assert len(losses) == 4 and len(accuracies) == 2

    # trackio: one SQLite database per project, a JSON row of metrics per log call
    with sqlite3.connect(TRACKIO_STORE / "inforates-test.db") as db:
        rows = [json.loads(m) for name, m in db.execute("select run_name, metrics from metrics") if name == "tracked"]
    logged = {row["train/global_step"]: row["train/loss"] for row in rows if "train/loss" in row}
    assert logged == losses
    assert all(row["train/clips_per_second"] > 0 for row in rows if "train/loss" in row)
    assert {row["train/global_step"]: row["eval/accuracy"] for row in rows if "eval/accuracy" in row} == accuracies

    # TensorBoard: event files under output_dir/runs
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    scalars = {}
    for folder in (out / "runs").iterdir():
        events = EventAccumulator(str(folder))
        events.Reload()
        for tag in events.Tags()["scalars"]:
            scalars.setdefault(tag, {}).update({e.step: e.value for e in events.Scalars(tag)})
    assert scalars["train/loss"] == {step: float(_f32(v)) for step, v in losses.items()}
    assert set(scalars["train/data_wait_share"]) == set(losses)
    assert set(scalars["eval/accuracy"]) == set(accuracies)


def _f32(value: float) -> float:
    import numpy as np

    return float(np.float32(value))


TRACKIO_STORE = Path(os.environ["TRACKIO_DIR"])  # set by conftest before trackio is imported


def _sqlite_rows(path, run_name: str, table: str = "metrics") -> list[dict]:
    column = "metrics" if table == "metrics" else "config"
    with sqlite3.connect(path) as db:
        return [json.loads(v) for name, v in db.execute(f"select run_name, {column} from {table}") if name == run_name]


def _media_key(path) -> str:
    """``accuracy_heatmap`` of wandb's ``accuracy_heatmap_<step>_<hash>.png``."""
    return re.sub(r"_\d+_[0-9a-f]+(\.table\.json|\.png)$", "", path.name)


def _wandb_run(folder):
    [run] = sorted((folder / "wandb").glob("offline-run-*"))
    return run / "files"


def test_evaluation_and_comparison_reach_wandb_offline_trackio_and_tensorboard(tmp_path, monkeypatch, capsys):
    from test_evaluate import CLASSES, make_checkpoint, make_videofolder

    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.delenv("WANDB_PROJECT", raising=False)
    data = make_videofolder(tmp_path / "videos", per_class=2, broken=False)
    checkpoint = make_checkpoint(tmp_path / "tiny", classes=CLASSES)
    trackers = ["--report_to", "wandb", "trackio", "tensorboard", "--project", "rates", "--run_name", "tiny-run"]
    argv = ["evaluate", "--model_name_or_path", str(checkpoint), "--dataset_dir", str(data), "--output_dir",
            str(tmp_path / "run"), "--coverages", "50", "100", "--strides", "1", "2", "--use_cpu", "true",
            "--disable_tqdm", "true", *trackers]  # fmt: skip
    assert cli.main(argv) == 0
    eval_root = tmp_path / "run" / "eval"
    results = pd.read_csv(eval_root / "tiny" / "results.csv")
    assert "tiny: logged to wandb, trackio, tensorboard" in capsys.readouterr().out

    # wandb: an offline run beside the evaluation folders, holding the results table and the figures
    files = _wandb_run(eval_root)
    [table] = (files / "media" / "table").glob("results_*.table.json")
    logged = json.loads(table.read_text())
    assert len(logged["data"]) == len(results) == 4
    assert {"variant", "accuracy", "ci_low", "ci_high", "distinct_frames", "padded_share"} <= set(logged["columns"])
    images = {_media_key(p) for p in (files / "media" / "images" / "figures").glob("*.png")}
    assert images == {"accuracy_heatmap", "accuracy_vs_spacing_seconds"}
    [record] = files.parent.glob("run-*.wandb")  # the offline run's records (protobuf): scalars, config, project
    assert all(word in record.read_bytes() for word in (b"clips_per_s", b"videos_evaluated", b"rates", b"tiny-run"))

    # trackio: the same in its SQLite store, under the training run's project and name
    rows = _sqlite_rows(TRACKIO_STORE / "rates.db", "tiny-run-evaluate")
    [table] = [r["results"]["_value"] for r in rows if "results" in r]
    assert [row["variant"] for row in table] == results["variant"].tolist()
    assert any(r.get("figures/accuracy_heatmap", {}).get("_type") == "trackio.image" for r in rows)
    [config] = _sqlite_rows(TRACKIO_STORE / "rates.db", "tiny-run-evaluate", "configs")
    assert config["model"] == "tiny" and config["variants"] == results["variant"].tolist()

    # tensorboard: scalars, the table as text and the images in event files
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(eval_root / "runs" / "tiny-run-evaluate"))
    events.Reload()
    assert "clips_per_s" in events.Tags()["scalars"] and set(events.Tags()["images"]) == set(images_keys())

    # a rerun finds the evaluation complete: nothing computed, nothing logged again
    assert cli.main(argv) == 0
    assert "logged to" not in capsys.readouterr().out and len(list((eval_root / "wandb").glob("offline-run-*"))) == 1

    # compare: every table, every figure and the report; a rerun leaves it (and its tracker folders) as it is
    out = tmp_path / "cmp"
    compare = ["compare", "--runs", str(eval_root), "--out", str(out), "--n-boot", "50", "--report_to", "wandb",
               "trackio", "--project", "rates"]  # fmt: skip
    assert cli.main(compare) == 0
    assert "logged to wandb, trackio" in capsys.readouterr().out
    files = _wandb_run(out)
    tables = {_media_key(p) for p in (files / "media" / "table").glob("*.table.json")}
    assert tables == {p.stem for p in out.glob("*.csv")} and "accuracy_by_variant" in tables
    figures = {p.relative_to(out / "figures").with_suffix("") for p in (out / "figures").rglob("*.png")}
    assert len(figures) >= 3
    assert len(list((files / "media" / "images" / "figures").rglob("*.png"))) == len(figures)
    assert (
        not (files / "report.md").is_symlink() and (files / "report.md").read_text() == (out / "report.md").read_text()
    )
    rows = _sqlite_rows(TRACKIO_STORE / "rates.db", "cmp-compare")
    assert any(r.get("report", {}).get("_type") == "trackio.markdown" for r in rows)
    assert cli.main(compare) == 0
    assert "not logged again" in capsys.readouterr().out


def images_keys():
    return ["figures/accuracy_heatmap", "figures/accuracy_vs_spacing_seconds"]


def test_training_names_its_run_after_the_model_in_the_recipes_project(tmp_path, monkeypatch):
    from inforates.configs import parse_recipe
    from inforates.trackers import study_group
    from inforates.training.launch import set_up_trackers

    for key in ("WANDB_DIR", "WANDB_PROJECT", "WANDB_RUN_GROUP", "INFORATES_RUN_GROUP"):
        monkeypatch.delenv(key, raising=False)
    recipe = parse_recipe(["--output_dir", str(tmp_path / "videomae"), "--report_to", "wandb", "--project", "rates",
                           "--use_cpu", "true"])  # fmt: skip
    with study_group("ucf101"):
        set_up_trackers(recipe)
        assert os.environ["WANDB_RUN_GROUP"] == "ucf101"
    assert recipe.training.run_name == "videomae" and os.environ["WANDB_PROJECT"] == "rates"
    assert os.environ["WANDB_DIR"] == str((tmp_path / "videomae").resolve())
    assert "INFORATES_RUN_GROUP" not in os.environ  # the study's group ends with it


def test_a_study_groups_its_runs(tmp_path):
    from inforates.trackers import TrackerRun, study_group

    with study_group("ucf101"):
        run = TrackerRun(["trackio"], project="grouped", name="videomae", job_type="evaluate", config={"a": 1},
                         folder=tmp_path)  # fmt: skip
        run.log_scalars({"clips_per_s": 2.0})
        run.finish()
    [config] = _sqlite_rows(TRACKIO_STORE / "grouped.db", "videomae-evaluate", "configs")
    assert config["_Group"] == "ucf101" and config["a"] == 1
