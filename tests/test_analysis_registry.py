"""The analysis registry: every entry declares its needs, finding and outputs; unmet needs are listed as skipped
with the need's reason; ``analyse`` runs nothing the registry does not list."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from test_stats_simulation import simulate_predictions

from inforates import schema
from inforates.analysis import needs
from inforates.analysis.entry import NEEDS_PREDICTIONS, Entry, Need
from inforates.analysis.inputs import Inputs, ModelRun
from inforates.analysis.registry import ENTRIES, FINDINGS_ORDER, analyse, findings


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
def test_every_entry_declares_needs_finding_and_outputs(entry):
    assert isinstance(entry, Entry) and entry.name and entry.title
    assert entry.about.endswith(".") and entry.about.count(". ") == 0  # one sentence
    assert entry.protocol in ("any", "paired", "paper")
    assert all(isinstance(n, Need) and n.reason.startswith("needs ") for n in (*entry.all_needs, *entry.only_if))
    assert all(n.kind in ("input", "data") for n in (*entry.all_needs, *entry.only_if))
    assert entry.tables or entry.json or entry.figures, "an entry must write something"
    assert all(path.split(":")[0] in OUTPUT_FILES for path in entry.json)
    assert bool(entry.figures) == (entry.draw is not None)
    assert entry.finding is None or callable(entry.finding)
    if entry.per_model:
        assert not entry.tables or len(entry.tables) == 1  # per-model rows are stacked into one table


def test_registry_names_are_unique_and_findings_order_names_entries():
    names = [e.name for e in ENTRIES]
    assert len(names) == len(set(names))
    assert set(FINDINGS_ORDER) <= set(names)
    assert all(e.name in FINDINGS_ORDER for e in ENTRIES if e.finding is not None)
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
    assert ("Friedman across models / critical-difference diagram", needs.THREE_MODELS_PER_CLASS.reason) in reasons
    assert {"cochran_q", "pairwise_mcnemar"} <= set(an.done) and "model_mcnemar" not in an.done


def test_an_entry_that_does_not_apply_is_not_listed(prediction_runs):
    an = analyse(prediction_runs, protocol="paired", n_boot=20)  # no f_hz: the Nyquist check does not apply
    assert "nyquist_check" not in an.done and "nyquist_check" not in an.statistical["paired"]
    assert all("Nyquist" not in s["analysis"] for s in an.skipped)


def test_adding_an_entry_is_one_entry(prediction_runs):
    """A new statistic runs, writes its table and finding, or is skipped with its need's reason."""

    def compute(ctx):
        ctx.tables["videos_per_model"] = ctx.inputs.predictions.groupby("model").size().rename("rows").reset_index()
        ctx.multimodel["videos_per_model"] = len(ctx.tables["videos_per_model"])

    extra = Entry(
        "videos_per_model", "videos per model", "How many prediction rows each model has.", compute,
        needs=(needs.PREDICTIONS,), tables=("videos_per_model",), json=("multimodel_analysis:videos_per_model",),
        finding=lambda an: [f"{an.multimodel['videos_per_model']} models were counted."],
    )  # fmt: skip
    entries = (*ENTRIES, extra)
    an = analyse(prediction_runs, n_boot=20, entries=entries)
    assert an.multimodel["videos_per_model"] == 3 and isinstance(an.tables["videos_per_model"], pd.DataFrame)
    assert findings(an, entries)[-1] == "3 models were counted."
    an = analyse(table_runs(prediction_runs), n_boot=20, entries=entries)
    assert {"analysis": "videos per model", "reason": NEEDS_PREDICTIONS} in an.skipped
    assert "videos_per_model" not in an.tables


def test_entries_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        ENTRIES[0].name = "other"
