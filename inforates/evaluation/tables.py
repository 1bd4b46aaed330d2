"""Prediction rows (docs/design.md's ``predictions.parquet``) computed from model outputs, and with several views
per cell the per-view rows (``views.parquet``). The results and per-class tables are built from the prediction
rows by :mod:`inforates.schema`.

Pure numpy/pandas: no model, no files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data.motion import motion_for
from ..metrics.accuracy import top_k_hits
from ..sampling import SamplingVariant, clip_facts, frames_text, temporal_views, video_rng
from ..schema import PREDICTION_COLUMNS, VIEW_COLUMNS
from .grid import variant_indices
from .views import AVERAGED, CROP_AXES, CROP_NAMES, SINGLE, slot_view


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits.astype(np.float64) - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def invert_labels(label_to_model: np.ndarray, num_outputs: int) -> np.ndarray:
    """``model_to_label[i]``: the dataset class of the model's output ``i`` (-1: none), from ``label_to_model``."""
    model_to_label = np.full(num_outputs, -1, dtype=np.int64)
    mapped = label_to_model >= 0
    model_to_label[label_to_model[mapped]] = np.flatnonzero(mapped)
    return model_to_label


@dataclass(frozen=True)
class RowSource:
    """What turns a model's outputs into rows: the run's ``model_name``, its ``videos`` (indexed by row: video_id,
    path, label, class_name, group, f_hz, f_hz_est, source_video, segment_start), its cells, the model's clip length,
    ``label_to_model[label]`` (the model's output index of a dataset class, -1: none), ``model_labels[i]`` (the
    model's name for output ``i``) and the seed of the per-video generator."""

    model_name: str
    videos: pd.DataFrame
    variants: Sequence[SamplingVariant]
    clip_len: int
    label_to_model: np.ndarray
    model_labels: Sequence[str]
    seed: int = 0


def prediction_rows(source: RowSource, output) -> pd.DataFrame:
    """One row per (decoded video, variant), in row then grid order, plus ``forward_s`` (dropped on export).

    ``output`` is a ``predictor.GridOutput``. With several views (``output.view_flags``) the logits
    are the views' average and ``views`` counts the distinct views averaged; the facts columns (``frames``,
    ``distinct_frames``, spans) describe the cell's single-view clip (its own anchor) either way.
    """
    model_name, videos, variants, clip_len = source.model_name, source.videos, source.variants, source.clip_len
    label_to_model, model_labels, seed = source.label_to_model, source.model_labels, source.seed
    ok = output.ok
    rows, total_frames, fps = output.rows[ok], output.total_frames[ok], output.fps[ok]
    n, num_variants = len(rows), len(variants)
    model_to_label = invert_labels(label_to_model, len(model_labels))
    table = videos.loc[rows]
    labels = table["label"].to_numpy(np.int64)
    true_index = np.repeat(label_to_model[labels], num_variants)
    probs = softmax(output.logits[ok]).reshape(n * num_variants, output.logits.shape[-1])
    pred_index = probs.argmax(axis=1)
    hit, in_top5 = top_k_hits(probs, true_index, k=5)
    clips = [
        indices
        for video_id, path, first, frames, rate in zip(
            table["video_id"], table["path"], table["segment_start"], total_frames, fps
        )
        for indices in variant_indices(
            variants,
            int(frames),
            clip_len,
            seed,
            str(video_id),
            rate,
            motion_for(variants, path, int(first), int(frames)),
        )  # fmt: skip
    ]
    too_short = np.array([indices is None for indices in clips], dtype=bool)
    facts = [
        clip_facts(indices if indices is not None else [0], rate)
        for indices, rate in zip(clips, np.repeat(fps, num_variants))
    ]
    pred_label = np.where(too_short, -1, model_to_label[pred_index])

    if output.view_flags is None:
        views = np.where(too_short, 0, 1)
    else:
        views = ((output.view_flags[ok] & AVERAGED) > 0).sum(axis=-1).reshape(-1)

    def per_video(column: str) -> np.ndarray:
        return np.repeat(table[column].to_numpy(), num_variants)

    def per_variant(values) -> np.ndarray:
        return np.tile(np.asarray(values), n)

    frame = pd.DataFrame(
        {
            "model": model_name,
            "video_id": per_video("video_id").astype(str),
            "path": per_video("path").astype(str),
            "label": np.repeat(labels, num_variants),
            "class_name": per_video("class_name").astype(str),
            "group": per_video("group").astype(str),
            "variant": per_variant([v.name for v in variants]),
            "sampler": per_variant([v.sampler for v in variants]),
            "coverage": per_variant([float(v.coverage) for v in variants]),
            "stride": per_variant([v.stride for v in variants]),
            "budget": per_variant([v.budget or 0 for v in variants]).astype(np.int64),  # 0: no budget
            "spacing_unit": per_variant([v.spacing_unit for v in variants]),
            "anchor": per_variant([v.anchor for v in variants]),
            "prefilter": per_variant([v.prefilter for v in variants]),
            "resolution": per_variant([v.resolution or 0 for v in variants]).astype(np.int64),
            "pred": pred_label,
            "pred_class": np.where(too_short, "", np.asarray(model_labels, dtype=object)[pred_index].astype(str)),
            "correct": hit & ~too_short,
            "top5": in_top5 & ~too_short,
            "p_true": np.where(
                (true_index >= 0) & ~too_short, probs[np.arange(len(probs)), np.maximum(true_index, 0)], 0.0
            ),
            "clip_len": np.int64(clip_len),
            "frames": [frames_text(indices) for indices in clips],
            "too_short": too_short,
            # a video too short for its cell has no clip: its facts are 0 / NaN
            "distinct_frames": np.where(too_short, 0, [f.distinct_frames for f in facts]).astype(np.int64),
            "span_frames": np.where(too_short, 0, [f.span_frames for f in facts]).astype(np.int64),
            "span_seconds": np.where(too_short, np.nan, [f.span_seconds for f in facts]).astype(np.float64),
            "median_spacing": np.where(too_short, np.nan, [f.median_spacing for f in facts]).astype(np.float64),
            "fps": np.repeat(fps.astype(np.float64), num_variants),
            "total_frames": np.repeat(total_frames.astype(np.int64), num_variants),
            "f_hz": per_video("f_hz").astype(np.float64),
            "f_hz_est": per_video("f_hz_est").astype(np.float64),
            "source_video": per_video("source_video").astype(str),
            "segment_start": per_video("segment_start").astype(np.int64),
            "views": np.asarray(views, dtype=np.int64),
            "forward_s": output.forward_s[ok].reshape(-1),
        },
        columns=[*PREDICTION_COLUMNS, "forward_s"],
    )
    return frame.reset_index(drop=True)


def view_rows(source: RowSource, output, test_clips: int, test_crops: int) -> pd.DataFrame:
    """``views.parquet`` rows (:data:`~inforates.schema.VIEW_COLUMNS`): one per distinct view of each decoded
    video x cell (``averaged``), plus the cell's single-view clip where it is none of them (``averaged`` false);
    ``single_view`` marks the clip single-view evaluation takes. ``clip`` is the temporal view (-1: the cell's
    own anchor), ``crop`` its crop (``left``/``center``/``right`` or ``top``/``center``/``bottom``)."""
    model_name, videos, variants, clip_len = source.model_name, source.videos, source.variants, source.clip_len
    label_to_model, model_labels, seed = source.label_to_model, source.model_labels, source.seed
    ok = output.ok
    table = videos.loc[output.rows[ok]]
    flags, logits = output.view_flags[ok], output.view_logits[ok]
    model_to_label = invert_labels(label_to_model, len(model_labels))
    records = []
    for i, (video_id, label, frames, rate, axis) in enumerate(
        zip(table["video_id"], table["label"], output.total_frames[ok], output.fps[ok], output.crop_axis[ok])
    ):
        true_index = int(label_to_model[int(label)])
        names = CROP_NAMES[CROP_AXES[int(axis)]][1:2] if test_crops == 1 else CROP_NAMES[CROP_AXES[int(axis)]]
        for v, variant in enumerate(variants):
            if not flags[i, v].any():
                continue  # too short for the cell
            views = temporal_views(variant, int(frames), clip_len, test_clips, video_rng(seed, str(video_id)), rate)
            own = variant.indices(int(frames), clip_len, rng=video_rng(seed, str(video_id)), fps=rate)
            probs = softmax(logits[i, v])
            for slot in np.flatnonzero(flags[i, v]):
                k, c = slot_view(int(slot), test_clips, test_crops)
                pred_index = int(probs[slot].argmax())
                records.append(
                    (model_name, str(video_id), variant.name, k, names[c], frames_text(views[k] if k >= 0 else own),
                     int(model_to_label[pred_index]), pred_index == true_index,
                     float(probs[slot, true_index]) if true_index >= 0 else 0.0,
                     bool(flags[i, v, slot] & AVERAGED), bool(flags[i, v, slot] & SINGLE))
                )  # fmt: skip
    frame = pd.DataFrame.from_records(records, columns=VIEW_COLUMNS)
    return frame.astype({"clip": np.int64, "pred": np.int64, "correct": bool, "p_true": np.float64})
