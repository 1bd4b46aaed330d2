"""``inforates recipes``: the recipes shipped in the package, listed, or one copied out to edit.

    inforates recipes                                         # name, model, dataset, hardware of each
    inforates recipes copy videomae/ucf101 my_ucf101.yaml     # then: inforates train --config my_ucf101.yaml
    inforates recipes copy videomae/ucf101 configs/           # -> configs/ucf101.yaml
    inforates train --config videomae/ucf101                  # a shipped recipe by name, from any folder

A copy never replaces a file that is already there.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import RecipeError
from ..files import write_text
from ..recipe_catalog import RECIPES_ROOT, resolve_recipe, shipped_recipes
from .arguments import CommandParser


def make_parser() -> argparse.ArgumentParser:
    parser = CommandParser(prog="inforates recipes", description=__doc__.split("\n")[0],
                           formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n", 2)[2])  # fmt: skip
    actions = parser.add_subparsers(dest="action", parser_class=CommandParser)
    actions.add_parser("list", help="list the shipped recipes (the default)")
    copy = actions.add_parser("copy", help="write a shipped recipe to a file or folder")
    copy.add_argument("name", help="a shipped recipe's name (see `inforates recipes`)")
    copy.add_argument("dest", help="a new file, or a folder to write <name's stem>.yaml into")
    return parser


def print_list() -> None:
    recipes = shipped_recipes()
    widths = [max(len(getattr(r, key)) for r in recipes) for key in ("name", "model", "dataset")]
    header = ("name", "model", "dataset", "hardware")
    print("  ".join(h.ljust(w) for h, w in zip(header, [*widths, 0])).rstrip())
    for r in recipes:
        print("  ".join(v.ljust(w) for v, w in zip((r.name, r.model, r.dataset, r.hardware), [*widths, 0])).rstrip())
    print(f"\n{len(recipes)} recipes; `inforates recipes copy NAME DEST` writes one out, `--config NAME` uses it")


def copy_recipe(name: str, dest: str) -> Path:
    source = Path(resolve_recipe(name))
    if not source.is_file() or not source.resolve().is_relative_to(RECIPES_ROOT):
        raise RecipeError(f"{name}: no shipped recipe of that name; `inforates recipes` lists them")
    target = Path(dest)
    if target.is_dir() or dest.endswith("/"):
        target = target / source.name
    if target.exists():
        raise RecipeError(f"{target}: already exists; choose another file (a copy never replaces one)")
    target.parent.mkdir(parents=True, exist_ok=True)
    write_text(target, source.read_text())
    return target


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    if args.action == "copy":
        target = copy_recipe(args.name, args.dest)
        print(f"{args.name} -> {target} (edit it, then: inforates train --config {target})")
    else:
        print_list()
    return 0
