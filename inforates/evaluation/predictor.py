"""``Trainer.predict`` over the sampling grid: one dataset item per video, every variant's clip per item.

The collator (``grid.GridCollator``) hands over all variant clips of a batch of videos; ``prediction_step``
runs them through the model in batches of ``clip_batch`` clips and returns per-video outputs, so that the
Trainer's gathering across processes (``gather_for_metrics``, which drops the padding of the last batch) works
on videos: ``logits (B, V, num_labels)``, ``forward_s (B, V)`` and ``meta (B, 4)`` = row, ok, frames, fps.
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


class GridPredictor(Trainer):
    """A ``transformers.Trainer`` whose prediction step evaluates every sampling variant of each video."""

    def __init__(self, *args, clip_batch: int, progress=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.clip_batch = max(1, int(clip_batch))
        self.progress = progress  # a tqdm bar (main process) advanced by the videos of each batch
        self.skipped: list[tuple[str, str, str]] = []

    def prediction_step(self, model, inputs, prediction_loss_only, ignore_keys=None):
        self.skipped.extend(inputs.pop("skipped"))
        inputs = self._prepare_inputs(inputs)
        rows, ok, pixel_values = inputs["rows"], inputs["ok"], inputs["pixel_values"]
        n_ok, num_variants = pixel_values.shape[:2]
        dtype = next(model.parameters()).dtype
        # Variant-major: with several videos per batch, a model batch holds clips of one or few variants.
        flat = pixel_values.transpose(0, 1).reshape(n_ok * num_variants, *pixel_values.shape[2:])
        chunks, seconds = [], []
        for start in range(0, flat.shape[0], self.clip_batch):
            chunk = flat[start : start + self.clip_batch].to(dtype)
            began = time.perf_counter()
            with torch.no_grad(), self.compute_loss_context_manager():
                logits = model(pixel_values=chunk).logits
            if logits.device.type == "cuda":
                torch.cuda.synchronize(logits.device)
            chunks.append(logits.float())
            seconds.append(torch.full((chunk.shape[0],), (time.perf_counter() - began) / chunk.shape[0]))
        num_labels = model.config.num_labels
        logits = torch.zeros(len(rows), num_variants, num_labels, device=rows.device)
        forward_s = torch.zeros(len(rows), num_variants, dtype=torch.float64, device=rows.device)
        if chunks:
            logits[ok] = torch.cat(chunks).view(num_variants, n_ok, num_labels).transpose(0, 1).to(rows.device)
            forward_s[ok] = torch.cat(seconds).view(num_variants, n_ok).T.to(forward_s)
        meta = torch.stack([rows, ok, inputs["total_frames"], inputs["fps"]], dim=1).double()
        if self.progress is not None:  # approximate (the last batch is padded); set exactly after each shard
            self.progress.update(min(len(rows) * self.args.world_size, self.progress.total - self.progress.n))
        return None, (logits, forward_s, meta), None


@dataclass
class GridOutput:
    """Per-video outputs of one ``predict_videos`` call, in row order; ``skipped`` from every process."""

    rows: np.ndarray  # (N,) int64
    ok: np.ndarray  # (N,) bool
    total_frames: np.ndarray  # (N,) int64
    fps: np.ndarray  # (N,) float64
    logits: np.ndarray  # (N, V, num_labels) float32
    forward_s: np.ndarray  # (N, V) float64: each clip's share of its model batch's forward time
    skipped: list[tuple[str, str, str]]


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
    logits, forward_s, meta = trainer.predict(VideoRows(rows, videos, video_ids, segments)).predictions
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
    )
