"""RandAugment for clips, in torch: the same operations and magnitudes on every frame of a clip.

    >>> spec = parse_rand_augment("rand-m7-n4-mstd0.5-inc1")   # VideoMAE's fine-tuning setting
    >>> spec
    RandAugmentSpec(magnitude=7.0, num_ops=4, magnitude_std=0.5, increasing=True)

The text is timm's ``rand_augment_transform`` notation: ``m`` the magnitude (0..10), ``n`` the operations per
clip, ``mstd`` the standard deviation of a per-clip magnitude draw, ``inc1`` the "increasing" operation set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


MAX_MAGNITUDE = 10.0  # timm's _LEVEL_DENOM: magnitude 10 is each operation's strongest setting


@dataclass(frozen=True)
class RandAugmentSpec:
    magnitude: float
    num_ops: int = 2
    magnitude_std: float = 0.0
    increasing: bool = False


_PART = re.compile(r"^(mstd|inc|m|n)(\d+(?:\.\d+)?)$")


def parse_rand_augment(text: str) -> RandAugmentSpec:
    """``"m7-n4"`` / ``"rand-m9-n2-mstd0.5-inc1"`` -> :class:`RandAugmentSpec`; ``ValueError`` naming the part."""
    parts = str(text).strip().split("-")
    if parts and parts[0] == "rand":
        parts = parts[1:]
    values: dict[str, float] = {}
    for part in parts:
        match = _PART.match(part)
        if not match or match.group(1) in values:
            raise ValueError(
                f"cannot read {part!r}: write m<magnitude 0-10>-n<operations>[-mstd<std>][-inc1], e.g. m7-n4"
            )
        values[match.group(1)] = float(match.group(2))
    if "m" not in values:
        raise ValueError("no magnitude: write m<magnitude 0-10>-n<operations>, e.g. m7-n4")
    if not 0 <= values["m"] <= MAX_MAGNITUDE:
        raise ValueError(f"magnitude {values['m']:g} is outside 0..{MAX_MAGNITUDE:g}")
    num_ops = values.get("n", 2)
    if num_ops != int(num_ops) or num_ops < 1:
        raise ValueError(f"n{num_ops:g}: the number of operations is an integer >= 1")
    if values.get("inc", 0) not in (0, 1):
        raise ValueError("inc takes 0 or 1")
    return RandAugmentSpec(values["m"], int(num_ops), values.get("mstd", 0.0), bool(values.get("inc", 0)))
