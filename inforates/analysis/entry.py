"""What an analysis registry entry is: what it needs, what it computes and writes, how the report reads it.

An :class:`Entry` names its :class:`Need` s (per-video predictions, per-class tables, 2+ models, the synthetic
benchmark's ``f_hz``...), computes into a :class:`Context`, and declares its tables (``<name>.csv``), JSON keys,
figures and its part of the report: ``section`` (its heading, table and what it may be used to claim),
``headline`` / ``model_headline`` (the first screen's conclusions, each resting on a corrected test) and ``terms``
(the glossary entries its section uses). ``correct`` runs once every model's part is computed: it corrects the
entry's tests for the others of their family (:mod:`inforates.analysis.families`). An entry whose ``needs`` are
unmet is listed as skipped with the need's reason (``skipped: <title>: needs ...``); one whose ``only_if`` are
unmet does not apply and is not listed (e.g. the Nyquist check outside the synthetic benchmark). ``partial`` names
parts of an entry computed only when their need is met (the rest is computed anyway), listed as skipped otherwise.

    >>> Entry("x", "x", "what it finds", compute=print).applies("both")
    True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from .inputs import Inputs, ModelRun


__all__ = ["NEEDS_PREDICTIONS", "PROTOCOLS", "Analysis", "Context", "Entry", "Need"]


PROTOCOLS = ("paired", "paper", "both")
NEEDS_PREDICTIONS = "needs per-video predictions (predictions.parquet); the inputs only have aggregate tables"


@dataclass(frozen=True)
class Need:
    """A condition on the inputs. ``check(inputs)``, or ``check(inputs, run)`` when ``per_model``.

    ``kind``: ``input`` (what kind of inputs these are: predictions or tables; such skips are listed at the top of
    their protocol block) or ``data`` (what the data hold: how many models, which coverages; checked at the entry's
    turn). ``skip_as``: list one line under this title for every entry lacking it, instead of one per entry.
    """

    what: str
    reason: str
    check: Callable[..., bool]
    kind: str = "data"
    per_model: bool = False
    skip_as: str | None = None

    def met(self, inputs: Inputs, run: ModelRun | None = None) -> bool:
        return bool(self.check(inputs, run) if self.per_model else self.check(inputs))


@dataclass(frozen=True)
class Entry:
    """One analysis. ``compute(ctx)``, or ``compute(ctx, run)`` per model when ``per_model`` (returning rows of
    its table, or None); ``correct(ctx)`` after every model's part (its family's Holm correction). For the report:
    ``section(analysis, figures) -> lines`` (``figures``: :class:`~inforates.analysis.report.Figures`),
    ``summary_columns(analysis)`` (columns of the first screen's table, per model), ``headline(analysis) -> lines``
    across models and ``model_headline(analysis, model) -> fragments`` per model for the first screen's
    conclusions, ``terms`` for the glossary. ``draw(analysis, runs, save)`` makes its figures,
    ``save(name, figure)``. ``protocol``: ``paired``, ``paper`` or ``any`` (computed under every protocol)."""

    name: str
    title: str  # as "skipped:" lines call it; "{model}" is replaced per model
    about: str  # one sentence: what it finds
    compute: Callable
    needs: tuple[Need, ...] = ()
    only_if: tuple[Need, ...] = ()
    partial: tuple[tuple[str, Need], ...] = ()
    protocol: str = "any"
    per_model: bool = False
    tables: tuple[str, ...] = ()  # <name>.csv
    json: tuple[str, ...] = ()  # "<file>:<key path>"; <model> stands for every model
    figures: tuple[str, ...] = ()  # figures/<name>.<format>; {model}/ per model
    draw: Callable | None = None
    correct: Callable | None = None
    section: Callable | None = None
    intro: Callable | None = None  # intro(analysis) -> lines: the first screen's opening (what was compared)
    summary_columns: Callable | None = None  # summary_columns(analysis) -> {column: {model: text}}
    headline: Callable | None = None
    model_headline: Callable | None = None
    terms: tuple[str, ...] = ()
    absent: Callable | None = None  # what it writes when ``only_if`` is unmet, ``absent(ctx)``

    def applies(self, protocol: str) -> bool:
        return self.protocol == "any" or protocol in (self.protocol, "both")

    @property
    def all_needs(self) -> tuple[Need, ...]:
        return (*self.needs, *(need for _, need in self.partial))


@dataclass
class Analysis:
    """Everything ``compare`` computed: JSON sections, tables to write, the families of tests, and what was skipped
    and why."""

    statistical: dict
    multimodel: dict
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    skipped: list[dict] = field(default_factory=list)
    extras: dict = field(default_factory=dict)  # non-serialised objects for plots and the report
    done: list[str] = field(default_factory=list)  # the entries computed, in order
    families: dict[str, dict] = field(default_factory=dict)  # family -> what, tests, correction, significant

    def skip(self, analysis: str, reason: str) -> None:
        self.skipped.append({"analysis": analysis, "reason": reason})

    @property
    def models(self) -> list[str]:
        return self.statistical.get("models", [])

    def per_model(self, model: str) -> dict:
        """The paired protocol's results of one model (``{}`` without the paired protocol)."""
        return self.statistical.get("paired", {}).get("per_model", {}).get(model, {})


@dataclass
class Context:
    """What an entry computes from and into."""

    inputs: Inputs
    analysis: Analysis
    n_boot: int = 1000
    seed: int = 0
    margin: float = 0.02
    nyquist_exclude: dict[str, str] | None = None

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return self.analysis.tables

    @property
    def extras(self) -> dict:
        return self.analysis.extras

    @property
    def multimodel(self) -> dict:
        return self.analysis.multimodel

    @property
    def paired(self) -> dict:
        return self.analysis.statistical["paired"]

    def per_model(self, model: str) -> dict:
        return self.paired["per_model"][model]

    def met(self, need: Need, run: ModelRun | None = None) -> bool:
        return need.met(self.inputs, run)

    def skip(self, analysis: str, reason: str) -> None:
        self.analysis.skip(analysis, reason)
