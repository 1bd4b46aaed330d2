"""``DataArguments``: where the videos are, which split is which, and how training clips are augmented."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..data.rand_augment import parse_rand_augment
from ..data.sources import SOURCES
from .checks import check_choice, check_range, fail


DATASET_SOURCES = tuple(SOURCES)


@dataclass
class DataArguments:
    dataset_source: str = field(default="videofolder", metadata={"help": f"One of {', '.join(DATASET_SOURCES)}."})
    dataset_dir: str | None = field(
        default=None, metadata={"help": "Root folder of the videos (all sources but manifest and hub)."}
    )
    dataset_name: str | None = field(default=None, metadata={"help": "Hub dataset id or save_to_disk folder (hub)."})
    manifest_path: str | None = field(default=None, metadata={"help": "CSV/JSONL with path,label[,split] (manifest)."})
    annotations_path: str | None = field(
        default=None,
        metadata={"help": "ucfTrainTestlist/ (ucf101), testTrainMulti_7030_splits/ (hmdb51), the folder of labels.json "
                          "(ssv2) or of Diving48_V2_*.json (diving48), or Kinetics annotation CSVs (kinetics)."},
    )  # fmt: skip
    ucf_split: int = field(default=1, metadata={"help": "UCF-101 official split 1, 2 or 3."})
    hmdb_split: int = field(default=1, metadata={"help": "HMDB-51 official split 1, 2 or 3."})
    validation_fraction: float = field(
        default=0.1,
        metadata={"help": "Share of train carved out as validation (by group for UCF-101, else by class)."},
    )
    video_column: str = field(default="video", metadata={"help": "Video column of a Hub dataset."})
    label_column: str = field(default="label", metadata={"help": "Label column of a Hub dataset."})
    train_split: str = field(default="train", metadata={"help": "Split used for training."})
    validation_split: str = field(default="validation", metadata={"help": "Split used for model selection."})
    max_train_videos: int | None = field(default=None, metadata={"help": "Seeded subset of the training split."})
    max_validation_videos: int | None = field(default=None, metadata={"help": "Seeded subset of validation."})
    synth_scale: float = field(default=1.0, metadata={"help": "Size of the synthetic benchmark when generated."})
    synth_seed: int = field(default=0, metadata={"help": "Seed of the synthetic benchmark when generated."})
    synth_task: str = field(
        default="aliasing", metadata={"help": "Task of the synthetic benchmark: aliasing (the demo's) or pretrain."}
    )
    random_resized_crop: bool = field(default=True, metadata={"help": "Random resized crop when training."})
    crop_min_scale: float = field(default=0.5, metadata={"help": "Smallest area share of the random resized crop."})
    crop_max_scale: float = field(default=1.0, metadata={"help": "Largest area share of the random resized crop."})
    crop_min_aspect: float = field(default=3 / 4, metadata={"help": "Smallest width/height of the crop box."})
    crop_max_aspect: float = field(default=4 / 3, metadata={"help": "Largest width/height of the crop box."})
    horizontal_flip: bool | None = field(
        default=None,
        metadata={"help": "Random horizontal flip when training; default: on, except for sources whose labels name "
                          "left and right (ssv2)."},
    )  # fmt: skip
    rand_augment: str | None = field(
        default=None,
        metadata={"help": "RandAugment when training, as m<magnitude>-n<ops>[-mstd<std>][-inc1] (VideoMAE: "
                          "rand-m7-n4-mstd0.5-inc1); the same operations and magnitudes on every frame of a clip."},
    )  # fmt: skip
    random_erasing_prob: float = field(
        default=0.0,
        metadata={"help": "Probability of erasing one random box of a training clip (the same box on every frame) "
                          "with noise, after normalisation (VideoMAE: 0.25)."},
    )  # fmt: skip
    clips_per_video: int = field(
        default=1,
        metadata={"help": "Training clips per decoded video (repeated augmentation); a batch holds batch x this."},
    )
    decoded_cache_mb: float = field(
        default=0,
        metadata={
            "help": "Keep decoded videos in memory, up to this many MB per collator (0: off); for small sets of short "
            "clips. Each DataLoader worker has its own: use with dataloader_num_workers 0 or persistent workers."
        },
    )

    def __post_init__(self) -> None:
        check_choice("dataset_source", self.dataset_source, DATASET_SOURCES)
        for key in ("dataset_dir", "manifest_path", "annotations_path"):  # "data/x/" and "data/x" are one dataset
            if isinstance(getattr(self, key), str) and getattr(self, key):
                setattr(self, key, os.path.normpath(getattr(self, key)))
        if self.ucf_split not in (1, 2, 3):
            fail("ucf_split", self.ucf_split, "UCF-101 has splits 1, 2 and 3")
        if self.hmdb_split not in (1, 2, 3):
            fail("hmdb_split", self.hmdb_split, "HMDB-51 has splits 1, 2 and 3")
        if not 0 <= self.validation_fraction < 1:
            fail("validation_fraction", self.validation_fraction, "must be in [0, 1)")
        check_range("crop_min_scale", self.crop_min_scale, 0, 1, "(]")
        check_range("crop_max_scale", self.crop_max_scale, self.crop_min_scale, 1, "[]")
        check_range("crop_min_aspect", self.crop_min_aspect, 0, float("inf"), "()")
        check_range("crop_max_aspect", self.crop_max_aspect, self.crop_min_aspect, float("inf"), "[)")
        if self.horizontal_flip is None:
            self.horizontal_flip = SOURCES[self.dataset_source].horizontal_flip
        if self.rand_augment is not None:
            try:
                parse_rand_augment(self.rand_augment)
            except ValueError as err:
                fail("rand_augment", self.rand_augment, str(err))
        check_range("random_erasing_prob", self.random_erasing_prob, 0, 1, "[]")
        if self.clips_per_video < 1:
            fail("clips_per_video", self.clips_per_video, "must be >= 1")
        if self.decoded_cache_mb < 0:
            fail("decoded_cache_mb", self.decoded_cache_mb, "must be >= 0 (0 turns the cache off)")
        for key in ("max_train_videos", "max_validation_videos"):
            if getattr(self, key) is not None and getattr(self, key) < 1:
                fail(key, getattr(self, key), "must be >= 1 (or unset for all)")
        if self.synth_scale <= 0:
            fail("synth_scale", self.synth_scale, "must be > 0")
        if not 0 <= self.synth_seed < 2**32:
            fail("synth_seed", self.synth_seed, "a seed is an integer in [0, 2**32)")
        check_choice("synth_task", self.synth_task, ("aliasing", "pretrain"))
