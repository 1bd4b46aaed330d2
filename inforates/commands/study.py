"""``inforates study``: the whole study in one command: train every model, evaluate each over the grid, compare.

    inforates study --study recipes/studies/ucf101.yaml --out outputs/study/ucf101
    inforates study --recipes recipes/videomae/ucf101.yaml recipes/vivit/ucf101.yaml --out outputs/study/two
    inforates study --study recipes/studies/ucf101.yaml --out outputs/study/ucf101 --parallel 3   # 3 models at once
    inforates study --study recipes/studies/ucf101.yaml --out outputs/study/ucf101 --only 1       # one model (SLURM)
    inforates study --study recipes/studies/ucf101.yaml --out outputs/study/ucf101 --compare-only
    inforates study --study recipes/studies/demo.yaml --out outputs/study/demo --num_train_epochs 2  # + overrides

For each recipe: train into ``<out>/<name>/`` (a finished run of the same recipe is reused, an interrupted one
resumed), evaluate into ``<out>/eval/<name>/`` (a complete evaluation is reused); then one ``inforates compare``
over all of them into ``<out>/`` (after checking that every run saw the same test videos and cells) and a summary
(``study_summary.json``). A study file (YAML) lists ``recipes:`` and ``shared:`` recipe keys set for every model;
words after the flags (``--key value``) override every recipe too. A failed model is reported and the others go on;
the exit status is 0 only when every model finished. docs/study.md has the details and a SLURM array job.

Parsing only: :func:`inforates.study.run.run_study` does the work.
"""

from __future__ import annotations

import sys

from .arguments import CommandParser, add_n_boot, at_least


DESCRIPTION = "Train every recipe, evaluate each over its grid, compare them all (docs/study.md)."


def make_parser() -> CommandParser:
    from ..analysis.entry import PROTOCOLS

    parser = CommandParser(
        prog="inforates study",
        allow_abbrev=False,
        description=DESCRIPTION,
        epilog="Other --key value words override every recipe (after shared:).",
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--recipes", nargs="+", metavar="RECIPE", help="recipe files, one model each")
    which.add_argument("--study", metavar="FILE", help="a study file: recipes: and shared: (recipes/studies/)")
    parser.add_argument("--out", default="outputs/study", help="the study's folder (default: outputs/study)")
    parser.add_argument(
        "--parallel",
        type=at_least(1, "models at once"),
        default=1,
        metavar="N",
        help="models at once, each in its own subprocesses with its share of the GPUs (or cores)",
    )
    parser.add_argument(
        "--accelerate_config",
        "--accelerate-config",
        metavar="FILE",
        help="train each model with `accelerate launch --config_file FILE -m inforates.train`",
    )
    step = parser.add_mutually_exclusive_group()
    step.add_argument("--only", type=int, metavar="I", help="train and evaluate only the I-th model (0-based)")
    step.add_argument(
        "--compare-only",
        "--compare_only",
        action="store_true",
        help="compare the complete evaluations there (every model's), nothing else",
    )
    parser.add_argument(
        "--allow-mixed",
        "--allow_mixed",
        action="store_true",
        help="compare runs that saw different test videos or cells (the summary says so)",
    )
    parser.add_argument("--fresh", action="store_true", help="retrain and re-evaluate instead of reusing results")
    parser.add_argument("--overwrite", action="store_true", help="compare into a folder that holds other files")
    parser.add_argument("--protocol", default="both", choices=PROTOCOLS, help="compare's protocol (default: both)")
    add_n_boot(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    from ..study.plan import load_study_file
    from ..study.run import run_study
    from ..study.summary import print_summary

    args, overrides = make_parser().parse_known_args(sys.argv[1:] if argv is None else argv)
    recipes, shared = load_study_file(args.study) if args.study else (args.recipes, {})
    result = run_study(
        recipes,
        args.out,
        shared,
        args.parallel,
        overrides,
        args.accelerate_config,
        args.only,
        args.compare_only,
        args.allow_mixed,
        args.fresh,
        args.overwrite,
        args.protocol,
        args.n_boot,
    )
    if result.summary:
        print_summary(result.summary)
    return result.exit_status
