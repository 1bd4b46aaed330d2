"""The ``hmdb51`` source: ``hmdb51_org/<class>/<video>.avi`` and the official ``testTrainMulti_7030_splits/``.

    splits = load(DataArguments(dataset_source="hmdb51", dataset_dir="data/hmdb51_org", hmdb_split=1), seed=0)

Each class has ``<class>_test_split{1,2,3}.txt`` with lines ``<video>.avi <n>``: ``n`` = 1 train, 2 test, 0 in
neither. ``annotations_path`` (the splits folder) is found beside ``dataset_dir`` when unset. A video's ``group``
is the film it was cut from (:func:`hmdb_group`: the name before ``_<class>_``), so validation, carved from train,
takes whole films: clips of one film never straddle train and validation.
"""

from __future__ import annotations

import logging
from pathlib import Path

import datasets

from ..skips import SkipLog
from .annotation_files import inside, read_lines
from .common import DatasetError, VideoRecord, assemble, release_folders


logger = logging.getLogger(__name__)

SPLITS_FOLDER = "testTrainMulti_7030_splits"
_MEMBERSHIP = {"1": "train", "2": "test", "0": None}  # 0: the video is in neither split of this split plan


def hmdb_group(stem: str, class_name: str) -> str:
    """The film a clip was cut from: ``April_09_brush_hair_u_nm_np1_ba_goo_0`` (class ``brush_hair``) ->
    ``April_09``. HMDB-51 names clips ``<film>_<class>_<body>_<camera>_<people>_<view>_<quality>_<n>``; a name
    without its class falls back to the name without the trailing clip number."""
    cut = stem.find(f"_{class_name}_")
    if cut > 0:
        return stem[:cut]
    head, _, tail = stem.rpartition("_")
    return head if head and tail.isdigit() else stem


def _hmdb_paths(data_args) -> tuple[Path, Path]:
    videos, folder, tried = release_folders(
        data_args, "hmdb51_org", SPLITS_FOLDER, "the HMDB-51 folder (hmdb51_org/<class>/*.avi)"
    )
    if not folder.is_dir():
        raise DatasetError(
            f"HMDB-51 split files not found (looked for {', '.join(map(str, tried))}); set "
            f"annotations_path to the {SPLITS_FOLDER}/ folder of the official test_train_splits.rar"
        )
    return videos, folder


def _split_files(folder: Path, split: int) -> dict[str, Path]:
    """``{class: <class>_test_split<split>.txt}`` for every class of the folder."""
    suffix = f"_test_split{split}.txt"
    files = {p.name[: -len(suffix)]: p for p in sorted(folder.glob(f"*{suffix}")) if p.name != suffix}
    if not files:
        raise DatasetError(
            f"{folder}: no <class>{suffix} files; set annotations_path to the official {SPLITS_FOLDER}/ folder "
            "(hmdb_split chooses 1, 2 or 3)"
        )
    return files


def _read_split_file(path: Path) -> list[tuple[int, str, str | None]]:
    """``(line number, video file name, "train" | "test" | None)`` per line of one class's split file."""
    entries = []
    for n, line in read_lines(path, f"use the official {SPLITS_FOLDER}/ files"):
        parts = line.split()
        if len(parts) != 2 or parts[1] not in _MEMBERSHIP:
            raise DatasetError(f"{path}:{n}: expected '<video>.avi <0|1|2>', got {line!r}")
        entries.append((n, parts[0], _MEMBERSHIP[parts[1]]))
    return entries


def load(data_args, seed: int = 0, skip_log: SkipLog | None = None) -> datasets.DatasetDict:
    """HMDB-51 with its official split ``hmdb_split`` (1, 2, 3): train = the 1s minus validation, test = the 2s."""
    videos, folder = _hmdb_paths(data_args)
    files = _split_files(folder, data_args.hmdb_split)
    records, missing, unused = [], [], 0
    for class_name, list_path in files.items():
        for n, name, split in _read_split_file(list_path):
            if split is None:
                unused += 1
                continue
            path = inside(videos, Path(class_name) / name, f"{list_path}:{n}")
            if not path.is_file():
                missing.append((str(path), f"listed in {list_path.name} but not found under {videos}"))
                continue
            stem = Path(name).stem
            group = hmdb_group(stem, class_name)
            records.append(VideoRecord(str(path), class_name, split, stem, group, origin=f"{list_path}:{n}"))
    logger.info("HMDB-51 split %d: %d listed videos are in neither train nor test (0)", data_args.hmdb_split, unused)
    empty = "set dataset_dir to the folder holding hmdb51_org/<class>/<video>.avi (or that folder itself)"
    return assemble(records, missing, str(folder), data_args, seed, skip_log, sorted(files), empty=empty)
