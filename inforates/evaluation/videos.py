"""The videos an evaluation runs on: the eval split (optionally a seeded, class-stratified subset) as a table.

With ``segment_frames`` (the 2025 study's test protocol: 50-frame segments cut from each test video) every row is
one segment: ``video_id`` ``<video>#<first frame>``, ``source_video`` the video it was cut from (statistics
cluster by it), ``segment_start`` its first frame and ``segment_frames`` its length.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path

import datasets
import numpy as np
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
    segment_frames: int | None = None  # None: whole videos (the table's segment columns span each video)
    bandwidth_sha256: str | None = None  # the bandwidth.csv whose f_hz the table's f_hz_est holds

    @property
    def protocol(self) -> str:
        """The test protocol, as run.json and the report name it."""
        return "whole videos" if self.segment_frames is None else f"segments of {self.segment_frames} frames"

    def segments(self, start: int, stop: int) -> list[tuple[int, int] | None]:
        """``(first frame, length)`` of rows ``start..stop-1``: a cut segment, or a video's annotated frames (a
        length of -1: to its last frame); None: the whole video."""
        part = self.table.iloc[start:stop]
        return [
            None if a == 0 and n < 0 else (int(a), int(n))
            for a, n in zip(part["segment_start"], part["segment_frames"])
        ]

    def __len__(self) -> int:
        return len(self.table)

    def digest(self) -> str:
        """sha256 of the rows (video_id, path, label; and the frames of each where a source annotates them): which
        videos, in which order."""
        columns = ["video_id", "path", "label"]
        if self.segment_frames is None and (self.table["segment_frames"] >= 0).any():
            columns += ["segment_start", "segment_frames"]
        lines = self.table[columns].astype(str).agg("\t".join, axis=1)
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
    table["f_hz_est"] = math.nan
    table["source_video"] = table["video_id"]
    table["segment_start"], table["segment_frames"] = 0, -1  # -1: to the video's last frame
    if "start_frame" in columns:  # a source's annotated frames (diving48): the video is cut to them
        starts = np.array([max(int(s or 0), 0) for s in dataset["start_frame"]])
        ends = np.array([-1 if e is None else int(e) for e in dataset["end_frame"]])
        table["segment_start"], table["segment_frames"] = starts, np.where(ends >= 0, ends - starts, -1)
    return EvalVideos(table, list(label_feature.names), dataset, split)


def attach_bandwidth(videos: EvalVideos, path: str | Path) -> EvalVideos:
    """``videos`` with ``f_hz_est``: each video's ``f_hz`` in the ``bandwidth.csv`` at ``path`` (a segment takes
    its video's; NaN for a video it lacks, or could not decode)."""
    from ..bandwidth.run import read_bandwidth
    from ..files import file_record

    estimates = read_bandwidth(path).drop_duplicates("video_id").set_index("video_id")["f_hz"]
    videos.table["f_hz_est"] = videos.table["source_video"].astype(str).map(estimates).astype(float)
    videos.bandwidth_sha256 = file_record(path)["sha256"]
    known = int(videos.table["f_hz_est"].notna().sum())
    print(f"{path}: estimated frequencies for {known} of {len(videos)} videos", flush=True)
    return videos


def cut_segments(videos: EvalVideos, segment_frames: int) -> EvalVideos:
    """Every video cut into consecutive, non-overlapping segments of ``segment_frames`` frames (the last partial
    one dropped). Reads each video's frame count (metadata only); a video that cannot be opened, or is shorter
    than one segment, is listed in ``missing`` with the reason."""
    from ..data.decoding import VideoDecodeError, open_video

    rows, sources, missing = [], [], list(videos.missing)
    for i, row in enumerate(videos.table.itertuples(index=False)):
        try:
            with open_video(videos.dataset[i]["video"]) as reader:
                total = reader.total_frames
        except VideoDecodeError as err:
            missing.append({"path": err.path, "stage": err.stage, "reason": err.reason})
            continue
        if total < segment_frames:
            missing.append({"path": row.path, "stage": "segment", "reason": f"{total} frames, shorter than one "
                            f"segment of segment_frames={segment_frames}"})  # fmt: skip
            continue
        for start in range(0, total - segment_frames + 1, segment_frames):
            rows.append({**row._asdict(), "video_id": f"{row.video_id}#{start}", "segment_start": start,
                         "segment_frames": segment_frames})  # fmt: skip
            sources.append(i)
    if not rows:
        raise RecipeError(f"segment_frames={segment_frames}: no video of the split is that long")
    table = pd.DataFrame(rows, columns=videos.table.columns)
    cut = videos.dataset.select(sources)
    return EvalVideos(table, videos.class_names, cut, videos.split, missing, segment_frames, videos.bandwidth_sha256)


def load_eval_videos(
    data_args, split: str, max_videos: int | None = None, seed: int = 0, segment_frames: int | None = None
) -> EvalVideos:
    """Load ``split`` with ``data.sources`` and take the seeded, class-stratified subset of ``max_videos`` (of
    videos, before any ``segment_frames`` cutting). Videos the dataset lists but lacks (any split; the source does
    not say which) are kept in ``missing``."""
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
    return cut_segments(videos, segment_frames) if segment_frames is not None else videos
