"""Clip loading throughput: the VideoCollator eval path vs raw torchcodec vs PyAV seeking, measured side by side.

    python bench/loading.py            # or: make bench

Makes a few realistic clips (320x240, 150 frames, moving texture + sensor-like noise, H.264 with GOPs of 30-60
frames, like phone/web footage) in a temp dir, then for each (video, sampling variant) times, back to back:
  (a) ``VideoCollator`` in eval mode: open (exact scan) + decode the distinct frames + resize/crop/normalise;
  (b) raw torchcodec: ``VideoDecoder(seek_mode="exact").get_frames_at(indices)`` on the same indices;
  (c) PyAV: one demux pass for the index (as torchcodec's scan), then seek to the key frame before each wanted
      frame (or keep decoding when no key frame lies between) and convert the wanted frames to RGB.
One thread each (``torch.set_num_threads(1)``, single-threaded decoders), as in a DataLoader worker. Prints only.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch


sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inforates.data.collator import VideoCollator  # noqa: E402
from inforates.data.processor import ProcessorSettings  # noqa: E402
from inforates.sampling import SamplingVariant  # noqa: E402


WIDTH, HEIGHT, NUM_FRAMES, FPS = 320, 240, 150, 30
GOPS = (30, 45, 60, 48)
CLIP_LEN = 16
VARIANTS = [SamplingVariant(100, 1), SamplingVariant(50, 2), SamplingVariant(25, 4), SamplingVariant(100, 8)]
# the VideoMAE Kinetics checkpoint's processor config
SETTINGS = ProcessorSettings((0.485, 0.456, 0.406), (0.229, 0.224, 0.225), 224, (224, 224))


def make_clip(path: Path, gop: int, seed: int) -> Path:
    """A multi-scale texture panning under a moving blob, plus per-frame noise: ~0.4-0.5 Mbit/s at CRF 23, the
    bitrate of UCF-101-like 320x240 footage (a smooth synthetic clip would decode unrealistically fast)."""
    import torch.nn.functional as F
    from torchcodec.encoders import VideoEncoder

    rng = np.random.default_rng(seed)
    noise = torch.from_numpy(rng.standard_normal((1, 1, 2 * HEIGHT, 2 * WIDTH), dtype=np.float32))
    texture = sum(
        weight * F.interpolate(F.avg_pool2d(noise, k), size=noise.shape[-2:], mode="bilinear")
        for k, weight in ((2, 30), (8, 40), (32, 50))
    )[0, 0].numpy()
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    tint = np.array([0, 15, -15], np.float32)[:, None, None]
    frames = np.empty((NUM_FRAMES, 3, HEIGHT, WIDTH), np.uint8)
    for t in range(NUM_FRAMES):
        dx, dy = int(1.5 * t) % WIDTH, int(0.5 * t) % HEIGHT  # a slow pan: motion the encoder has to predict
        blob = 70 * np.exp(-(((xx - (40 + 3 * t) % WIDTH) ** 2 + (yy - 120) ** 2) / 800))
        grain = 6 * rng.standard_normal((3, HEIGHT, WIDTH), dtype=np.float32)  # sensor noise
        frames[t] = np.clip(110 + texture[dy : dy + HEIGHT, dx : dx + WIDTH] + blob + tint + grain, 0, 255)
    VideoEncoder(torch.from_numpy(frames), frame_rate=FPS).to_file(str(path), crf=23, extra_options={"g": gop})
    return path


def raw_torchcodec(path: str, indices: np.ndarray) -> torch.Tensor:
    from torchcodec.decoders import VideoDecoder

    return VideoDecoder(path, seek_mode="exact", num_ffmpeg_threads=1).get_frames_at(indices.tolist()).data


def pyav_seek(path: str, indices: np.ndarray) -> np.ndarray:
    import av

    with av.open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "NONE"
        packets = [(p.pts, p.is_keyframe) for p in container.demux(stream) if p.pts is not None]
        packets.sort()
        pts = [p for p, _ in packets]
        key_positions = [i for i, (_, key) in enumerate(packets) if key]
        wanted = np.unique(indices)
        decoded: dict[int, np.ndarray] = {}
        frames_iter, position = None, -1
        for index in wanted.tolist():
            last_key = max(k for k in key_positions if k <= index)
            if frames_iter is None or position >= index or last_key > position:
                container.seek(pts[index], stream=stream, backward=True, any_frame=False)
                frames_iter, position = container.decode(stream), -1
            for frame in frames_iter:
                position = pts.index(frame.pts)
                if position == index:
                    decoded[index] = frame.to_ndarray(format="rgb24")
                    break
        return np.stack([decoded[i] for i in indices.tolist()])


def main() -> int:
    import av
    import torchcodec

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix="inforates-bench-") as tmp:
        start = time.perf_counter()
        paths = [str(make_clip(Path(tmp) / f"clip{i}.mp4", gop, seed=i)) for i, gop in enumerate(GOPS)]
        kbps = np.mean([Path(p).stat().st_size * 8 / 1000 / (NUM_FRAMES / FPS) for p in paths])
        print(
            f"made {len(paths)} H.264 clips ({WIDTH}x{HEIGHT}, {NUM_FRAMES} frames at {FPS} fps, GOPs {GOPS}, "
            f"~{kbps:.0f} kbit/s) in {time.perf_counter() - start:.1f} s"
        )
        print(f"clip_len={CLIP_LEN}; variants {', '.join(v.name for v in VARIANTS)}")
        print(f"torch {torch.__version__}, torchcodec {torchcodec.__version__}, PyAV {av.__version__}; 1 thread")

        # correctness first: all three paths see the same frames (PyAV's RGB conversion may round differently)
        indices = VARIANTS[1].indices(NUM_FRAMES, CLIP_LEN)
        tc = raw_torchcodec(paths[0], indices).permute(0, 2, 3, 1).numpy().astype(np.float32)
        pa = pyav_seek(paths[0], indices).astype(np.float32)
        print(f"check: |torchcodec - PyAV| mean {np.abs(tc - pa).mean():.2f} grey levels over {len(indices)} frames")

        times = {"collator": 0.0, "raw": 0.0, "pyav": 0.0}
        counts = dict.fromkeys(times, 0)
        collators = {v.name: VideoCollator(SETTINGS, CLIP_LEN, v, train=False) for v in VARIANTS}
        deadline = time.perf_counter() + 30  # whole rounds until ~30 s have passed
        rounds = 0
        while rounds == 0 or time.perf_counter() < deadline:
            rounds += 1
            for path in paths:
                for variant in VARIANTS:
                    indices = variant.indices(NUM_FRAMES, CLIP_LEN)
                    t0 = time.perf_counter()
                    batch = collators[variant.name]([{"video": path, "label": 0}])
                    t1 = time.perf_counter()
                    raw_torchcodec(path, indices)
                    t2 = time.perf_counter()
                    pyav_seek(path, indices)
                    t3 = time.perf_counter()
                    assert batch["pixel_values"].shape == (1, CLIP_LEN, 3, 224, 224)
                    for name, seconds in (("collator", t1 - t0), ("raw", t2 - t1), ("pyav", t3 - t2)):
                        times[name] += seconds
                        counts[name] += 1
        rate = {name: counts[name] / times[name] for name in times}
        print(f"{rounds} rounds x {len(paths)} videos x {len(VARIANTS)} variants, interleaved")
        print(f"  (a) VideoCollator eval (decode + transform to 224): {rate['collator']:7.1f} clips/s")
        print(f"  (b) raw torchcodec get_frames_at:                  {rate['raw']:7.1f} clips/s")
        print(f"  (c) PyAV seek + decode:                            {rate['pyav']:7.1f} clips/s")
        print(f"collator / raw = {rate['collator'] / rate['raw']:.2f} (goal >= 0.8)")
        print(f"raw / PyAV     = {rate['raw'] / rate['pyav']:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
