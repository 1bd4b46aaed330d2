"""VideoCollator end to end on real encoded videos: the sampler's frames, in order; broken videos skipped."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import torch
from conftest import frame_number

from inforates.data.collator import VideoCollator
from inforates.data.decoding import DECODE_STATS, VideoDecodeError, VideoReader
from inforates.data.processor import ProcessorSettings
from inforates.data.processor import for_architecture as processor_settings
from inforates.data.skips import SkipLog
from inforates.data.transforms import eval_transform
from inforates.sampling import SamplingVariant, clip_indices


# Pixel values out = grey levels in, so frame_number reads the frame index back from the batch.
IDENTITY = ProcessorSettings(image_mean=0.0, image_std=1.0, shortest_edge=None, crop_size=None, rescale_factor=1.0)
IDENTITY_CROP = ProcessorSettings(
    image_mean=0.0, image_std=1.0, shortest_edge=64, crop_size=(56, 56), rescale_factor=1
)


def _numbers(clip: torch.Tensor, num_frames: int) -> list[int]:
    return [frame_number(frame.numpy(), num_frames) for frame in clip]


def test_eval_batch_of_every_format_holds_exactly_the_sampled_frames(make_video):
    lengths = {"a.mp4": 30, "b.avi": 45, "c.webm": 20, "d.mkv": 33}
    rows = [{"video": str(make_video(name, n)), "label": i} for i, (name, n) in enumerate(lengths.items())]
    variant = SamplingVariant(coverage=50, stride=2)
    batch = VideoCollator(IDENTITY, clip_len=8, variant=variant, train=False)(rows)
    assert batch["pixel_values"].shape == (4, 8, 3, 64, 64) and batch["pixel_values"].dtype == torch.float32
    assert batch["labels"].dtype == torch.int64 and batch["labels"].tolist() == [0, 1, 2, 3]
    for clip, n in zip(batch["pixel_values"], lengths.values()):
        assert _numbers(clip, n) == variant.indices(n, 8).tolist()


def test_a_clip_shorter_than_clip_len_is_padded_by_the_sampler(make_video):
    rows = [{"video": str(make_video("short.mp4", 3)), "label": 1}]
    variant = SamplingVariant(coverage=100, stride=1)
    batch = VideoCollator(IDENTITY, clip_len=8, variant=variant, train=False)(rows)
    assert _numbers(batch["pixel_values"][0], 3) == variant.indices(3, 8).tolist() == [0, 0, 0, 1, 1, 1, 2, 2]


def test_checkpoint_settings_give_the_model_input_shape(make_video):
    settings = processor_settings("videomae", 32)  # what tiny-videomae trains with
    rows = [{"video": str(make_video("a.mp4", 30, size=(48, 80))), "label": 0}]
    for train in (False, True):
        batch = VideoCollator(settings, clip_len=8, variant=SamplingVariant(), train=train)(rows)
        assert batch["pixel_values"].shape == (1, 8, 3, 32, 32)
    with VideoReader(rows[0]["video"]) as video:
        expected = eval_transform(video.get(SamplingVariant().indices(30, 8)), settings)
    assert torch.equal(batch["pixel_values"][0], expected) is False  # the training batch is augmented
    eval_batch = VideoCollator(settings, clip_len=8, variant=SamplingVariant(), train=False)(rows)
    assert torch.equal(eval_batch["pixel_values"][0], expected)


def test_training_windows_are_random_reproducible_and_keep_coverage_and_stride(make_video):
    n = 40
    rows = [{"video": str(make_video(f"v{i}.mp4", n, seed=i)), "label": i} for i in range(2)]
    variant = SamplingVariant(coverage=50, stride=2)
    pattern = clip_indices(n, 50, 2, 8)  # the window at the start; training shifts it as a whole

    def run(seed):
        collator = VideoCollator(IDENTITY_CROP, 8, variant, train=True, seed=seed)
        return [collator(rows)["pixel_values"] for _ in range(3)]

    first, second, other = run(0), run(0), run(1)
    assert all(torch.equal(a, b) for a, b in zip(first, second))
    assert not all(torch.equal(a, b) for a, b in zip(first, other))
    starts = set()
    for batch in first + other:
        for clip in batch:
            numbers = np.array(_numbers(clip, n))
            assert (numbers - numbers[0] == pattern).all()  # random crop and flip keep the frame order intact
            starts.add(int(numbers[0]))
    assert len(starts) > 1 and max(starts) <= n - 20


def test_training_with_several_variants_draws_one_per_clip(make_video):
    n = 48
    rows = [{"video": str(make_video(f"v{i}.mp4", n, seed=i)), "label": i} for i in range(4)]
    variants = [SamplingVariant(coverage=100, stride=1), SamplingVariant(coverage=25, stride=4)]
    patterns = {tuple(clip_indices(n, v.coverage, v.stride, 8).tolist()) for v in variants}
    collator = VideoCollator(IDENTITY, 8, variants, train=True, seed=0)
    seen = set()
    for _ in range(5):
        for clip in collator(rows)["pixel_values"]:
            numbers = np.array(_numbers(clip, n))
            pattern = tuple((numbers - numbers[0]).tolist())
            assert pattern in patterns  # each clip is exactly one of the variants, window shifted as a whole
            seen.add(pattern)
    assert seen == patterns
    with pytest.raises(ValueError, match="exactly one variant"):
        VideoCollator(IDENTITY, 8, variants, train=False)


def test_clips_per_video_takes_several_clips_from_one_decode(make_video):
    n = 48
    rows = [{"video": str(make_video(f"v{i}.mp4", n, seed=i)), "label": i} for i in range(3)]
    variants = [SamplingVariant(coverage=100, stride=1), SamplingVariant(coverage=50, stride=2)]
    patterns = {tuple(clip_indices(n, v.coverage, v.stride, 8).tolist()) for v in variants}
    before = DECODE_STATS.opens
    batch = VideoCollator(IDENTITY, 8, variants, train=True, seed=0, clips_per_video=4)(rows)
    assert DECODE_STATS.opens - before == 3  # one decoder per video, not per clip
    assert batch["pixel_values"].shape[0] == 12 and batch["labels"].tolist() == [0] * 4 + [1] * 4 + [2] * 4
    for clip in batch["pixel_values"]:
        numbers = np.array(_numbers(clip, n))
        assert tuple((numbers - numbers[0]).tolist()) in patterns
    with pytest.raises(ValueError, match="clips_per_video"):
        VideoCollator(IDENTITY, 8, variants[0], train=False, clips_per_video=2)


def test_decoded_cache_gives_the_same_clips_and_decodes_each_video_once(make_video, broken_videos):
    n = 40
    paths = [str(make_video(f"c{i}.mp4", n, seed=i)) for i in range(3)]
    rows = [{"video": path, "label": i} for i, path in enumerate(paths)]
    variant = SamplingVariant(coverage=50, stride=2, anchor="random")  # the random anchor is per video at eval
    plain = VideoCollator(IDENTITY, 8, variant, train=False, seed=3)(rows)
    cached_collator = VideoCollator(IDENTITY, 8, variant, train=False, seed=3, cache_mb=16)
    before = DECODE_STATS.opens
    for _ in range(3):
        cached = cached_collator(rows)
        assert torch.equal(cached["pixel_values"], plain["pixel_values"])
    assert DECODE_STATS.opens - before == 3 and len(cached_collator.cache) == 3

    train = VideoCollator(IDENTITY, 8, [variant, SamplingVariant(100, 4)], train=True, seed=1, clips_per_video=2,
                          cache_mb=16)  # fmt: skip
    assert torch.equal(train(rows)["pixel_values"], VideoCollator(
        IDENTITY, 8, [variant, SamplingVariant(100, 4)], train=True, seed=1, clips_per_video=2)(rows)["pixel_values"])  # fmt: skip

    full = VideoCollator(IDENTITY, 8, variant, train=False, cache_mb=0.01)  # 10 KB: not one 64 x 64 video fits
    full(rows)
    full(rows)
    assert len(full.cache) == 0 and full.cache.bytes == 0
    log = SkipLog()
    broken = [{"video": str(path), "label": 9} for path, _ in broken_videos.values()]
    batch = VideoCollator(IDENTITY, 8, variant, train=False, cache_mb=16, skip_log=log)(broken + rows[:1])
    assert batch["labels"].tolist() == [0] and len(log) == len(broken)


def test_broken_videos_are_skipped_recorded_and_left_untouched(make_video, broken_videos, tmp_path):
    good = make_video("good.avi", 30)
    before = {path: path.read_bytes() for path, _ in broken_videos.values()}
    rows = [{"video": str(path), "label": 9} for path, _ in broken_videos.values()]
    rows.insert(2, {"video": str(good), "label": 4})
    log = SkipLog()
    variant = SamplingVariant(coverage=100, stride=4)
    batch = VideoCollator(IDENTITY, 8, variant, train=False, skip_log=log)(rows)
    assert batch["labels"].tolist() == [4]
    assert _numbers(batch["pixel_values"][0], 30) == variant.indices(30, 8).tolist()
    assert [(row["path"], row["stage"]) for row in log.rows] == [(str(p), s) for p, s in broken_videos.values()]
    assert all(row["reason"] for row in log.rows)
    written = log.write(tmp_path / "out" / "skipped.csv")
    with open(written, newline="") as f:
        assert list(csv.DictReader(f)) == log.rows
    assert {path: path.read_bytes() for path in before} == before

    with pytest.raises(VideoDecodeError, match=r"zero\.mp4: open: .*all 5 videos of this batch failed"):
        VideoCollator(IDENTITY, 8, variant, train=True, skip_log=log)(rows[:2] + rows[3:])
    assert len(log) == 5  # each broken video listed once
    assert {path: path.read_bytes() for path in before} == before


def test_training_batches_of_broken_videos_are_refilled_from_the_training_rows(make_video, broken_videos):
    good = [{"video": str(make_video(f"good{k}.avi", 30)), "label": k} for k in range(3)]
    broken = [{"video": str(path), "label": 9} for path, _ in broken_videos.values()]
    log = SkipLog()
    collator = VideoCollator(IDENTITY, 8, SamplingVariant(), train=True, skip_log=log, refill=broken + good)
    for _ in range(3):  # every broken row is replaced by a good one; a known-broken one is never drawn again
        batch = collator(broken[:2] + good[:1])
        assert len(batch["labels"]) == 3 and 9 not in batch["labels"].tolist()
    assert {row["path"] for row in log.rows} <= {row["video"] for row in broken}
    assert len(collator(broken)["labels"]) == len(broken)  # a batch of broken videos only: filled all the same
    assert 9 not in collator(broken)["labels"].tolist()


def test_rows_from_datasets_video_columns(make_video):
    from datasets import Dataset, Video

    paths = [str(make_video("a.mp4", 24)), str(make_video("b.avi", 24, seed=1))]
    plain = Dataset.from_dict({"video": paths, "label": [0, 1]})
    variant = SamplingVariant(coverage=100, stride=3)
    collator = VideoCollator(IDENTITY, 8, variant, train=False)
    for feature in (Video(decode=False), Video()):
        dataset = plain.cast_column("video", feature)
        batch = collator([dataset[0], dataset[1]])
        for clip in batch["pixel_values"]:
            assert _numbers(clip, 24) == variant.indices(24, 8).tolist()
    with pytest.raises(KeyError, match="no label column 'target'"):
        VideoCollator(IDENTITY, 8, variant, train=False, label_column="target")([{"video": paths[0], "label": 0}])


def test_skips_in_dataloader_workers_reach_the_spool(make_video, broken_videos, tmp_path):
    good = str(make_video("good.mp4", 20))
    rows = [{"video": good, "label": 0}, {"video": str(broken_videos["text.avi"][0]), "label": 1}] * 2
    log = SkipLog(spool=tmp_path / "skipped.spool.csv")
    collator = VideoCollator(IDENTITY, 4, SamplingVariant(), train=True, skip_log=log)
    loader = torch.utils.data.DataLoader(rows, batch_size=2, num_workers=2, collate_fn=collator)
    labels = [batch["labels"].tolist() for batch in loader]
    assert labels == [[0], [0]]
    assert [(row["path"], row["stage"]) for row in log.rows] == [(str(broken_videos["text.avi"][0]), "open")]


def test_make_collators_passes_the_augmentation_keys_and_defaults_give_the_previous_batches(make_video):
    from inforates.configs import DataArguments, SamplingArguments
    from inforates.training.trainer import make_collators

    rows = [{"video": str(make_video(f"v{i}.mp4", 40, seed=i)), "label": i} for i in range(2)]
    train, evaluation = make_collators(IDENTITY_CROP, 8, SamplingArguments(), DataArguments(), seed=4)
    assert train.rand_augment is None and evaluation.rand_augment is None
    # built as before the crop-shape and RandAugment keys existed: the same batches, draw for draw
    previous = VideoCollator(IDENTITY_CROP, 8, SamplingArguments().train_variants(), train=True, seed=4,
                             random_resized_crop=True, min_scale=0.5, horizontal_flip=True)  # fmt: skip
    for _ in range(2):
        assert torch.equal(train(rows)["pixel_values"], previous(rows)["pixel_values"])

    data = DataArguments(rand_augment="rand-m7-n4-mstd0.5-inc1", crop_min_scale=0.08, crop_max_scale=0.9,
                         crop_min_aspect=0.5, crop_max_aspect=2.0, horizontal_flip=False)  # fmt: skip
    train, evaluation = make_collators(IDENTITY_CROP, 8, SamplingArguments(), data, seed=4)
    assert (train.min_scale, train.max_scale, train.min_aspect, train.max_aspect) == (0.08, 0.9, 0.5, 2.0)
    assert repr(train.rand_augment) == "RandAugment(rand-m7-n4-mstd0.5-inc1)" and train.horizontal_flip is False
    assert evaluation.rand_augment is None and not evaluation.train
    with pytest.raises(ValueError, match="crop scale"):
        VideoCollator(IDENTITY_CROP, 8, SamplingVariant(), train=True, min_scale=0.8, max_scale=0.5)


def test_rand_augment_training_batch_from_a_real_video_is_the_same_on_every_frame(make_video):
    from inforates.models import load_checkpoint

    # 3 frames, clip_len 8: the sampler repeats frames ([0, 0, 0, 1, 1, 1, 2, 2]), and repeats stay identical
    rows = [{"video": str(make_video("short.mp4", 3, size=(48, 64))), "label": 1}]
    variant = SamplingVariant(coverage=100, stride=1)
    plain = VideoCollator(IDENTITY, 8, variant, train=True, random_resized_crop=False, horizontal_flip=False)(rows)
    assert _numbers(plain["pixel_values"][0], 3) == [0, 0, 0, 1, 1, 1, 2, 2]

    def collator(seed, **keys):
        return VideoCollator(IDENTITY, 8, variant, train=True, seed=seed, clips_per_video=4,
                             rand_augment="rand-m9-n4-mstd0.5-inc1", **keys)  # fmt: skip

    changed = 0
    for seed in range(3):
        batch = collator(seed, random_resized_crop=False, horizontal_flip=False)(rows)
        assert batch["pixel_values"].shape == (4, 8, 3, 48, 64) and batch["labels"].tolist() == [1] * 4
        for clip in batch["pixel_values"]:
            for a, b in [(0, 1), (1, 2), (3, 4), (4, 5), (6, 7)]:
                assert torch.equal(clip[a], clip[b])
            changed += not torch.equal(clip, plain["pixel_values"][0])
        again = collator(seed, random_resized_crop=False, horizontal_flip=False)(rows)
        assert torch.equal(again["pixel_values"], batch["pixel_values"])  # a seeded run repeats
    assert changed >= 6  # of 12 clips, each augmented unless all 4 operations were skipped (1 in 16)

    model, settings, clip_len = load_checkpoint("tiny-videomae")
    rows = [{"video": str(make_video(f"m{i}.mp4", 30, size=(48, 80), seed=i)), "label": i} for i in range(2)]
    batch = VideoCollator(settings, clip_len, SamplingVariant(), train=True, min_scale=0.08,
                          rand_augment="rand-m7-n4-mstd0.5-inc1")(rows)  # fmt: skip
    assert batch["pixel_values"].shape == (2, clip_len, 3, 32, 32) and batch["pixel_values"].dtype == torch.float32
    with torch.no_grad():
        logits = model(pixel_values=batch["pixel_values"]).logits
    assert logits.shape[0] == 2 and torch.isfinite(logits).all()


def test_random_erasing_puts_one_still_box_of_noise_on_a_training_clip(make_video):
    from inforates.configs import DataArguments, SamplingArguments
    from inforates.training.trainer import make_collators

    rows = [{"video": str(make_video(f"e{i}.mp4", 40, size=(48, 64), seed=i)), "label": i} for i in range(2)]
    variant = SamplingVariant(coverage=100, stride=1)

    def batch(prob, seed):
        collator = VideoCollator(IDENTITY, 8, variant, train=True, seed=seed, clips_per_video=8,
                                 random_resized_crop=False, horizontal_flip=False, random_erasing_prob=prob)  # fmt: skip
        return collator(rows)["pixel_values"]

    erased_clips = 0
    for seed in range(2):
        plain, erased = batch(0.0, seed), batch(1.0, seed)  # the same windows: erasing draws after the geometry
        for before, after in zip(plain, erased):
            changed = (before != after).any(dim=(0, 1))  # (H, W): pixels changed on some frame
            rows_hit, cols_hit = changed.any(1).nonzero().flatten(), changed.any(0).nonzero().flatten()
            box = (
                slice(int(rows_hit.min()), int(rows_hit.max()) + 1),
                slice(int(cols_hit.min()), int(cols_hit.max()) + 1),
            )
            area = changed[box].numel() / changed.numel()
            assert 0.02 - 0.01 <= area <= 1 / 3 + 0.05, area  # one box of 2 %..33 % of the frame
            noise = after[:, :, box[0], box[1]]
            assert torch.equal(noise, noise[:1].expand_as(noise))  # the same box and noise on every frame
            assert abs(noise.mean().item()) < 0.5 and 0.6 < noise.std().item() < 1.4  # N(0, 1) noise
            erased_clips += 1
    assert erased_clips == 32
    share = sum((batch(0.25, s) != batch(0.0, s)).flatten(1).any(1).float().mean().item() for s in range(6)) / 6
    assert 0.1 < share < 0.45  # about a quarter of the clips

    data = DataArguments(random_erasing_prob=0.25)
    train, evaluation = make_collators(IDENTITY, 8, SamplingArguments(), data, seed=0)
    assert train.random_erasing_prob == 0.25 and evaluation.random_erasing_prob == 0.0  # training clips only
