"""The ``synthetic`` source: the rotating-shape benchmark in ``dataset_dir``, generated when missing.

    splits = load(DataArguments(dataset_source="synthetic", dataset_dir="data/synthetic"), seed=0)

The rows carry ``f_hz``, ``fps``, ``shape`` and ``direction`` from its ``metadata.csv`` (``data/synthetic.py``).
"""

from __future__ import annotations

import logging

import datasets

from ..skips import SkipLog
from .annotation_files import inside, read_table
from .common import DatasetError, VideoRecord, build_dataset_dict


logger = logging.getLogger(__name__)


def load(data_args, seed: int = 0, skip_log: SkipLog | None = None) -> datasets.DatasetDict:
    """The rotating-shape benchmark in ``dataset_dir`` (generated when missing); adds f_hz, fps, shape, direction."""
    from ..synthetic import METADATA_NAME, ensure_synthetic, read_params

    try:
        root = ensure_synthetic(data_args)
    except ValueError as err:
        raise DatasetError(f"dataset_dir={data_args.dataset_dir!r}: {err}") from None
    records = []
    for n, row in read_table(root / METADATA_NAME):
        extra = {"f_hz": float(row["f_hz"]), "fps": float(row["fps"]), "shape": row["shape"]}
        extra["direction"] = row["direction"]
        path = inside(root, row["path"], f"{root / METADATA_NAME}:{n}")
        records.append(VideoRecord(str(path), row["class"], row["split"], row["video_id"], "", extra))
    features = {
        "f_hz": datasets.Value("float64"),
        "fps": datasets.Value("float64"),
        "shape": datasets.Value("string"),
        "direction": datasets.Value("string"),
    }
    class_names = sorted(read_params(root).class_names)
    return build_dataset_dict(records, str(root), class_names=class_names, extra_features=features)
