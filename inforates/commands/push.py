"""``inforates push``: a trained run to the Hub, with its model card and, when given, its evaluated designs.

    inforates push outputs/demo/videomae --repo my-org/videomae-synthetic --dry-run
    inforates push outputs/demo/videomae --repo my-org/videomae-synthetic \\
        --results outputs/demo/eval/videomae/results.csv

The card is the run's ``README.md`` (written by ``inforates train``), with one accuracy table per sampling design of
``--results`` (spacing x budget, coverage x stride, ...). The run's card is updated in place to what is pushed, so
the local copy and the Hub's agree; ``--dry-run`` does that and lists the files a push would send, with no network
call. Only the final model files go (no ``checkpoint-*``). Log in first (``hf auth login``) or set ``HF_TOKEN``.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import RecipeError
from .arguments import CommandParser


REPO_ID = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9._-]*/)?[A-Za-z0-9][A-Za-z0-9._-]*$")
CARD_MARK = "- inforates\n"  # the tag every card inforates writes carries in its front matter


def make_parser() -> CommandParser:
    parser = CommandParser(prog="inforates push", description=__doc__.split("\n")[0].strip('"`'))
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a trained run's output_dir (config.json, model, card)")
    parser.add_argument("--repo", required=True, metavar="ORG/NAME", help="the Hub repository (created if needed)")
    parser.add_argument("--results", metavar="RESULTS_CSV", help="an evaluation's results.csv for the card")
    parser.add_argument("--private", action="store_true", help="create the repository private")
    parser.add_argument("--dry-run", "--dry_run", action="store_true",
                        help="write the card and list the files, without any network call")  # fmt: skip
    return parser


def _check(args) -> Path:
    run_dir = Path(args.run_dir)
    if not (run_dir / "config.json").is_file():
        raise RecipeError(f"{run_dir}: no config.json, so no trained model to push; give a finished run's output_dir")
    if not REPO_ID.match(args.repo):
        raise RecipeError(f"--repo {args.repo!r}: a Hub repository is ORG/NAME (letters, digits, '.', '_', '-')")
    if args.results is not None:
        import pandas as pd

        if not Path(args.results).is_file():
            raise RecipeError(f"--results {args.results}: no such file; give an evaluation's results.csv")
        missing = {"coverage", "stride", "accuracy"} - set(pd.read_csv(args.results, nrows=1).columns)
        if missing:
            raise RecipeError(f"--results {args.results}: not an evaluation results.csv (no "
                              f"{', '.join(sorted(missing))} column)")  # fmt: skip
    card = run_dir / "README.md"
    if card.is_file() and CARD_MARK not in card.read_text().split("\n---", 1)[0]:
        raise RecipeError(f"{card}: this README.md was not written by inforates and would be replaced by the model "
                          "card; move it away first")  # fmt: skip
    return run_dir


def main(argv: list[str] | None = None) -> int:
    from ..files import atomic_write
    from ..hub import card_with_results, push_checkpoint, pushed_files

    args = make_parser().parse_args(argv)
    run_dir = _check(args)
    if args.results is not None:
        card = card_with_results(run_dir, args.results)
        atomic_write(run_dir / "README.md", lambda tmp: Path(tmp).write_text(card))
    files = pushed_files(run_dir, args.results)
    if args.dry_run:
        print(f"dry run: would push {len(files)} files to {args.repo} (card: {run_dir / 'README.md'}):")
        for name, source in files.items():
            size = len(source) if isinstance(source, bytes) else source.stat().st_size
            print(f"  {name:<28} {size:>12,} bytes")
        return 0
    print(f"pushed {len(files)} files: {push_checkpoint(run_dir, args.repo, args.results, args.private or None)}")
    return 0
