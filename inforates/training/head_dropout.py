"""Dropout before the classification head (VideoMAE's ``--fc_drop_rate``), for every architecture with a linear
``classifier``: TimeSformer, VideoMAE, ViViT.

    model = apply_head_dropout(model, 0.5)
    model.config.classifier_dropout   # 0.5: recorded, so that a saved checkpoint trains on with it

A forward pre-hook drops the classifier's input features while the model is in training mode; the weights, their
names and evaluation are unchanged, so the checkpoint loads anywhere. The rate is recorded in
``config.classifier_dropout`` (the name transformers' text classifiers use for the same thing) and applied again
when the checkpoint is loaded for training.
"""

from __future__ import annotations

from torch import nn
from torch.nn import functional
from transformers import PreTrainedModel

from ..errors import RecipeError


CONFIG_KEY = "classifier_dropout"


def _drop_features(rate: float):
    def hook(module: nn.Module, args: tuple):
        return (functional.dropout(args[0], rate, module.training), *args[1:])

    return hook


def apply_head_dropout(model: PreTrainedModel, rate: float) -> PreTrainedModel:
    """Dropout with probability ``rate`` on the classifier's input while training (in place; returned)."""
    if not 0 <= rate < 1:
        raise RecipeError(f"head_dropout={rate!r}: must be in [0, 1)")
    head = getattr(model, "classifier", None)
    if not isinstance(head, nn.Linear):
        raise RecipeError(f"head_dropout: {type(model).__name__} has no linear `classifier`; leave head_dropout unset")
    for handle in getattr(head, "_inforates_head_dropout", ()):  # applied again: one dropout, at the new rate
        handle.remove()
    head._inforates_head_dropout = [head.register_forward_pre_hook(_drop_features(rate))] if rate > 0 else []
    setattr(model.config, CONFIG_KEY, float(rate))
    return model


def recorded_head_dropout(model: PreTrainedModel) -> float | None:
    """The rate a checkpoint saved with head dropout recorded (None: none)."""
    rate = getattr(model.config, CONFIG_KEY, None)
    return float(rate) if rate else None
