"""The videos an evaluation runs on: the eval split (optionally a seeded, class-stratified subset) as a table."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path

import datasets
import pandas as pd

from ..data.decoding import video_source
from ..data.skips import SkipLog
from ..data.sources import undecoded
from ..errors import RecipeError


@dataclass
class EvalVideos:
    """``table`` is indexed by row 0..N-1: video_id, path, label, class_name, group, f_hz. ``dataset`` holds the
    same rows with an undecoded video column (paths, or embedded bytes) for the decoders."""

    table: pd.DataFrame
    class_names: list[str]
    dataset: datasets.Dataset
    split: str
    missing: list[dict] = field(default_factory=list)  # listed by the dataset but absent: path, stage, reason

    def __len__(self) -> int:
        return len(self.table)

    def digest(self) -> str:
        """sha256 of the rows (video_id, path, label): which videos, in which order."""
        lines = self.table[["video_id", "path", "label"]].astype(str).agg("\t".join, axis=1)
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()

    def values(self, start: int, stop: int) -> list:
        """The video values of rows ``start..stop-1``, as the decoders take them."""
        return list(self.dataset[start:stop]["video"])


def eval_videos(dataset: datasets.Dataset, split: str = "test") -> EvalVideos:
    """The table of ``dataset``'s videos (``group`` "" and ``f_hz`` NaN where the dataset has none)."""
    dataset = undecoded(dataset)
    label_feature = dataset.features["label"]
    if not isinstance(label_feature, datasets.ClassLabel):
        raise RecipeError(
            f"split {split!r}: the label column must be a ClassLabel, got {type(label_feature).__name__}"
        )
    columns = set(dataset.column_names)
    paths = [video_source(value) for value in dataset["video"]]
    n = len(paths)
    labels = [int(label) for label in dataset["label"]]
    table = pd.DataFrame(
        {
            "video_id": [str(v) for v in dataset["video_id"]]
            if "video_id" in columns
            else [Path(p).stem for p in paths],
            "path": paths,
            "label": labels,
            "class_name": [label_feature.names[label] for label in labels],
            "group": ["" if g is None else str(g) for g in dataset["group"]] if "group" in columns else [""] * n,
            "f_hz": [math.nan if f is None else float(f) for f in dataset["f_hz"]]
            if "f_hz" in columns
            else [math.nan] * n,
        }
    )
    return EvalVideos(table, list(label_feature.names), dataset, split)


def load_eval_videos(data_args, split: str, max_videos: int | None = None, seed: int = 0) -> EvalVideos:
    """Load ``split`` with ``data.sources`` and take the seeded, class-stratified subset of ``max_videos``.
    Videos the dataset lists but lacks (any split; the source does not say which) are kept in ``missing``."""
    from ..data.sources import load_video_dataset, subsample

    log = SkipLog()
    splits = load_video_dataset(data_args, seed=seed, skip_log=log)
    if split not in splits:
        raise RecipeError(f"eval_split={split!r}: the dataset has the splits {', '.join(splits)}")
    dataset = splits[split]
    if max_videos is not None and max_videos < len(dataset):
        dataset = subsample(dataset, max_videos, seed)
    if len(dataset) == 0:
        raise RecipeError(f"eval_split={split!r}: the split holds no videos")
    videos = eval_videos(dataset, split)
    videos.missing = log.rows
    return videos
