"""The ``ssv2`` source: Something-Something V2's ``labels.json``, ``train.json``, ``validation.json`` and ``<id>.webm``.

    splits = load(DataArguments(dataset_source="ssv2", dataset_dir="data/ssv2", annotations_path="data/ssv2/labels"))

The class of a video is its ``template`` without brackets (``Putting [something] on [something]`` -> ``Putting
something on something``), a key of ``labels.json``; classes keep ``labels.json``'s id order. The official
validation set is the ``test`` split here and validation is carved from train (stratified by class); ``test.json``
has no labels and is not used. Labels name left and right ("Pushing something from left to right"), so the
source's ``horizontal_flip`` default is off.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import datasets

from ..skips import SkipLog
from .annotation_files import inside, read_json
from .common import VIDEO_EXTENSIONS, DatasetError, VideoRecord, assemble, require_dir


logger = logging.getLogger(__name__)

VIDEOS_FOLDER = "20bn-something-something-v2"
PREFIXES = ("", "something-something-v2-")  # labels.json, or the older something-something-v2-labels.json
_FIX = "set annotations_path to the folder of the official labels.json, train.json and validation.json"


def _ssv2_paths(data_args) -> tuple[Path, Path, str]:
    """The videos folder, the annotations folder and the annotation files' name prefix."""
    base = require_dir(data_args.dataset_dir, "dataset_dir", f"the folder of the SSv2 videos ({VIDEOS_FOLDER}/)")
    videos = base / VIDEOS_FOLDER if (base / VIDEOS_FOLDER).is_dir() else base
    if data_args.annotations_path:
        tried = [Path(data_args.annotations_path)]
    else:
        tried = list(
            dict.fromkeys([base, base / "labels", videos.parent / "labels", base.parent / "labels", base.parent])
        )
    for folder in tried:
        for prefix in PREFIXES:
            if (folder / f"{prefix}labels.json").is_file():
                return videos, folder, prefix
    raise DatasetError(f"SSv2 labels.json not found (looked in {', '.join(map(str, tried))}); {_FIX}")


def _class_names(path: Path) -> list[str]:
    """Class names in the order of their ids in ``labels.json`` (``{"<template text>": "<id>"}``)."""
    labels = read_json(path, _FIX)
    if not isinstance(labels, dict) or not labels:
        raise DatasetError(f'{path}: expected an object {{"<template>": "<id>"}}; {_FIX}')
    try:
        ids = {name: int(value) for name, value in labels.items()}
    except (TypeError, ValueError):
        raise DatasetError(f'{path}: every value must be a class id ("0", "1", ...); {_FIX}') from None
    if sorted(ids.values()) != list(range(len(ids))):
        raise DatasetError(f"{path}: the class ids are not 0..{len(ids) - 1}, each once; {_FIX}")
    return sorted(ids, key=ids.get)


def _entries(path: Path, classes: list[str]) -> list[tuple[str, str]]:
    """``(video id, class)`` of every entry of ``train.json`` or ``validation.json``."""
    entries = read_json(path, _FIX)
    if not isinstance(entries, list):
        raise DatasetError(f'{path}: expected a list of {{"id", "template", ...}} objects; {_FIX}')
    exact = set(classes)
    folded = {name.casefold(): name for name in classes}
    pairs = []
    for n, entry in enumerate(entries):
        if not isinstance(entry, dict) or not entry.get("id") or not isinstance(entry.get("template"), str):
            raise DatasetError(f"{path}: entry {n} has no id or template ({str(entry)[:120]}); {_FIX}")
        class_name = entry["template"].replace("[", "").replace("]", "")
        if class_name not in exact:
            if class_name.casefold() not in folded:
                raise DatasetError(
                    f"{path}: video {entry['id']} has template {entry['template']!r}, and {class_name!r} is not a "
                    "class of labels.json; use the annotation files of one SSv2 release"
                )
            class_name = folded[class_name.casefold()]
        pairs.append((str(entry["id"]), class_name))
    return pairs


def _videos_on_disk(videos: Path) -> dict[str, Path]:
    """``{id: path}`` of the videos in the folder, ``.webm`` (the release's) preferred over re-encoded copies."""
    found: dict[str, Path] = {}
    rank = {ext: i for i, ext in enumerate(dict.fromkeys((".webm", *VIDEO_EXTENSIONS)))}
    with os.scandir(videos) as entries:
        for entry in entries:
            stem, ext = os.path.splitext(entry.name)
            ext = ext.lower()
            if ext in rank and entry.is_file() and (stem not in found or rank[ext] < rank[found[stem].suffix.lower()]):
                found[stem] = Path(entry.path)
    return found


def load(data_args, seed: int = 0, skip_log: SkipLog | None = None) -> datasets.DatasetDict:
    """SSv2: train = ``train.json`` minus the carved validation, test = the official ``validation.json``."""
    videos, folder, prefix = _ssv2_paths(data_args)
    classes = _class_names(folder / f"{prefix}labels.json")
    on_disk = _videos_on_disk(videos)
    records, missing = [], []
    for split, name in (("train", f"{prefix}train.json"), ("test", f"{prefix}validation.json")):
        for n, (video_id, class_name) in enumerate(_entries(folder / name, classes)):
            path = on_disk.get(video_id)
            if path is None:
                missing.append((str(videos / f"{video_id}.webm"), f"listed in {name} but not found in {videos}"))
                continue
            where = f"{folder / name}: entry {n}"
            path = inside(videos, path.name, where)  # a link may lead out
            records.append(VideoRecord(str(path), class_name, split, video_id, origin=where))
    if (folder / f"{prefix}test.json").is_file():
        logger.info("SSv2: %s has no labels and is not used (the official validation set is the test split)",
                    folder / f"{prefix}test.json")  # fmt: skip
    empty = f"set dataset_dir to the folder holding <id>.webm (or {VIDEOS_FOLDER}/)"
    return assemble(records, missing, str(folder), data_args, seed, skip_log, classes, empty=empty)
