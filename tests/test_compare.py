"""``inforates compare`` end to end: simulated evaluation runs, the 2025 reference tables, the synthetic
benchmark, and the command's errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_stats_paper import REFERENCE
from test_stats_simulation import simulate_predictions, simulate_synthetic

from inforates import cli, schema
from inforates.analysis import inputs
from inforates.analysis.compare import compare as run_compare
from inforates.analysis.paired import cochran_q
from inforates.analysis.paper import paper_protocol
from inforates.analysis.reference_tables import read_reference_folder


REPO_ROOT = Path(__file__).resolve().parents[1]


def write_run(folder: Path, pred: pd.DataFrame, run_json: dict | None = None, model_column: bool = True) -> Path:
    """An evaluation run directory in the docs/design.md layout."""
    folder.mkdir(parents=True, exist_ok=True)
    (pred if model_column else pred.drop(columns="model")).to_parquet(folder / "predictions.parquet")
    schema.results_table(pred).to_csv(folder / "results.csv", index=False)
    schema.per_class_table(pred).drop(columns="model").to_csv(folder / "per_class.csv", index=False)
    (folder / "run.json").write_text(json.dumps(run_json or {"seed": 0}))
    return folder


def write_runs(root: Path, pred: pd.DataFrame) -> Path:
    """One run directory per model of ``pred``, ``root/run_<model>``."""
    for model, df in pred.groupby("model"):
        write_run(root / f"run_{model}", df.reset_index(drop=True))
    return root


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    pred = simulate_predictions(n_classes=10, videos_per_class=15, seed=11)
    root = write_runs(tmp_path_factory.mktemp("eval"), pred)
    out = root.parent / "compare"
    rc = cli.main(["compare", "--runs", str(root), "--out", str(out), "--protocol", "both", "--formats", "png",
                       "--n-boot", "300"])  # fmt: skip
    assert rc == 0
    return {"root": root, "out": out, "pred": pred}


def test_outputs_written(simulated):
    out = simulated["out"]
    for name in ("statistical_results.json", "multimodel_analysis.json", "report.md", "accuracy_by_variant.csv",
                 "summary_statistics_by_coverage.csv", "pairwise_variants_mcnemar.csv", "pairwise_models_mcnemar.csv",
                 "pairwise_coverage_welch.csv", "class_changes.csv", "attribution.csv", "matched_evidence.csv",
                 "rm_anova.csv", "ranking_pairs.csv", "highest_cell_mcnemar.csv"):  # fmt: skip
        assert (out / name).is_file(), name
    for model in ("alpha", "beta", "gamma"):  # names from the parquet's model column, not the run_* dirs
        for fig in ("accuracy_heatmap", "accuracy_vs_coverage", "per_class_distribution_by_coverage",
                    "per_class_representative", "class_change_hist", "accuracy_vs_spacing_seconds"):  # fmt: skip
            assert (out / "figures" / model / f"{fig}.png").is_file()
    for fig in ("comparison_accuracy_vs_coverage", "comparison_heatmaps", "critical_difference_models"):
        assert (out / "figures" / f"{fig}.png").is_file()
    assert not (out / "figures" / "aliasing_collapse.png").exists()  # no motion frequency in these runs


def test_statistical_results_sections(simulated):
    results = json.loads((simulated["out"] / "statistical_results.json").read_text())
    assert results["models"] == ["alpha", "beta", "gamma"]
    paired, paper = results["paired"], results["paper"]
    assert set(paired["per_model"]) == {"alpha", "beta", "gamma"}
    alpha = paired["per_model"]["alpha"]
    expected_q = cochran_q(simulated["pred"], "alpha")
    assert {k: alpha["cochran_q"][k] for k in expected_q} == pytest.approx(expected_q)
    assert alpha["pairwise_mcnemar"]["tests"] == 300
    assert set(alpha["attribution"]["predictors"]) == {"log2_spacing_seconds", "log2_distinct_frames", "span_tenths"}
    assert [r["coverage"] for r in alpha["matched_evidence"]["comparisons"]] == [10, 25, 50, 75, 100]
    assert alpha["rm_anova"]["n_videos"] == 150
    assert alpha["cochran_q"]["log10_p"] == pytest.approx(np.log10(alpha["cochran_q"]["p_value"]))
    assert set(paired["across_models"]) == {"model_mcnemar", "logistic_interaction"}  # the video is the unit
    assert "friedman_coverage" not in alpha
    families = results["families"]
    assert families["cells of a model (Cochran's Q)"]["tests"] == 3 and alpha["cochran_q"]["p_holm"] >= alpha[
        "cochran_q"]["p_value"]  # fmt: skip
    assert set(paper["beta"]) >= {"anova_coverage", "anova_stride", "aliasing_sensitivity", "variance_homogeneity",
                                  "effect_sizes", "pairwise_coverage"}  # fmt: skip
    per_class = schema.per_class_table(simulated["pred"])
    expected = paper_protocol(per_class[per_class["model"] == "beta"])
    assert paper["beta"]["anova_coverage"]["f_statistic"] == pytest.approx(expected["anova_coverage"]["f_statistic"])
    assert results["skipped"] == []


def test_tables_agree_with_the_predictions(simulated):
    pred, out = simulated["pred"], simulated["out"]
    table = pd.read_csv(out / "accuracy_by_variant.csv")
    by_hand = pred.groupby(["model", "variant"])["correct"].mean()
    got = table.set_index(["model", "variant"])["accuracy"]
    np.testing.assert_allclose(got.loc[by_hand.index].to_numpy(), by_hand.to_numpy())
    variants = pd.read_csv(out / "pairwise_variants_mcnemar.csv")
    assert len(variants) == 3 * 300 and set(variants["model"]) == {"alpha", "beta", "gamma"}
    models = pd.read_csv(out / "pairwise_models_mcnemar.csv")
    assert len(models) == 25 * 3
    multimodel = json.loads((out / "multimodel_analysis.json").read_text())
    best = pred.groupby(["model", "variant"])["correct"].mean().groupby("model").max()
    assert {m: b["accuracy"] for m, b in multimodel["best"].items()} == pytest.approx(best.to_dict())
    ranking = [r["model"] for r in multimodel["ranking"]]
    assert sorted(ranking) == ["alpha", "beta", "gamma"] and len(multimodel["ranking_pairs"]) == 3
    assert set(multimodel["coverage_drop"]["per_stride"]["gamma"]) == {"1", "2", "4", "8", "16", "mean"}


def test_report_embeds_figures_and_states_findings(simulated):
    out = simulated["out"]
    report = (out / "report.md").read_text()
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", report)
    drawn = {p.relative_to(out).as_posix() for p in (out / "figures").rglob("*.png")}
    assert set(images) == drawn  # every figure drawn is in the report, once
    assert len(images) == len(drawn)
    assert all(not Path(path).is_absolute() for path in images)
    multimodel = json.loads((out / "multimodel_analysis.json").read_text())
    highest = report.split("## The highest cell of each model")[1].split("\n## ")[0]
    for model, best in multimodel["best"].items():
        assert f"| {model} | `{best['variant']}` | {best['accuracy']:.3f} |" in highest
    assert "Cochran's Q" in report and "McNemar" in report and "Wald chi2" in report and "## Paper protocol" in report
    assert "## Stride with and without padding (matched evidence)" in report and "Greenhouse-Geisser" in report
    assert "p = 0.000" not in report and "| 0.000 |" not in report.split("## Paper protocol")[1]
    first_screen = report.split("\n## ")[1]
    assert first_screen.startswith("Summary") and len(first_screen.splitlines()) <= 40


def test_protocols_select_sections(tmp_path, simulated):
    for protocol, present, absent in (("paired", "paired", "paper"), ("paper", "paper", "paired")):
        out = tmp_path / protocol
        assert cli.main(["compare", "--runs", str(simulated["root"] / "run_alpha"), str(simulated["root"] / "run_beta"),
                         "--out", str(out), "--protocol", protocol, "--n-boot", "50", "--formats", "none"]) == 0  # fmt: skip
        results = json.loads((out / "statistical_results.json").read_text())
        assert present in results and absent not in results
        assert results["models"] == ["alpha", "beta"]


def test_model_name_fallbacks(tmp_path):
    pred = simulate_predictions({"x": (0.8, 0.1, 0.0)}, n_classes=3, videos_per_class=4)
    write_run(tmp_path / "from_json", pred, {"model": "named-in-run-json"}, model_column=False)
    write_run(tmp_path / "dir_name", pred, model_column=False)
    runs = inputs.load_runs([tmp_path])
    assert sorted(r.name for r in runs) == ["dir_name", "named-in-run-json"]


def test_results_only_run_dir(tmp_path):
    pred = simulate_predictions({"solo": (0.8, 0.1, 0.0)}, n_classes=3, videos_per_class=4)
    folder = write_run(tmp_path / "solo", pred)
    (folder / "predictions.parquet").unlink()
    (run,) = inputs.load_runs([folder])
    assert run.kind == "tables" and run.per_class is not None and len(run.results) == 25
    analysis = run_compare([run], tmp_path / "out", protocol="both", n_boot=50)
    assert any("per-video predictions" in s["reason"] for s in analysis.skipped)


def test_compare_on_the_2025_ucf101_tables(tmp_path):
    out = tmp_path / "ucf101"
    assert cli.main(["compare", "--runs", str(REFERENCE / "ucf101"), "--out", str(out), "--protocol", "both"]) == 0
    results = json.loads((out / "statistical_results.json").read_text())
    assert {r["kind"] for r in results["inputs"].values()} == {"tables"}
    tables = read_reference_folder(REFERENCE / "ucf101")
    for model in ("timesformer", "videomae", "vivit"):
        expected = paper_protocol(tables[model].per_class)
        assert results["paper"][model]["anova_coverage"]["f_statistic"] == pytest.approx(
            expected["anova_coverage"]["f_statistic"]
        )
        assert "friedman_coverage" in results["paired"]["per_model"][model]
        assert "cochran_q" not in results["paired"]["per_model"][model]
    skipped = {s["analysis"] for s in results["skipped"]}
    assert {"Cochran's Q", "McNemar between models", "logistic model x coverage x stride"} <= skipped
    report = (out / "report.md").read_text()
    assert "## Not computed" in report and "needs per-video predictions" in report
    paper_table = report.split("## Paper protocol")[1].split("\n\n")[2]
    assert "| timesformer | 8.138 | 2.3e-06 |" in paper_table and "0.000" not in paper_table  # p, not 0.000
    assert "## Coverage and per-class accuracy (Friedman, class as unit)" in report  # tables: the class is the unit
    assert (out / "figures" / "critical_difference_classes.png").is_file()
    welch = pd.read_csv(out / "pairwise_coverage_welch.csv")
    assert len(welch) == 3 * 10
    summary = pd.read_csv(out / "summary_statistics_by_coverage.csv")
    assert len(summary) == 3 * 25 and (summary["n"] == 101).all()


@pytest.mark.slow
def test_compare_on_the_2025_kinetics400_tables(tmp_path):
    out = tmp_path / "k400"
    assert (
        cli.main(["compare", "--runs", str(REFERENCE / "kinetics400"), "--out", str(out), "--protocol", "both"]) == 0
    )
    summary = pd.read_csv(out / "summary_statistics_by_coverage.csv")
    assert (summary["n"] == 400).all()


def test_synthetic_benchmark_gets_the_nyquist_check(tmp_path, capsys):
    write_run(tmp_path / "eval" / "tiny", simulate_synthetic(n_videos=40))
    out = tmp_path / "out"
    assert cli.main(["compare", "--runs", str(tmp_path / "eval"), "--out", str(out), "--n-boot", "50"]) == 0
    assert "nyquist check: PASS" in capsys.readouterr().out
    results = json.loads((out / "statistical_results.json").read_text())
    assert results["paired"]["nyquist_check"]["verdict"] == "PASS"
    assert (out / "figures" / "aliasing_collapse.png").is_file()
    assert "Nyquist check PASS" in (out / "report.md").read_text()

    argv = ["--runs", str(tmp_path / "eval"), "--out", str(out), "--n-boot", "50", "--nyquist_exclude", "tiny"]
    assert cli.main(["compare", *argv]) == 0
    check = json.loads((out / "statistical_results.json").read_text())["paired"]["nyquist_check"]
    assert check["models"] == [] and check["verdict"] == "FAIL" and "tiny" in check["excluded"]
    assert "tiny is left out of the Nyquist check: left out with --nyquist_exclude" in (out / "report.md").read_text()
    assert cli.main(["compare", *argv[:-1], "nosuch"]) == 2
    assert "--nyquist_exclude: no run named nosuch" in capsys.readouterr().err


def test_errors(tmp_path, capsys):
    assert cli.main(["compare", "--runs", str(tmp_path / "missing"), "--out", str(tmp_path / "o")]) == 2
    (tmp_path / "empty").mkdir()
    assert cli.main(["compare", "--runs", str(tmp_path / "empty"), "--out", str(tmp_path / "o")]) == 2
    pred = simulate_predictions({"same": (0.8, 0.1, 0.0)}, n_classes=3, videos_per_class=4)
    write_run(tmp_path / "a", pred)
    write_run(tmp_path / "b", pred)
    assert cli.main(["compare", "--runs", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "o")]) == 2
    assert "more than once" in capsys.readouterr().err
    assert cli.main(["compare", "--runs", str(tmp_path / "a"), "--out", str(tmp_path / "o"), "--formats", "gif"]) == 2
    assert "--formats: unknown ['gif']" in capsys.readouterr().err


def test_entry_points(tmp_path):
    done = subprocess.run([sys.executable, "-m", "inforates.compare", "--help"], capture_output=True, text=True,
                          cwd=REPO_ROOT, check=False)  # fmt: skip
    assert done.returncode == 0 and "--protocol" in done.stdout
    pred = simulate_predictions({"solo": (0.8, 0.1, 0.0)}, n_classes=3, videos_per_class=4)
    write_run(tmp_path / "solo", pred)
    argv = ["compare", "--runs", str(tmp_path / "solo"), "--out", str(tmp_path / "o"), "--n-boot", "20"]
    assert cli.main([*argv, "--formats", "none"]) == 0
    assert (tmp_path / "o" / "report.md").is_file() and not (tmp_path / "o" / "figures").exists()


def test_report_states_each_cells_facts_aliases_and_mixed_protocols(tmp_path):
    """Cells that repeat an earlier cell's frames are reported (facts table, same_frames_as) and not tested again;
    runs of different test protocols are named as such in the report."""
    from inforates.sampling import build_grid, frames_text

    pred = simulate_predictions({"alpha": (0.9, 0.2, 0.05), "beta": (0.85, 0.1, 0.02)}, n_classes=4,
                                videos_per_class=10, coverages=(75, 100), strides=(1, 16), seed=3)  # fmt: skip
    lengths = {v: 48 for v in pred["video_id"].unique()}
    variants = {v.name: v for v in build_grid([75, 100], [1, 16])}
    pred = pred.assign(
        clip_len=8,
        too_short=False,
        frames=[frames_text(variants[v].indices(lengths[i], 8)) for v, i in zip(pred["variant"], pred["video_id"])],
    )
    # the facts follow from the frames: 48-frame videos, an 8-frame model
    for column, values in (("distinct_frames", {"cov75_s1": 8, "cov75_s16": 3, "cov100_s1": 8, "cov100_s16": 3}),):
        pred[column] = pred["variant"].map(values)
    runs = {"alpha": {"protocol": "whole videos"}, "beta": {"protocol": "segments of 50 frames"}}
    for model, df in pred.groupby("model"):
        write_run(tmp_path / "eval" / model, df.reset_index(drop=True), runs[model])
    out = tmp_path / "compare"
    assert (
        cli.main(
            ["compare", "--runs", str(tmp_path / "eval"), "--out", str(out), "--n-boot", "50", "--formats", "none"]
        )
        == 0
    )
    facts = pd.read_csv(out / "cell_facts.csv", keep_default_na=False)
    alpha = facts[facts["model"] == "alpha"].set_index("variant")
    assert alpha.loc["cov100_s16", "same_frames_as"] == "cov75_s16" and alpha.loc["cov100_s1", "same_frames_as"] == ""
    results = json.loads((out / "statistical_results.json").read_text())
    assert results["cell_facts"]["per_model"]["alpha"]["aliases"] == {"cov100_s16": "cov75_s16"}
    assert results["paired"]["per_model"]["alpha"]["pairwise_mcnemar"]["tests"] == 3  # 3 distinct cells, not 4
    report = (out / "report.md").read_text()
    assert "**Mixed test protocols.**" in report and "segments of 50 frames" in report
    assert "| `cov100_s16` |" in report and "`cov75_s16` |" in report
    assert "`cov100_s16` = `cov75_s16`" in report  # the facts section names the alias
