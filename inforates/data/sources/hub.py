"""The ``hub`` source: a Hub dataset id or a ``save_to_disk`` folder, with its video and label columns named.

splits = load(DataArguments(dataset_source="hub", dataset_name="org/videos", label_column="action"), seed=0)
"""

from __future__ import annotations

import logging
from pathlib import Path

import datasets
import pyarrow.compute as pc

from ..skips import SkipLog
from .common import (
    SPLIT_ORDER,
    DatasetError,
    VideoRecord,
    carve_validation,
    fill_ucf_groups,
    sorted_classes,
    split_name,
)


logger = logging.getLogger(__name__)


def _hub_splits(name: str, revision: str | None = None) -> datasets.DatasetDict:
    if Path(name).is_dir():
        loaded = datasets.load_from_disk(name)
    else:
        try:
            loaded = datasets.load_dataset(name, revision=revision)
        except Exception as err:  # the Hub's own errors are many; name what was asked for
            raise DatasetError(f"dataset_name={name!r}: cannot load it ({str(err).splitlines()[0][:200]})") from err
    if isinstance(loaded, datasets.Dataset):
        return datasets.DatasetDict({"test": loaded})  # no split information: a set to evaluate on
    renamed = {}
    for split, dataset in loaded.items():
        standard = split_name(split) or split
        if standard in renamed:
            raise DatasetError(f"dataset_name={name!r}: two splits map to {standard!r}; keep one")
        renamed[standard] = dataset
    return datasets.DatasetDict(renamed)


def _hub_labels(splits: dict[str, datasets.Dataset], where: str) -> list[str]:
    names: set[str] = set()
    for dataset in splits.values():
        feature = dataset.features["label"]
        if isinstance(feature, datasets.ClassLabel):
            names.update(feature.names)
        else:
            names.update(str(v) for v in dataset.unique("label"))
    if not names:
        raise DatasetError(f"{where}: the label column holds no labels")
    return sorted_classes(names)


def _to_class_label(dataset: datasets.Dataset, names: list[str]) -> datasets.Dataset:
    feature = dataset.features["label"]
    target = datasets.ClassLabel(names=names)
    if isinstance(feature, datasets.ClassLabel) and feature.names == names:
        return dataset
    index = {name: i for i, name in enumerate(names)}
    old_names = feature.names if isinstance(feature, datasets.ClassLabel) else None
    features = dataset.features.copy()
    features["label"] = target
    return dataset.map(
        lambda labels: {"label": [index[old_names[v] if old_names else str(v)] for v in labels]},
        input_columns="label",
        batched=True,
        features=features,
        desc="aligning labels",
    )


def _video_paths(dataset: datasets.Dataset) -> list[str]:
    """Each row's video file name as stored (``""`` for bytes alone), read from Arrow without loading the videos."""
    return [p or "" for p in pc.struct_field(dataset.with_format("arrow")["video"], "path").to_pylist()]


def _with_groups(splits: dict[str, datasets.Dataset], paths: dict[str, list[str]], where: str) -> dict:
    """Every split with a string ``group`` column: the dataset's own where a row has one, else ``gXX`` of a UCF-101
    style file name or video id (:func:`fill_ucf_groups`, one warning for all splits)."""
    given, names = [], []
    for split, dataset in splits.items():
        own = dataset["group"] if "group" in dataset.column_names else [None] * len(dataset)
        given += ["" if g is None else str(g) for g in own]
        names += [(p, str(v)) for p, v in zip(paths[split], dataset["video_id"])]
    filled = iter(fill_ucf_groups(given, names, where))
    for split, dataset in splits.items():
        groups = [next(filled) for _ in range(len(dataset))]
        if "group" in dataset.column_names:
            if dataset.features["group"] == datasets.Value("string") and groups == list(dataset["group"]):
                continue
            dataset = dataset.remove_columns("group")
        splits[split] = dataset.add_column("group", groups, feature=datasets.Value("string"))
    return splits


def load(data_args, seed: int = 0, skip_log: SkipLog | None = None) -> datasets.DatasetDict:
    """A Hub dataset id or a ``save_to_disk`` folder; ``video_column``/``label_column`` become video/label.

    ``group`` is the dataset's own column where a row has one, else ``gXX`` of a UCF-101 style file name or video id
    (``v_<Class>_gXX_cYY``), else ``""``."""
    name = data_args.dataset_name
    if not name:
        raise DatasetError("dataset_name is not set; give a Hub dataset id or a folder written by save_to_disk")
    splits = dict(_hub_splits(name))
    for split, dataset in splits.items():
        for column, standard in ((data_args.video_column, "video"), (data_args.label_column, "label")):
            if column not in dataset.column_names:
                raise DatasetError(
                    f"dataset_name={name!r}, split {split!r}: no column {column!r} (columns: "
                    f"{', '.join(dataset.column_names)}); set {standard}_column"
                )
            if column != standard:
                if standard in dataset.column_names:
                    dataset = dataset.remove_columns(standard)
                dataset = dataset.rename_column(column, standard)
        if not isinstance(dataset.features["video"], datasets.Video):
            dataset = dataset.cast_column("video", datasets.Video())
        splits[split] = dataset
    names = _hub_labels(splits, f"dataset_name={name!r}")
    paths = {}
    for split, dataset in splits.items():
        dataset = _to_class_label(dataset, names)
        paths[split] = _video_paths(dataset)
        if "video_id" not in dataset.column_names:
            stems = [Path(p).stem for p in paths[split]]
            unique = all(stems) and len(set(stems)) == len(stems)
            dataset = dataset.add_column("video_id", stems if unique else [f"{split}/{i}" for i in range(len(stems))])
        splits[split] = dataset
    splits = _with_groups(splits, paths, name)
    if "train" in splits and "validation" not in splits and data_args.validation_fraction > 0:
        train = splits["train"]
        records = [
            VideoRecord("", str(label), "train", str(i), str(group or ""))
            for i, (label, group) in enumerate(zip(train["label"], train["group"]))
        ]
        carve_validation(records, data_args.validation_fraction, seed)
        held = [i for i, r in enumerate(records) if r.split == "validation"]
        kept = [i for i, r in enumerate(records) if r.split == "train"]
        splits["train"], splits["validation"] = train.select(kept), train.select(held)
    order = [s for s in SPLIT_ORDER if s in splits] + [s for s in splits if s not in SPLIT_ORDER]
    return datasets.DatasetDict({split: splits[split] for split in order})
