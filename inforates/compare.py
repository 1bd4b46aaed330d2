"""``inforates compare``: statistics, plots and a report across evaluation runs (one per model).

    inforates compare --runs outputs/demo/eval --out outputs/demo/compare
    inforates compare --runs eval/videomae eval/vivit --out compare --protocol both --formats png,svg
    inforates compare --runs ../shared/reference/inforates-2025/ucf101 --out compare/ucf101-2025
    python -m inforates.compare --runs outputs/demo/eval --out outputs/demo/compare

``--runs`` takes evaluation run directories (``predictions.parquet``, ``results.csv``, ``per_class.csv``,
``run.json``), parents of such directories (searched), or folders of the 2025 study's tables
(``<model>_temporal_sampling.csv`` + ``<model>_per_class.csv``; per-class and aggregate analyses only).
Writes ``statistical_results.json``, ``multimodel_analysis.json``, ``pairwise_*.csv``,
``summary_statistics_by_coverage.csv``, ``accuracy_by_variant.csv``, ``class_sensitivity.csv``,
``confusion_<model>_<variant>.csv`` + ``confusion_class_shifts.csv``, ``figures/`` and ``report.md`` (see docs/statistics.md). The analyses themselves live in :mod:`inforates.analysis`: this module
loads the runs, runs the registry and writes what it computed.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from .analysis.entry import PROTOCOLS, Analysis
from .analysis.inputs import ModelRun, load_runs
from .analysis.outputs import make_figures, write_outputs
from .analysis.registry import analyse
from .analysis.report import write_report
from .files import OwnedOutputs


logger = logging.getLogger(__name__)

FORMATS = ("png", "svg", "pdf")


def run_compare(
    runs: list[ModelRun],
    out: str | Path,
    protocol: str = "paired",
    formats=("png",),
    n_boot: int = 1000,
    seed: int = 0,
    margin: float = 0.02,
    nyquist_exclude: dict[str, str] | None = None,
    overwrite: bool = False,
    **owned,
) -> Analysis:
    """Analyse, write tables, draw figures and write ``report.md`` into ``out``.

    ``out`` may hold an earlier comparison (its files are replaced, those not written again removed); files that
    inforates did not write make it an ``OutputError`` unless ``overwrite``, and are never replaced (``owned``:
    :class:`OwnedOutputs`' ``flag`` and ``others``)."""
    with OwnedOutputs(out, overwrite, **owned) as staging:
        analysis = analyse(runs, protocol, n_boot, seed, margin, nyquist_exclude)
        write_outputs(analysis, staging)
        figures = make_figures(analysis, runs, staging, formats)
        write_report(analysis, runs, figures, staging)
    return analysis


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="inforates compare", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument(
        "--runs", nargs="+", required=True, help="eval run dirs, parents of them, or 2025 table folders"
    )
    parser.add_argument("--out", required=True, help="output directory (new, or holding an earlier comparison)")
    parser.add_argument("--overwrite", action="store_true",
                        help="write into a folder that also holds other files (they are kept, never replaced)")  # fmt: skip
    parser.add_argument("--protocol", default="paired", choices=PROTOCOLS,
                        help="paired (default): tests on per-video outcomes; paper: the 2025 study's; both")  # fmt: skip
    parser.add_argument("--formats", default="png", help="figure formats, comma-separated: png,svg,pdf")
    parser.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    parser.add_argument("--margin", type=float, default=0.02, help="critical-coverage margin (absolute accuracy)")
    parser.add_argument("--nyquist_exclude", nargs="+", default=[], metavar="MODEL",
                        help="models left out of the synthetic benchmark's pooled Nyquist check")  # fmt: skip
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    formats = [f.strip().lower() for f in args.formats.split(",") if f.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        parser.error(f"--formats: unknown {unknown}; choose from {', '.join(FORMATS)}")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    start = time.perf_counter()
    try:
        runs = load_runs(args.runs)
    except (FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    names = [r.name for r in runs]
    unknown_models = [m for m in args.nyquist_exclude if m not in names]
    if unknown_models:
        parser.error(f"--nyquist_exclude: no run named {', '.join(unknown_models)}; the runs are {', '.join(names)}")
    exclude = {model: "left out with --nyquist_exclude" for model in args.nyquist_exclude}
    analysis = run_compare(
        runs, args.out, args.protocol, formats, args.n_boot, args.seed, args.margin, exclude, args.overwrite
    )
    print(f"compared {len(runs)} model(s): {', '.join(r.name for r in runs)} "
          f"({sum(r.kind == 'predictions' for r in runs)} with per-video predictions)")  # fmt: skip
    if "nyquist_check" in analysis.statistical.get("paired", {}):
        nc = analysis.statistical["paired"]["nyquist_check"]
        print(f"nyquist check: {nc['verdict']} (direction accuracy {nc['below_nyquist_accuracy']:.3f} below, "
              f"{nc['above_nyquist_accuracy']:.3f} past the Nyquist limit)")  # fmt: skip
    for item in analysis.skipped:
        print(f"skipped: {item['analysis']}: {item['reason']}")
    print(f"report: {Path(args.out) / 'report.md'} ({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    from .cli import main as cli_main

    sys.exit(cli_main(["compare", *sys.argv[1:]]))
