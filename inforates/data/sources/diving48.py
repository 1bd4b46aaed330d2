"""The ``diving48`` source: ``Diving48_V2_{train,test}.json``, the clips ``rgb/<vid_name>.mp4`` and the vocabulary.

    splits = load(DataArguments(dataset_source="diving48", dataset_dir="data/diving48"), seed=0)

Entries are ``{"vid_name", "label", "start_frame", "end_frame"}``: each row keeps the annotated frames as
``start_frame`` and ``end_frame`` (frames ``start_frame..end_frame - 1``; -1 where an entry has none), and training
clips, evaluation cells and their facts are cut to them (:func:`inforates.data.sources.common.annotated_window`;
the released ``rgb`` clips mostly start at 0 and end near their last frame, so the cut changes few of them). The
optional ``Diving48_vocab.json`` (48 ``[takeoff, somersault, twist, flight]`` lists, in label order) names the
classes ``Back 15som 05Twis FREE``; without it they are ``0``..``47``. ``annotations_path`` (the folder of the
JSON files) is found inside or beside ``dataset_dir`` when unset; validation is carved from train by class.
"""

from __future__ import annotations

import logging
from pathlib import Path

import datasets

from ..skips import SkipLog
from .annotation_files import inside, read_json
from .common import WINDOW_FEATURES, DatasetError, VideoRecord, assemble, require_dir


logger = logging.getLogger(__name__)

TRAIN_FILE, TEST_FILE, VOCAB_FILE = "Diving48_V2_train.json", "Diving48_V2_test.json", "Diving48_vocab.json"
N_CLASSES = 48
_FIX = f"set annotations_path to the folder of the official {TRAIN_FILE} and {TEST_FILE}"


def _diving_paths(data_args) -> tuple[Path, Path]:
    base = require_dir(data_args.dataset_dir, "dataset_dir", "the Diving48 folder (rgb/<vid_name>.mp4)")
    videos = next((base / name for name in ("rgb", "videos") if (base / name).is_dir()), base)
    if data_args.annotations_path:
        tried = [Path(data_args.annotations_path)]
    else:
        tried = [base, base / "annotations", base.parent, base.parent / "annotations"]
    folder = next((p for p in tried if (p / TRAIN_FILE).is_file()), None)
    if folder is None:
        raise DatasetError(f"{TRAIN_FILE} not found (looked in {', '.join(map(str, dict.fromkeys(tried)))}); {_FIX}")
    return videos, folder


def _vocabulary(path: Path) -> list[str] | None:
    """Class names in label order from ``Diving48_vocab.json``; None when the file is absent."""
    if not path.is_file():
        return None
    vocab = read_json(path, f"use the official {VOCAB_FILE} or remove it (classes are then named 0..47)")
    if not isinstance(vocab, list) or not all(isinstance(v, (list, str)) for v in vocab):
        raise DatasetError(f"{path}: expected a list of [takeoff, somersault, twist, flight] lists")
    names = [" ".join(map(str, v)) if isinstance(v, list) else v for v in vocab]
    if len(set(names)) != len(names):
        raise DatasetError(f"{path}: two classes have the same name; use the official {VOCAB_FILE}")
    return names


def _frame(entry: dict, key: str, path: Path, n: int) -> int:
    value = entry.get(key)
    if value is None:
        return -1
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise DatasetError(f"{path}: entry {n} has {key} {value!r}, not a frame number >= 0")
    return value


def _entries(path: Path) -> list[tuple[str, int, int, int]]:
    """``(vid_name, label, start_frame, end_frame)`` of every entry of one split's JSON file (-1: not given)."""
    entries = read_json(path, _FIX)
    if not isinstance(entries, list):
        raise DatasetError(f'{path}: expected a list of {{"vid_name", "label", ...}} objects; {_FIX}')
    pairs = []
    for n, entry in enumerate(entries):
        label = entry.get("label") if isinstance(entry, dict) else None
        if not isinstance(label, int) or isinstance(label, bool) or label < 0 or not entry.get("vid_name"):
            raise DatasetError(f"{path}: entry {n} lacks a vid_name or an integer label >= 0 ({str(entry)[:120]})")
        start, end = _frame(entry, "start_frame", path, n), _frame(entry, "end_frame", path, n)
        if 0 <= end <= max(start, 0):
            raise DatasetError(f"{path}: entry {n} ends (end_frame {end}) before it starts (start_frame {start})")
        pairs.append((str(entry["vid_name"]), label, start, end))
    return pairs


def load(data_args, seed: int = 0, skip_log: SkipLog | None = None) -> datasets.DatasetDict:
    """Diving48 V2: train = ``Diving48_V2_train.json`` minus the carved validation, test = ``Diving48_V2_test.json``."""
    videos, folder = _diving_paths(data_args)
    files = {"train": TRAIN_FILE, "test": TEST_FILE}
    listed = {split: _entries(folder / name) for split, name in files.items()}
    names = _vocabulary(folder / VOCAB_FILE)
    n_classes = N_CLASSES if names is None else len(names)
    for split, pairs in listed.items():
        beyond = next(((n, label) for n, (_, label, _, _) in enumerate(pairs) if label >= n_classes), None)
        if beyond is not None:
            of = f"the {n_classes} classes of {VOCAB_FILE}" if names else f"Diving48's {N_CLASSES} classes"
            raise DatasetError(f"{folder / files[split]}: entry {beyond[0]} has label {beyond[1]}, beyond {of} "
                               f"(0..{n_classes - 1}); the annotation files do not belong together")  # fmt: skip
    if names is None:  # classes 0..largest: a subset of the release keeps its labels' ids
        names = [str(i) for i in range(max(entry[1] for pairs in listed.values() for entry in pairs) + 1)]
    records, missing = [], []
    for split, pairs in listed.items():
        for n, (vid_name, label, start, end) in enumerate(pairs):
            where = f"{folder / files[split]}: entry {n}"
            path = inside(videos, f"{vid_name}.mp4", where)
            if not path.is_file():
                missing.append((str(path), f"listed in {files[split]} but not found in {videos}"))
                continue
            window = {"start_frame": max(start, 0), "end_frame": end}
            records.append(VideoRecord(str(path), names[label], split, vid_name, extra=window, origin=where))
    return assemble(records, missing, str(folder), data_args, seed, skip_log, names, extra_features=WINDOW_FEATURES,
                    empty="set dataset_dir to the folder holding rgb/<vid_name>.mp4")  # fmt: skip
