"""``EvaluationArguments``: which checkpoints over which split, segments, views, and where results go."""

from __future__ import annotations

from dataclasses import dataclass, field

from .checks import fail


@dataclass
class EvaluationArguments:
    checkpoints: list[str] = field(
        default_factory=list,
        metadata={"help": "Checkpoints to evaluate, as PATH or NAME=PATH; default: model_name_or_path."},
    )
    eval_split: str = field(default="test", metadata={"help": "Split evaluated over the sampling grid."})
    eval_output_dir: str | None = field(
        default=None, metadata={"help": "Where evaluation writes its results; default: <output_dir>/eval."}
    )
    max_eval_videos: int | None = field(default=None, metadata={"help": "Seeded, class-stratified subset size."})
    overwrite: bool = field(default=False, metadata={"help": "Replace a finished evaluation's outputs."})
    eval_shard_size: int = field(
        default=128, metadata={"help": "Videos per results shard: a killed run resumes after its last whole shard."}
    )
    segment_frames: int | None = field(
        default=None,
        metadata={"help": "Evaluate fixed-length segments cut from each video (the 2025 protocol: 50); "
                          "default: whole videos."},
    )  # fmt: skip

    test_clips: int = field(
        default=1,
        metadata={"help": "Temporal views per cell: the cell's window at this many positions spread over the video "
                          "(where the window is shorter than it); logits averaged. Published protocols: 5 (VideoMAE), "
                          "1 (TimeSformer), 4 (ViViT)."},
    )  # fmt: skip
    test_crops: int = field(
        default=1,
        metadata={"help": "Spatial views: 1 (centre crop) or 3 (left/centre/right along the long side after the "
                          "short-side resize); logits averaged with the temporal views."},
    )  # fmt: skip

    bandwidth_file: str | None = field(
        default=None,
        metadata={"help": "A bandwidth.csv (inforates bandwidth) whose f_hz each prediction carries as f_hz_est; "
                          "default: <output_dir>/bandwidth.csv when it exists."},
    )  # fmt: skip
    bandwidth_max_frames: int = field(
        default=128, metadata={"help": "inforates bandwidth: frames of each video (from its start) it measures."}
    )

    @property
    def views(self) -> int:
        """Views per cell asked for (``test_clips x test_crops``; identical ones are computed once)."""
        return self.test_clips * self.test_crops

    def __post_init__(self) -> None:
        if self.test_clips < 1:
            fail("test_clips", self.test_clips, "a cell needs at least 1 temporal view")
        if self.test_crops not in (1, 3):
            fail("test_crops", self.test_crops, "choose 1 (centre crop) or 3 (three crops along the long side)")
        if self.segment_frames is not None and self.segment_frames < 1:
            fail("segment_frames", self.segment_frames, "a segment is >= 1 frame (or unset for whole videos)")
        if self.max_eval_videos is not None and self.max_eval_videos < 1:
            fail("max_eval_videos", self.max_eval_videos, "must be >= 1 (or unset for all)")
        if self.eval_shard_size < 1:
            fail("eval_shard_size", self.eval_shard_size, "must be >= 1")
        if self.bandwidth_max_frames < 8:
            fail("bandwidth_max_frames", self.bandwidth_max_frames, "a frequency needs at least 8 frames")
