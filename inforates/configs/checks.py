"""The value checks every argument dataclass shares: one line naming the key, the value and the fix."""

from __future__ import annotations

from typing import Any

from ..errors import RecipeError


def fail(key: str, value: Any, why: str) -> None:
    raise RecipeError(f"{key}={value!r}: {why}")


def check_coverage(key: str, value: float) -> None:
    if not 0 < value <= 100:
        fail(key, value, "coverage is a percentage of the clip in (0, 100]")


def check_choice(key: str, value: str, choices) -> None:
    if value not in choices:
        fail(key, value, f"choose one of {', '.join(choices)}")


def check_range(key: str, value: float | None, low: float, high: float, closed: str = "[]") -> None:
    """``low <= value <= high`` with ``closed`` saying which ends belong (``"[]"``, ``"(]"``, ``"[)"``, ``"()"``);
    None passes (an unset key)."""
    if value is None:
        return
    above = value >= low if closed[0] == "[" else value > low
    below = value <= high if closed[1] == "]" else value < high
    if not (above and below):
        fail(key, value, f"must be in {closed[0]}{low:g}, {high:g}{closed[1]}")
