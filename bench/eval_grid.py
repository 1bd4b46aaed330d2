"""Benchmark: the 25-variant evaluation grid, decode once vs decode per variant, on realistic synthetic videos.

    python bench/eval_grid.py [--videos 12] [--frames 150]

Makes a handful of 320x240, 150-frame textured H.264 videos (panning texture + grain, a key frame every 50
frames, like real footage) and a tiny VideoMAE, then times the same grid three ways:
  (a) ``inforates evaluate``'s path (evaluation.runner: Trainer.predict, decode once, result files);
  (b) the 2025 way: per variant, re-open and decode every video (data.collator.VideoCollator), then the model;
  (c) the lower bound: each video's union of frames decoded once, plus the model forwards, timed separately.
Goals: (b)/(a) >= 8 and (a)/(c) <= 1.3. Prints only.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import datasets
import numpy as np
import torch
import transformers
from torchcodec.encoders import VideoEncoder

from inforates.configs import parse_recipe
from inforates.data.collator import VideoCollator
from inforates.data.decoding import VideoReader
from inforates.data.processor import ProcessorSettings
from inforates.data.processor import for_architecture as processor_settings
from inforates.evaluation.checkpoints import Checkpoint
from inforates.evaluation.grid import variant_indices
from inforates.evaluation.runner import evaluate_checkpoint
from inforates.evaluation.videos import eval_videos
from inforates.sampling import build_grid, union_indices


CLIP_LEN, CLASSES = 8, ["a", "b", "c"]


def textured_video(path: Path, frames: int, seed: int, size=(240, 320), fps: float = 30.0) -> None:
    """A smooth random texture panning across the frame, with fresh grain on every frame."""
    rng = np.random.default_rng(seed)
    height, width = size
    texture = rng.integers(0, 256, (3, height // 4 + frames, width // 4 + frames), dtype=np.uint8)
    texture = torch.nn.functional.interpolate(
        torch.from_numpy(texture)[None].float(), scale_factor=4.0, mode="bilinear"
    )[0]
    dx, dy = rng.uniform(0.5, 2.0, size=2)
    video = np.empty((frames, 3, height, width), np.uint8)
    for t in range(frames):
        x, y = int(t * dx), int(t * dy)
        grain = rng.normal(0, 6, (3, height, width))
        video[t] = np.clip(texture[:, y : y + height, x : x + width].numpy() + grain, 0, 255)
    VideoEncoder(torch.from_numpy(video), frame_rate=fps).to_file(str(path), crf=23, extra_options={"g": 50})


def tiny_checkpoint(folder: Path) -> Path:
    torch.manual_seed(0)
    config = transformers.VideoMAEConfig(
        hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128, image_size=32,
        patch_size=8, num_frames=CLIP_LEN, tubelet_size=2, num_labels=len(CLASSES),
        id2label=dict(enumerate(CLASSES)), label2id={c: i for i, c in enumerate(CLASSES)},
    )  # fmt: skip
    transformers.VideoMAEForVideoClassification(config).save_pretrained(folder)
    processor_settings("videomae", 32).save_pretrained(folder)
    return folder


def run_this_path(checkpoint: Path, paths: list[str], out: Path, clip_batch: int) -> float:
    features = datasets.Features({"video": datasets.Value("string"), "label": datasets.ClassLabel(names=CLASSES)})
    dataset = datasets.Dataset.from_dict(
        {"video": paths, "label": [i % 3 for i in range(len(paths))]}, features=features
    )
    recipe = parse_recipe(
        ["--output_dir", str(out), "--use_cpu", "true", "--report_to", "none",
         "--per_device_eval_batch_size", str(clip_batch), "--disable_tqdm", "true"]
    )  # fmt: skip
    began = time.perf_counter()
    evaluate_checkpoint(
        Checkpoint("tiny", str(checkpoint), "bench"), recipe, eval_videos(dataset), build_grid(), out / "tiny"
    )
    return time.perf_counter() - began


def run_per_variant(model, settings, paths: list[str], clip_batch: int) -> float:
    """The 2025 study's loop: for every variant, a pass over all videos that opens and decodes each again."""
    began = time.perf_counter()
    for variant in build_grid():
        collator = VideoCollator(settings, CLIP_LEN, variant, train=False)
        for start in range(0, len(paths), clip_batch):
            batch = collator([{"video": p, "label": 0} for p in paths[start : start + clip_batch]])
            with torch.no_grad():
                model(pixel_values=batch["pixel_values"])
    return time.perf_counter() - began


def lower_bound(model, settings, paths: list[str], clip_batch: int) -> tuple[float, float]:
    """Seconds to decode each video's union once, and seconds of the model forwards on the same clips."""
    from inforates.data.transforms import eval_transform

    variants, decode_s, clips = build_grid(), 0.0, []
    for path in paths:
        began = time.perf_counter()
        reader = VideoReader(path)
        indices = variant_indices(variants, reader.total_frames, CLIP_LEN, 0, path)
        union = union_indices(indices)
        frames = reader.get(union)
        decode_s += time.perf_counter() - began
        pixels = eval_transform(frames, settings)  # not timed: part of what (a) adds
        clips.append(pixels[torch.from_numpy(np.searchsorted(union, indices))])
    flat = torch.cat(clips)
    began = time.perf_counter()
    with torch.no_grad():
        for start in range(0, len(flat), clip_batch):
            model(pixel_values=flat[start : start + clip_batch])
    return decode_s, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=12)
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument("--clip-batch", type=int, default=25, help="clips per model batch (one video's grid)")
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs of (a) and (c); (b) of 2")
    args = parser.parse_args()
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    torch.set_num_threads(1)  # the decoder uses one thread too: every path gets the same single core
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        began = time.perf_counter()
        paths = []
        for i in range(args.videos):
            textured_video(tmp / f"v{i}.mp4", args.frames, seed=i)
            paths.append(str(tmp / f"v{i}.mp4"))
        checkpoint = tiny_checkpoint(tmp / "ckpt")
        model = transformers.VideoMAEForVideoClassification.from_pretrained(checkpoint).eval()
        settings = ProcessorSettings.from_pretrained(checkpoint)
        print(f"{args.videos} videos, 320x240, {args.frames} frames, H.264 GOP 50; 25 variants x {CLIP_LEN} frames; "
              f"tiny VideoMAE; made in {time.perf_counter() - began:.1f} s")  # fmt: skip
        lower_bound(model, settings, paths[:1], args.clip_batch)  # warm up the decoder and the model
        run_this_path(checkpoint, paths[:1], tmp / "warm", args.clip_batch)
        # best of --repeats (other work on the machine only ever adds time), paths interleaved
        a, b, decode_s, forward_s = math.inf, math.inf, math.inf, math.inf
        for repeat in range(args.repeats):
            a = min(a, run_this_path(checkpoint, paths, tmp / f"eval{repeat}", args.clip_batch))
            if repeat < 2:
                b = min(b, run_per_variant(model, settings, paths, args.clip_batch))
            decode, forward = lower_bound(model, settings, paths, args.clip_batch)
            decode_s, forward_s = min(decode_s, decode), min(forward_s, forward)
        c = decode_s + forward_s
    clips = args.videos * 25
    print(f"(a) inforates evaluate (decode once):   {a:7.2f} s  ({clips / a:6.1f} clips/s)")
    print(f"(b) decode per variant (2025 study):    {b:7.2f} s  ({clips / b:6.1f} clips/s)")
    print(f"(c) lower bound: decode {decode_s:.2f} s + forward {forward_s:.2f} s = {c:7.2f} s")
    print(f"(b)/(a) = {b / a:5.2f}   (goal >= 8)")
    print(f"(a)/(c) = {a / c:5.2f}   (goal <= 1.3)")


if __name__ == "__main__":
    main()
