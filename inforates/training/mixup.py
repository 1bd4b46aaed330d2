"""Mixup and CutMix for video clips with soft targets, as ``timm.data.mixup.Mixup`` in batch mode.

    >>> mixer = VideoMixup(mixup_alpha=0.8, cutmix_alpha=1.0, prob=1.0, switch_prob=0.5, smoothing=0.1,
    ...                    num_classes=101)
    >>> rng = mix_rng(seed=42, process_index=0, step=7)
    >>> pixel_values, labels = torch.zeros(2, 8, 3, 32, 32), torch.tensor([3, 7])  # (B, T, C, H, W)
    >>> mixed, targets = mixer(pixel_values, labels, rng)
    >>> mixed.shape, targets.shape, round(float(targets.sum()), 4)  # one soft target per clip, each summing to 1
    (torch.Size([2, 8, 3, 32, 32]), torch.Size([2, 101]), 2.0)

and in the loss, ``soft_target_cross_entropy(model(pixel_values=mixed).logits, targets)``.

One draw per batch: with probability ``prob`` the batch is mixed with its reverse (``x.flip(0)``), by mixup
(``lam * x + (1 - lam) * x.flip(0)``) or, with probability ``switch_prob`` when both alphas are > 0, by CutMix (a
box of ``x.flip(0)`` pasted into ``x``), ``lam ~ Beta(alpha, alpha)``. ``pixel_values`` are ``(B, T, C, H, W)``:
the same ``lam`` and the same box for every frame of a clip, so a CutMix box is a tube constant over time. A CutMix
box is cut to the frame, and ``lam`` is corrected to the area it really covers (timm's ``correct_lam``).

Targets are ``lam * y + (1 - lam) * y.flip(0)`` with label smoothing folded into the one-hot vectors
``y`` (``off = smoothing / num_classes``, ``on = 1 - smoothing + off``); the loss is the soft-target cross-entropy
``-sum(targets * log_softmax(logits))``. An unmixed batch (probability ``1 - prob``) keeps its pixels and gets
``lam = 1``: its targets are the smoothed one-hot vectors.

Draws come from a numpy ``Generator`` seeded from (seed, process, optimizer step, micro-batch): torch has no
``Generator``-driven Beta sampler, and numpy's gives the same repeatability, also across a resumed run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class MixDraw:
    """One batch's mix: ``lam`` (the share of each clip that stays its own) and the CutMix box or None."""

    lam: float
    box: tuple[int, int, int, int] | None = None  # (top, bottom, left, right), rows top:bottom, columns left:right

    @property
    def mixes(self) -> bool:
        return self.lam < 1.0


def mix_rng(seed: int, process_index: int, step: int, micro_batch: int = 0) -> np.random.Generator:
    """The generator of one batch's draw: the same (seed, process, step, micro-batch) gives the same mix."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(process_index), int(step), int(micro_batch)]))


def cutmix_box(rng: np.random.Generator, height: int, width: int, lam: float) -> tuple[int, int, int, int]:
    """timm's ``rand_bbox``: a box of ``sqrt(1 - lam)`` of each side around a uniform centre, cut to the frame."""
    ratio = np.sqrt(1.0 - lam)
    cut_h, cut_w = int(height * ratio), int(width * ratio)
    cy, cx = int(rng.integers(0, height)), int(rng.integers(0, width))
    top, bottom = np.clip([cy - cut_h // 2, cy + cut_h // 2], 0, height)
    left, right = np.clip([cx - cut_w // 2, cx + cut_w // 2], 0, width)
    return int(top), int(bottom), int(left), int(right)


def box_lam(box: tuple[int, int, int, int], height: int, width: int) -> float:
    """``1 - box area / frame area``: the share of each frame that stays the clip's own."""
    top, bottom, left, right = box
    return 1.0 - (bottom - top) * (right - left) / float(height * width)


def mix_clips(pixel_values: torch.Tensor, draw: MixDraw) -> torch.Tensor:
    """``pixel_values`` (B, T, C, H, W) mixed with ``pixel_values.flip(0)``; a new tensor, the input is kept."""
    if not draw.mixes:
        return pixel_values
    flipped = pixel_values.flip(0)
    if draw.box is None:
        return pixel_values * draw.lam + flipped * (1.0 - draw.lam)
    top, bottom, left, right = draw.box
    mixed = pixel_values.clone()
    mixed[..., top:bottom, left:right] = flipped[..., top:bottom, left:right]  # every frame and channel alike
    return mixed


def soft_targets(labels: torch.Tensor, num_classes: int, lam: float, smoothing: float = 0.0) -> torch.Tensor:
    """timm's ``mixup_target``: ``lam * y + (1 - lam) * y.flip(0)`` for smoothed one-hot ``y`` (rows sum to 1)."""
    off = smoothing / num_classes
    on = 1.0 - smoothing + off
    one_hot = torch.full((len(labels), num_classes), off, dtype=torch.float32, device=labels.device)
    one_hot.scatter_(1, labels.long().view(-1, 1), on)
    return one_hot * lam + one_hot.flip(0) * (1.0 - lam)


def soft_target_cross_entropy(logits: torch.Tensor, targets: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """``-sum(targets * log_softmax(logits), -1)`` per clip (in float32), averaged unless ``reduction="none"``."""
    per_clip = -(targets * torch.log_softmax(logits.float(), dim=-1)).sum(dim=-1)
    if reduction == "none":
        return per_clip
    if reduction == "mean":
        return per_clip.mean()
    raise ValueError(f"reduction must be 'mean' or 'none', got {reduction!r}")


@dataclass(frozen=True)
class VideoMixup:
    """Per-batch mixup/CutMix of video clips (timm's ``Mixup``, ``mode="batch"``, ``correct_lam=True``)."""

    mixup_alpha: float
    cutmix_alpha: float
    prob: float
    switch_prob: float
    smoothing: float
    num_classes: int

    @classmethod
    def from_args(cls, args, num_classes: int) -> VideoMixup:
        """From ``VideoTrainingArguments`` (``label_smoothing_factor`` is folded into the targets)."""
        return cls(
            mixup_alpha=args.mixup_alpha,
            cutmix_alpha=args.cutmix_alpha,
            prob=args.mixup_prob,
            switch_prob=args.mixup_switch_prob,
            smoothing=args.label_smoothing_factor,
            num_classes=num_classes,
        )

    def draw(self, rng: np.random.Generator, height: int, width: int) -> MixDraw:
        """timm's ``_params_per_batch`` followed by the CutMix box and its area-corrected ``lam``."""
        if not (self.mixup_alpha > 0 or self.cutmix_alpha > 0) or rng.random() >= self.prob:
            return MixDraw(1.0)
        if self.mixup_alpha > 0 and self.cutmix_alpha > 0:
            cutmix = bool(rng.random() < self.switch_prob)
        else:
            cutmix = self.cutmix_alpha > 0
        alpha = self.cutmix_alpha if cutmix else self.mixup_alpha
        lam = float(rng.beta(alpha, alpha))
        if not cutmix:
            return MixDraw(lam)
        box = cutmix_box(rng, height, width, lam)
        return MixDraw(box_lam(box, height, width), box)

    def __call__(
        self, pixel_values: torch.Tensor, labels: torch.Tensor, rng: np.random.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(mixed pixel_values, soft targets (B, num_classes)) for a batch of (B, T, C, H, W) clips."""
        if pixel_values.ndim != 5:
            raise ValueError(f"pixel_values must be (B, T, C, H, W), got shape {tuple(pixel_values.shape)}")
        draw = self.draw(rng, pixel_values.shape[-2], pixel_values.shape[-1])
        return mix_clips(pixel_values, draw), soft_targets(labels, self.num_classes, draw.lam, self.smoothing)
