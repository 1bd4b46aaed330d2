"""Layer-wise learning-rate decay (BEiT / VideoMAE fine-tuning): parameter groups for the optimizer.

    groups = layer_decay_groups(model, learning_rate=1e-3, weight_decay=0.05, decay=0.75)

Each parameter gets a layer id: the embeddings (patch, position and time embeddings, the CLS token) 0, encoder layer
``i`` ``i + 1``, everything after the encoder (final norm, pooler, head) ``depth + 1``; its learning rate is
``learning_rate * decay ** (depth + 1 - layer_id)``, so the head trains at the full rate and the embeddings at the
lowest. Biases, norms and position/time embeddings and CLS tokens get no weight decay. The same rule serves every
architecture whose encoder layers are named ``<...>.encoder.layer.<i>.`` (TimeSformer, VideoMAE) or
``<...>.layers.<i>.`` (ViViT).
"""

from __future__ import annotations

import re

from torch import nn


_LAYER = re.compile(r"\.(?:encoder\.layer|layers)\.(\d+)\.")  # ViViT names them vivit.layers.<i>
_NO_DECAY = ("bias", "norm", "position_embeddings", "time_embeddings", "cls_token")


def layer_id(name: str, depth: int) -> int:
    """0 for the embeddings, ``i + 1`` for encoder layer ``i``, ``depth + 1`` for what follows the encoder.

    >>> layer_id("videomae.embeddings.patch_embeddings.projection.weight", 2), layer_id("vivit.encoder.layer.1.x", 2)
    (0, 2)
    >>> layer_id("classifier.weight", 2)
    3
    """
    match = _LAYER.search(f".{name}")
    if match:
        return int(match.group(1)) + 1
    return 0 if ".embeddings." in f".{name}" or "cls_token" in name else depth + 1


def encoder_depth(model: nn.Module) -> int:
    """The number of encoder layers (``config.num_hidden_layers``)."""
    return int(model.config.num_hidden_layers)


def layer_decay_groups(model: nn.Module, learning_rate: float, weight_decay: float, decay: float) -> list[dict]:
    """Optimizer parameter groups (``params``, ``lr``, ``weight_decay``, ``layer_id``) of the trainable
    parameters, one group per (layer, decayed or not)."""
    if not 0 < decay <= 1:
        raise ValueError(f"layer_decay must be in (0, 1], got {decay!r}")
    depth, groups = encoder_depth(model), {}
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:
            continue
        layer = layer_id(name, depth)
        no_decay = parameter.ndim == 1 or any(part in name.lower() for part in _NO_DECAY)
        group = groups.setdefault((layer, no_decay), {
            "params": [], "lr": learning_rate * decay ** (depth + 1 - layer),
            "weight_decay": 0.0 if no_decay else weight_decay, "layer_id": layer,
        })  # fmt: skip
        group["params"].append(parameter)
    return [groups[key] for key in sorted(groups)]
