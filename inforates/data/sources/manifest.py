"""The ``manifest`` source: a CSV or JSONL file with ``path,label[,split][,video_id][,group]``.

splits = load(DataArguments(dataset_source="manifest", manifest_path="data/videos.csv"), seed=0)
"""

from __future__ import annotations

import logging
from pathlib import Path

import datasets

from ..skips import SkipLog
from .annotation_files import inside, read_table
from .common import DatasetError, VideoRecord, assemble, fill_ucf_groups, split_name


logger = logging.getLogger(__name__)


def load(data_args, seed: int = 0, skip_log: SkipLog | None = None) -> datasets.DatasetDict:
    """A CSV/JSONL list ``path,label[,split][,video_id][,group]``.

    Relative paths are relative to ``dataset_dir`` when set, else to the manifest's folder; every path, absolute
    or relative, must lie inside that folder (after resolving ``..`` and links). Without a ``split``
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
    columns = set().union(*(row.keys() for _, row in rows))
    lacking = [c for c in ("path", "label") if c not in columns]
    if lacking:
        raise DatasetError(f"{manifest}: no {' or '.join(lacking)} column (it has {', '.join(sorted(columns))})")
    base = Path(data_args.dataset_dir) if data_args.dataset_dir else manifest.parent
    records, missing = [], []
    for n, row in rows:
        if not row.get("path") or not row.get("label"):
            raise DatasetError(f"{manifest}:{n}: the path or the label is empty; give both")
        split = split_name(row["split"]) if "split" in columns else "test"
        if split is None:
            raise DatasetError(f"{manifest}:{n}: split {row.get('split')!r} is not train, validation or test")
        path = inside(base, row["path"], f"{manifest}:{n}")
        if not path.is_file():
            missing.append((str(path), f"listed in {manifest.name} but not found"))
            continue
        video_id = row.get("video_id") or row["path"]
        records.append(
            VideoRecord(str(path), row["label"], split, video_id, row.get("group", ""), origin=f"{manifest}:{n}")
        )
    names = [(r.path, r.video_id) for r in records]
    for r, group in zip(records, fill_ucf_groups([r.group for r in records], names, str(manifest))):
        r.group = group
    return assemble(records, missing, str(manifest), data_args, seed, skip_log,
                    empty=f"relative paths start at {base}")  # fmt: skip
