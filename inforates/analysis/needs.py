"""The needs registry entries declare: what the inputs must hold for an analysis to apply (see
:class:`~inforates.analysis.entry.Need`). ``input`` needs say what kind of inputs these are (per-video predictions,
per-class tables); the others what the data hold (how many models, which coverages, the synthetic benchmark's
motion frequency); ``per_model`` ones are checked for each model.
"""

from __future__ import annotations

import pandas as pd

from ..schema import primary_grid
from .attribution import FACT_COLUMNS, has_clip_facts
from .entry import NEEDS_PREDICTIONS, Entry, Need
from .inputs import has_motion_frequency
from .paired import coverage_blocks


# ---------------------------------------------------------------------------------------------------------------
def _covers(table: pd.DataFrame | None, *coverages: float) -> bool:
    return table is not None and set(coverages) <= set(table["coverage"])


def _levels(run, column: str) -> int:
    return primary_grid(run.predictions)[column].nunique() if run.predictions is not None else 0


def _friedman_blocks(inputs, run) -> bool:
    blocks = coverage_blocks(run.per_class)
    return blocks.shape[1] >= 3 and len(blocks.dropna()) >= 2


PREDICTIONS = Need("per-video predictions", NEEDS_PREDICTIONS, lambda i: i.predictions is not None, "input")
EVERY_MODEL_PREDICTIONS = Need(
    "per-video predictions of every model",
    NEEDS_PREDICTIONS,
    lambda i: all(r.predictions is not None for r in i.runs),
    "input",
)
PER_CLASS = Need("per-class tables", "needs per-class tables", lambda i: i.per_class is not None, "input")
TWO_PREDICTED_MODELS = Need(
    "2+ models with predictions",
    "needs at least two models with predictions",
    lambda i: i.predictions is not None and i.predictions["model"].nunique() >= 2,
    skip_as="comparisons between models on the same videos",
)
COVERAGES_25_100 = Need("coverages 25 and 100", "needs coverages 25 and 100", lambda i: _covers(i.results, 25, 100))
PER_CLASS_25_100 = Need(
    "per-class tables with coverages 25 and 100",
    "needs per-class tables with coverages 25 and 100",
    lambda i: _covers(i.per_class, 25, 100),
)
MOTION_FREQUENCY = Need(
    "the synthetic benchmark's metadata (f_hz)",
    "needs predictions with a motion frequency (f_hz)",
    lambda i: has_motion_frequency(i.predictions),
)
RUN_PREDICTIONS = Need(
    "the model's predictions", NEEDS_PREDICTIONS, lambda i, r: r.predictions is not None, per_model=True
)
RUN_PER_CLASS = Need(
    "the model's per-class table", "needs per-class tables", lambda i, r: r.per_class is not None, per_model=True
)
RUN_TABLES_ONLY = Need(
    "aggregate tables only",
    "needs a model known only from tables (else the video is the unit)",
    lambda i, r: r.predictions is None and r.per_class is not None,
    per_model=True,
)
SOME_TABLES_ONLY = Need(
    "a model known only from tables",
    "needs a model known only from tables (else the video is the unit)",
    lambda i: any(r.predictions is None for r in i.runs),
)
THREE_MODELS_PER_CLASS = Need(
    "per-class tables of 3+ models",
    "needs per-class tables of 3+ models",
    lambda i: i.per_class is not None and len(i.models) >= 3,
)
FRIEDMAN_BLOCKS = Need(
    "3+ coverages and 2+ classes", "needs at least 3 coverages and 2 classes", _friedman_blocks, per_model=True
)
CLIP_FACTS = Need(
    "the clips' frame facts",
    f"needs the clips' frame facts ({', '.join(FACT_COLUMNS)}) in the predictions",
    lambda i, r: has_clip_facts(r.predictions),
    per_model=True,
)
TWO_STRIDES = Need(
    "2+ strides with distinct frames",
    "needs at least two strides and the clips' distinct_frames",
    lambda i, r: _levels(r, "stride") >= 2 and "distinct_frames" in r.predictions.columns,
    per_model=True,
)
COVERAGE_STRIDE_GRID = Need(
    "2+ coverages and 2+ strides",
    "needs at least two coverages and two strides",
    lambda i, r: _levels(r, "coverage") >= 2 and _levels(r, "stride") >= 2,
    per_model=True,
)


def per_video_entry(name: str, title: str, about: str, compute, *needs: Need, **fields) -> Entry:
    """A per-model entry of the paired protocol on per-video outcomes: it needs the predictions (and ``needs``),
    runs for each model that has them, and writes ``statistical_results.json`` -> ``paired.per_model.<model>.<name>``
    (its table, if any, is ``<name>.csv``)."""
    json = (f"statistical_results:paired.per_model.<model>.{name}",)
    return Entry(
        name,
        title,
        about,
        compute,
        needs=(PREDICTIONS, *needs),
        only_if=(RUN_PREDICTIONS,),
        protocol="paired",
        per_model=True,
        json=json,
        **fields,
    )
