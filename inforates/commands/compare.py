"""``inforates compare``: statistics, plots and a report across evaluation runs (one per model).

    inforates compare --runs outputs/demo/eval --out outputs/demo/compare
    inforates compare --runs eval/videomae eval/vivit --out compare --protocol both --formats png,svg
    inforates compare --runs tests/data/reference/inforates-2025/ucf101 --out compare/ucf101-2025
    inforates compare --runs outputs/eval --out compare/limits --bandwidth outputs/run/bandwidth.csv
    WANDB_MODE=offline inforates compare --runs outputs/demo/eval --out compare/demo --report_to wandb trackio
    python -m inforates.compare --runs outputs/demo/eval --out outputs/demo/compare

``--runs`` takes evaluation run directories (``predictions.parquet``, ``results.csv``, ``per_class.csv``,
``run.json``), parents of such directories (searched), or folders of the 2025 study's tables
(``<model>_temporal_sampling.csv`` + ``<model>_per_class.csv``; per-class and aggregate analyses only).
Parsing only: :func:`inforates.analysis.compare.compare` does the work (docs/statistics.md).
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from ..errors import RecipeError
from .arguments import CommandParser, add_n_boot, non_negative


def make_parser() -> argparse.ArgumentParser:
    from ..analysis.compare import FORMATS
    from ..analysis.entry import PROTOCOLS
    from ..trackers import TRACKERS

    parser = CommandParser(
        prog="inforates compare",
        description=__doc__.split("\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--runs", nargs="+", required=True, help="eval run dirs, parents of them, or 2025 table folders"
    )
    parser.add_argument("--out", required=True, help="output directory (new, or holding an earlier comparison)")
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="write into a folder that also holds other files (they are kept, never replaced)",
    )
    parser.add_argument(
        "--protocol",
        default="paired",
        choices=PROTOCOLS,
        help="paired (default): tests on per-video outcomes; paper: the 2025 study's; both",
    )
    parser.add_argument("--formats", default="png",
                        help=f"figure formats, comma-separated: {','.join(FORMATS)}; none: no figures")  # fmt: skip
    add_n_boot(parser)
    parser.add_argument("--seed", type=non_negative(int, "a seed"), default=0, help="bootstrap seed")
    parser.add_argument(
        "--margin",
        type=non_negative(float, "a margin of accuracy"),
        default=0.02,
        help="critical-coverage margin (absolute accuracy, >= 0)",
    )
    parser.add_argument(
        "--nyquist_exclude",
        nargs="+",
        default=[],
        metavar="MODEL",
        help="models left out of the synthetic benchmark's pooled Nyquist check",
    )
    parser.add_argument(
        "--bandwidth",
        metavar="CSV",
        help="a bandwidth.csv (inforates bandwidth) for runs evaluated without one: each video's predicted limit",
    )
    parser.add_argument("--report_to", nargs="+", default=[], metavar="TRACKER",
                        help=f"log the tables, figures and report to {', '.join(TRACKERS)} (default: none)")  # fmt: skip
    parser.add_argument("--project", help="the trackers' project (default: WANDB_PROJECT, else huggingface)")
    parser.add_argument("--run_name", help="the trackers' run name (default: the --out folder's name)")
    return parser


def main(argv: list[str] | None = None) -> int:
    from ..analysis.compare import FORMATS, compare
    from ..analysis.inputs import load_runs
    from ..analysis.tracking import log_comparison
    from ..trackers import TRACKERS, requested_trackers

    parser = make_parser()
    args = parser.parse_args(argv)
    formats = [f.strip().lower() for f in args.formats.split(",") if f.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if formats == ["none"]:
        formats = []
    elif unknown or not formats:
        parser.error(f"--formats: unknown {unknown}; choose from {', '.join(FORMATS)}, or none")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    start = time.perf_counter()
    try:
        runs = load_runs(args.runs)
    except (FileNotFoundError, ValueError) as err:
        raise RecipeError(str(err)) from None
    names = [r.name for r in runs]
    unknown_models = [m for m in args.nyquist_exclude if m not in names]
    if unknown_models:
        parser.error(f"--nyquist_exclude: no run named {', '.join(unknown_models)}; the runs are {', '.join(names)}")
    exclude = {model: "left out with --nyquist_exclude" for model in args.nyquist_exclude}
    unknown_trackers = [t for t in args.report_to if t not in (*TRACKERS, "none")]
    if unknown_trackers:
        parser.error(f"--report_to: unknown {unknown_trackers}; choose from {', '.join(TRACKERS)}, or none")
    if args.bandwidth and not Path(args.bandwidth).is_file():
        parser.error(f"--bandwidth {args.bandwidth}: no such file; make it with `inforates bandwidth --config ...`")
    analysis = compare(runs, args.out, args.protocol, formats, args.n_boot, args.seed, args.margin, exclude,
                       args.overwrite, args.bandwidth)  # fmt: skip
    print(
        f"compared {len(runs)} model(s): {', '.join(r.name for r in runs)} "
        f"({sum(r.kind == 'predictions' for r in runs)} with per-video predictions)"
    )
    if "nyquist_check" in analysis.statistical.get("paired", {}):
        nc = analysis.statistical["paired"]["nyquist_check"]
        print(
            f"nyquist check: {nc['verdict']} (direction accuracy {nc['below_nyquist_accuracy']:.3f} below, "
            f"{nc['above_nyquist_accuracy']:.3f} past the Nyquist limit)"
        )
    for item in analysis.skipped:
        print(f"skipped: {item['analysis']}: {item['reason']}")
    if analysis.extras.get("reused") and requested_trackers(args.report_to):
        print("not logged again: the trackers got this comparison when it was made")
    elif log_comparison(args.out, args.report_to, args.project, args.run_name):
        print(f"logged to {', '.join(requested_trackers(args.report_to))}")
    print(f"report: {Path(args.out) / 'report.md'} ({time.perf_counter() - start:.1f} s)")
    return 0
