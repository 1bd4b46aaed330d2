"""The ``kinetics`` source: Kinetics-400 annotation CSVs (``annotations_path``), clips under ``dataset_dir``.

splits = load(DataArguments(dataset_source="kinetics", dataset_dir="data/k400", annotations_path="data/k400/annotations"))
"""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from pathlib import Path

import datasets

from ..skips import SkipLog
from .annotation_files import inside, read_table
from .common import VIDEO_EXTENSIONS, DatasetError, VideoRecord, assemble, require_dir, split_name


logger = logging.getLogger(__name__)


def _kinetics_tables(annotations: Path) -> list[tuple[Path, int, dict]]:
    files = sorted(annotations.glob("*.csv")) if annotations.is_dir() else [annotations]
    if not files or not files[0].is_file():
        raise DatasetError(
            f"annotations_path={str(annotations)!r}: no annotation CSV; point it at the Kinetics-400 train/validate/"
            "test.csv files (label,youtube_id,time_start,time_end,split) or their folder"
        )
    return [(path, n, row) for path in files for n, row in read_table(path)]


def load(data_args, seed: int = 0, skip_log: SkipLog | None = None) -> datasets.DatasetDict:
    """Kinetics-400 annotation CSVs; clip ``<youtube_id>_<start:06d>_<end:06d>.<video>`` anywhere under
    ``dataset_dir`` (preferring its split's folder). Clips that are missing (taken down, failed downloads) are
    recorded in ``skip_log`` and left out."""
    root = require_dir(data_args.dataset_dir, "dataset_dir", "the folder holding the Kinetics clips")
    if not data_args.annotations_path:
        raise DatasetError("annotations_path is not set; point it at the Kinetics-400 annotation CSVs or their folder")
    on_disk: dict[str, list[Path]] = defaultdict(list)
    for folder, _, names in os.walk(root):
        for name in names:
            if Path(name).suffix.lower() in VIDEO_EXTENSIONS and not name.startswith("."):
                on_disk[Path(name).stem].append(Path(folder) / name)
    records, missing = [], []
    for path, n, row in _kinetics_tables(Path(data_args.annotations_path)):
        lacking = [c for c in ("label", "youtube_id", "time_start", "time_end") if not row.get(c)]
        if lacking:
            raise DatasetError(f"{path}:{n}: the row lacks {', '.join(lacking)}; Kinetics test labels ship separately")
        split = split_name(row.get("split") or path.stem)
        if split is None:
            raise DatasetError(f"{path}:{n}: split {row.get('split') or path.stem!r} is not train, validate or test")
        try:
            start, end = int(float(row["time_start"])), int(float(row["time_end"]))
        except ValueError:
            raise DatasetError(f"{path}:{n}: time_start and time_end must be seconds, got {row['time_start']!r} "
                               f"and {row['time_end']!r}") from None  # fmt: skip
        stem = f"{row['youtube_id']}_{start:06d}_{end:06d}"
        candidates = on_disk.get(stem, [])
        if not candidates:
            missing.append((str(root / stem), f"listed in {path.name} but no {stem}.<video> under {root}"))
            continue
        preferred = [p for p in candidates if split in {split_name(part) for part in p.relative_to(root).parts}]
        chosen = inside(root, (preferred or candidates)[0], f"{path}:{n}")
        records.append(VideoRecord(str(chosen), row["label"], split, stem, origin=f"{path}:{n}"))
    return assemble(records, missing, str(data_args.annotations_path), data_args, seed, skip_log,
                    empty="set dataset_dir to the clips' folder")  # fmt: skip
