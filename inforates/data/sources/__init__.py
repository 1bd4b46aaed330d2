"""Datasets in, one ``datasets.DatasetDict`` out: the same columns whatever the source.

    splits = load_video_dataset(DataArguments(dataset_source="ucf101", dataset_dir="data/ucf101"), seed=42)
    splits
    # -> DatasetDict({train: ..., validation: ..., test: ...})
    splits["train"].features["label"].names[:2], splits["train"][0]["group"]
    # -> (['ApplyEyeMakeup', 'ApplyLipstick'], 'g08')

Splits are named ``train``, ``validation`` and ``test`` (those that exist). Columns: ``video`` (``datasets.Video()``:
rows decode lazily with torchcodec; cast to ``Video(decode=False)`` for ``{"path", "bytes"}``), ``label``
(``ClassLabel``, identical in every split; names sorted, or in the release's id order for ssv2 and diving48),
``video_id`` (a stable, unique string) and ``group`` (``""`` when unknown; UCF-101's ``gXX``); the synthetic benchmark adds ``f_hz``, ``fps``, ``shape`` and
``direction``. The source is ``data_args.dataset_source``, one of :data:`SOURCES`, each a module of this package
with a ``load(data_args, seed=0, skip_log=None) -> datasets.DatasetDict``:

- ``videofolder``: ``dataset_dir/{train,validation,test}/<class>/*.{mp4,avi,webm,mkv,mov}``.
- ``ucf101``: ``dataset_dir`` = ``UCF-101/<Class>/v_<Class>_gXX_cYY.avi`` (or its parent) and the official
  ``ucfTrainTestlist/`` (``annotations_path``, found beside it when unset), split ``ucf_split``.
- ``manifest``: a CSV or JSONL file (``manifest_path``) with ``path,label[,split][,video_id][,group]``.
- ``hub``: a Hub dataset id or a ``save_to_disk`` folder (``dataset_name``, ``video_column``, ``label_column``).
- ``kinetics``: Kinetics-400 annotation CSVs (``annotations_path``) and the clips under ``dataset_dir``.
- ``hmdb51``: ``dataset_dir`` = ``hmdb51_org/<class>/<video>.avi`` (or its parent) and the official
  ``testTrainMulti_7030_splits/`` (``annotations_path``, found beside it when unset), split ``hmdb_split``.
- ``ssv2``: Something-Something V2's ``labels.json``/``train.json``/``validation.json`` (``annotations_path``) and
  ``<id>.webm`` in ``dataset_dir``; the official validation set is ``test``; ``horizontal_flip`` defaults to off.
- ``diving48``: ``Diving48_V2_{train,test}.json`` (+ ``Diving48_vocab.json``) and ``rgb/<vid_name>.mp4``.
- ``synthetic``: the rotating-shape benchmark in ``dataset_dir``, generated when missing (see synthetic.py).

Without a validation split, one is carved from train (never from test): ``validation_fraction`` of it, seeded,
whole groups when groups are known (no group ever straddles train and validation), else stratified by class.
Files are only read: a listed video that is missing is recorded in ``skip_log`` (stage ``missing``) and left out.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass


logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Source:
    """One dataset source: ``inforates.data.sources.<name>.load`` reads it; ``title`` names it on model cards."""

    name: str
    title: str | None = None  # e.g. "UCF-101"; None: the card names the folder or file
    horizontal_flip: bool = True  # the default of the recipe key: False where labels name left/right

    def load(self, data_args, seed: int = 0, skip_log=None):
        return importlib.import_module(f"{__name__}.{self.name}").load(data_args, seed=seed, skip_log=skip_log)


# Adding a source: a module here with `load(...)`, one entry below, and a test (tests/test_sources.py checks that
# every entry has its module and a section in docs/data.md).
SOURCES: dict[str, Source] = {
    source.name: source
    for source in (
        Source("videofolder"),
        Source("ucf101", "UCF-101"),
        Source("manifest"),
        Source("hub"),
        Source("kinetics", "Kinetics-400"),
        Source("hmdb51", "HMDB-51"),
        Source("ssv2", "Something-Something V2", horizontal_flip=False),
        Source("diving48", "Diving48"),
        Source("synthetic"),
    )
}

_COMMON = ("DatasetError", "VideoRecord", "build_dataset_dict", "carve_validation", "subsample", "undecoded")


def __getattr__(name: str):  # the shared steps import datasets: only on first use, so recipes parse without it
    if name not in _COMMON:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.common"), name)


def load_video_dataset(data_args, seed: int = 0, skip_log=None):
    """The recipe's dataset (``data_args.dataset_source``) with ``max_train_videos``/``max_validation_videos``
    applied (seeded, class-stratified). Pass the run's ``skip_log`` to list missing videos in its skipped.csv."""
    from .common import DatasetError, subsample

    try:
        source = SOURCES[data_args.dataset_source]
    except KeyError:
        raise DatasetError(
            f"dataset_source={data_args.dataset_source!r}: choose one of {', '.join(SOURCES)}"
        ) from None
    splits = source.load(data_args, seed=seed, skip_log=skip_log)
    limits = {
        data_args.train_split: data_args.max_train_videos,
        data_args.validation_split: data_args.max_validation_videos,
    }
    for split, n in limits.items():
        if n is not None and split in splits:
            splits[split] = subsample(splits[split], n, seed)
    logger.info("%s dataset: %s", data_args.dataset_source, {split: len(ds) for split, ds in splits.items()})
    return splits
