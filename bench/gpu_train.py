"""Training throughput and peak memory of the three architectures, on one GPU, without internet.

    python bench/gpu_train.py                      # base-size models, bf16, 224 px, 8/16/32 frames (one GPU)
    python bench/gpu_train.py --tiny               # tiny presets on CPU (what the test suite runs)
    python bench/gpu_train.py --models vivit --batch-size 4 --steps 20 --out bench/results_gpu_train.csv
    python bench/gpu_train.py --published          # also each model with the published fine-tuning options

For each model (random weights, built from its config with the registry's sizes) it runs every combination of
attention kernel (SDPA where the model supports it, eager), gradient checkpointing (off/on) and input
(``memory``: one batch of tensors already on the device; ``pipeline``: clips decoded from encoded synthetic
videos by the training collator in DataLoader workers), and reports clips/s, the share of step time spent waiting
for data, and peak device memory. Then it prints the ratios side by side: pipeline vs memory, SDPA vs eager,
checkpointing vs not. Sized to finish in under 8 minutes on one H100/H200-class GPU.

``--published`` adds, per model (its first attention kernel, no checkpointing, both inputs), a run with the
published fine-tuning options (:data:`PUBLISHED`: RandAugment and the wide crop in the collator, mixup/CutMix
with soft targets, stochastic depth, a weight EMA each step) and prints what they cost against the plain step.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from transformers import AutoConfig


sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inforates.configs import ModelArguments  # noqa: E402
from inforates.data.collator import VideoCollator  # noqa: E402
from inforates.model_registry import MODEL_REGISTRY  # noqa: E402
from inforates.models import load_model_for_training, model_class  # noqa: E402
from inforates.sampling import SamplingVariant  # noqa: E402
from inforates.training.drop_path import apply_drop_path  # noqa: E402
from inforates.training.ema import WeightEma  # noqa: E402
from inforates.training.mixup import VideoMixup, mix_rng, soft_target_cross_entropy  # noqa: E402


FULL = {"timesformer": "timesformer", "videomae": "videomae", "vivit": "vivit"}
TINY = {"timesformer": "tiny-timesformer", "videomae": "tiny-videomae", "vivit": "tiny-vivit"}
NUM_CLASSES = 101  # UCF-101
# recipes/videomae/ucf101_published.yaml's options, the ones that cost time or memory per step
PUBLISHED = {
    "rand_augment": "rand-m7-n4-mstd0.5-inc1", "min_scale": 0.08, "mixup_alpha": 0.8, "cutmix_alpha": 1.0,
    "label_smoothing": 0.1, "drop_path_rate": 0.2, "ema_decay": 0.9999,
}  # fmt: skip


def make_videos(folder: Path, count: int, frames: int, height: int, width: int) -> list[str]:
    """Encoded H.264 clips (UCF-101-like size) with moving content, so decoding costs what it costs."""
    from torchcodec.encoders import VideoEncoder

    paths = []
    yy, xx = np.mgrid[0:height, 0:width]
    for i in range(count):
        rng = np.random.default_rng(i)
        noise = rng.integers(0, 40, size=(3, height, width))
        clip = np.empty((frames, 3, height, width), np.uint8)
        for t in range(frames):
            wave = 100 + 80 * np.sin((xx + 4 * t * (1 + i % 3)) / 9.0) * np.cos((yy - 3 * t) / 13.0)
            clip[t] = np.clip(wave[None] + noise, 0, 255)
        path = folder / f"bench_{i:03d}.mp4"
        VideoEncoder(torch.from_numpy(clip), frame_rate=25.0).to_file(str(path), crf=23)
        paths.append(str(path))
    return paths


def run_one(name, attn, checkpointing, source, args, videos, device, dtype, recipe="plain") -> dict:
    published = recipe == "published"
    labels = {f"class_{i}": i for i in range(NUM_CLASSES)}
    model_args = ModelArguments(name, random_init=True, attn_implementation=attn)
    model, settings, clip_len = load_model_for_training(model_args, labels, {i: n for n, i in labels.items()})
    if published:
        apply_drop_path(model, PUBLISHED["drop_path_rate"])
    model.to(device).train()
    if checkpointing:
        model.activation_checkpointing_enable()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    ema = WeightEma(model, PUBLISHED["ema_decay"]) if published else None
    mixup = None
    if published:
        mixup = VideoMixup(
            mixup_alpha=PUBLISHED["mixup_alpha"], cutmix_alpha=PUBLISHED["cutmix_alpha"], prob=1.0,
            switch_prob=0.5, smoothing=PUBLISHED["label_smoothing"], num_classes=NUM_CLASSES,
        )  # fmt: skip
    size = settings.crop_size
    if source == "memory":
        batch = {
            "pixel_values": torch.randn(args.batch_size, clip_len, 3, *size, device=device),
            "labels": torch.randint(0, NUM_CLASSES, (args.batch_size,), device=device),
        }
        batches = itertools.repeat(batch)
    else:
        augment = {"rand_augment": PUBLISHED["rand_augment"], "min_scale": PUBLISHED["min_scale"]} if published else {}
        collator = VideoCollator(settings, clip_len, SamplingVariant(100, 1), train=True, seed=0, **augment)
        rows = [{"video": v, "label": i % NUM_CLASSES} for i, v in enumerate(videos)]
        loader = torch.utils.data.DataLoader(
            rows,
            batch_size=args.batch_size,
            shuffle=True,
            drop_last=True,
            collate_fn=collator,
            num_workers=args.workers,
            persistent_workers=args.workers > 0,
            pin_memory=device.type == "cuda",
        )
        batches = (b for _ in itertools.count() for b in loader)
    autocast = torch.autocast(device.type, dtype=dtype, enabled=dtype != torch.float32)

    steps = itertools.count()

    def step() -> float:
        start = time.perf_counter()
        batch = next(batches)
        batch = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
        waited = time.perf_counter() - start
        with autocast:
            if mixup is None:
                loss = model(**batch).loss
            else:
                pixels, targets = mixup(batch["pixel_values"], batch["labels"], mix_rng(0, 0, next(steps)))
                loss = soft_target_cross_entropy(model(pixel_values=pixels).logits.float(), targets)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if ema is not None:
            ema.update(model)
        loss.item()  # synchronises, so each step's time is its own
        return waited

    for _ in range(args.warmup):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start, waited = time.perf_counter(), 0.0
    for _ in range(args.steps):
        waited += step()
    seconds = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated() / 2**30 if device.type == "cuda" else float("nan")
    return {
        "model": name,
        "attention": attn,
        "grad_ckpt": checkpointing,
        "input": source,
        "recipe": recipe,
        "frames": clip_len,
        "image_size": size[0],
        "batch_size": args.batch_size,
        "dtype": str(dtype).removeprefix("torch."),
        "clips_per_s": round(args.steps * args.batch_size / seconds, 2),
        "step_ms": round(1000 * seconds / args.steps, 1),
        "data_wait_share": round(waited / seconds, 3),
        "peak_mem_gib": round(peak, 2),
    }


def print_ratios(rows: list[dict]) -> None:
    def find(**match):
        return next((r for r in rows if all(r[k] == v for k, v in match.items())), None)

    rows = [r for r in rows if r["clips_per_s"] == r["clips_per_s"]]  # leave out settings that ran out of memory
    print("\nratios (same model, one factor changed):")
    for row in (r for r in rows if r["recipe"] == "published"):
        base = {k: row[k] for k in ("model", "attention", "grad_ckpt", "input")}
        if ref := find(**base, recipe="plain"):
            print(
                f"  {row['model']:<17} {row['input']:<8} published/plain clips/s: "
                f"{row['clips_per_s'] / ref['clips_per_s']:.2f}, peak memory: "
                f"{row['peak_mem_gib'] / ref['peak_mem_gib']:.2f} (data wait {row['data_wait_share']:.0%})"
            )
    rows = [r for r in rows if r["recipe"] == "plain"]
    for model in dict.fromkeys(r["model"] for r in rows):
        for row in (r for r in rows if r["model"] == model):
            base = {"model": model, "attention": row["attention"], "grad_ckpt": row["grad_ckpt"]}
            if row["input"] == "pipeline" and (ref := find(**base, input="memory")):
                ratio = row["clips_per_s"] / ref["clips_per_s"]
                print(
                    f"  {model:<17} {row['attention']:<5} ckpt={row['grad_ckpt']!s:<5} pipeline/memory clips/s: "
                    f"{ratio:.2f} (data wait {row['data_wait_share']:.0%})"
                )
            if (
                row["input"] == "memory"
                and row["attention"] == "sdpa"
                and (ref := find(model=model, attention="eager", grad_ckpt=row["grad_ckpt"], input="memory"))
            ):
                print(
                    f"  {model:<17} ckpt={row['grad_ckpt']!s:<5} sdpa/eager clips/s: "
                    f"{row['clips_per_s'] / ref['clips_per_s']:.2f}, peak memory: "
                    f"{row['peak_mem_gib'] / ref['peak_mem_gib']:.2f}"
                )
            if (
                row["input"] == "memory"
                and row["grad_ckpt"]
                and (ref := find(model=model, attention=row["attention"], grad_ckpt=False, input="memory"))
            ):
                print(
                    f"  {model:<17} {row['attention']:<5} grad-ckpt/none clips/s: "
                    f"{row['clips_per_s'] / ref['clips_per_s']:.2f}, peak memory: "
                    f"{row['peak_mem_gib'] / ref['peak_mem_gib']:.2f}"
                )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tiny", action="store_true", help="tiny presets on CPU (fp32), for the test suite")
    parser.add_argument("--models", nargs="+", default=list(FULL), choices=list(FULL))
    parser.add_argument("--batch-size", type=int, default=None, help="clips per step (default 8; tiny: 4)")
    parser.add_argument("--steps", type=int, default=None, help="timed steps per setting (default 10; tiny: 2)")
    parser.add_argument("--warmup", type=int, default=None, help="untimed steps first (default 3; tiny: 1)")
    parser.add_argument("--workers", type=int, default=None, help="DataLoader workers (default: min(8, CPUs))")
    parser.add_argument("--out", default=None, help="also write the rows to this CSV")
    parser.add_argument("--published", action="store_true", help="also time the published fine-tuning options")
    args = parser.parse_args(argv)
    tiny = args.tiny
    args.batch_size = args.batch_size or (4 if tiny else 8)
    args.steps = args.steps or (2 if tiny else 10)
    args.warmup = args.warmup if args.warmup is not None else (1 if tiny else 3)
    args.workers = args.workers if args.workers is not None else (0 if tiny else min(8, os.cpu_count() or 1))
    if not tiny and not torch.cuda.is_available():
        parser.error("no GPU here: run with --tiny (tiny models on CPU) or on a GPU machine")
    device = torch.device("cpu" if tiny else "cuda")
    dtype = torch.float32 if tiny else torch.bfloat16
    names = TINY if tiny else FULL
    print(f"device: {torch.cuda.get_device_name() if device.type == 'cuda' else 'cpu'}; torch {torch.__version__}")

    rows = []
    with tempfile.TemporaryDirectory() as folder:
        height, width, frames = (48, 64, 40) if tiny else (240, 320, 80)
        videos = make_videos(Path(folder), max(2 * args.batch_size, 8), frames, height, width)
        for key in args.models:
            name = names[key]
            config = AutoConfig.for_model(MODEL_REGISTRY[name].model_type)
            kernels = ["sdpa", "eager"] if getattr(model_class(config, name), "_supports_sdpa", False) else ["eager"]
            settings = [(*s, "plain") for s in itertools.product(kernels, (False, True), ("memory", "pipeline"))]
            if args.published:
                settings += [(kernels[0], False, source, "published") for source in ("memory", "pipeline")]
            for attn, checkpointing, source, recipe in settings:
                try:
                    row = run_one(name, attn, checkpointing, source, args, videos, device, dtype, recipe)
                    if device.type == "cuda":
                        torch.cuda.empty_cache()  # the model and optimizer of the last setting are gone by now
                except torch.OutOfMemoryError:  # e.g. eager ViViT (3,136 tokens) on a smaller GPU
                    torch.cuda.empty_cache()
                    row = {
                        "model": name,
                        "attention": attn,
                        "grad_ckpt": checkpointing,
                        "input": source,
                        "recipe": recipe,
                    }
                    row.update(clips_per_s=float("nan"), peak_mem_gib=float("nan"), note="out of memory")
                rows.append(row)
                print(", ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    print_ratios(rows)
    if args.out:
        with open(args.out, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(dict.fromkeys(k for row in rows for k in row)))
            writer.writeheader()
            writer.writerows(rows)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
