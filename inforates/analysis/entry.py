"""What an analysis registry entry is: what it needs, what it computes and writes, how it reads in the report.

An :class:`Entry` names its :class:`Need` s (per-video predictions, per-class tables, 2+ models, the synthetic
benchmark's ``f_hz``...), computes into a :class:`Context`, and declares its tables (``<name>.csv``), JSON keys,
figures and the report's finding about it. An entry whose ``needs`` are unmet is listed as skipped with the need's
reason (``skipped: <title>: needs ...``); one whose ``only_if`` are unmet does not apply and is not listed (e.g. the
Nyquist check outside the synthetic benchmark). ``partial`` names parts of an entry computed only when their need
is met (the rest is computed anyway), listed as skipped otherwise.

    >>> format_p(0.0004), format_p(0.0312)
    ('p = 4.0e-04', 'p = 0.031')
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from .inputs import Inputs, ModelRun
from .pvalues import format_p


__all__ = ["NEEDS_PREDICTIONS", "PROTOCOLS", "Analysis", "Context", "Entry", "Need", "ci_text", "format_p"]


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
    its table, or None). ``finding(analysis)`` (``finding(analysis, model)`` per model) gives the report's
    sentences; ``draw(analysis, runs, save)`` its figures, ``save(name, figure)``. ``protocol``: ``paired``,
    ``paper`` or ``any`` (computed under every protocol)."""

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
    finding: Callable | None = None  # None: its numbers are in its tables and figures only
    absent: Callable | None = None  # what it writes when ``only_if`` is unmet, ``absent(ctx)``

    def applies(self, protocol: str) -> bool:
        return self.protocol == "any" or protocol in (self.protocol, "both")

    @property
    def all_needs(self) -> tuple[Need, ...]:
        return (*self.needs, *(need for _, need in self.partial))


@dataclass
class Analysis:
    """Everything ``compare`` computed: JSON sections, tables to write, and what was skipped and why."""

    statistical: dict
    multimodel: dict
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    skipped: list[dict] = field(default_factory=list)
    extras: dict = field(default_factory=dict)  # non-serialised objects for plots and the report
    done: list[str] = field(default_factory=list)  # the entries computed, in order

    def skip(self, analysis: str, reason: str) -> None:
        self.skipped.append({"analysis": analysis, "reason": reason})


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


def ci_text(row: dict) -> str:
    """``95 % bootstrap CI lo-hi`` where the row has a bootstrap interval, else its Wilson interval."""
    low, high = row.get("boot_low"), row.get("boot_high")
    kind = "bootstrap"
    if low is None or (isinstance(low, float) and math.isnan(low)):
        low, high, kind = row.get("ci_low"), row.get("ci_high"), "Wilson"
    return f"95 % {kind} CI {low:.3f}-{high:.3f}"
