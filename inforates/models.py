"""Model factory: registry names, Hub ids, local checkpoints and tiny presets -> a video classifier.

    model, settings, clip_len = load_model_for_training(ModelArguments("tiny-videomae"), label2id, id2label)
    model, settings, clip_len = load_checkpoint("outputs/demo/videomae")

* Tiny presets (``tiny-*``) and ``random_init: true`` build the architecture from its config class with the
  registry's sizes (random weights, nothing downloaded); their ``ProcessorSettings`` use the full model's
  normalisation with ``shortest_edge = crop = image_size``.
* Everything else loads pretrained weights and that checkpoint's own processor config. Fine-tuning replaces the
  classification head whenever the labels differ from the checkpoint's (``ignore_mismatched_sizes``).
* Attention: SDPA where the model class supports it (VideoMAE, ViViT), eager otherwise (TimeSformer); logged.
* The clip length and image size a recipe asks for are checked against the checkpoint (its architecture's
  geometry rules, ``model_registry.ARCHITECTURES``).
* ``drop_path_rate`` (training only): stochastic depth in the encoder layers (:mod:`inforates.training.drop_path`),
  recorded in ``config.drop_path_rate`` (VideoMAE, ViViT) or ``config.stochastic_depth_rate`` (TimeSformer, whose
  ``drop_path_rate`` must be an int); ``head_dropout``: dropout before the classifier
  (:mod:`inforates.training.head_dropout`), recorded in ``config.classifier_dropout``. Both are applied again when a
  checkpoint saved with them is loaded for training; the weights' names are unchanged.
* The pixel settings come from :mod:`inforates.data.processor` (a checkpoint's processor config, or an
  architecture's defaults: ``for_architecture``).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import pickle

import torch
from transformers import AutoConfig, AutoModelForVideoClassification, PreTrainedConfig, PreTrainedModel

from .configs import ModelArguments
from .data.processor import ProcessorSettings, for_architecture, resized
from .errors import RecipeError
from .model_registry import architecture, resolve
from .training.drop_path import STOCHASTIC_DEPTH, apply_drop_path, recorded_rate
from .training.head_dropout import apply_head_dropout, recorded_head_dropout


logger = logging.getLogger(__name__)


def _as_int(value) -> int:
    return int(value[0] if isinstance(value, (list, tuple)) else value)


def patch_sizes(config: PreTrainedConfig) -> tuple[int, int]:
    """(frames per temporal patch, pixels per spatial patch): clip lengths and image sizes must be multiples."""
    tubelet = getattr(config, "tubelet_size", 1)
    if isinstance(tubelet, (list, tuple)):  # ViViT: (t, h, w)
        return int(tubelet[0]), int(tubelet[1])
    return int(tubelet), _as_int(getattr(config, "patch_size", 1))


def model_class(config: PreTrainedConfig, where: str) -> type[PreTrainedModel] | None:
    """The ``AutoModelForVideoClassification`` class for ``config`` (None for remote code)."""
    try:
        return AutoModelForVideoClassification._model_mapping[type(config)]
    except KeyError:
        if getattr(config, "auto_map", None):
            return None
        known = ", ".join(sorted(c.model_type for c in AutoModelForVideoClassification._model_mapping.keys()))
        raise RecipeError(
            f"{where}: model_type {config.model_type!r} is not a video classification architecture "
            f"(AutoModelForVideoClassification knows {known})"
        ) from None


def choose_attention(config: PreTrainedConfig, requested: str, where: str) -> str | None:
    """``auto`` -> ``sdpa`` where the model class supports it, else ``eager``; an unsupported request fails."""
    cls = model_class(config, where)
    if cls is None:  # remote code: let transformers decide
        return None if requested == "auto" else requested
    supports_sdpa = bool(getattr(cls, "_supports_sdpa", False))
    if requested == "sdpa" and not supports_sdpa:
        raise RecipeError(f"attn_implementation='sdpa': {cls.__name__} ({where}) supports eager attention only")
    choice = requested if requested != "auto" else ("sdpa" if supports_sdpa else "eager")
    how = "as requested" if requested != "auto" else ("supported" if supports_sdpa else "SDPA not supported")
    logger.info("attention: %s for %s (%s)", choice, cls.__name__, how)
    return choice


def _check_geometry(config: PreTrainedConfig, frames: int, size: int, where: str, pretrained: bool) -> dict:
    """Validate the requested clip length and image size; return the config overrides they need."""
    t_patch, s_patch = patch_sizes(config)
    if frames % t_patch:
        raise RecipeError(f"num_frames={frames}: {where} groups frames in tubelets of {t_patch}; use a multiple")
    if size % s_patch:
        raise RecipeError(f"image_size={size}: {where} uses {s_patch}-pixel patches; use a multiple")
    model_frames = getattr(config, "num_frames", frames)
    model_size = _as_int(getattr(config, "image_size", size))
    if not pretrained:
        return {"num_frames": frames, "image_size": size}
    rules = architecture(config.model_type)
    overrides = {}
    for key, asked, has, rule in (
        ("num_frames", frames, model_frames, rules.frames),
        ("image_size", size, model_size, rules.size),
    ):
        if asked == has:
            continue
        if rule == "fixed":
            raise RecipeError(
                f"{key}={asked}: {where} was trained with {key}={has} and its learned position embeddings are "
                f"sized for it; use {key}: {has} (or random_init: true to train this architecture from scratch)"
            )
        if rule == "config":
            overrides[key] = asked
        logger.info("%s: %s=%s instead of the checkpoint's %s (%s)", where, key, asked, has, rule)
    return overrides


def _resize_time_embeddings(model: PreTrainedModel, frames: int) -> None:
    """TimeSformer: time embeddings for ``frames`` (nearest interpolation) and ``config.num_frames = frames``."""
    embeddings = model.base_model.embeddings
    old = embeddings.time_embeddings.data.transpose(1, 2)
    new = torch.nn.functional.interpolate(old, size=frames, mode="nearest").transpose(1, 2).contiguous()
    embeddings.time_embeddings = torch.nn.Parameter(new)
    model.config.num_frames = frames


def _pretrained_config(source: str, model_args: ModelArguments) -> PreTrainedConfig:
    try:
        return AutoConfig.from_pretrained(
            source, revision=model_args.model_revision, trust_remote_code=model_args.trust_remote_code
        )
    except (OSError, ValueError) as err:
        hint = " (HF_HUB_OFFLINE=1 is set)" if os.environ.get("HF_HUB_OFFLINE") == "1" else ""
        raise RecipeError(
            f"model_name_or_path={source!r}: cannot read its config{hint}: {str(err).strip().splitlines()[0]}. "
            "Use a tiny-* preset, a saved checkpoint folder, or random_init: true"
        ) from None


def _build(
    model_args: ModelArguments, label2id: dict[str, int] | None = None, id2label: dict[int, str] | None = None
) -> tuple[PreTrainedModel, ProcessorSettings, int]:
    name = model_args.model_name_or_path
    if name is None:
        raise RecipeError("model_name_or_path is required")
    try:
        resolved = resolve(name, model_args.random_init)
    except ValueError as err:
        raise RecipeError(f"model_name_or_path: {err}") from None
    spec, source, from_config = resolved.spec, resolved.source, resolved.from_config
    labels = {}
    if label2id is not None:
        id2label = {int(i): str(n) for i, n in (id2label or {v: k for k, v in label2id.items()}).items()}
        labels = {"num_labels": len(id2label), "label2id": {n: i for i, n in id2label.items()}, "id2label": id2label}
        labels["problem_type"] = "single_label_classification"  # one label would otherwise mean regression

    if from_config and spec is not None:
        config = AutoConfig.for_model(spec.model_type, **spec.config, num_frames=spec.clip_len)
        config.image_size = spec.image_size
    else:
        config = _pretrained_config(source, model_args)
    frames = model_args.num_frames or int(getattr(config, "num_frames", 0) or 0)
    if frames < 1:
        raise RecipeError(f"num_frames: {source} has no num_frames in its config; set num_frames in the recipe")
    size = model_args.image_size or _as_int(getattr(config, "image_size", 224))
    geometry = _check_geometry(config, frames, size, source, pretrained=not from_config)
    attn = choose_attention(config, model_args.attn_implementation, source)

    if from_config:
        for key, value in {**geometry, **labels}.items():
            setattr(config, key, value)
        model = AutoModelForVideoClassification.from_config(
            config, attn_implementation=attn, trust_remote_code=model_args.trust_remote_code
        )
        settings = (
            for_architecture(spec.architecture, size)
            if spec is not None
            else resized(ProcessorSettings.from_pretrained(source, model_args.model_revision), size)
        )
        logger.info("built %s from its config with random weights (%d frames, %d px)", source, frames, size)
    else:
        replace_head = bool(labels) and {int(k): v for k, v in config.id2label.items()} != labels["id2label"]
        try:
            model = AutoModelForVideoClassification.from_pretrained(
                source,
                revision=model_args.model_revision,
                trust_remote_code=model_args.trust_remote_code,
                attn_implementation=attn,
                ignore_mismatched_sizes=replace_head,
                **geometry,
                **({k: labels[k] for k in ("label2id", "id2label")} if replace_head else {}),
                **({"problem_type": labels["problem_type"]} if labels else {}),
            )
        except pickle.UnpicklingError:
            raise RecipeError(
                f"{source}: its pickle weights file was refused: it holds objects other than tensors, and loading "
                "them could run arbitrary code; where you trust its source, load it once and re-save it with "
                "save_pretrained (which writes model.safetensors)"
            ) from None
        if replace_head:
            _reset_head(model)
            logger.info("%s: new classification head for %d classes", source, labels["num_labels"])
        settings = resized(ProcessorSettings.from_pretrained(source, model_args.model_revision), size)
    if getattr(model.config, "num_frames", frames) != frames:
        if architecture(model.config.model_type).frames != "resize":
            raise RecipeError(f"num_frames={frames}: {source} cannot change its clip length")
        _resize_time_embeddings(model, frames)
    return model, settings, frames


def _reset_head(model: PreTrainedModel) -> None:
    """Re-initialise the classifier even when its shape matched the checkpoint's (same count, other labels)."""
    head = getattr(model, "classifier", None)
    if not isinstance(head, torch.nn.Linear):
        logger.warning("%s has no linear `classifier`; its head was kept", type(model).__name__)
        return
    std = getattr(model.config, "initializer_range", 0.02)
    torch.nn.init.trunc_normal_(head.weight, std=std)
    torch.nn.init.zeros_(head.bias)


def load_model_for_training(
    model_args: ModelArguments, label2id: dict[str, int], id2label: dict[int, str]
) -> tuple[PreTrainedModel, ProcessorSettings, int]:
    """The model to fine-tune on ``label2id``, its ``ProcessorSettings`` and the clip length it takes."""
    if not label2id:
        raise ValueError("load_model_for_training needs at least one label")
    model, settings, clip_len = _build(model_args, label2id, id2label)
    _apply_drop_path(model, model_args.drop_path_rate)
    head_dropout = model_args.head_dropout if model_args.head_dropout is not None else recorded_head_dropout(model)
    if head_dropout is not None:  # 0 given: recorded as 0, so that the checkpoint saved next has none
        apply_head_dropout(model, head_dropout)
    return model, settings, clip_len


def _apply_drop_path(model: PreTrainedModel, requested: float | None) -> None:
    """Stochastic depth at the recipe's ``drop_path_rate``; unset, the rate the checkpoint recorded
    (:func:`~inforates.training.drop_path.recorded_rate`)."""
    rate = requested
    if rate is None:
        rate = recorded_rate(model.config)
        if not rate or model.config.model_type not in STOCHASTIC_DEPTH:
            return
    apply_drop_path(model, rate)
    logger.info("stochastic depth: drop_path_rate %s over %d layers", rate, model.config.num_hidden_layers)


def load_checkpoint(
    path_or_name: str, model_args: ModelArguments | None = None
) -> tuple[PreTrainedModel, ProcessorSettings, int]:
    """A model as saved (labels and head kept): an inforates output folder, a registry name or a Hub id.

    ``model_args`` may override ``num_frames``/``image_size``/``attn_implementation``/revision (checked as in
    training); its ``model_name_or_path`` is ignored.
    """
    if os.path.exists(path_or_name) and not os.path.isfile(os.path.join(path_or_name, "config.json")):
        raise RecipeError(f"{path_or_name}: no config.json here, so this is not a saved checkpoint")
    model_args = dataclasses.replace(model_args or ModelArguments(), model_name_or_path=path_or_name)
    model, settings, clip_len = _build(model_args)
    model.eval()
    return model, settings, clip_len
