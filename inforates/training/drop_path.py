"""Stochastic depth (DropPath) for the encoder layers of TimeSformer, VideoMAE and ViViT, keeping the weights'
names, so a checkpoint still loads in plain ``transformers``.

    model = apply_drop_path(model, 0.1)

Layer ``i`` of ``L`` drops each of its two residual branches (attention, MLP) for a whole clip with probability
``rate * i / (L - 1)`` (0 for the first layer, ``rate`` for the last; timm's and TimeSformer's
``linspace(0, rate, L)``) and scales kept branches by ``1 / (1 - p)``. It is the identity in eval mode.

* TimeSformer has this in ``transformers`` (``config.drop_path_rate``, a ``TimesformerDropPath`` per layer, same
  rule): its per-layer modules are rebuilt as the config would build them.
* VideoMAE and ViViT have none. Each branch's last ``nn.Dropout`` (whose output is the branch added to the residual
  stream) becomes ``Sequential(dropout, DropPath(p))``. Neither module has parameters or buffers, so the
  ``state_dict`` keys are unchanged. VideoMAE: ``attention.output.dropout`` and ``output.dropout`` (applied before
  ``VideoMAEOutput`` adds its residual); ViViT: the layer's one ``dropout``, which both branches go through (each call
  draws its own mask).

VideoMAE and ViViT record the rate in ``config.drop_path_rate`` (an extra attribute that ``transformers`` keeps and
ignores). transformers declares ``TimesformerConfig.drop_path_rate`` an ``int`` and refuses a float there (on
assignment, and in a saved ``config.json``: ``StrictDataclassFieldValidationError``), so TimeSformer's float rate is
recorded in ``config.stochastic_depth_rate`` (:data:`FLOAT_RATE_KEY`) and its ``drop_path_rate`` left as loaded: the
checkpoint loads anywhere, and :func:`recorded_rate` reads the float back.
"""

from __future__ import annotations

import torch
from huggingface_hub.errors import StrictDataclassFieldValidationError
from torch import nn
from transformers import PreTrainedModel

from ..errors import RecipeError


class DropPath(nn.Module):
    """timm's ``drop_path``: zero a sample's whole branch with probability ``drop_prob``, else scale by 1/keep."""

    def __init__(self, drop_prob: float):
        super().__init__()
        self.drop_prob = float(drop_prob)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        if not self.training or self.drop_prob == 0.0:
            return hidden_states
        keep = 1.0 - self.drop_prob
        mask = hidden_states.new_empty((hidden_states.shape[0],) + (1,) * (hidden_states.ndim - 1)).bernoulli_(keep)
        return hidden_states * mask / keep

    def extra_repr(self) -> str:
        return f"drop_prob={self.drop_prob}"


def drop_path_rates(rate: float, depth: int) -> list[float]:
    """Per-layer rates ``rate * i / (depth - 1)``, computed as TimeSformer does (``torch.linspace``).

    >>> drop_path_rates(0.2, 3)
    [0.0, 0.10000000149011612, 0.20000000298023224]
    """
    return [x.item() for x in torch.linspace(0, rate, depth, device="cpu")]


def _rates(model: PreTrainedModel, rate: float) -> list[float]:
    return drop_path_rates(rate, int(model.config.num_hidden_layers))


def _timesformer(model: PreTrainedModel, rate: float) -> None:
    from transformers.models.timesformer.modeling_timesformer import TimesformerDropPath

    for layer, layer_rate in zip(model.base_model.encoder.layer, _rates(model, rate), strict=True):
        layer.drop_path = TimesformerDropPath(layer_rate) if layer_rate > 0.0 else nn.Identity()
    _record(model, rate)


FLOAT_RATE_KEY = "stochastic_depth_rate"  # where a config whose drop_path_rate must be an int keeps the float


def _record(model: PreTrainedModel, rate: float) -> None:
    try:
        model.config.drop_path_rate = float(rate)
    except StrictDataclassFieldValidationError:  # a field declared int (TimeSformer's): the float goes beside it
        setattr(model.config, FLOAT_RATE_KEY, float(rate))


def recorded_rate(config) -> float | None:
    """The stochastic depth rate a checkpoint recorded (None or 0: none)."""
    rate = getattr(config, FLOAT_RATE_KEY, None)
    return float(rate) if rate is not None else getattr(config, "drop_path_rate", None)


def _wrap(owner: nn.Module, name: str, rate: float) -> None:
    """``owner.<name>`` (an ``nn.Dropout``, possibly wrapped before) followed by ``DropPath(rate)``."""
    module = getattr(owner, name)
    dropout = module[0] if isinstance(module, nn.Sequential) and isinstance(module[-1], DropPath) else module
    if not isinstance(dropout, nn.Dropout):
        raise TypeError(f"{type(owner).__name__}.{name} is a {type(dropout).__name__}, not the expected nn.Dropout")
    setattr(owner, name, nn.Sequential(dropout, DropPath(rate)) if rate > 0.0 else dropout)


def _videomae(model: PreTrainedModel, rate: float) -> None:
    for layer, layer_rate in zip(model.base_model.encoder.layer, _rates(model, rate), strict=True):
        _wrap(layer.attention.output, "dropout", layer_rate)  # attention branch; VideoMAELayer adds the residual
        _wrap(layer.output, "dropout", layer_rate)  # MLP branch; VideoMAEOutput adds the residual after this dropout
    _record(model, rate)


def _vivit(model: PreTrainedModel, rate: float) -> None:
    for layer, layer_rate in zip(model.base_model.layers, _rates(model, rate), strict=True):
        _wrap(layer, "dropout", layer_rate)  # VivitLayer: residual + dropout(attention) and residual + dropout(mlp)
    _record(model, rate)


STOCHASTIC_DEPTH = {"timesformer": _timesformer, "videomae": _videomae, "vivit": _vivit}


def apply_drop_path(model: PreTrainedModel, rate: float) -> PreTrainedModel:
    """Stochastic depth with last-layer rate ``rate`` in ``model`` (in place; returned for chaining)."""
    if not 0 <= rate < 1:
        raise RecipeError(f"drop_path_rate={rate!r}: must be in [0, 1)")
    model_type = model.config.model_type
    if model_type not in STOCHASTIC_DEPTH:
        raise RecipeError(
            f"drop_path_rate: stochastic depth is implemented for {', '.join(STOCHASTIC_DEPTH)}, not {model_type!r}; "
            "leave drop_path_rate unset for this model"
        )
    STOCHASTIC_DEPTH[model_type](model, float(rate))
    return model
