"""The report says only what its statistics support: simulated runs whose truth is known go through the real
comparison, and the report's first screen is checked against the truth -- no claim where there is no effect, the
claim where there is, no "best" or ranking the tests do not support, claims on a curve that falls with coverage."""

from __future__ import annotations

import re

import pytest
from test_compare import write_run
from test_stats_simulation import simulate_predictions

from inforates.analysis.compare import compare
from inforates.analysis.inputs import load_runs


def _report(tmp_path, models: dict, seed: int = 0, videos_per_class: int = 30) -> tuple[str, str, object]:
    """(first screen, whole report, analysis) of a comparison of simulated runs."""
    pred = simulate_predictions(models, n_classes=6, videos_per_class=videos_per_class, seed=seed)
    for model, df in pred.groupby("model", sort=False):
        write_run(tmp_path / "eval" / model, df.reset_index(drop=True))
    analysis = compare(load_runs([tmp_path / "eval"]), tmp_path / "compare", n_boot=200, formats=())
    report = (tmp_path / "compare" / "report.md").read_text()
    first = report.split("\n## ", 2)[1]
    return first, report, analysis


def _bullets(first_screen: str) -> list[str]:
    return [line for line in first_screen.splitlines() if line.startswith("- ")]


def test_no_effect_gives_no_claim(tmp_path):
    """Two identical models whose accuracy never depends on sampling: nothing is claimed, and said so."""
    flat = {"a": (0.7, 0.0, 0.0), "b": (0.7, 0.0, 0.0)}
    first, report, analysis = _report(tmp_path, flat, seed=1)
    bullets = _bullets(first)
    assert any("the models are not distinguishable" in b for b in bullets)
    for model in flat:
        assert f"- **{model}**: none of the per-model tests finds an effect of sampling after correction." in bullets
    assert not re.search(r"most robust|best|more than|differs between the models|loses|gains", first)
    assert len(first.splitlines()) <= 40


def test_an_effect_at_one_coverage_is_claimed_there_only(tmp_path):
    """Accuracy falls at stride 16 only at 25 % coverage: the claim names 25 % and no other coverage."""

    def one_cell(coverage, stride):
        return 0.3 if (coverage, stride) == (25.0, 16) else 0.85

    first, report, analysis = _report(tmp_path, {"m": one_cell, "n": (0.85, 0.0, 0.0)}, seed=2)
    line = next(b for b in _bullets(first) if b.startswith("- **m**"))
    assert "at 25 % coverage, stride 1 -> 16 changes accuracy by -" in line
    assert not re.search(r"at (10|50|75|100) % coverage", line)
    rows = analysis.tables["matched_evidence"]
    m = rows[rows["model"] == "m"].set_index("coverage")
    assert m.loc[25.0, "padded_significant"] and not m.drop(index=25.0)["padded_significant"].any()
    assert "- **n**: none of the per-model tests finds an effect" in first


def test_indistinguishable_models_are_not_ranked(tmp_path):
    """Two models with the same curve: listing them by AUC is no ranking; a truly weaker third one is below both."""
    models = {"a": (0.85, 0.2, 0.1), "b": (0.85, 0.2, 0.1), "weak": (0.55, 0.2, 0.1)}
    first, report, analysis = _report(tmp_path, models, seed=3)
    line = next(b for b in _bullets(first) if b.startswith("- Robustness"))
    assert "no model is above all others" in line and "a > weak" in line and "b > weak" in line
    assert "a > b" not in line and "b > a" not in line and "most robust" not in line
    pairs = {(p["model_a"], p["model_b"]): p for p in analysis.multimodel["ranking_pairs"]}
    assert not pairs[("a", "b")]["significant"] and pairs[("a", "weak")]["significant"]


def test_a_curve_falling_with_coverage_is_read_as_such(tmp_path):
    """Best at 10 % and worse at 100 %: the critical coverage is none (not '10 %'), the model gains at 25 %."""
    falling = {"f": (0.6, -0.3, 0.0)}  # accuracy rises as coverage falls
    first, report, analysis = _report(tmp_path, falling, seed=4)
    assert "gains" in first and "loses" not in first
    section = report.split("## Critical coverage")[1].split("\n## ")[0]
    assert "| f |" in section and "none: accuracy at the largest coverage" in section
    assert analysis.multimodel["critical_coverage"]["f"]["best_coverage"] == 10


@pytest.mark.parametrize("seed", [5, 6])
def test_every_claim_names_its_corrected_test(tmp_path, seed):
    """Each first-screen claim carries a Holm-corrected p (or is the Nyquist/robustness verdict with its test)."""
    first, report, analysis = _report(tmp_path, None, seed=seed, videos_per_class=20)
    for bullet in _bullets(first):
        if "none of the per-model tests" in bullet:
            continue
        assert "Holm p" in bullet, bullet
    assert "## Tests and corrections" in report and "## Glossary" in report
    assert "0.000" not in report and "1.000" not in first
