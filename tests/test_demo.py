"""The demo end to end, reduced to one model (slow); its parser (fast)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from inforates.commands.demo import main, make_parser
from inforates.demo.summary import DENSEST, TARGET_ACCURACY
from inforates.errors import RecipeError


def test_parser_defaults_are_the_documented_demo():
    args = make_parser().parse_args([])
    assert args.out == "outputs/demo" and args.models == ["timesformer", "videomae", "vivit"] and not args.fresh
    with pytest.raises(RecipeError, match="invalid choice: 'resnet'"):
        make_parser().parse_args(["--models", "resnet"])


@pytest.mark.slow
def test_reduced_demo(tmp_path, capsys):
    """ViViT alone through every stage; the exit status is the report's Nyquist verdict; a rerun reuses results.
    The demo's headline figures are checked last and a regression fails: >= 90 % at the densest variant and the
    Nyquist check PASS (2 cores, 2026-12-02: 0.944, within each video 0.904 / 0.142)."""
    out, data = tmp_path / "demo", tmp_path / "synthetic"
    status = main(["--models", "vivit", "--out", str(out), "--data", str(data)])
    printed = capsys.readouterr().out
    assert "Nyquist check" in printed and "report:" in printed

    check = json.loads((out / "statistical_results.json").read_text())["paired"]["nyquist_check"]
    assert status == (0 if check["passed"] else 1)
    assert check["design"] == "spacing_budget" and check["within_video"]["n_videos"] == 144
    summary = json.loads((out / "demo_summary.json").read_text())
    assert summary["nyquist_check"]["verdict"] == check["verdict"]
    assert f"Nyquist check {check['verdict']}" in (out / "report.md").read_text()
    for figure in ("aliasing_collapse", "vivit/accuracy_heatmap", "vivit/accuracy_vs_coverage"):  # one model
        assert (out / "figures" / f"{figure}.png").is_file(), figure
    results = pd.read_csv(out / "eval" / "vivit" / "results.csv")
    assert len(results) == 12 + 25  # the within-video design and the coverage x stride grid
    densest = float(results.loc[results["variant"] == DENSEST, "accuracy"].iloc[0])
    # the physics shows even when the thresholds are missed: direction accuracy drops past the limit
    assert check["within_video"]["above"] < check["within_video"]["below"] - 0.3

    again = main(["--models", "vivit", "--out", str(out), "--data", str(data)])
    assert again == status and "reusing the finished run" in capsys.readouterr().out

    assert densest >= TARGET_ACCURACY and check["passed"], (
        f"demo targets missed: accuracy {densest:.3f} at the densest variant (target {TARGET_ACCURACY}), "
        f"Nyquist {check['within_video']['below']:.3f} / {check['within_video']['above']:.3f}"
    )


def test_summary_exit_status_follows_the_pooled_check_and_names_a_left_out_model(tmp_path, capsys):
    """A model that perceives the apparent rotation passes alone; pooled with one guessing the direction, it fails;
    with the guessing one left out (as the demo does when its validation direction accuracy is low), it passes."""
    from test_compare import write_run
    from test_stats_simulation import simulate_within_video

    from inforates.analysis.inputs import load_runs
    from inforates.analysis.registry import analyse
    from inforates.demo.pipeline import nyquist_exclusions
    from inforates.demo.summary import print_summary

    ideal = simulate_within_video("theory").assign(model="ideal")  # the demo's design, spacings 1-12
    blind = simulate_within_video("chance", seed=1).assign(model="blind")
    for pred in (ideal, blind):
        pred["correct"] = pred["pred_class"] == pred["class_name"]
    validation = {"ideal": 0.97, "blind": 0.52}
    left_out = nyquist_exclusions(validation)
    assert list(left_out) == ["blind"] and "0.520 on the validation split" in left_out["blind"]

    for models, exclude, expected in (([ideal], {}, 0), ([ideal, blind], {}, 1), ([ideal, blind], left_out, 0)):
        out = tmp_path / f"{len(models)}-{len(exclude)}"
        for pred in models:
            write_run(out / "eval" / pred["model"].iloc[0], pred)
        analysis = analyse(load_runs([out / "eval"]), "paired", n_boot=20, nyquist_exclude=exclude)
        assert print_summary(analysis, validation, out, {"total": 1.0}) == expected
        printed = capsys.readouterr().out
        assert ("blind is left out of the Nyquist check" in printed) == bool(exclude)
        summary = json.loads((out / "demo_summary.json").read_text())
        assert summary["nyquist_check"]["passed"] == (expected == 0)
        pooled = {m["model"].iloc[0] for m in models} - set(exclude)
        assert set(summary["nyquist_check"]["models"]) == pooled
        assert set(summary["models"]) == {pred["model"].iloc[0] for pred in models}


def test_a_model_without_a_validation_figure_is_left_out():
    from inforates.demo.pipeline import nyquist_exclusions

    assert set(nyquist_exclusions({"a": 0.75, "b": 0.749, "c": float("nan")})) == {"b", "c"}


def test_a_folder_of_another_recipe_is_refused_with_the_demo_hint(tmp_path, synth_small, capsys):
    from inforates.training.run_dir import RUN_FILE

    stale = tmp_path / "demo" / "vivit"
    (stale / "checkpoint-10").mkdir(parents=True)  # a run of an older recipe that got as far as a checkpoint
    (stale / "checkpoint-10" / "trainer_state.json").write_text("{}")
    (stale / RUN_FILE).write_text(json.dumps({"fingerprint": "an older recipe"}))
    assert main(["--models", "vivit", "--out", str(tmp_path / "demo"), "--data", str(synth_small)]) == 1
    printed = capsys.readouterr().out
    assert "vivit FAILED: train:" in printed and "--fresh retrains every model" in printed
    assert (stale / RUN_FILE).read_text() == json.dumps({"fingerprint": "an older recipe"})  # left as it was


@pytest.fixture(scope="module")
def synth_small(tmp_path_factory):
    from inforates.data.synthetic import generate_synthetic

    return generate_synthetic(tmp_path_factory.mktemp("synth") / "bench", seed=0, scale=0.1)


def test_the_committed_pretrained_checkpoints_load_in_plain_transformers():
    """inforates/checkpoints/demo/<model>: made by `inforates pretrain-demo` on the pretrain task (12 classes of
    its own), a few hundred KB each, with a card that says how; the demo replaces their heads."""
    import transformers

    from inforates.data.synthetic import SynthParams
    from inforates.demo.pipeline import MODELS, checkpoint_dir

    for model in MODELS:
        folder = checkpoint_dir(model)
        loaded = transformers.AutoModelForVideoClassification.from_pretrained(folder)
        assert sorted(loaded.config.id2label.values()) == sorted(SynthParams(task="pretrain").class_names)
        assert (folder / "model.safetensors").stat().st_size < 3_000_000
        card = (folder / "README.md").read_text()
        assert f"inforates pretrain-demo --models {model}" in card and "Validation on that task" in card


def test_pretrain_demo_exports_a_finished_run(tmp_path):
    from inforates.demo.pretrain import EXPORTED, export

    run = tmp_path / "run"
    run.mkdir()
    for name in EXPORTED:
        (run / name).write_text(name)
    out = export(run, tmp_path / "checkpoints" / "vivit", "# card\n")
    assert sorted(p.name for p in out.iterdir()) == sorted([*EXPORTED, "README.md"])
    assert (out / "README.md").read_text() == "# card\n"


def test_the_demo_says_how_to_make_missing_checkpoints(tmp_path, monkeypatch):
    from inforates.demo import pipeline

    monkeypatch.setattr(pipeline, "checkpoint_dir", lambda model: tmp_path / "none" / model)
    with pytest.raises(RecipeError, match="inforates pretrain-demo --models vivit"):
        main(["--models", "vivit", "--out", str(tmp_path / "out")])
