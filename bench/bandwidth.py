"""Cost of ``inforates bandwidth`` per video against evaluating the same video once over the sampling grid, on CPU,
side by side in one run (target: a ratio of at most 0.2).

    python bench/bandwidth.py                     # synthetic benchmark + 2 UCF-101-shaped clips (10 min)
    python bench/bandwidth.py --videos 8 --size 240

Two sets of videos: the synthetic benchmark's test split (32 px, 96 frames) and ``--videos`` textured clips of
``--size`` px at 30 fps, 150 frames (the shape of a UCF-101 clip). On each: the bandwidth of every video (one
process), then evaluations over the default 5 x 5 coverage x stride grid (one process; prediction time from
``run.json``) with two models: the demo's tiny VideoMAE (32 px, 8 frames: evaluation is mostly decoding) and a
VideoMAE of the published size (ViT-B, 16 frames, 224 px; random weights: the cost is the same). The ratio is
bandwidth seconds per video over evaluation seconds per video.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np


REPO = Path(__file__).resolve().parents[1]
TARGET = 0.2


def textured_videos(root: Path, count: int, size: int) -> Path:
    """``root/test/<a|b>/*.mp4``: a moving texture, ``size`` px high, 30 fps, 150 frames."""
    import torch
    from torchcodec.encoders import VideoEncoder

    rng = np.random.default_rng(0)
    height, width = size, size * 4 // 3
    for i in range(count):
        texture = rng.normal(128, 40, (height // 8 + 1, width // 8 + 40)).repeat(8, 0).repeat(8, 1)
        frames = np.stack([np.roll(texture, int(2 * t), axis=1)[:height, :width] for t in range(150)])
        frames = np.clip(frames + rng.normal(0, 4, frames.shape), 0, 255).astype(np.uint8)
        path = root / "test" / "ab"[i % 2] / f"v{i:03d}.mp4"
        path.parent.mkdir(parents=True, exist_ok=True)
        VideoEncoder(torch.from_numpy(np.repeat(frames[:, None], 3, axis=1)), frame_rate=30.0).to_file(str(path))
    for split in ("train", "validation"):  # the source wants the splits; the bench evaluates test only
        for name in "ab":
            (root / split / name).mkdir(parents=True, exist_ok=True)
            (root / split / name / "x.mp4").write_bytes(
                (root / "test" / name / f"v00{'ab'.index(name)}.mp4").read_bytes()
            )
    return root


def saved_model(size: str, classes: list[str], out: Path) -> Path:
    """``tiny``: the demo's VideoMAE (its pretrained checkpoint, a fresh head for ``classes``); ``base``: VideoMAE
    of the published size, randomly initialised. Saved with its processor config."""
    import transformers

    from inforates.configs import ModelArguments
    from inforates.data.processor import for_architecture
    from inforates.models import load_model_for_training

    labels = {"label2id": {c: i for i, c in enumerate(classes)}, "id2label": dict(enumerate(classes))}
    if size == "tiny":
        model, settings, _ = load_model_for_training(ModelArguments("demo-videomae"), labels["label2id"],
                                                     labels["id2label"])  # fmt: skip
    else:
        model = transformers.VideoMAEForVideoClassification(transformers.VideoMAEConfig(**labels))
        settings = for_architecture("videomae", 224)
    model.save_pretrained(out)
    settings.save_pretrained(out)
    return out


def measure(recipe_args: list[str], out: Path, sizes=("tiny", "base")) -> tuple[float, dict, int]:
    """(bandwidth s per video, {model size: (evaluation s per video, distinct clips per video)}, test videos)."""
    from inforates.bandwidth.run import RECORD_FILE, measure_bandwidth
    from inforates.configs import parse_recipe
    from inforates.data.sources import load_video_dataset
    from inforates.evaluation.run import evaluate

    base = ["--config", str(REPO / "recipes/demo/videomae.yaml"), "--output_dir", str(out), *recipe_args]
    base += ["--dataloader_num_workers", "0", "--use_cpu", "true", "--report_to", "none", "--disable_tqdm", "true"]
    base += ["--eval_samplers", "coverage_stride", "--coverages", *map(str, (10, 25, 50, 75, 100))]
    base += ["--strides", *map(str, (1, 2, 4, 8, 16))]
    measure_bandwidth(parse_recipe(base))
    record = json.loads((out / RECORD_FILE).read_text())
    classes = load_video_dataset(parse_recipe(base).data)["test"].features["label"].names
    evaluation, videos = {}, 0
    for size in sizes:
        model = saved_model(size, classes, out / size)
        geometry = ["--num_frames", "16", "--image_size", "224"] if size == "base" else []  # the recipe's are tiny
        [folder] = evaluate(parse_recipe(base + geometry + ["--model_name_or_path", str(model),
                                                           "--per_device_eval_batch_size", "4", "--eval_output_dir",
                                                           str(out / f"eval-{size}")]))  # fmt: skip
        run = json.loads((folder / "run.json").read_text())
        videos = run["videos"]["evaluated"]
        evaluation[size] = (run["timings"]["predict_s"] / videos, run["clips_computed"] / videos)
    return record["seconds"] / record["videos"], evaluation, videos


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--videos", type=int, default=2, help="textured clips of the second set")
    parser.add_argument("--size", type=int, default=240, help="their height in pixels")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    from inforates.data.synthetic import generate_synthetic

    ok = True
    with tempfile.TemporaryDirectory(prefix="inforates-bandwidth-bench-") as tmp:
        tmp = Path(tmp)
        bench = generate_synthetic(tmp / "bench", seed=0, scale=0.25)
        textured = textured_videos(tmp / "textured", args.videos, args.size)
        for name, data in (("synthetic benchmark (32 px, 96 frames)", ["--dataset_dir", str(bench), "--max_eval_videos", "3"]),
                           (f"textured clips ({args.size} px, 150 frames)", ["--dataset_dir", str(textured),
                                                                             "--dataset_source", "videofolder"])):  # fmt: skip
            bandwidth, evaluation, videos = measure(data, tmp / name.split()[0])
            for size, (seconds, clips) in evaluation.items():
                ratio = bandwidth / seconds
                ok &= ratio <= TARGET or size == "tiny"
                print(f"{name}: bandwidth {1000 * bandwidth:.1f} ms/video, evaluation with the {size} VideoMAE "
                      f"{1000 * seconds:.1f} ms/video ({videos} test videos, 25 cells, {clips:.1f} distinct clips "
                      f"each); ratio {ratio:.3f} (target <= {TARGET})")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
