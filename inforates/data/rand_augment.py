"""RandAugment for clips, in torch: the same operations and magnitudes on every frame of a clip.

    >>> spec = parse_rand_augment("rand-m7-n4-mstd0.5-inc1")   # VideoMAE's fine-tuning setting
    >>> spec
    RandAugmentSpec(magnitude=7.0, num_ops=4, magnitude_std=0.5, increasing=True)
    >>> augment = RandAugment(spec)                            # or RandAugment("m7-n4")
    >>> frames = torch.full((4, 3, 32, 32), 128, dtype=torch.uint8)
    >>> augment(frames, torch.Generator().manual_seed(0)).shape  # uint8 (T, 3, H, W) -> uint8 (T, 3, H, W)
    torch.Size([4, 3, 32, 32])
    >>> rotated = apply_operation(frames, "Rotate", magnitude=5)  # one operation, no draws: 15 degrees

The text is timm's ``rand_augment_transform`` notation: ``m`` the magnitude (0..10), ``n`` the operations per
clip, ``mstd`` the standard deviation of a per-clip magnitude draw (above 100: uniform in 0..m), ``inc1`` the
"increasing" operation set. The operations, their magnitude-to-argument rules and the draws follow timm's
``auto_augment.py``: ``n`` operations drawn uniformly with replacement, each applied with probability 1/2, each
with its own magnitude draw (clipped to 0..10) and, where the operation has a direction, a sign (+ or -, 1/2
each).

One draw serves the whole clip, so every frame gets the same operations, arguments and signs. The pixel
arithmetic is PIL's (what timm runs), on the whole ``(T, 3, H, W)`` tensor at once: luma ``L = (19595 R +
38470 G + 7471 B + 2**15) >> 16``, blends truncated to uint8, the SMOOTH kernel with untouched borders for
Sharpness. Rotate/Shear/Translate go through one ``affine_grid``/``grid_sample`` with timm's grey fill (128); shears
are about the top-left corner and rotations about the centre, as PIL's. They always interpolate bilinearly (timm
draws bilinear or bicubic per operation unless told, VideoMAE tells it bicubic; torch's bicubic kernel is not
PIL's, and costs twice as much). The
statistics that AutoContrast, Equalize and Contrast take from the image are taken over the whole clip (one
lookup table or mean per clip), so a clip of identical frames is processed as timm processes that frame
(exactly; geometry to one grey level), and frames of one clip never flicker against each other.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F


MAX_MAGNITUDE = 10.0  # timm's _LEVEL_DENOM: magnitude 10 is each operation's strongest setting
FILL = 128  # timm's _FILL: the grey that geometric operations leave where the frame was moved away
APPLY_PROBABILITY = 0.5  # timm's rand_augment_ops


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


# --- pixel operations: uint8 (T, 3, H, W) in and out, one argument each ---------------------------------------------


def _luma(frames: torch.Tensor) -> torch.Tensor:
    """PIL's ``convert("L")``: int32 (T, 1, H, W)."""
    rgb = frames.to(torch.int32)
    return (rgb[:, 0:1] * 19595 + rgb[:, 1:2] * 38470 + rgb[:, 2:3] * 7471 + 0x8000) >> 16


def _blend(degenerate: torch.Tensor | float, frames: torch.Tensor, factor: float) -> torch.Tensor:
    """PIL's ``Image.blend(degenerate, frames, factor)`` (what ``ImageEnhance`` does): clipped, truncated."""
    degenerate = degenerate.to(torch.float32) if isinstance(degenerate, torch.Tensor) else float(degenerate)
    out = frames.to(torch.float32).sub_(degenerate).mul_(factor).add_(degenerate)
    return out.clamp_(0, 255).to(torch.uint8)  # the cast truncates, as PIL's


def _lookup(frames: torch.Tensor, tables: torch.Tensor) -> torch.Tensor:
    """Apply one 256-entry table per channel (``tables``: (3, 256))."""
    tables = tables.to(torch.uint8)
    out = torch.empty_like(frames)
    for channel in range(3):  # one gather per channel: ~4x faster than one over offset indices
        out[:, channel] = tables[channel][frames[:, channel].to(torch.int64)]
    return out


def _channel_histograms(frames: torch.Tensor) -> torch.Tensor:
    """(3, 256) float64 counts over the whole clip, per frame (a static clip's are its frame's, as integers)."""
    counts = torch.stack([torch.bincount(frames[:, c].flatten(), minlength=256) for c in range(3)])
    return counts.to(torch.float64) / frames.shape[0]


def auto_contrast(frames: torch.Tensor, _: float = 0) -> torch.Tensor:
    """``ImageOps.autocontrast``: stretch each channel's clip-wide range to 0..255."""
    levels = torch.arange(256, dtype=torch.float64)
    tables = []
    for lo, hi in zip(frames.amin((0, 2, 3)).tolist(), frames.amax((0, 2, 3)).tolist()):
        if hi <= lo:
            tables.append(levels)
        else:
            scale = 255.0 / (hi - lo)
            tables.append((levels * scale - lo * scale).trunc().clamp(0, 255))
    return _lookup(frames, torch.stack(tables))


def equalize(frames: torch.Tensor, _: float = 0) -> torch.Tensor:
    """``ImageOps.equalize``: each channel's clip-wide histogram flattened, with PIL's step rule."""
    tables = []
    for hist in _channel_histograms(frames):
        used = hist.nonzero().flatten()
        step = (float(hist.sum()) - float(hist[used[-1]])) // 255 if len(used) > 1 else 0
        if step == 0:
            tables.append(torch.arange(256, dtype=torch.float64))
        else:
            before = torch.cumsum(hist, 0) - hist  # pixels strictly below each level
            tables.append(((step // 2 + before) // step).clamp(max=255))
    return _lookup(frames, torch.stack(tables))


def invert(frames: torch.Tensor, _: float = 0) -> torch.Tensor:
    return 255 - frames


def posterize(frames: torch.Tensor, bits: float) -> torch.Tensor:
    """Keep the ``bits`` most significant bits of each value (0 bits: black, as PIL)."""
    bits = int(bits)
    if bits >= 8:
        return frames
    return frames & (0xFF ^ (2 ** (8 - bits) - 1))


def solarize(frames: torch.Tensor, threshold: float) -> torch.Tensor:
    """Invert the values at or above ``threshold`` (256: none)."""
    if threshold > 255:
        return frames
    return torch.where(frames >= threshold, 255 - frames, frames)


def solarize_add(frames: torch.Tensor, add: float, threshold: int = 128) -> torch.Tensor:
    """Add ``add`` (saturating) to the values below ``threshold``."""
    added = (frames.to(torch.int16) + int(add)).clamp_(max=255).to(torch.uint8)
    return torch.where(frames < threshold, added, frames)


def color(frames: torch.Tensor, factor: float) -> torch.Tensor:
    """``ImageEnhance.Color``: blend with the grey (luma) clip; 0 grey, 1 unchanged."""
    return _blend(_luma(frames), frames, factor)


def contrast(frames: torch.Tensor, factor: float) -> torch.Tensor:
    """``ImageEnhance.Contrast``: blend with the clip's mean luma; 0 flat grey, 1 unchanged."""
    mean = int(float(_luma(frames).to(torch.float64).mean()) + 0.5)
    return _blend(mean, frames, factor)


def brightness(frames: torch.Tensor, factor: float) -> torch.Tensor:
    """``ImageEnhance.Brightness``: blend with black."""
    return _blend(0.0, frames, factor)


def sharpness(frames: torch.Tensor, factor: float) -> torch.Tensor:
    """``ImageEnhance.Sharpness``: blend with PIL's SMOOTH-filtered clip (borders unfiltered); 0 smooth, 2 sharp."""
    if min(frames.shape[-2:]) < 3:
        return frames
    # SMOOTH is [[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13, rounded: a 3x3 box sum plus 4 x the centre, in int16
    pixels = frames.to(torch.int16)
    rows = pixels[..., :-2] + pixels[..., 1:-1] + pixels[..., 2:]
    total = rows[..., :-2, :] + rows[..., 1:-1, :] + rows[..., 2:, :] + 4 * pixels[..., 1:-1, 1:-1]
    smooth = frames.clone()
    smooth[..., 1:-1, 1:-1] = torch.div(2 * total + 13, 26, rounding_mode="floor")  # round(total / 13)
    return _blend(smooth, frames, factor)


def _affine(frames: torch.Tensor, matrix: tuple[float, float, float, float, float, float]) -> torch.Tensor:
    """PIL's ``Image.transform(AFFINE, matrix)``: output point (x, y) samples the input at (a x + b y + c,
    d x + e y + f), in pixel units with pixel centres at +0.5; what falls outside the frame is :data:`FILL`."""
    t, _, h, w = frames.shape
    a, b, c, d, e, f = matrix
    pixel = torch.tensor([[a, b, c], [d, e, f], [0, 0, 1]], dtype=torch.float64)
    to_pixel = torch.tensor([[w / 2, 0, w / 2], [0, h / 2, h / 2], [0, 0, 1]], dtype=torch.float64)
    theta = (torch.linalg.inv(to_pixel) @ pixel @ to_pixel)[:2].to(torch.float32)
    grid = F.affine_grid(theta[None], [1, 3, h, w], align_corners=False)
    # as PIL: a sample point outside the frame is FILL, one inside interpolates with the edge pixels repeated
    inside = ((grid >= -1) & (grid < 1)).all(-1)[:, None]
    out = F.grid_sample(frames.to(torch.float32), grid.expand(t, h, w, 2), "bilinear", "border", align_corners=False)
    out = torch.where(inside, out, float(FILL))
    return out.add_(1e-3).clamp_(0, 255).to(torch.uint8)  # truncated as PIL; 1e-3 absorbs float error at exact hits


def rotate(frames: torch.Tensor, degrees: float) -> torch.Tensor:
    """``Image.rotate(degrees)``: counter-clockwise about the frame's centre, same size."""
    h, w = frames.shape[-2:]
    angle = -math.radians(degrees)
    cos, sin = math.cos(angle), math.sin(angle)
    cx, cy = w / 2, h / 2
    return _affine(frames, (cos, sin, cx - cos * cx - sin * cy, -sin, cos, cy + sin * cx - cos * cy))


def shear_x(frames: torch.Tensor, factor: float) -> torch.Tensor:
    return _affine(frames, (1, factor, 0, 0, 1, 0))


def shear_y(frames: torch.Tensor, factor: float) -> torch.Tensor:
    return _affine(frames, (1, 0, 0, factor, 1, 0))


def translate_x_rel(frames: torch.Tensor, fraction: float) -> torch.Tensor:
    """Content moves left by ``fraction`` of the width (right when negative)."""
    return _affine(frames, (1, 0, fraction * frames.shape[-1], 0, 1, 0))


def translate_y_rel(frames: torch.Tensor, fraction: float) -> torch.Tensor:
    return _affine(frames, (1, 0, 0, 0, 1, fraction * frames.shape[-2]))


# --- timm's operation table: magnitude (0..10) -> argument -----------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    """``apply(frames, argument)``; ``argument(magnitude)`` before the sign; ``signed``: the sign is drawn."""

    apply: Callable[[torch.Tensor, float], torch.Tensor]
    argument: Callable[[float], float]
    signed: bool = False


def _scaled(top: float) -> Callable[[float], float]:
    return lambda magnitude: magnitude / MAX_MAGNITUDE * top


def _enhance(magnitude: float) -> float:  # 0.1..1.9, increasing with the magnitude only away from 0.1
    return magnitude / MAX_MAGNITUDE * 1.8 + 0.1


def _enhance_increasing(magnitude: float) -> float:  # 1 -/+ 0.9 (the sign is drawn; kept >= 0.1 when applied)
    return magnitude / MAX_MAGNITUDE * 0.9


def _enhanced(apply: Callable[[torch.Tensor, float], torch.Tensor]) -> Callable[[torch.Tensor, float], torch.Tensor]:
    return lambda frames, offset: apply(frames, max(0.1, 1.0 + offset))


def _none(_: float) -> float:
    return 0.0


OPERATIONS: dict[str, Operation] = {
    "AutoContrast": Operation(auto_contrast, _none),
    "Equalize": Operation(equalize, _none),
    "Invert": Operation(invert, _none),
    "Rotate": Operation(rotate, _scaled(30.0), signed=True),
    "Posterize": Operation(posterize, lambda m: int(m / MAX_MAGNITUDE * 4)),
    "PosterizeIncreasing": Operation(posterize, lambda m: 4 - int(m / MAX_MAGNITUDE * 4)),
    "Solarize": Operation(solarize, lambda m: int(m / MAX_MAGNITUDE * 256)),
    "SolarizeIncreasing": Operation(solarize, lambda m: 256 - int(m / MAX_MAGNITUDE * 256)),
    "SolarizeAdd": Operation(solarize_add, lambda m: int(m / MAX_MAGNITUDE * 110)),
    "Color": Operation(color, _enhance),
    "ColorIncreasing": Operation(_enhanced(color), _enhance_increasing, signed=True),
    "Contrast": Operation(contrast, _enhance),
    "ContrastIncreasing": Operation(_enhanced(contrast), _enhance_increasing, signed=True),
    "Brightness": Operation(brightness, _enhance),
    "BrightnessIncreasing": Operation(_enhanced(brightness), _enhance_increasing, signed=True),
    "Sharpness": Operation(sharpness, _enhance),
    "SharpnessIncreasing": Operation(_enhanced(sharpness), _enhance_increasing, signed=True),
    "ShearX": Operation(shear_x, _scaled(0.3), signed=True),
    "ShearY": Operation(shear_y, _scaled(0.3), signed=True),
    "TranslateXRel": Operation(translate_x_rel, _scaled(0.45), signed=True),
    "TranslateYRel": Operation(translate_y_rel, _scaled(0.45), signed=True),
}

# timm's _RAND_TRANSFORMS and _RAND_INCREASING_TRANSFORMS (Cutout is random erasing there, not part of the set)
RAND_TRANSFORMS = (
    "AutoContrast", "Equalize", "Invert", "Rotate", "Posterize", "Solarize", "SolarizeAdd", "Color", "Contrast",
    "Brightness", "Sharpness", "ShearX", "ShearY", "TranslateXRel", "TranslateYRel",
)  # fmt: skip
RAND_INCREASING_TRANSFORMS = (
    "AutoContrast", "Equalize", "Invert", "Rotate", "PosterizeIncreasing", "SolarizeIncreasing", "SolarizeAdd",
    "ColorIncreasing", "ContrastIncreasing", "BrightnessIncreasing", "SharpnessIncreasing", "ShearX", "ShearY",
    "TranslateXRel", "TranslateYRel",
)  # fmt: skip


def apply_operation(frames: torch.Tensor, name: str, magnitude: float, negate: bool = False) -> torch.Tensor:
    """One operation of :data:`OPERATIONS` at ``magnitude`` (0..10), no draws; ``negate`` flips a signed one."""
    try:
        operation = OPERATIONS[name]
    except KeyError:
        raise ValueError(f"unknown RandAugment operation {name!r}; one of {', '.join(OPERATIONS)}") from None
    argument = operation.argument(min(max(float(magnitude), 0.0), MAX_MAGNITUDE))
    return operation.apply(frames, -argument if negate and operation.signed else argument)


class RandAugment:
    """``RandAugment(spec)(frames, generator)``: uint8 ``(T, 3, H, W)`` -> uint8, one draw per clip.

    ``spec`` is a :class:`RandAugmentSpec` or its text (``"m7-n4"``). Every draw comes from ``generator`` (a
    ``torch.Generator``), in timm's order: the operations, then for each its apply/skip draw, magnitude and sign.
    """

    def __init__(self, spec: RandAugmentSpec | str):
        self.spec = parse_rand_augment(spec) if isinstance(spec, str) else spec
        self.names = RAND_INCREASING_TRANSFORMS if self.spec.increasing else RAND_TRANSFORMS

    def draw(self, generator: torch.Generator) -> list[tuple[str, float, bool]]:
        """The ``(name, magnitude, negate)`` of each operation to apply to one clip (skipped ones left out)."""
        spec, plan = self.spec, []
        for index in torch.randint(len(self.names), (spec.num_ops,), generator=generator).tolist():
            if float(torch.rand(1, generator=generator)) > APPLY_PROBABILITY:
                continue
            magnitude = spec.magnitude
            if spec.magnitude_std > 100:  # timm: "mstd" above 100 means uniform in 0..m
                magnitude = float(torch.empty(1).uniform_(0, spec.magnitude, generator=generator))
            elif spec.magnitude_std > 0:
                magnitude += spec.magnitude_std * float(torch.randn(1, generator=generator))
            magnitude = min(max(magnitude, 0.0), MAX_MAGNITUDE)
            name = self.names[index]
            negate = OPERATIONS[name].signed and float(torch.rand(1, generator=generator)) > 0.5
            plan.append((name, magnitude, negate))
        return plan

    def __call__(self, frames: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        if not isinstance(frames, torch.Tensor) or frames.dtype != torch.uint8 or frames.ndim != 4:
            raise ValueError(f"RandAugment takes a uint8 clip (T, 3, H, W), got {getattr(frames, 'dtype', frames)}")
        for name, magnitude, negate in self.draw(generator):
            frames = apply_operation(frames, name, magnitude, negate)
        return frames

    def __repr__(self) -> str:
        s = self.spec
        inc = "-inc1" if s.increasing else ""
        return f"RandAugment(rand-m{s.magnitude:g}-n{s.num_ops}-mstd{s.magnitude_std:g}{inc})"
