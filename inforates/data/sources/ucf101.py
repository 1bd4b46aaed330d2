"""The ``ucf101`` source: ``UCF-101/<Class>/v_<Class>_gXX_cYY.avi`` and the official ``ucfTrainTestlist/``.

    splits = load(DataArguments(dataset_source="ucf101", dataset_dir="data/UCF-101", ucf_split=1), seed=0)

``annotations_path`` is found beside ``dataset_dir`` when unset; validation is carved from train by group (gXX).
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
    release_folders,
    report_missing,
    ucf_group,
)


logger = logging.getLogger(__name__)


def _ucf_paths(data_args) -> tuple[Path, Path]:
    videos, lists, tried = release_folders(
        data_args, "UCF-101", "ucfTrainTestlist", "the UCF-101 folder (UCF-101/<Class>/*.avi)"
    )
    if not (lists / "classInd.txt").is_file():
        raise DatasetError(
            f"UCF-101 split lists not found (looked for classInd.txt in {', '.join(map(str, tried))}); "
            "set annotations_path to the ucfTrainTestlist/ folder of the official release"
        )
    return videos, lists


def _read_lines(path: Path) -> list[tuple[int, str]]:
    if not path.is_file():
        raise DatasetError(f"{path}: not found; set annotations_path to the official ucfTrainTestlist/ folder")
    return [(n, line.strip()) for n, line in enumerate(path.read_text().splitlines(), 1) if line.strip()]


def load(data_args, seed: int = 0, skip_log: SkipLog | None = None) -> datasets.DatasetDict:
    """UCF-101 with its official split ``ucf_split`` (1, 2, 3); validation = whole groups of train."""
    videos, lists = _ucf_paths(data_args)
    class_index: dict[int, str] = {}
    for n, line in _read_lines(lists / "classInd.txt"):
        parts = line.split()
        if len(parts) != 2 or not parts[0].isdigit():
            raise DatasetError(f"{lists / 'classInd.txt'}:{n}: expected '<index> <ClassName>', got {line!r}")
        class_index[int(parts[0])] = parts[1]
    known = set(class_index.values())
    split = data_args.ucf_split
    records, missing = [], []
    for split_name, list_name in (("train", f"trainlist0{split}.txt"), ("test", f"testlist0{split}.txt")):
        list_path = lists / list_name
        for n, line in _read_lines(list_path):
            parts = line.split()
            relative = parts[0]
            class_name = relative.split("/")[0]
            if class_name not in known:
                raise DatasetError(
                    f"{list_path}:{n}: class {class_name!r} is not in classInd.txt; use the official lists"
                )
            if len(parts) > 1 and class_index.get(int(parts[1])) != class_name:
                raise DatasetError(
                    f"{list_path}:{n}: label {parts[1]} is {class_index.get(int(parts[1]))!r} in classInd.txt but the "
                    f"path is in {class_name}/; the lists do not belong together"
                )
            path = videos / relative
            if not path.is_file():
                missing.append((str(path), f"listed in {list_path.name} but not found under {videos}"))
                continue
            video_id = Path(relative).stem
            records.append(VideoRecord(os.path.abspath(path), class_name, split_name, video_id, ucf_group(path)))
    if not records:
        raise DatasetError(
            f"{videos}: none of the videos in the split lists is there; set dataset_dir to the folder holding "
            "UCF-101/<Class>/v_<Class>_gXX_cYY.avi"
        )
    report_missing(missing, f"UCF-101 split {split} lists", skip_log)
    records = carve_validation(records, data_args.validation_fraction, seed)
    return build_dataset_dict(records, str(videos), class_names=sorted(known))
