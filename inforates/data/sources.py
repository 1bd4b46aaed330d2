"""Datasets in, one ``datasets.DatasetDict`` out: the same columns whatever the source.

    >>> splits = load_video_dataset(DataArguments(dataset_source="ucf101", dataset_dir="data/ucf101"), seed=42)
    >>> splits
    DatasetDict({train: ..., validation: ..., test: ...})
    >>> splits["train"].features["label"].names[:2], splits["train"][0]["group"]
    (['ApplyEyeMakeup', 'ApplyLipstick'], 'g08')

Splits are named ``train``, ``validation`` and ``test`` (those that exist). Columns: ``video`` (``datasets.Video()``:
rows decode lazily with torchcodec; cast to ``Video(decode=False)`` for ``{"path", "bytes"}``), ``label``
(``ClassLabel``, class names sorted, identical in every split), ``video_id`` (a stable, unique string) and
``group`` (``""`` when unknown; UCF-101's ``gXX``); the synthetic benchmark adds ``f_hz``, ``fps``, ``shape`` and
``direction``. The source is ``data_args.dataset_source``, one of :data:`SOURCES`:

- ``videofolder``: ``dataset_dir/{train,validation,test}/<class>/*.{mp4,avi,webm,mkv,mov}``.
- ``ucf101``: ``dataset_dir`` = ``UCF-101/<Class>/v_<Class>_gXX_cYY.avi`` (or its parent) and the official
  ``ucfTrainTestlist/`` (``annotations_path``, found beside it when unset), split ``ucf_split``.
- ``manifest``: a CSV or JSONL file (``manifest_path``) with ``path,label[,split][,video_id][,group]``.
- ``hub``: a Hub dataset id or a ``save_to_disk`` folder (``dataset_name``, ``video_column``, ``label_column``).
- ``kinetics``: Kinetics-400 annotation CSVs (``annotations_path``) and the clips under ``dataset_dir``.
- ``synthetic``: the rotating-shape benchmark in ``dataset_dir``, generated when missing (see synthetic.py).

Without a validation split, one is carved from train (never from test): ``validation_fraction`` of it, seeded,
whole groups when groups are known (no group ever straddles train and validation), else stratified by class.
Files are only read: a listed video that is missing is recorded in ``skip_log`` (stage ``missing``) and left out.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import datasets
import numpy as np

from ..errors import RecipeError
from .skips import SkipLog


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


# ---------------------------------------------------------------------------------------------------------------
# Shared steps
# ---------------------------------------------------------------------------------------------------------------
def _split_name(name: str) -> str | None:
    return SPLIT_ALIASES.get(str(name).strip().lower())


def _require_dir(value: str | None, key: str, what: str) -> Path:
    if not value:
        raise DatasetError(f"{key} is not set; point it at {what}")
    path = Path(value)
    if not path.is_dir():
        raise DatasetError(f"{key}={value!r}: folder not found; point it at {what}")
    return path


def _ucf_group(path: str | Path) -> str:
    """``gXX`` of a UCF-101 style name ``v_<Class>_gXX_cYY.<ext>``; ``""`` for any other name."""
    match = _UCF_GROUP.search(Path(path).stem)
    return f"g{int(match.group(1)):02d}" if match else ""


def _sorted_classes(names: Iterable[str]) -> list[str]:
    """Sorted class names; numerically when every name is an integer (so that labels 0..K-1 keep their ids)."""
    unique = set(names)
    if unique and all(re.fullmatch(r"-?\d+", n) for n in unique):
        return sorted(unique, key=int)
    return sorted(unique)


def _report_missing(missing: list[tuple[str, str]], where: str, skip_log: SkipLog | None) -> None:
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


def _check_classes_in_train(records: list[VideoRecord], where: str) -> None:
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
    duplicates = [v for v, n in Counter(r.video_id for r in records).items() if n > 1]
    if duplicates:
        raise DatasetError(f"{where}: video_id {duplicates[0]!r} appears {len(duplicates)} times; ids must be unique")
    names = class_names or _sorted_classes(r.class_name for r in records)
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

    >>> subsample(splits["test"], 100, seed=0)  # e.g. --max_eval_videos 100
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
        split = _split_name(entry.name) if entry.is_dir() else None
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
                records.append(VideoRecord(os.path.abspath(path), class_dir.name, split, video_id, _ucf_group(path)))
        if len(records) == before:
            raise DatasetError(f"{split_dir}: no videos in its class folders; the videofolder layout is {layout}")
    return records


def load_videofolder(data_args, seed: int = 0, skip_log: SkipLog | None = None) -> datasets.DatasetDict:
    """``dataset_dir/{train,validation,test}/<class>/*.<video>`` (``val``/``valid`` also name validation).

    ``group`` is ``gXX`` for UCF-101 style names (``v_<Class>_gXX_cYY``), else ``""``."""
    root = _require_dir(data_args.dataset_dir, "dataset_dir", "a folder with train/, validation/ and test/ inside")
    records = _folder_records(root)
    _check_classes_in_train(records, str(root))
    if not any(r.split == "validation" for r in records):
        records = carve_validation(records, data_args.validation_fraction, seed)
    return build_dataset_dict(records, str(root))


def _ucf_paths(data_args) -> tuple[Path, Path]:
    base = _require_dir(data_args.dataset_dir, "dataset_dir", "the UCF-101 folder (UCF-101/<Class>/*.avi)")
    videos = base / "UCF-101" if (base / "UCF-101").is_dir() else base
    if data_args.annotations_path:
        lists = Path(data_args.annotations_path)
        tried = [lists]
    else:
        tried = [base / "ucfTrainTestlist", videos.parent / "ucfTrainTestlist", base.parent / "ucfTrainTestlist"]
        lists = next((p for p in tried if p.is_dir()), tried[0])
    if not (lists / "classInd.txt").is_file():
        raise DatasetError(
            f"UCF-101 split lists not found (looked for classInd.txt in {', '.join(map(str, dict.fromkeys(tried)))}); "
            "set annotations_path to the ucfTrainTestlist/ folder of the official release"
        )
    return videos, lists


def _read_lines(path: Path) -> list[tuple[int, str]]:
    if not path.is_file():
        raise DatasetError(f"{path}: not found; set annotations_path to the official ucfTrainTestlist/ folder")
    return [(n, line.strip()) for n, line in enumerate(path.read_text().splitlines(), 1) if line.strip()]


def load_ucf101(data_args, seed: int = 0, skip_log: SkipLog | None = None) -> datasets.DatasetDict:
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
            records.append(VideoRecord(os.path.abspath(path), class_name, split_name, video_id, _ucf_group(path)))
    if not records:
        raise DatasetError(
            f"{videos}: none of the videos in the split lists is there; set dataset_dir to the folder holding "
            "UCF-101/<Class>/v_<Class>_gXX_cYY.avi"
        )
    _report_missing(missing, f"UCF-101 split {split} lists", skip_log)
    records = carve_validation(records, data_args.validation_fraction, seed)
    return build_dataset_dict(records, str(videos), class_names=sorted(known))


def _read_table(path: Path) -> list[dict]:
    """Rows of a CSV (header line) or JSONL (one object per line) file, as dicts of strings."""
    if path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
        rows = []
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise DatasetError(f"{path}:{n}: not a JSON object ({err.msg}); write one object per line") from None
            if not isinstance(row, dict):
                raise DatasetError(f"{path}:{n}: expected a JSON object per line, got {type(row).__name__}")
            rows.append({k: "" if v is None else str(v) for k, v in row.items()})
        return rows
    with open(path, newline="") as f:
        return [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in csv.DictReader(f)]


def load_manifest(data_args, seed: int = 0, skip_log: SkipLog | None = None) -> datasets.DatasetDict:
    """A CSV/JSONL list ``path,label[,split][,video_id][,group]``.

    Relative paths are relative to ``dataset_dir`` when set, else to the manifest's folder. Without a ``split``
    column every video is in ``test`` (a list to evaluate on); with one, a missing validation split is carved
    from train. ``video_id`` defaults to the path as written."""
    if not data_args.manifest_path:
        raise DatasetError("manifest_path is not set; point it at a CSV or JSONL file with path,label[,split] columns")
    manifest = Path(data_args.manifest_path)
    if not manifest.is_file():
        raise DatasetError(f"manifest_path={str(manifest)!r}: file not found")
    rows = _read_table(manifest)
    if not rows:
        raise DatasetError(f"{manifest}: holds no rows; list one video per row with path,label[,split]")
    columns = set().union(*(row.keys() for row in rows))
    lacking = [c for c in ("path", "label") if c not in columns]
    if lacking:
        raise DatasetError(f"{manifest}: no {' or '.join(lacking)} column (it has {', '.join(sorted(columns))})")
    base = Path(data_args.dataset_dir) if data_args.dataset_dir else manifest.parent
    records, missing = [], []
    for n, row in enumerate(rows, 2 if manifest.suffix.lower() == ".csv" else 1):
        if not row.get("path") or not row.get("label"):
            raise DatasetError(f"{manifest}: row {n} has an empty path or label")
        split = _split_name(row["split"]) if "split" in columns else "test"
        if split is None:
            raise DatasetError(f"{manifest}: row {n}: split {row.get('split')!r} is not train, validation or test")
        path = Path(row["path"]) if Path(row["path"]).is_absolute() else base / row["path"]
        if not path.is_file():
            missing.append((str(path), f"listed in {manifest.name} but not found"))
            continue
        video_id = row.get("video_id") or row["path"]
        records.append(VideoRecord(os.path.abspath(path), row["label"], split, video_id, row.get("group", "")))
    if not records:
        raise DatasetError(f"{manifest}: none of its {len(rows)} videos exists (relative paths start at {base})")
    _report_missing(missing, str(manifest), skip_log)
    _check_classes_in_train(records, str(manifest))
    if any(r.split == "train" for r in records) and not any(r.split == "validation" for r in records):
        records = carve_validation(records, data_args.validation_fraction, seed)
    return build_dataset_dict(records, str(manifest))


def _kinetics_tables(annotations: Path) -> list[tuple[Path, dict]]:
    files = sorted(annotations.glob("*.csv")) if annotations.is_dir() else [annotations]
    if not files or not files[0].is_file():
        raise DatasetError(
            f"annotations_path={str(annotations)!r}: no annotation CSV; point it at the Kinetics-400 train/validate/"
            "test.csv files (label,youtube_id,time_start,time_end,split) or their folder"
        )
    return [(path, row) for path in files for row in _read_table(path)]


def load_kinetics(data_args, seed: int = 0, skip_log: SkipLog | None = None) -> datasets.DatasetDict:
    """Kinetics-400 annotation CSVs; clip ``<youtube_id>_<start:06d>_<end:06d>.<video>`` anywhere under
    ``dataset_dir`` (preferring its split's folder). Clips that are missing (taken down, failed downloads) are
    recorded in ``skip_log`` and left out."""
    root = _require_dir(data_args.dataset_dir, "dataset_dir", "the folder holding the Kinetics clips")
    if not data_args.annotations_path:
        raise DatasetError("annotations_path is not set; point it at the Kinetics-400 annotation CSVs or their folder")
    on_disk: dict[str, list[Path]] = defaultdict(list)
    for folder, _, names in os.walk(root):
        for name in names:
            if Path(name).suffix.lower() in VIDEO_EXTENSIONS and not name.startswith("."):
                on_disk[Path(name).stem].append(Path(folder) / name)
    records, missing = [], []
    for path, row in _kinetics_tables(Path(data_args.annotations_path)):
        lacking = [c for c in ("label", "youtube_id", "time_start", "time_end") if not row.get(c)]
        if lacking:
            raise DatasetError(
                f"{path}: a row lacks {', '.join(lacking)} ({row}); Kinetics test labels ship separately"
            )
        split = _split_name(row.get("split") or path.stem)
        if split is None:
            raise DatasetError(f"{path}: split {row.get('split') or path.stem!r} is not train, validate or test")
        try:
            start, end = int(float(row["time_start"])), int(float(row["time_end"]))
        except ValueError:
            raise DatasetError(f"{path}: time_start/time_end must be seconds, got {row}") from None
        stem = f"{row['youtube_id']}_{start:06d}_{end:06d}"
        candidates = on_disk.get(stem, [])
        if not candidates:
            missing.append((str(root / stem), f"listed in {path.name} but no {stem}.<video> under {root}"))
            continue
        preferred = [p for p in candidates if split in {_split_name(part) for part in p.relative_to(root).parts}]
        chosen = (preferred or candidates)[0]
        records.append(VideoRecord(os.path.abspath(chosen), row["label"], split, stem))
    if not records:
        raise DatasetError(f"{root}: none of the annotated clips is there; set dataset_dir to the clips' folder")
    _report_missing(missing, f"Kinetics annotations {data_args.annotations_path}", skip_log)
    _check_classes_in_train(records, str(data_args.annotations_path))
    if any(r.split == "train" for r in records) and not any(r.split == "validation" for r in records):
        records = carve_validation(records, data_args.validation_fraction, seed)
    return build_dataset_dict(records, str(root))


def load_synthetic(data_args, seed: int = 0, skip_log: SkipLog | None = None) -> datasets.DatasetDict:
    """The rotating-shape benchmark in ``dataset_dir`` (generated when missing); adds f_hz, fps, shape, direction."""
    from .synthetic import CLASS_NAMES, METADATA_NAME, ensure_synthetic

    try:
        root = ensure_synthetic(data_args)
    except ValueError as err:
        raise DatasetError(f"dataset_dir={data_args.dataset_dir!r}: {err}") from None
    records = []
    with open(root / METADATA_NAME, newline="") as f:
        for row in csv.DictReader(f):
            extra = {"f_hz": float(row["f_hz"]), "fps": float(row["fps"]), "shape": row["shape"]}
            extra["direction"] = row["direction"]
            path = os.path.abspath(root / row["path"])
            records.append(VideoRecord(path, row["class"], row["split"], row["video_id"], "", extra))
    features = {
        "f_hz": datasets.Value("float64"),
        "fps": datasets.Value("float64"),
        "shape": datasets.Value("string"),
        "direction": datasets.Value("string"),
    }
    return build_dataset_dict(records, str(root), class_names=sorted(CLASS_NAMES), extra_features=features)


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
        standard = _split_name(split) or split
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
    return _sorted_classes(names)


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


def load_hub(data_args, seed: int = 0, skip_log: SkipLog | None = None) -> datasets.DatasetDict:
    """A Hub dataset id or a ``save_to_disk`` folder; ``video_column``/``label_column`` become video/label."""
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
    for split, dataset in splits.items():
        dataset = _to_class_label(dataset, names)
        if "group" not in dataset.column_names:
            dataset = dataset.add_column("group", [""] * len(dataset))
        if "video_id" not in dataset.column_names:
            paths = [v.get("path") or "" for v in dataset.cast_column("video", datasets.Video(decode=False))["video"]]
            stems = [Path(p).stem for p in paths]
            unique = all(stems) and len(set(stems)) == len(stems)
            dataset = dataset.add_column("video_id", stems if unique else [f"{split}/{i}" for i in range(len(paths))])
        splits[split] = dataset
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


Loader = Callable[..., datasets.DatasetDict]

SOURCES: dict[str, Loader] = {
    "videofolder": load_videofolder,
    "ucf101": load_ucf101,
    "manifest": load_manifest,
    "hub": load_hub,
    "kinetics": load_kinetics,
    "synthetic": load_synthetic,
}


def load_video_dataset(data_args, seed: int = 0, skip_log: SkipLog | None = None) -> datasets.DatasetDict:
    """The recipe's dataset (``data_args.dataset_source``) with ``max_train_videos``/``max_validation_videos``
    applied (seeded, class-stratified). Pass the run's ``skip_log`` to list missing videos in its skipped.csv."""
    try:
        loader = SOURCES[data_args.dataset_source]
    except KeyError:
        raise DatasetError(
            f"dataset_source={data_args.dataset_source!r}: choose one of {', '.join(SOURCES)}"
        ) from None
    splits = loader(data_args, seed=seed, skip_log=skip_log)
    limits = {
        data_args.train_split: data_args.max_train_videos,
        data_args.validation_split: data_args.max_validation_videos,
    }
    for split, n in limits.items():
        if n is not None and split in splits:
            splits[split] = subsample(splits[split], n, seed)
    logger.info("%s dataset: %s", data_args.dataset_source, {split: len(ds) for split, ds in splits.items()})
    return splits
