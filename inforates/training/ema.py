"""Exponential moving average of the weights (timm's ``ModelEmaV2``): a float32 shadow of the parameters and
floating-point buffers, updated after every optimizer step, ``shadow = decay * shadow + (1 - decay) * weight``.

    ema = WeightEma(model, decay=0.9999)
    ema.update(model)            # after each optimizer step (EmaCallback.on_step_end does it in the Trainer)
    ema.save("outputs/run/checkpoint-100")  # ema.safetensors beside the checkpoint's weights
    ema.load("outputs/run/checkpoint-100")  # resuming
    ema.copy_to(model)           # the end of training: the model holds the average

The shadow is keyed by the model's own ``state_dict`` names (the unwrapped module's under DDP). Integer buffers
(counters, index tables) are not averaged: the model keeps its own. :func:`check_ema` refuses the set-ups in which
the average cannot be kept correctly, before a run starts.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn
from transformers import TrainerCallback

from ..errors import RecipeError


logger = logging.getLogger(__name__)

EMA_FILE = "ema.safetensors"


def check_ema(args, *, zero_stage: int | None = None, fsdp: bool = False) -> None:
    """One-line ``RecipeError`` for ``ema_decay`` with a set-up the average cannot follow. ``zero_stage``/``fsdp``
    are what the Trainer's accelerator uses where known; otherwise they are read from ``args`` and the launcher's
    environment."""
    if getattr(args, "ema_decay", None) is None:
        return
    if args.load_best_model_at_end:
        raise RecipeError(
            "ema_decay: load_best_model_at_end would end the run on the raw weights of the checkpoint chosen by "
            "evaluating raw weights, not on the average; set load_best_model_at_end: false (the final model is then "
            "the average)"
        )
    if zero_stage is None:
        zero_stage = getattr(getattr(args, "deepspeed_plugin", None), "zero_stage", None)
    if zero_stage == 3:
        raise RecipeError(
            "ema_decay: DeepSpeed ZeRO-3 shards the parameters across processes, so no process holds the whole "
            "weights to average; use ZeRO-1/2 or DDP, or unset ema_decay"
        )
    fsdp = fsdp or bool(getattr(args, "fsdp", None)) or os.environ.get("ACCELERATE_USE_FSDP", "").lower() == "true"
    if fsdp:
        raise RecipeError(
            "ema_decay: FSDP shards the parameters across processes, so no process holds the whole weights to "
            "average; use DDP or DeepSpeed ZeRO-1/2, or unset ema_decay"
        )


def _averaged(module: nn.Module) -> dict[str, torch.Tensor]:
    """The tensors the average follows: every parameter and floating-point buffer, by ``state_dict`` name."""
    tensors = dict(module.named_parameters())
    tensors.update((name, b) for name, b in module.named_buffers() if b.is_floating_point() and name not in tensors)
    return tensors


class WeightEma:
    """The float32 shadow weights of a model and their update rule."""

    def __init__(self, model: nn.Module, decay: float):
        if not 0 < decay < 1:
            raise ValueError(f"decay must be in (0, 1), got {decay!r}")
        self.decay = float(decay)
        with torch.no_grad():
            self.shadow = {name: t.detach().float().clone() for name, t in _averaged(model).items()}

    def _pairs(self, model: nn.Module) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        tensors = _averaged(model)
        if tensors.keys() != self.shadow.keys():
            missing, extra = sorted(self.shadow.keys() - tensors.keys()), sorted(tensors.keys() - self.shadow.keys())
            raise ValueError(f"the model's weights differ from the average's (missing {missing[:3]}, new {extra[:3]})")
        names = list(self.shadow)
        return [self.shadow[n] for n in names], [tensors[n] for n in names]

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """``shadow = decay * shadow + (1 - decay) * weight`` for every averaged tensor."""
        shadows, weights = self._pairs(model)
        if shadows and shadows[0].device != weights[0].device:  # the model moved (e.g. to the GPU) after init
            self.shadow = {n: s.to(weights[0].device) for n, s in self.shadow.items()}
            shadows, weights = self._pairs(model)
        torch._foreach_lerp_(shadows, [w.detach().float() for w in weights], 1.0 - self.decay)

    @torch.no_grad()
    def copy_to(self, model: nn.Module) -> None:
        """Write the average into ``model`` (cast to each weight's dtype)."""
        for shadow, weight in zip(*self._pairs(model), strict=True):
            weight.copy_(shadow)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return dict(self.shadow)

    def save(self, folder: str | os.PathLike) -> Path:
        path = Path(folder) / EMA_FILE
        tensors = {n: t.detach().cpu().contiguous() for n, t in self.shadow.items()}
        save_file(tensors, str(path), metadata={"decay": repr(self.decay)})
        return path

    def load(self, folder: str | os.PathLike) -> None:
        """Restore the shadow saved in a checkpoint folder; a missing file or other weights is a ``RecipeError``."""
        path = Path(folder) / EMA_FILE
        if not path.is_file():
            raise RecipeError(
                f"{folder}: no {EMA_FILE} to resume the weight average from (the checkpoint was saved without "
                "ema_decay); resume without ema_decay, or start a new run"
            )
        loaded = load_file(str(path))
        if loaded.keys() != self.shadow.keys():
            raise RecipeError(
                f"{path}: its weights are not this model's ({len(loaded)} vs {len(self.shadow)} tensors)"
            )
        device = next(iter(self.shadow.values())).device if self.shadow else "cpu"
        self.shadow = {n: loaded[n].float().to(device) for n in self.shadow}
        logger.info("resumed the weight average from %s", path)


class EmaCallback(TrainerCallback):
    """Updates a :class:`WeightEma` after every optimizer step; ``model_of`` returns the module to average (the
    unwrapped model, e.g. ``lambda: trainer.accelerator.unwrap_model(trainer.model)``)."""

    def __init__(self, ema: WeightEma, model_of):
        self.ema = ema
        self.model_of = model_of

    def on_step_end(self, args, state, control, **kwargs):
        self.ema.update(self.model_of())
