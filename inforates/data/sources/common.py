"""What every source shares: the record of one video, split names, the validation carve-out, the dataset build.

records = [VideoRecord("/data/a.mp4", "walk", "train", "train/walk/a.mp4"), ...]
splits = assemble(records, missing, "data/videos", data_args, seed=0)   # checks, carve-out, DatasetDict
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import datasets
import numpy as np

from ...errors import RecipeError
from ..skips import SkipLog


logger = logging.getLogger(__name__)


VIDEO_EXTENSIONS = (".mp4", ".avi", ".webm", ".mkv", ".mov")
SPLIT_ORDER = ("train", "validation", "test")
SPLIT_ALIASES = {
    "train": "train",
    "training": "train",
    "validation": "validation",
    "val": "validation",
    "valid": "validation",
    "validate": "validation",
    "test": "test",
    "testing": "test",
}
_UCF_GROUP = re.compile(r"_g(\d+)_c\d+$")
_UCF_NAME = re.compile(r"v_.+_g\d+.*_c\d+", re.IGNORECASE)  # looks like UCF-101's v_<Class>_gXX_cYY, group or not
_UCF_DATASET = re.compile(r"ucf[-_ ]?101", re.IGNORECASE)


class DatasetError(RecipeError):
    """A dataset that cannot be loaded as configured (a ``ValueError``); the message names the path and the fix."""


@dataclass
class VideoRecord:
    """One video before it becomes a dataset row."""

    path: str
    class_name: str
    split: str
    video_id: str
    group: str = ""
    extra: dict = field(default_factory=dict)
    origin: str = ""  # the file and line (or entry) that listed it, for errors


# The columns of a source whose annotation cuts each video to some of its frames (diving48)
WINDOW_FEATURES = {"start_frame": datasets.Value("int32"), "end_frame": datasets.Value("int32")}


def annotated_window(start_frame, end_frame, total_frames: int) -> tuple[int, int]:
    """``(first frame, frame count)`` of a video's annotated frames ``start_frame..end_frame - 1``, within its
    ``total_frames`` decoded ones (an ``end_frame`` past them, or -1/None, ends at the last); ``(0, total_frames)``
    without an annotation. ``ValueError`` when the annotated frames are not in the video.

    >>> annotated_window(10, 50, 40), annotated_window(None, None, 40), annotated_window(0, -1, 40)
    ((10, 30), (0, 40), (0, 40))
    """
    first = int(start_frame or 0)
    last = total_frames if end_frame is None or end_frame < 0 else min(int(end_frame), total_frames)
    if first >= last:
        raise ValueError(f"annotated frames {first}..{end_frame} are not within its {total_frames} frames")
    return first, last - first


# ---------------------------------------------------------------------------------------------------------------
# Shared steps
# ---------------------------------------------------------------------------------------------------------------
def split_name(name: str) -> str | None:
    return SPLIT_ALIASES.get(str(name).strip().lower())


def require_dir(value: str | None, key: str, what: str) -> Path:
    if not value:
        raise DatasetError(f"{key} is not set; point it at {what}")
    path = Path(value)
    if not path.is_dir():
        raise DatasetError(f"{key}={value!r}: folder not found; point it at {what}")
    return path


def release_folders(data_args, videos_name: str, lists_name: str, what: str) -> tuple[Path, Path, list[Path]]:
    """An official release's (videos folder, annotation folder, the annotation folders tried).

    ``dataset_dir`` is the videos folder ``videos_name`` or its parent; the annotation folder ``lists_name`` is
    ``annotations_path`` when set, else the first that exists of: inside ``dataset_dir``, beside the videos
    folder, beside ``dataset_dir`` (the first of them when none does: the caller says what is missing)."""
    base = require_dir(data_args.dataset_dir, "dataset_dir", what)
    videos = base / videos_name if (base / videos_name).is_dir() else base
    if data_args.annotations_path:
        tried = [Path(data_args.annotations_path)]
    else:
        tried = list(dict.fromkeys([base / lists_name, videos.parent / lists_name, base.parent / lists_name]))
    return videos, next((p for p in tried if p.is_dir()), tried[0]), tried


def ucf_group(path: str | Path) -> str:
    """``gXX`` of a UCF-101 style name ``v_<Class>_gXX_cYY.<ext>``; ``""`` for any other name."""
    match = _UCF_GROUP.search(Path(path).stem)
    return f"g{int(match.group(1)):02d}" if match else ""


def fill_ucf_groups(groups: Sequence[str], names: Sequence[Sequence[str]], where: str) -> list[str]:
    """``groups`` with each empty one filled with :func:`ucf_group` of the first of its row's ``names`` (file name,
    video id) that has one; explicit groups are kept. When rows stay without a group although the names look like
    UCF-101's (``v_<Class>_g.._c..``) or the dataset is named so (``where``: its file, folder or Hub id), logs one
    warning: validation would be carved per clip."""
    filled = [g or next((found for found in map(ucf_group, row) if found), "") for g, row in zip(groups, names)]
    unknown = [row for g, row in zip(filled, names) if not g]
    if not unknown:
        return filled
    if _UCF_DATASET.search(Path(where).name) or any(_UCF_NAME.match(Path(n).name) for row in names for n in row):
        example = Path(next((n for n in unknown[0] if n), "?")).name
        logger.warning(
            "%s looks like UCF-101 but %d of its %d videos have no group (e.g. %s): groups are unknown, so validation "
            "is carved per clip (one group's clips can land in train and validation) and bootstraps treat "
            "same-group clips as independent; add a group column (gXX) or name the videos v_<Class>_gXX_cYY",
            where,
            len(unknown),
            len(filled),
            example,
        )
    return filled


def sorted_classes(names: Iterable[str]) -> list[str]:
    """Sorted class names; numerically when every name is an integer (so that labels 0..K-1 keep their ids)."""
    unique = set(names)
    if unique and all(re.fullmatch(r"-?\d+", n) for n in unique):
        return sorted(unique, key=int)
    return sorted(unique)


def report_missing(missing: list[tuple[str, str]], where: str, skip_log: SkipLog | None) -> None:
    """Record listed-but-absent videos (``(path, reason)``) in ``skip_log`` and log how many; never fatal here."""
    if not missing:
        return
    for path, reason in missing:
        if skip_log is not None:
            skip_log.record(path, "missing", reason)
    examples = ", ".join(Path(p).name for p, _ in missing[:5])
    logger.warning(
        "%d videos listed in %s are missing and left out (e.g. %s)%s",
        len(missing),
        where,
        examples,
        "; listed in skipped.csv" if skip_log is not None else "",
    )


def check_classes_in_train(records: list[VideoRecord], where: str) -> None:
    train_classes = {r.class_name for r in records if r.split == "train"}
    if not train_classes:
        return
    for split in ("validation", "test"):
        unknown = sorted({r.class_name for r in records if r.split == split} - train_classes)
        if unknown:
            raise DatasetError(
                f"{where}: {split} has classes that train lacks ({', '.join(unknown[:5])}); a model cannot learn "
                "them: add training videos of these classes or remove them from this split"
            )


def check_one_name_per_video(records: list[VideoRecord], where: str) -> None:
    """A ``DatasetError`` naming both entries when one file (after resolving links) is listed twice, e.g. in
    train as ``a/x.mp4`` and in test as ``./a/x.mp4``: a video seen in training and testing leaks the answer."""
    seen: dict[str, VideoRecord] = {}
    for record in records:
        key = str(Path(record.path).resolve())
        first = seen.setdefault(key, record)
        if first is not record:
            name = lambda r: f"{r.split} {r.video_id!r}" + (f" ({r.origin})" if r.origin else "")  # noqa: E731
            leak = " (one video in two splits leaks test answers into training)" if first.split != record.split else ""
            raise DatasetError(f"{where}: {key} is listed twice, as {name(first)} and as {name(record)}; list each "
                               f"video once{leak}")  # fmt: skip


def assemble(
    records: list[VideoRecord],
    missing: list[tuple[str, str]],
    where: str,
    data_args,
    seed: int,
    skip_log: SkipLog | None = None,
    class_names: list[str] | None = None,
    extra_features: dict | None = None,
    empty: str = "check the path and the layout its dataset_source expects",
) -> datasets.DatasetDict:
    """What every source does with the videos it found: refuse none found (``empty`` says what to fix), record the
    ``missing`` ones, refuse test or validation classes that train lacks, carve validation from train when there
    is none, and build the ``DatasetDict``."""
    if not records:
        raise DatasetError(f"{where}: none of the listed videos is there; {empty}")
    report_missing(missing, where, skip_log)
    check_one_name_per_video(records, where)
    check_classes_in_train(records, where)
    if any(r.split == "train" for r in records) and not any(r.split == "validation" for r in records):
        records = carve_validation(records, data_args.validation_fraction, seed)
    return build_dataset_dict(records, where, class_names=class_names, extra_features=extra_features)


def carve_validation(records: list[VideoRecord], fraction: float, seed: int) -> list[VideoRecord]:
    """Move a seeded ``fraction`` of train to validation (test is never touched).

    With groups known (every train video has a ``group``), whole groups move, so that no group straddles the two;
    otherwise each class gives ``round(fraction * n)`` of its videos (at least one while it keeps one in train).
    """
    train = [r for r in records if r.split == "train"]
    if not train or fraction <= 0:
        return records
    rng = np.random.default_rng(seed)
    if all(r.group for r in train):
        groups = sorted({r.group for r in train})
        sizes = Counter(r.group for r in train)
        target, moved, chosen = round(fraction * len(train)), 0, set()
        for index in rng.permutation(len(groups)):
            if moved >= max(target, 1) or len(chosen) == len(groups) - 1:
                break
            chosen.add(groups[index])
            moved += sizes[groups[index]]
        selected = {id(r) for r in train if r.group in chosen}
    else:
        by_class: dict[str, list[VideoRecord]] = defaultdict(list)
        for r in train:
            by_class[r.class_name].append(r)
        selected = set()
        for class_name in sorted(by_class):
            members = by_class[class_name]
            k = min(max(round(fraction * len(members)), 1), len(members) - 1)
            selected.update(id(members[i]) for i in rng.permutation(len(members))[:k])
    for r in records:
        if id(r) in selected:
            r.split = "validation"
    return records


def build_dataset_dict(
    records: list[VideoRecord],
    where: str,
    class_names: list[str] | None = None,
    extra_features: dict[str, datasets.features.FeatureType] | None = None,
) -> datasets.DatasetDict:
    """Records -> ``DatasetDict`` with the standard columns (``extra_features`` for the records' ``extra``)."""
    if not records:
        raise DatasetError(f"{where}: no videos found; check the path and the layout its dataset_source expects")
    duplicates = [(v, n) for v, n in Counter(r.video_id for r in records).items() if n > 1]
    if duplicates:
        raise DatasetError(f"{where}: video_id {duplicates[0][0]!r} is given to {duplicates[0][1]} videos "
                           f"({len(duplicates)} ids are repeated); ids must be unique")  # fmt: skip
    names = class_names or sorted_classes(r.class_name for r in records)
    index = {name: i for i, name in enumerate(names)}
    unknown = sorted({r.class_name for r in records} - set(index))
    if unknown:
        raise DatasetError(f"{where}: unknown class(es) {', '.join(unknown[:5])} (known: {', '.join(names[:5])}, ...)")
    extra_features = extra_features or {}
    features = datasets.Features(
        {
            "video": datasets.Video(),
            "label": datasets.ClassLabel(names=names),
            "video_id": datasets.Value("string"),
            "group": datasets.Value("string"),
            **extra_features,
        }
    )
    splits = {}
    for split in SPLIT_ORDER:
        rows = [r for r in records if r.split == split]
        if not rows:
            continue
        columns = {
            "video": [r.path for r in rows],
            "label": [index[r.class_name] for r in rows],
            "video_id": [r.video_id for r in rows],
            "group": [r.group for r in rows],
        }
        for key in extra_features:
            columns[key] = [r.extra[key] for r in rows]
        splits[split] = datasets.Dataset.from_dict(columns, features=features)
    return datasets.DatasetDict(splits)


def subsample(split_dataset: datasets.Dataset, n: int | None, seed: int = 0, column: str = "label"):
    """A seeded, class-stratified subset of ``n`` rows, in the original order (the whole split when ``n`` is None
    or not smaller). Classes keep their shares (largest remainder) and, while ``n`` allows, at least one row each.

    subsample(splits["test"], 100, seed=0)  # e.g. --max_eval_videos 100
    """
    if n is None or n >= len(split_dataset):
        return split_dataset
    if int(n) != n or n < 1:
        raise ValueError(f"subsample: n must be an integer >= 1, got {n!r}")
    labels = np.asarray(list(split_dataset[column]))
    classes, counts = np.unique(labels, return_counts=True)
    exact = n * counts / counts.sum()
    quota = np.floor(exact).astype(int)
    for i in np.argsort(-(exact - quota), kind="stable")[: n - quota.sum()]:
        quota[i] += 1
    if n >= len(classes):
        for i in np.flatnonzero(quota == 0):
            quota[int(np.argmax(quota))] -= 1
            quota[i] = 1
    rng = np.random.default_rng(seed)
    chosen = [rng.permutation(np.flatnonzero(labels == c))[:q] for c, q in zip(classes, quota)]
    return split_dataset.select(np.sort(np.concatenate(chosen)).tolist())


# ---------------------------------------------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------------------------------------------
def undecoded(dataset: datasets.Dataset) -> datasets.Dataset:
    """``dataset`` with its ``video`` column cast to ``Video(decode=False)``: rows hold ``{"path", "bytes"}``, so that
    reading a row does not open the video (the collator opens it once, where it decodes)."""
    if isinstance(dataset.features.get("video"), datasets.Video):
        return dataset.cast_column("video", datasets.Video(decode=False))
    return dataset
