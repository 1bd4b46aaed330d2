"""``inforates demo``: the whole pipeline on the synthetic aliasing benchmark, sized for a 2-core CPU.

    inforates demo                         # outputs/demo/report.md; a rerun reuses finished stages
    inforates demo --fresh                 # retrain and re-evaluate every model
    inforates demo --models videomae --out outputs/demo_videomae --max_eval_videos 60

Parsing only: :func:`inforates.demo.pipeline.run_demo` does the work (README, docs/synthetic.md).
"""

from __future__ import annotations

from .arguments import CommandParser, at_least


MODELS = ("timesformer", "videomae", "vivit")


def make_parser() -> CommandParser:
    parser = CommandParser(
        prog="inforates demo",
        description="Synthetic benchmark -> train 3 tiny models -> evaluate over the sampling grid -> compare.",
    )
    parser.add_argument("--out", default="outputs/demo", help="output folder (default: outputs/demo)")
    parser.add_argument("--data", default=None, help="benchmark folder (default: the recipes' dataset_dir)")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS, help="models to run")
    parser.add_argument("--fresh", action="store_true", help="retrain and re-evaluate instead of reusing results")
    parser.add_argument("--max_eval_videos", type=at_least(1, "test videos"), default=None,
                        help="evaluate a stratified test subset")  # fmt: skip
    return parser


def main(argv: list[str] | None = None) -> int:
    from ..demo.pipeline import run_demo

    args = make_parser().parse_args(argv)
    return run_demo(args.out, args.data, args.models, args.fresh, args.max_eval_videos)
