"""``inforates pretrain-demo``: the demo's pretrained checkpoints, made the way real ones are (another task first).

    inforates pretrain-demo                      # all three tiny models -> inforates/checkpoints/demo/<model>/
    inforates pretrain-demo --models timesformer --fresh

Parsing only: :func:`inforates.demo.pretrain.pretrain` does the work (docs/synthetic.md).
"""

from __future__ import annotations

from .arguments import CommandParser
from .demo import MODELS


def make_parser() -> CommandParser:
    from ..demo.pretrain import CHECKPOINTS

    parser = CommandParser(prog="inforates pretrain-demo", description=__doc__.split("\n\n")[0].strip('"'))
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS, help="models to pretrain")
    parser.add_argument("--out", default=str(CHECKPOINTS), help=f"where the checkpoints go (default: {CHECKPOINTS})")
    parser.add_argument("--work", default="outputs/pretrain", help="training runs (default: outputs/pretrain)")
    parser.add_argument("--fresh", action="store_true", help="retrain instead of reusing a finished run")
    return parser


def main(argv: list[str] | None = None) -> int:
    from ..demo.pretrain import pretrain

    args = make_parser().parse_args(argv)
    pretrain(args.models, args.out, args.work, args.fresh)
    return 0
