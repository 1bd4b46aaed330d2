"""``bandwidth.csv``: every video's temporal bandwidth, for every split of a recipe's dataset.

    from inforates.configs import parse_recipe
    from inforates.bandwidth.run import measure_bandwidth
    path = measure_bandwidth(parse_recipe(["--config", "recipes/demo/videomae.yaml"]))   # <output_dir>/bandwidth.csv

One row per video (:data:`BANDWIDTH_COLUMNS`): its estimate (:mod:`inforates.bandwidth.estimate`) from the first
``bandwidth_max_frames`` frames, decoded at the native rate in one pass and scaled down by the decoder, the critical
spacing that estimate predicts (:func:`~inforates.aliasing.critical_spacing`) and, for a video that cannot be
decoded, empty values and the reason. Videos are measured in ``dataloader_num_workers`` processes. The file is
written whole, with ``bandwidth.json`` beside it (what it measured, and the file's size and sha256): the same
command again, on the same videos, leaves both as they are. ``inforates evaluate`` adds each video's ``f_hz`` as
``f_hz_est`` to its predictions (``bandwidth_file``, default ``<output_dir>/bandwidth.csv``).
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ..aliasing import critical_spacing
from ..configs import Recipe
from ..data.decoding import VideoDecodeError, VideoReader, video_bytes, video_source
from ..data.motion import SMALL_SIDE
from ..data.sources import load_video_dataset, undecoded
from ..errors import RecipeError
from ..files import atomic_write, file_problem, file_record, read_json, write_json
from .estimate import bandwidth_of_signals, grey_blocks


logger = logging.getLogger(__name__)

BANDWIDTH_FILE, RECORD_FILE = "bandwidth.csv", "bandwidth.json"
BANDWIDTH_COLUMNS = [
    "video_id", "split", "path", "f_hz", "cutoff_hz", "critical_spacing_frames", "critical_spacing_seconds",
    "confidence", "method", "frames", "fps", "reason",
]  # fmt: skip
DECODE_SIDE = SMALL_SIDE  # the decoder's small copy (the estimator averages further), as the motion profile's


def estimator_digest() -> str:
    """A hash of the estimator's code: another version measures anew."""
    return hashlib.sha256((Path(__file__).parent / "estimate.py").read_bytes()).hexdigest()[:16]


class _Videos(torch.utils.data.Dataset):
    """Item ``i``: the estimate row of video ``i`` (decoded in the DataLoader worker that takes it)."""

    def __init__(self, rows: list[dict], max_frames: int):
        self.rows, self.max_frames = rows, max_frames

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict:
        row = self.rows[i]
        out = {key: row[key] for key in ("video_id", "split", "path")}
        try:
            with VideoReader(
                video_source(row["video"]), data=video_bytes(row["video"]), shrink_to=DECODE_SIDE
            ) as video:
                # one forward pass, frames scaled down by the decoder: a long high-resolution clip never sits in memory
                signals = grey_blocks(video.get(np.arange(min(video.total_frames, self.max_frames))).numpy())
                fps = video.fps
            if not fps > 0:
                raise VideoDecodeError(out["path"], "metadata", "no frame rate: the frequency needs one")
        except VideoDecodeError as err:
            return {**out, **dict.fromkeys(BANDWIDTH_COLUMNS[3:], math.nan), "method": "", "reason": str(err.reason)}
        band = bandwidth_of_signals(signals, fps)
        spacing = critical_spacing(band.f_hz, fps)
        return {**out, "f_hz": band.f_hz, "cutoff_hz": band.cutoff_hz, "critical_spacing_frames": spacing,
                "critical_spacing_seconds": spacing / fps, "confidence": band.confidence, "method": band.method,
                "frames": band.frames, "fps": fps, "reason": ""}  # fmt: skip


def _rows(recipe: Recipe) -> list[dict]:
    splits = load_video_dataset(recipe.data, seed=recipe.training.seed)
    rows = []
    for split, dataset in splits.items():
        dataset = undecoded(dataset)
        ids = dataset["video_id"] if "video_id" in dataset.column_names else None
        for i, value in enumerate(dataset["video"]):
            path = video_source(value)
            rows.append({"video_id": str(ids[i]) if ids else Path(path).stem, "split": split, "path": path,
                         "video": value})  # fmt: skip
    return rows


def measure_bandwidth(recipe: Recipe) -> Path:
    """Write ``<output_dir>/bandwidth.csv`` for every video of the recipe's dataset (see the module docstring);
    returns its path."""
    out = Path(recipe.training.output_dir)
    max_frames = recipe.evaluation.bandwidth_max_frames
    rows = _rows(recipe)
    inputs = {"videos": hashlib.sha256("\n".join(f"{r['split']}\t{r['video_id']}\t{r['path']}" for r in rows).encode())
              .hexdigest(), "max_frames": max_frames, "decode_side": DECODE_SIDE, "estimator": estimator_digest()}  # fmt: skip
    path = out / BANDWIDTH_FILE
    record = read_json(out / RECORD_FILE)
    if record and record.get("inputs") == inputs and file_problem(path, record.get("file", {})) is None:
        print(f"{path}: already measured, of the same videos (unchanged)", flush=True)
        return path
    if path.exists() and record is None:
        raise RecipeError(f"{path}: exists and inforates did not write it; move it away or choose another output_dir")
    out.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    loader = torch.utils.data.DataLoader(_Videos(rows, max_frames), batch_size=None,
                                         num_workers=recipe.training.dataloader_num_workers)  # fmt: skip
    table = pd.DataFrame(list(loader), columns=BANDWIDTH_COLUMNS)
    seconds = time.perf_counter() - began
    atomic_write(path, lambda tmp: table.to_csv(tmp, index=False))
    write_json(out / RECORD_FILE, {"inputs": inputs, "file": file_record(path), "seconds": round(seconds, 3),
                                   "videos": len(table), "unreadable": int((table["reason"] != "").sum())})  # fmt: skip
    print(f"{path}: {len(table)} videos in {seconds:.1f} s ({(table['reason'] != '').sum()} unreadable)", flush=True)
    return path


def read_bandwidth(path: str | Path) -> pd.DataFrame:
    """A ``bandwidth.csv`` (``RecipeError`` when missing or not one)."""
    path = Path(path)
    if not path.is_file():
        raise RecipeError(f"bandwidth_file={str(path)!r}: not found; make it with `inforates bandwidth --config ...`")
    table = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype={"video_id": str})
    lacking = [c for c in ("video_id", "f_hz") if c not in table.columns]
    if lacking:
        raise RecipeError(f"bandwidth_file={str(path)!r}: no {' or '.join(lacking)} column; not a bandwidth.csv")
    return table
