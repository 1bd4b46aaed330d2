"""The ``ucf101`` source: ``UCF-101/<Class>/v_<Class>_gXX_cYY.avi`` and the official ``ucfTrainTestlist/``.

    splits = load(DataArguments(dataset_source="ucf101", dataset_dir="data/UCF-101", ucf_split=1), seed=0)

``annotations_path`` is found beside ``dataset_dir`` when unset; validation is carved from train by group (gXX).
"""

from __future__ import annotations

import logging
from pathlib import Path

import datasets

from ..skips import SkipLog
from .annotation_files import inside, read_lines
from .common import DatasetError, VideoRecord, assemble, release_folders, ucf_group


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


_FIX = "set annotations_path to the official ucfTrainTestlist/ folder"


def _list_line(list_path: Path, n: int, line: str, class_index: dict[int, str]) -> tuple[str, str]:
    """``(relative path, class)`` of one line ``<Class>/<video>.avi[ <label>]`` of a train or test list."""
    parts = line.split()
    if len(parts) > 2 or (len(parts) == 2 and not parts[1].isdigit()):
        raise DatasetError(f"{list_path}:{n}: expected '<Class>/<video>.avi [<label>]', got {line!r}")
    class_name = parts[0].split("/")[0]
    if class_name not in class_index.values():
        raise DatasetError(f"{list_path}:{n}: class {class_name!r} is not in classInd.txt; use the official lists")
    if len(parts) == 2 and class_index.get(int(parts[1])) != class_name:
        raise DatasetError(
            f"{list_path}:{n}: label {parts[1]} is {class_index.get(int(parts[1]))!r} in classInd.txt but the "
            f"path is in {class_name}/; the lists do not belong together"
        )
    return parts[0], class_name


def load(data_args, seed: int = 0, skip_log: SkipLog | None = None) -> datasets.DatasetDict:
    """UCF-101 with its official split ``ucf_split`` (1, 2, 3); validation = whole groups of train."""
    videos, lists = _ucf_paths(data_args)
    class_index: dict[int, str] = {}
    for n, line in read_lines(lists / "classInd.txt", _FIX):
        parts = line.split()
        if len(parts) != 2 or not parts[0].isdigit():
            raise DatasetError(f"{lists / 'classInd.txt'}:{n}: expected '<index> <ClassName>', got {line!r}")
        class_index[int(parts[0])] = parts[1]
    split = data_args.ucf_split
    records, missing = [], []
    for split_name, list_name in (("train", f"trainlist0{split}.txt"), ("test", f"testlist0{split}.txt")):
        list_path = lists / list_name
        for n, line in read_lines(list_path, _FIX):
            relative, class_name = _list_line(list_path, n, line, class_index)
            path = inside(videos, relative, f"{list_path}:{n}")
            if not path.is_file():
                missing.append((str(path), f"listed in {list_path.name} but not found under {videos}"))
                continue
            video_id = Path(relative).stem
            records.append(
                VideoRecord(str(path), class_name, split_name, video_id, ucf_group(path), origin=f"{list_path}:{n}")
            )
    empty = "set dataset_dir to the folder holding UCF-101/<Class>/v_<Class>_gXX_cYY.avi"
    return assemble(records, missing, str(lists), data_args, seed, skip_log, sorted(class_index.values()), empty=empty)
