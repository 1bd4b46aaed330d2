"""ProcessorSettings read/written like transformers' processors; eval_transform matches them; train draws per clip
(RandAugment, then the random resized crop with its scale/aspect keys, then the flip)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import decoded_texture

from inforates.configs import DataArguments
from inforates.data.processor import ProcessorSettings
from inforates.data.rand_augment import RandAugment
from inforates.data.transforms import (
    _random_resized_box,
    eval_geometry,
    eval_transform,
    train_geometry,
    train_transform,
)
from inforates.model_registry import MODEL_REGISTRY


# The processor configs of the three study checkpoints, as their model cards ship them.
VIDEOMAE = {
    "crop_size": {"height": 224, "width": 224},
    "do_center_crop": True,
    "do_normalize": True,
    "do_rescale": True,
    "do_resize": True,
    "image_mean": [0.485, 0.456, 0.406],
    "image_processor_type": "VideoMAEImageProcessor",
    "image_std": [0.229, 0.224, 0.225],
    "resample": 2,
    "rescale_factor": 0.00392156862745098,
    "size": {"shortest_edge": 224},
}
TIMESFORMER = {**VIDEOMAE, "image_mean": [0.45, 0.45, 0.45], "image_std": [0.225, 0.225, 0.225]}
VIVIT = {
    **VIDEOMAE,
    "image_mean": [0.5, 0.5, 0.5],
    "image_std": [0.5, 0.5, 0.5],
    "image_processor_type": "VivitImageProcessor",
    "offset": True,
    "rescale_factor": 0.00784313725490196,
    "size": {"shortest_edge": 256},
}


def _checkpoint(tmp_path, name, config, file_name="preprocessor_config.json"):
    folder = tmp_path / name
    folder.mkdir()
    (folder / file_name).write_text(json.dumps(config))
    return folder


@pytest.fixture(scope="module")
def textured_frames(tmp_path_factory):
    """4 real decoded 240x320 frames with texture and noise (an H.264 round trip)."""
    return decoded_texture(tmp_path_factory.mktemp("tex"), 4, 240, 320, noise=20.0)


def test_from_pretrained_reads_each_model_family(tmp_path):
    videomae = ProcessorSettings.from_pretrained(_checkpoint(tmp_path, "videomae", VIDEOMAE))
    assert (videomae.shortest_edge, videomae.crop_size, videomae.offset) == (224, (224, 224), False)
    assert videomae.image_mean == (0.485, 0.456, 0.406) and videomae.rescale_factor == pytest.approx(1 / 255)
    timesformer = ProcessorSettings.from_pretrained(_checkpoint(tmp_path, "timesformer", TIMESFORMER))
    assert timesformer.image_std == (0.225, 0.225, 0.225)
    vivit = ProcessorSettings.from_pretrained(_checkpoint(tmp_path, "vivit", VIVIT))
    assert (vivit.shortest_edge, vivit.crop_size, vivit.offset) == (256, (224, 224), True)
    assert vivit.rescale_factor == pytest.approx(1 / 127.5)
    assert vivit.source.endswith("vivit/preprocessor_config.json")


def test_from_pretrained_other_layouts(tmp_path):
    video_only = {**VIDEOMAE, "video_processor_type": "VideoMAEVideoProcessor"}
    del video_only["image_processor_type"]
    settings = ProcessorSettings.from_pretrained(
        _checkpoint(tmp_path, "video", video_only, "video_preprocessor_config.json")
    )
    assert settings.shortest_edge == 224 and settings.image_processor_type == "VideoMAEVideoProcessor"
    legacy = {"feature_extractor_type": "VideoMAEFeatureExtractor", "size": 160, "image_mean": 0.5, "image_std": 0.5}
    settings = ProcessorSettings.from_pretrained(_checkpoint(tmp_path, "legacy", legacy))
    assert (settings.shortest_edge, settings.crop_size, settings.image_std) == (160, (160, 160), (0.5, 0.5, 0.5))
    exact = {**VIDEOMAE, "size": {"height": 180, "width": 200}, "do_center_crop": False}
    settings = ProcessorSettings.from_pretrained(_checkpoint(tmp_path, "exact", exact))
    assert (settings.shortest_edge, settings.resize_to, settings.crop_size) == (None, (180, 200), None)
    from inforates.models import load_checkpoint

    _, tiny, _ = load_checkpoint("tiny-vivit")  # no checkpoint: the settings models.py builds for training too
    assert (tiny.shortest_edge, tiny.crop_size, tiny.offset) == (32, (32, 32), True)
    assert tiny.image_mean == tuple(MODEL_REGISTRY["tiny-vivit"].architecture.image_mean)


def test_from_pretrained_errors_say_what_to_do(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match=r"empty: no preprocessor_config\.json or video_preprocessor"):
        ProcessorSettings.from_pretrained(tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match=r"some-org/no-such-model: cannot read .* from the Hub"):
        ProcessorSettings.from_pretrained("some-org/no-such-model")  # HF_HUB_OFFLINE=1 in the tests
    with pytest.raises(ValueError, match=r"bad/preprocessor_config\.json: unusable .*image_mean needs 3 values"):
        ProcessorSettings.from_pretrained(_checkpoint(tmp_path, "bad", {**VIDEOMAE, "image_mean": [0.5, 0.5]}))


@pytest.mark.parametrize("config", [VIDEOMAE, TIMESFORMER, VIVIT], ids=["videomae", "timesformer", "vivit"])
def test_saved_settings_load_in_plain_transformers_and_match_its_processing(tmp_path, config, textured_frames):
    from transformers import AutoImageProcessor

    settings = ProcessorSettings.from_pretrained(_checkpoint(tmp_path, "in", config))
    assert ProcessorSettings.from_dict(settings.to_dict()) == settings
    settings.save_pretrained(tmp_path / "out")
    processor = AutoImageProcessor.from_pretrained(tmp_path / "out")  # no inforates code involved
    assert type(processor).__name__.startswith(config["image_processor_type"])  # VideoMAE falls back to ...Pil
    assert list(processor.image_mean) == config["image_mean"] and list(processor.image_std) == config["image_std"]

    ours = eval_transform(textured_frames, settings)
    reference = processor(list(textured_frames.numpy()), return_tensors="pt")["pixel_values"][0]
    assert ours.dtype == torch.float32 and ours.shape == reference.shape == (4, 3, 224, 224)
    # Both resize on uint8 with the same antialiased bilinear kernel; rounding may differ by one grey level.
    grey_levels = (ours - reference).abs() * torch.tensor(settings.image_std).view(1, 3, 1, 1)
    grey_levels /= settings.rescale_factor
    assert grey_levels.max() <= 1 + 1e-3
    assert (grey_levels > 0.5).float().mean() < 0.01


def test_vivit_offset_maps_pixels_to_minus_one_one():
    frames = torch.tensor([0, 64, 128, 255], dtype=torch.uint8).view(4, 1, 1, 1).expand(4, 3, 8, 8).contiguous()
    settings = ProcessorSettings.from_dict(
        {**VIVIT, "do_normalize": False, "do_resize": False, "do_center_crop": False}
    )
    out = eval_transform(frames, settings)
    assert out.shape == (4, 3, 8, 8)
    assert torch.allclose(out[:, 0, 0, 0], torch.tensor([-1.0, 64 / 127.5 - 1, 128 / 127.5 - 1, 1.0]), atol=1e-6)
    normalised = eval_transform(frames, ProcessorSettings.from_dict({**VIVIT, "do_resize": False}))
    assert normalised.shape == (4, 3, 224, 224)  # zero-padded to the crop, as transformers does
    centre = normalised[:, 0, 112, 112]
    assert torch.allclose(centre, (out[:, 0, 0, 0] - 0.5) / 0.5, atol=1e-6)  # the checkpoint's normalisation follows


def test_shortest_edge_resize_keeps_the_aspect_ratio(textured_frames):
    settings = ProcessorSettings.from_dict({**VIDEOMAE, "size": {"shortest_edge": 120}, "do_center_crop": False})
    assert eval_transform(textured_frames, settings).shape == (4, 3, 120, 160)
    portrait = textured_frames.transpose(-1, -2).contiguous()  # 320 high, 240 wide
    assert eval_transform(portrait, settings).shape == (4, 3, 160, 120)
    with pytest.raises(ValueError, match=r"uint8 tensor \(T, 3, H, W\)"):
        eval_transform(textured_frames.float(), settings)


def _one_frame_clip(textured_frames, length=5):
    return textured_frames[:1].expand(length, -1, -1, -1).contiguous()


def test_train_transform_draws_once_per_clip_and_repeats_with_the_seed(textured_frames):
    settings = ProcessorSettings.from_dict({**VIDEOMAE, "size": {"shortest_edge": 64}, "crop_size": 56})
    clip = _one_frame_clip(textured_frames)
    outputs = [train_transform(clip, settings, torch.Generator().manual_seed(seed)) for seed in range(8)]
    for out in outputs:
        assert out.shape == (5, 3, 56, 56) and out.dtype == torch.float32
        assert all(torch.equal(out[0], frame) for frame in out[1:])  # the same crop and flip for every frame
    again = train_transform(clip, settings, torch.Generator().manual_seed(3))
    assert torch.equal(again, outputs[3])
    assert len({out.sum().item() for out in outputs}) == len(outputs)  # different crops for different seeds


def test_train_flip_without_crop_is_the_eval_clip_or_its_mirror(textured_frames):
    settings = ProcessorSettings.from_dict({**VIDEOMAE, "size": {"shortest_edge": 64}, "crop_size": 56})
    reference = eval_transform(textured_frames, settings)
    flipped = 0
    for seed in range(12):
        out = train_transform(
            textured_frames, settings, torch.Generator().manual_seed(seed), random_resized_crop=False
        )
        assert torch.equal(out, reference) or torch.equal(out, reference.flip(-1))
        flipped += torch.equal(out, reference.flip(-1))
    assert 0 < flipped < 12
    plain = train_transform(
        textured_frames, settings, torch.Generator(), random_resized_crop=False, horizontal_flip=False
    )
    assert torch.equal(plain, reference)


# --- random resized crop keys and RandAugment ----------------------------------------------------------------------


def _previous_box(height, width, min_scale, generator):
    """The box rule before the scale/aspect keys existed (area min_scale..1, aspect 3/4..4/3), kept as the oracle
    that the defaults must reproduce draw for draw."""
    area = height * width
    log_ratio = (math.log(3 / 4), math.log(4 / 3))
    for _ in range(10):
        target_area = area * float(torch.empty(1).uniform_(min_scale, 1.0, generator=generator))
        ratio = math.exp(float(torch.empty(1).uniform_(*log_ratio, generator=generator)))
        w = round(math.sqrt(target_area * ratio))
        h = round(math.sqrt(target_area / ratio))
        if 0 < w <= width and 0 < h <= height:
            top = int(torch.randint(0, height - h + 1, (1,), generator=generator))
            left = int(torch.randint(0, width - w + 1, (1,), generator=generator))
            return top, left, h, w
    in_ratio = width / height
    if in_ratio < 3 / 4:
        w, h = width, round(width / (3 / 4))
    elif in_ratio > 4 / 3:
        h, w = height, round(height * (4 / 3))
    else:
        w, h = width, height
    return (height - h) // 2, (width - w) // 2, h, w


def _previous_train_geometry(frames, settings, generator, min_scale=0.5):
    top, left, h, w = _previous_box(*frames.shape[-2:], min_scale, generator)
    out = F.interpolate(frames[..., top : top + h, left : left + w], settings.output_size, mode="bilinear",
                        antialias=True, align_corners=False)  # fmt: skip
    return out.flip(-1) if float(torch.rand(1, generator=generator)) < 0.5 else out


def test_default_crop_keys_reproduce_the_previous_boxes_and_clips(textured_frames):
    args = DataArguments()
    defaults = ((args.crop_min_scale, args.crop_max_scale), (args.crop_min_aspect, args.crop_max_aspect))
    assert defaults == ((0.5, 1.0), (3 / 4, 4 / 3)) and args.rand_augment is None
    for height, width in [(240, 320), (64, 48), (100, 20), (20, 100), (32, 32)]:
        for seed in range(150):
            previous = _previous_box(height, width, 0.5, torch.Generator().manual_seed(seed))
            assert _random_resized_box(height, width, *defaults, torch.Generator().manual_seed(seed)) == previous
    settings = ProcessorSettings.from_dict({**VIDEOMAE, "size": {"shortest_edge": 64}, "crop_size": 56})
    for seed in range(10):
        for min_scale in (0.5, 0.08):
            expected = _previous_train_geometry(
                textured_frames, settings, torch.Generator().manual_seed(seed), min_scale
            )
            out = train_geometry(textured_frames, settings, torch.Generator().manual_seed(seed), min_scale=min_scale)
            assert torch.equal(out, expected)


def test_crop_scale_and_aspect_keys_shape_the_boxes():
    full = [_random_resized_box(90, 90, (1, 1), (1, 1), torch.Generator().manual_seed(s)) for s in range(30)]
    assert set(full) == {(0, 0, 90, 90)}  # scale 1 and aspect 1 on a square frame: the whole frame

    def boxes(scale, ratio, height=300, width=400, n=400):
        generator = torch.Generator().manual_seed(0)
        return [_random_resized_box(height, width, scale, ratio, generator) for _ in range(n)]

    small = boxes((0.08, 0.1), (3 / 4, 4 / 3))
    shares = np.array([h * w / (300 * 400) for _, _, h, w in small])
    assert shares.min() > 0.07 and shares.max() < 0.11  # the area share stays in the asked range (up to rounding)
    wide = boxes((0.05, 0.2), (1 / 4, 4))
    aspects = np.array([w / h for _, _, h, w in wide])
    assert aspects.min() > 0.24 and aspects.max() < 4.2
    assert 0.4 < (aspects < 1).mean() < 0.6  # log-uniform: as many tall boxes as wide ones (uniform: ~20 % tall)
    for top, left, h, w in small + wide:
        assert 0 <= top <= 300 - h and 0 <= left <= 400 - w
    # no box fits 10 times: torchvision's fallback, the centre clamped to the aspect range
    assert _random_resized_box(100, 20, (0.9, 1), (2, 3), torch.Generator().manual_seed(0)) == (45, 0, 10, 20)
    assert _random_resized_box(20, 100, (0.9, 1), (0.2, 0.5), torch.Generator().manual_seed(0)) == (0, 45, 20, 10)


def test_full_frame_crop_is_the_eval_clip(textured_frames):
    square = textured_frames[..., :, 40:280].contiguous()  # 240 x 240
    settings = ProcessorSettings.from_dict({**VIDEOMAE, "size": {"shortest_edge": 56}, "crop_size": 56})
    out = train_geometry(square, settings, torch.Generator(), min_scale=1.0, max_scale=1.0, min_aspect=1.0,
                         max_aspect=1.0, horizontal_flip=False)  # fmt: skip
    assert torch.equal(out, eval_geometry(square, settings))
    for bad, match in [({"min_scale": 0.6, "max_scale": 0.5}, "crop scale"), ({"max_aspect": 0.5}, "crop aspect"),
                       ({"max_scale": 1.5}, "crop scale"), ({"min_aspect": 0.0}, "crop aspect")]:  # fmt: skip
        with pytest.raises(ValueError, match=match):
            train_geometry(square, settings, torch.Generator(), **bad)


def test_rand_augment_runs_first_on_the_whole_clip_then_the_crop_and_flip(textured_frames):
    settings = ProcessorSettings.from_dict({**VIDEOMAE, "size": {"shortest_edge": 64}, "crop_size": 56})
    augment = RandAugment("rand-m9-n4-mstd0.5-inc1")
    clip = _one_frame_clip(textured_frames)
    changed = 0
    for seed in range(6):
        out = train_transform(clip, settings, torch.Generator().manual_seed(seed), rand_augment=augment)
        assert out.shape == (5, 3, 56, 56) and out.dtype == torch.float32
        assert all(torch.equal(out[0], frame) for frame in out[1:])  # one draw for the clip
        # the same generator, drawn in order: RandAugment on the decoded clip, then the crop and the flip
        generator = torch.Generator().manual_seed(seed)
        expected = train_transform(augment(clip, generator), settings, generator)
        assert torch.equal(out, expected)
        changed += not torch.equal(out, train_transform(clip, settings, torch.Generator().manual_seed(seed)))
    assert changed >= 4
