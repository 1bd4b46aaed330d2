"""Command-line parsing shared by the commands: a parser whose mistakes are one line, and value checks.

A wrong flag or value raises :class:`~inforates.errors.RecipeError`, which ``inforates`` prints as one
``error: ...`` line with exit status 2 (``--help`` still prints the options and exits 0):

    >>> CommandParser(prog="inforates x").error("argument --n-boot: 0: must be at least 100")
    Traceback (most recent call last):
    inforates.errors.RecipeError: inforates x: argument --n-boot: 0: must be at least 100
    >>> at_least(100, "bootstrap resamples")("1000")
    1000
    >>> non_negative(float, "a margin")("0.02")
    0.02
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from ..errors import RecipeError


class CommandParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` whose errors are a :class:`RecipeError` (one line), not usage + exit."""

    def error(self, message: str):
        raise RecipeError(f"{self.prog}: {message}")


def add_n_boot(parser: argparse.ArgumentParser) -> None:
    """``--n-boot`` (also ``--n_boot``): the bootstrap resamples of every interval, at least 20."""
    parser.add_argument("--n-boot", "--n_boot", type=at_least(20, "bootstrap resamples"), default=1000,
                        help="bootstrap resamples (default 1000, at least 20; keep 1000 or more for publication)")  # fmt: skip


def at_least(low: int, what: str) -> Callable[[str], int]:
    """An integer ``>= low``."""

    def check(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number ({what})") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{value}: {what} must be at least {low}")
        return value

    return check


def non_negative(kind: type, what: str) -> Callable[[str], float]:
    """A number of ``kind`` (int or float) ``>= 0``."""

    def check(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number ({what})") from None
        if not value >= 0:
            raise argparse.ArgumentTypeError(f"{value}: {what} must be >= 0")
        return value

    return check
