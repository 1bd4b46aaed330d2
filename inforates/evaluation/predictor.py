"""``Trainer.predict`` over the sampling grid: one dataset item per video, every variant's clip per item.

The collator (``grid.GridCollator``) hands over all variant clips of a batch of videos; ``prediction_step``
runs them through the model in batches of ``clip_batch`` clips and returns per-video outputs, so that the
Trainer's gathering across processes (``gather_for_metrics``, which drops the padding of the last batch) works
on videos: ``logits (B, V, num_labels)``, ``forward_s (B, V)`` and ``meta (B, 6)`` = row, ok, frames, fps,
crop axis, clips computed. With several views per cell (``test_clips``/``test_crops``) each distinct clip of a
video is run once; ``logits`` are then the average of each cell's distinct views' logits, and two more outputs,
fixed-shape per video, carry the views: ``view_logits (B, V, M, num_labels)`` and ``view_flags (B, V, M)`` (see
:mod:`.views`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from accelerate.utils import gather_object
from transformers import Trainer

from .grid import VideoRows
from .views import AVERAGED


class GridPredictor(Trainer):
    """A ``transformers.Trainer`` whose prediction step evaluates every sampling variant of each video."""

    def __init__(self, *args, clip_batch: int, progress=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.clip_batch = max(1, int(clip_batch))
        self.progress = progress  # a tqdm bar (main process) advanced by the videos of each batch
        self.skipped: list[tuple[str, str, str]] = []

    def _forward(self, model, clips: torch.Tensor, clip_frames=None) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Logits and per-clip seconds of ``clips`` in model batches of ``clip_batch``; with ``clip_frames`` the
        clips are ``clips[clip_frames[i]]``, gathered a model batch at a time."""
        dtype = next(model.parameters()).dtype
        chunks, seconds = [], []
        count = clips.shape[0] if clip_frames is None else clip_frames.shape[0]
        for start in range(0, count, self.clip_batch):
            if clip_frames is None:
                chunk = clips[start : start + self.clip_batch].to(dtype)
            else:
                chunk = clips[clip_frames[start : start + self.clip_batch]].to(dtype)
            began = time.perf_counter()
            with torch.no_grad(), self.compute_loss_context_manager():
                logits = model(pixel_values=chunk).logits
            if logits.device.type == "cuda":
                torch.cuda.synchronize(logits.device)
            chunks.append(logits.float())
            seconds.append(torch.full((chunk.shape[0],), (time.perf_counter() - began) / chunk.shape[0]))
        return chunks, seconds

    def prediction_step(self, model, inputs, prediction_loss_only, ignore_keys=None):
        self.skipped.extend(inputs.pop("skipped"))
        inputs = self._prepare_inputs(inputs)
        if "view_slots" in inputs:
            return self._views_step(model, inputs)
        rows, ok, pixel_values = inputs["rows"], inputs["ok"], inputs["pixel_values"]
        n_ok, num_variants = pixel_values.shape[:2]
        # Variant-major: with several videos per batch, a model batch holds clips of one or few variants.
        flat = pixel_values.transpose(0, 1).reshape(n_ok * num_variants, *pixel_values.shape[2:])
        chunks, seconds = self._forward(model, flat)
        num_labels = model.config.num_labels
        logits = torch.zeros(len(rows), num_variants, num_labels, device=rows.device)
        forward_s = torch.zeros(len(rows), num_variants, dtype=torch.float64, device=rows.device)
        if chunks:
            logits[ok] = torch.cat(chunks).view(num_variants, n_ok, num_labels).transpose(0, 1).to(rows.device)
            forward_s[ok] = torch.cat(seconds).view(num_variants, n_ok).T.to(forward_s)
        computed = ok.double() * num_variants
        meta = torch.stack([rows, ok, inputs["total_frames"], inputs["fps"], torch.zeros_like(rows), computed], dim=1)
        self._advance(len(rows))
        return None, (logits, forward_s, meta.double()), None

    def _views_step(self, model, inputs):
        """The distinct clips of the batch once each, scattered to every view slot; logits averaged per cell."""
        rows, ok, slots, flags = inputs["rows"], inputs["ok"], inputs["view_slots"], inputs["view_flags"]
        chunks, seconds = self._forward(model, inputs["pixel_values"], inputs["clip_frames"])
        num_labels = model.config.num_labels
        clip_logits = torch.cat(chunks).to(rows.device) if chunks else torch.zeros(0, num_labels, device=rows.device)
        clip_seconds = torch.cat(seconds).to(rows.device, torch.float64) if seconds else torch.zeros(0)
        present = slots >= 0
        view_logits = torch.zeros(*slots.shape, num_labels, device=rows.device)
        view_logits[present] = clip_logits[slots[present]]
        averaged = (flags & AVERAGED).bool()
        count = averaged.sum(dim=-1, keepdim=True)
        logits = (view_logits * averaged[..., None]).sum(dim=2) / count.clamp(min=1)
        view_seconds = torch.zeros(slots.shape, dtype=torch.float64, device=rows.device)
        view_seconds[present] = clip_seconds[slots[present]].to(view_seconds)
        forward_s = (view_seconds * averaged).sum(dim=-1)  # the cell's views' share of the forward time
        computed = torch.tensor(
            [len(torch.unique(slots[b][present[b]])) for b in range(len(rows))], device=rows.device
        )
        meta = torch.stack([rows, ok, inputs["total_frames"], inputs["fps"], inputs["crop_axis"], computed], dim=1)
        self._advance(len(rows))
        return None, (logits, forward_s, meta.double(), view_logits, flags.long()), None

    def _advance(self, videos: int) -> None:
        if self.progress is not None:  # approximate (the last batch is padded); set exactly after each shard
            self.progress.update(min(videos * self.args.world_size, self.progress.total - self.progress.n))


@dataclass
class GridOutput:
    """Per-video outputs of one ``predict_videos`` call, in row order; ``skipped`` from every process."""

    rows: np.ndarray  # (N,) int64
    ok: np.ndarray  # (N,) bool
    total_frames: np.ndarray  # (N,) int64
    fps: np.ndarray  # (N,) float64
    logits: np.ndarray  # (N, V, num_labels) float32 (averaged over the distinct views with several views)
    forward_s: np.ndarray  # (N, V) float64: each clip's share of its model batch's forward time
    skipped: list[tuple[str, str, str]]
    clips_computed: np.ndarray | None = None  # (N,) int64: distinct clips run through the model per video
    crop_axis: np.ndarray | None = None  # (N,) int64, an index in views.CROP_AXES
    view_logits: np.ndarray | None = None  # (N, V, M, num_labels) float32, several views only
    view_flags: np.ndarray | None = None  # (N, V, M) int8: views.AVERAGED / views.SINGLE bits


def predict_videos(
    trainer: GridPredictor,
    rows: Sequence[int],
    videos: Sequence,
    video_ids: Sequence[str] | None = None,
    segments: Sequence | None = None,
) -> GridOutput:
    """Run ``trainer.predict`` over these videos (split across processes) and return every video's outputs;
    ``segments`` (``(first frame, length)`` or None per video) restrict each to a part."""
    trainer.skipped = []
    logits, forward_s, meta, *views = trainer.predict(VideoRows(rows, videos, video_ids, segments)).predictions
    got = meta[:, 0].astype(np.int64)
    # gather_for_metrics already drops the duplicates that pad the last batch; check rather than trust.
    _, first = np.unique(got, return_index=True)
    if sorted(got[first].tolist()) != sorted(int(r) for r in rows):
        raise RuntimeError(f"prediction returned rows {sorted(set(got.tolist()))}, expected {sorted(rows)}")
    order = first[np.argsort(got[first])]
    skipped = list(dict.fromkeys(tuple(s) for part in gather_object([trainer.skipped]) for s in part))
    return GridOutput(
        rows=got[order],
        ok=meta[order, 1].astype(bool),
        total_frames=meta[order, 2].astype(np.int64),
        fps=np.where(meta[order, 1] > 0, meta[order, 3], np.nan),
        logits=np.asarray(logits[order], dtype=np.float32),
        forward_s=np.asarray(forward_s[order], dtype=np.float64),
        skipped=skipped,
        clips_computed=meta[order, 5].astype(np.int64),
        crop_axis=meta[order, 4].astype(np.int64),
        view_logits=np.asarray(views[0][order], dtype=np.float32) if views else None,
        view_flags=np.asarray(views[1][order], dtype=np.int8) if views else None,
    )
