"""The ``videofolder`` source: ``dataset_dir/{train,validation,test}/<class>/*.{mp4,avi,webm,mkv,mov}``.

splits = load(DataArguments(dataset_source="videofolder", dataset_dir="data/my_videos"), seed=0)
"""

from __future__ import annotations

import logging
from pathlib import Path

import datasets

from ..skips import SkipLog
from .annotation_files import inside
from .common import VIDEO_EXTENSIONS, DatasetError, VideoRecord, assemble, require_dir, split_name, ucf_group


logger = logging.getLogger(__name__)


def _video_files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in VIDEO_EXTENSIONS
    )


def _folder_records(root: Path) -> list[VideoRecord]:
    """``root/<split>/<class>/*.<video>``; ``video_id`` is the path relative to ``root``."""
    layout = "root/{train,validation,test}/<class>/*.mp4 (or .avi, .webm, .mkv, .mov)"
    split_dirs: dict[str, Path] = {}
    for entry in sorted(root.iterdir()):
        split = split_name(entry.name) if entry.is_dir() else None
        if split is None:
            continue
        if split in split_dirs:
            raise DatasetError(
                f"{root}: both {split_dirs[split].name}/ and {entry.name}/ are the {split} split; keep one"
            )
        split_dirs[split] = entry
    if not split_dirs:
        raise DatasetError(f"{root}: no train/validation/test folder; the videofolder layout is {layout}")
    records = []
    for split, split_dir in split_dirs.items():
        loose = _video_files(split_dir)
        if loose:
            raise DatasetError(f"{split_dir}: holds videos outside class folders (e.g. {loose[0].name}); {layout}")
        before = len(records)
        for class_dir in sorted(p for p in split_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
            for path in _video_files(class_dir):
                video_id = path.relative_to(root).as_posix()
                path = inside(root, path.relative_to(root), str(path))  # a link may lead out
                records.append(VideoRecord(str(path), class_dir.name, split, video_id, ucf_group(path)))
        if len(records) == before:
            raise DatasetError(f"{split_dir}: no videos in its class folders; the videofolder layout is {layout}")
    return records


def load(data_args, seed: int = 0, skip_log: SkipLog | None = None) -> datasets.DatasetDict:
    """``dataset_dir/{train,validation,test}/<class>/*.<video>`` (``val``/``valid`` also name validation).

    ``group`` is ``gXX`` for UCF-101 style names (``v_<Class>_gXX_cYY``), else ``""``."""
    root = require_dir(data_args.dataset_dir, "dataset_dir", "a folder with train/, validation/ and test/ inside")
    return assemble(_folder_records(root), [], str(root), data_args, seed)
