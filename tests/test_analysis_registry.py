"""The analysis registry: every entry declares its needs, outputs and its part of the report; unmet needs are listed
as skipped with the need's reason; ``analyse`` runs nothing the registry does not list; the report is assembled
from the entries alone."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from test_stats_simulation import simulate_predictions

from inforates import schema
from inforates.analysis import needs
from inforates.analysis.entry import NEEDS_PREDICTIONS, Entry, Need
from inforates.analysis.glossary import GLOSSARY
from inforates.analysis.inputs import Inputs, ModelRun
from inforates.analysis.registry import ENTRIES, REPORT_ORDER, analyse, report_entries
from inforates.analysis.report import Figures, write_report


OUTPUT_FILES = ("statistical_results", "multimodel_analysis")


@pytest.fixture(scope="module")
def prediction_runs():
    pred = simulate_predictions(n_classes=4, videos_per_class=5, seed=3)
    return [
        ModelRun(m, "sim", schema.results_table(p), schema.per_class_table(p), p.reset_index(drop=True))
        for m, p in pred.groupby("model", sort=False)
    ]


def table_runs(runs):
    """The same models as aggregate tables only (like the 2025 study's)."""
    return [ModelRun(r.name, r.source, r.results, r.per_class) for r in runs]


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.name)
def test_every_entry_declares_needs_outputs_and_its_report_part(entry):
    assert isinstance(entry, Entry) and entry.name and entry.title
    assert entry.about.endswith(".") and entry.about.count(". ") == 0  # one sentence
    assert entry.protocol in ("any", "paired", "paper")
    assert all(isinstance(n, Need) and n.reason.startswith("needs ") for n in (*entry.all_needs, *entry.only_if))
    assert all(n.kind in ("input", "data") for n in (*entry.all_needs, *entry.only_if))
    assert entry.tables or entry.json or entry.figures, "an entry must write something"
    assert all(path.split(":")[0] in OUTPUT_FILES for path in entry.json)
    assert bool(entry.figures) == (entry.draw is not None)
    report_parts = (entry.section, entry.intro, entry.summary_columns, entry.headline, entry.model_headline)
    assert any(part is not None for part in report_parts) or entry.name == "summary_by_coverage"  # its table only
    assert set(entry.terms) <= set(GLOSSARY)
    if entry.per_model:
        assert not entry.tables or len(entry.tables) == 1  # per-model rows are stacked into one table


def test_registry_names_are_unique_and_the_report_order_names_entries():
    names = [e.name for e in ENTRIES]
    assert len(names) == len(set(names))
    assert set(REPORT_ORDER) <= set(names)
    assert all(e.name in REPORT_ORDER for e in ENTRIES if e.section is not None or e.summary_columns is not None)
    tables = [t for e in ENTRIES for t in e.tables]
    assert len(tables) == len(set(tables))


def test_unmet_needs_are_skipped_with_their_reason(prediction_runs):
    runs = table_runs(prediction_runs)
    an = analyse(runs, protocol="both", n_boot=20)
    skipped = {s["analysis"]: s["reason"] for s in an.skipped}
    inputs = Inputs.stack(runs)
    ruled_out = [e for e in ENTRIES if any(not n.per_model and not n.met(inputs) for n in e.needs)]
    assert {e.name for e in ruled_out} == {"cochran_q", "pairwise_mcnemar", "model_mcnemar", "logistic_interaction",
                                           "attribution", "matched_evidence", "rm_anova", "confusion"}  # fmt: skip
    assert {"friedman_coverage", "friedman_models"} <= set(an.done)  # tables only: the class is the unit
    for entry in ruled_out:
        unmet = [n for n in entry.needs if not n.per_model and not n.met(inputs)]
        title = entry.title.replace(" ({model})", "")  # listed once for every model
        assert skipped[title] == unmet[0].reason == NEEDS_PREDICTIONS, entry.name
        assert entry.name not in an.done
    for title, need in (part for e in ENTRIES for part in e.partial):
        assert skipped[title] == need.reason == NEEDS_PREDICTIONS
    assert an.statistical["skipped"] == an.skipped


def test_a_data_need_skips_at_its_turn_once_per_shared_title(prediction_runs):
    an = analyse(prediction_runs[:1], protocol="paired", n_boot=20)
    reasons = [(s["analysis"], s["reason"]) for s in an.skipped]
    shared = needs.TWO_PREDICTED_MODELS
    assert reasons.count((shared.skip_as, shared.reason)) == 1  # McNemar between models and the logistic model
    assert {"cochran_q", "pairwise_mcnemar"} <= set(an.done) and "model_mcnemar" not in an.done
    assert "friedman_coverage" not in an.done  # per-video outcomes: the video is the unit, not the class


def test_an_entry_that_does_not_apply_is_not_listed(prediction_runs):
    an = analyse(prediction_runs, protocol="paired", n_boot=20)  # no f_hz: the Nyquist check does not apply
    assert "nyquist_check" not in an.done and "nyquist_check" not in an.statistical["paired"]
    assert all("Nyquist" not in s["analysis"] for s in an.skipped)


def test_adding_an_entry_is_one_entry(prediction_runs):
    """A new statistic runs, writes its table and its report section, or is skipped with its need's reason."""

    def compute(ctx):
        ctx.tables["videos_per_model"] = ctx.inputs.predictions.groupby("model").size().rename("rows").reset_index()
        ctx.multimodel["videos_per_model"] = len(ctx.tables["videos_per_model"])

    extra = Entry(
        "videos_per_model", "videos per model", "How many prediction rows each model has.", compute,
        needs=(needs.PREDICTIONS,), tables=("videos_per_model",), json=("multimodel_analysis:videos_per_model",),
        section=lambda an, figures: ["## Videos per model", "", f"{an.multimodel['videos_per_model']} models."],
    )  # fmt: skip
    entries = (*ENTRIES, extra)
    an = analyse(prediction_runs, n_boot=20, entries=entries)
    assert an.multimodel["videos_per_model"] == 3 and isinstance(an.tables["videos_per_model"], pd.DataFrame)
    assert report_entries(an, entries)[-1] is extra
    assert extra.section(an, Figures({}, None))[-1] == "3 models."
    an = analyse(table_runs(prediction_runs), n_boot=20, entries=entries)
    assert {"analysis": "videos per model", "reason": NEEDS_PREDICTIONS} in an.skipped
    assert "videos_per_model" not in an.tables


def test_entries_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        ENTRIES[0].name = "other"


def test_the_report_is_the_entries_sections_in_the_report_order(prediction_runs, tmp_path):
    an = analyse(prediction_runs, protocol="both", n_boot=20)
    report = write_report(an, prediction_runs, {}, tmp_path).read_text()
    headings = [line for line in report.splitlines() if line.startswith("## ")]
    expected = [line for e in report_entries(an) if e.section for line in e.section(an, Figures({}, tmp_path))
                if line.startswith("## ")]  # fmt: skip
    assert headings[0] == "## Summary" and headings[1 : 1 + len(expected)] == expected
    assert headings[-3:] == ["## Tests and corrections", "## Glossary", "## Not computed"] or headings[-2:] == [
        "## Tests and corrections", "## Glossary"]  # fmt: skip
