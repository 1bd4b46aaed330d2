"""ProcessorSettings read/written like transformers' processors; eval_transform matches them; train draws per clip."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from conftest import write_video

from inforates.data.decoding import VideoReader
from inforates.data.transforms import ProcessorSettings, eval_transform, train_transform
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
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:240, 0:320]
    frames = []
    for t in range(4):
        base = 128 + 60 * np.sin(xx / 7 + t) + 40 * np.cos(yy / 5) + rng.normal(0, 20, (240, 320))
        frames.append(np.stack([base, np.roll(base, 5, axis=1), 255 - base]))
    path = write_video(tmp_path_factory.mktemp("tex") / "tex.mp4", np.clip(frames, 0, 255).astype(np.uint8))
    with VideoReader(path) as video:
        return video.get([0, 1, 2, 3])


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
