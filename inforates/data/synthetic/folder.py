"""The benchmark folder: generating it (reusing or completing an existing one), its index files, its parameters.

Layout: ``root/{train,validation,test}/<class>/<video_id>.mp4`` with ``metadata.csv`` (one row per video) and
``synthetic.json`` (format and generation parameters).
"""

from __future__ import annotations

import csv
import dataclasses
import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ...files import atomic_write, write_json
from .params import SPLITS, SynthParams, iter_videos
from .render import _encode, render


logger = logging.getLogger(__name__)

METADATA_COLUMNS = ("video_id", "split", "class", "shape", "direction", "speed", "f_hz", "fps", "num_frames", "path")
MANIFEST_NAME = "synthetic.json"
METADATA_NAME = "metadata.csv"
FORMAT_VERSION = 2  # bump when the rendering changes, so that an old folder is not mistaken for a new one


def _read_manifest(root: Path) -> dict | None:
    path = root / MANIFEST_NAME
    if not path.is_file():
        return None
    try:
        manifest = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err}); it is not a benchmark written by inforates synth") from None
    if not isinstance(manifest, dict) or "params" not in manifest:
        raise ValueError(f"{path}: has no 'params'; it is not a benchmark written by inforates synth")
    return manifest


def _metadata_rows(params: SynthParams) -> list[dict]:
    return [
        {
            "video_id": video.video_id,
            "split": video.split,
            "class": video.class_name,
            "shape": video.shape,
            "direction": video.direction,
            "speed": video.speed,
            "f_hz": repr(video.f_hz),
            "fps": repr(float(params.fps)),
            "num_frames": params.num_frames,
            "path": video.relative_path,
        }
        for video in iter_videos(params)
    ]


def _write_metadata(path: Path, rows: list[dict]) -> None:
    def write(tmp: str) -> None:
        with open(tmp, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=METADATA_COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)

    atomic_write(path, write)


def _remove_previous(root: Path) -> int:
    """Remove what an earlier ``generate_synthetic`` wrote in ``root`` (the files its metadata.csv lists, its
    leftovers and its two index files) and nothing else; folders go only when that leaves them empty."""
    removed = 0
    metadata = root / METADATA_NAME
    if metadata.is_file():
        with open(metadata, newline="") as f:
            for row in csv.DictReader(f):
                path = (root / row.get("path", "")).resolve()
                if path.suffix == ".mp4" and path.is_file() and root.resolve() in path.parents:
                    path.unlink()
                    removed += 1
    manifest = _read_manifest(root)
    old_classes = make_params(**manifest["params"]).class_names if manifest else ()
    for split in SPLITS:
        for class_name in old_classes:
            folder = root / split / class_name
            for leftover in folder.glob(".*.tmp.mp4") if folder.is_dir() else ():  # atomic_write's, if killed
                leftover.unlink()
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        if (root / split).is_dir() and not any((root / split).iterdir()):
            (root / split).rmdir()
    metadata.unlink(missing_ok=True)
    (root / MANIFEST_NAME).unlink()
    return removed


def _check_target(root: Path, params: SynthParams, overwrite: bool) -> str:
    """``"new"``, ``"same"`` (this benchmark, maybe unfinished) or ``"replaced"`` (an older one removed)."""
    if root.exists() and not root.is_dir():
        raise ValueError(f"{root}: exists and is not a folder; choose another output folder")
    if not root.exists() or not any(root.iterdir()):
        return "new"
    manifest = _read_manifest(root)
    if manifest is None:
        raise ValueError(
            f"{root}: is not empty and holds no {MANIFEST_NAME}, so it is not a benchmark written by inforates synth; "
            "choose a new or empty output folder (nothing in it was changed)"
        )
    old = manifest["params"]
    if manifest.get("format") == FORMAT_VERSION and old == params.to_json():
        return "same"
    if not overwrite:
        changed = sorted(k for k in set(old) | set(params.to_json()) if old.get(k) != params.to_json().get(k))
        if manifest.get("format") != FORMAT_VERSION:
            changed.append("format")
        detail = ", ".join(f"{k}: {old.get(k)!r} -> {params.to_json().get(k)!r}" for k in changed if k != "format")
        raise ValueError(
            f"{root}: holds a synthetic benchmark generated with other parameters ({detail or 'an older format'}); "
            "choose another output folder, or pass overwrite=True (inforates synth --overwrite) to replace it"
        )
    removed = _remove_previous(root)
    logger.info("removed the previous benchmark in %s (%d videos)", root, removed)
    return "replaced"


def make_params(**values) -> SynthParams:
    """:class:`SynthParams` from keyword values as callers and ``synthetic.json`` give them (lists, ints for
    floats, ``videos_per_class=None`` for the default); an unknown name is a ``ValueError``."""
    if values.get("videos_per_class") is None:
        values.pop("videos_per_class", None)
    if "f_range" in values:
        values["f_range"] = tuple(float(v) for v in values["f_range"])
    known = {f.name for f in dataclasses.fields(SynthParams)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"unknown synthetic benchmark parameter(s) {unknown}; known: {', '.join(sorted(known))}")
    return SynthParams(**values)


def generate_synthetic(out_dir: str | os.PathLike, overwrite: bool = False, **params) -> Path:
    """Write the benchmark to ``out_dir`` and return it as a ``Path``.

    ``params`` are :class:`SynthParams` fields (``seed``, ``scale``, ``num_frames``, ``fps``, ``size``,
    ``f_range``, ``f_distribution``, ``videos_per_class``, ``noise_std``, ``texture_amplitude``, ``crf``), their
    defaults being the class's. ``videos_per_class`` (default ``{"train": 64, "validation": 12, "test": 24}``) is
    multiplied by ``scale``. A folder that already holds this benchmark (same parameters) is reused, and an
    interrupted run is completed; one holding a benchmark with other parameters is an error unless ``overwrite``
    (which removes only the files that benchmark wrote); any other non-empty folder is an error.
    """
    params = make_params(**params)
    root = Path(out_dir)
    state = _check_target(root, params, overwrite)
    manifest = _read_manifest(root) if state == "same" else None
    if manifest is not None and manifest.get("complete") and _all_present(root, params):
        logger.info("reusing the synthetic benchmark in %s", root)
        return root

    root.mkdir(parents=True, exist_ok=True)
    write_json(root / MANIFEST_NAME, {"format": FORMAT_VERSION, "complete": False, "params": params.to_json()})
    _write_metadata(root / METADATA_NAME, _metadata_rows(params))  # first, so that an overwrite can find every file
    todo = [video for video in iter_videos(params) if not (root / video.relative_path).is_file()]
    # (videos left by an interrupted run with the same parameters have identical content: kept)

    def write(video) -> None:
        path = root / video.relative_path
        path.parent.mkdir(parents=True, exist_ok=True)
        _encode(render(video, params), params.fps, path, params.crf)

    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:  # numpy and x264 release the GIL
        list(pool.map(write, todo))
    written = len(todo)
    write_json(root / MANIFEST_NAME, {"format": FORMAT_VERSION, "complete": True, "params": params.to_json()})
    logger.info("wrote %d videos to %s", written, root)
    return root


def _all_present(root: Path, params: SynthParams) -> bool:
    return (root / METADATA_NAME).is_file() and all((root / v.relative_path).is_file() for v in iter_videos(params))


def read_params(root: str | os.PathLike) -> SynthParams | None:
    """The parameters a benchmark folder was generated with (``None`` when it holds no ``synthetic.json``)."""
    manifest = _read_manifest(Path(root))
    if manifest is None:
        return None
    try:
        return make_params(**manifest["params"])
    except ValueError as err:
        raise ValueError(f"{Path(root) / MANIFEST_NAME}: {err}") from None


def ensure_synthetic(data_args) -> Path:
    """The benchmark of a recipe (``dataset_dir``), generated with ``synth_seed``, ``synth_scale`` and
    ``synth_task`` when missing.

    A folder that already holds a benchmark is used as it is (whatever it was generated with, e.g. by
    ``inforates synth --frames 64``); an unfinished one is completed with its own parameters. One that holds the
    other task is an error: its labels are not the recipe's.
    """
    if not data_args.dataset_dir:
        raise ValueError("dataset_source=synthetic needs dataset_dir: the folder that holds (or will hold) it")
    root = Path(data_args.dataset_dir)
    task = getattr(data_args, "synth_task", "aliasing")
    existing = read_params(root) if root.is_dir() else None
    if existing is None:
        return generate_synthetic(root, seed=data_args.synth_seed, scale=data_args.synth_scale, task=task)
    if existing.task != task:
        raise ValueError(f"{root} holds the {existing.task!r} synthetic task, the recipe asks for synth_task={task!r}; "
                         "point dataset_dir at another folder")  # fmt: skip
    if (existing.seed, existing.scale) != (data_args.synth_seed, data_args.synth_scale):
        logger.warning(
            "%s holds a synthetic benchmark generated with seed=%s scale=%s; using it as it is (the recipe's "
            "synth_seed=%s synth_scale=%s apply only when the folder is generated)",
            root,
            existing.seed,
            existing.scale,
            data_args.synth_seed,
            data_args.synth_scale,
        )
    values = dataclasses.asdict(existing)
    return generate_synthetic(root, **values)
