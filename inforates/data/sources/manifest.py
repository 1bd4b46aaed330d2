"""The ``manifest`` source: a CSV or JSONL file with ``path,label[,split][,video_id][,group]``.

splits = load(DataArguments(dataset_source="manifest", manifest_path="data/videos.csv"), seed=0)
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import datasets

from ..skips import SkipLog
from .common import (
    DatasetError,
    VideoRecord,
    build_dataset_dict,
    carve_validation,
    check_classes_in_train,
    fill_ucf_groups,
    read_table,
    report_missing,
    split_name,
)


logger = logging.getLogger(__name__)


def load(data_args, seed: int = 0, skip_log: SkipLog | None = None) -> datasets.DatasetDict:
    """A CSV/JSONL list ``path,label[,split][,video_id][,group]``.

    Relative paths are relative to ``dataset_dir`` when set, else to the manifest's folder. Without a ``split``
    column every video is in ``test`` (a list to evaluate on); with one, a missing validation split is carved
    from train. ``video_id`` defaults to the path as written; ``group``, when absent or empty, is ``gXX`` of a UCF-101
    style file name or video id (``v_<Class>_gXX_cYY``)."""
    if not data_args.manifest_path:
        raise DatasetError("manifest_path is not set; point it at a CSV or JSONL file with path,label[,split] columns")
    manifest = Path(data_args.manifest_path)
    if not manifest.is_file():
        raise DatasetError(f"manifest_path={str(manifest)!r}: file not found")
    rows = read_table(manifest)
    if not rows:
        raise DatasetError(f"{manifest}: holds no rows; list one video per row with path,label[,split]")
    columns = set().union(*(row.keys() for row in rows))
    lacking = [c for c in ("path", "label") if c not in columns]
    if lacking:
        raise DatasetError(f"{manifest}: no {' or '.join(lacking)} column (it has {', '.join(sorted(columns))})")
    base = Path(data_args.dataset_dir) if data_args.dataset_dir else manifest.parent
    records, missing = [], []
    for n, row in enumerate(rows, 2 if manifest.suffix.lower() == ".csv" else 1):
        if not row.get("path") or not row.get("label"):
            raise DatasetError(f"{manifest}: row {n} has an empty path or label")
        split = split_name(row["split"]) if "split" in columns else "test"
        if split is None:
            raise DatasetError(f"{manifest}: row {n}: split {row.get('split')!r} is not train, validation or test")
        path = Path(row["path"]) if Path(row["path"]).is_absolute() else base / row["path"]
        if not path.is_file():
            missing.append((str(path), f"listed in {manifest.name} but not found"))
            continue
        video_id = row.get("video_id") or row["path"]
        records.append(VideoRecord(os.path.abspath(path), row["label"], split, video_id, row.get("group", "")))
    if not records:
        raise DatasetError(f"{manifest}: none of its {len(rows)} videos exists (relative paths start at {base})")
    names = [(r.path, r.video_id) for r in records]
    for r, group in zip(records, fill_ucf_groups([r.group for r in records], names, str(manifest))):
        r.group = group
    report_missing(missing, str(manifest), skip_log)
    check_classes_in_train(records, str(manifest))
    if any(r.split == "train" for r in records) and not any(r.split == "validation" for r in records):
        records = carve_validation(records, data_args.validation_fraction, seed)
    return build_dataset_dict(records, str(manifest))
