"""The model factory: tiny presets, full architectures from config, head replacement, geometry checks, attention."""

from __future__ import annotations

import re

import pytest
import torch

from inforates.configs import ModelArguments, parse_recipe
from inforates.errors import RecipeError
from inforates.model_registry import MODEL_REGISTRY
from inforates.models import load_checkpoint, load_model_for_training


LABELS = {"a": 0, "b": 1, "c": 2}
ID2LABEL = {i: n for n, i in LABELS.items()}
EXPECTED_ATTENTION = {"timesformer": "eager", "videomae": "sdpa", "vivit": "sdpa"}


def _build(name: str, labels=LABELS, **kwargs):
    return load_model_for_training(ModelArguments(name, **kwargs), labels, {i: n for n, i in labels.items()})


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """Each tiny preset saved as a checkpoint (model + processor config), as training leaves it."""
    out = {}
    for arch in EXPECTED_ATTENTION:
        model, settings, _ = _build(f"tiny-{arch}")
        folder = tmp_path_factory.mktemp(arch)
        model.save_pretrained(folder)
        settings.save_pretrained(folder)
        out[arch] = (folder, model)
    return out


@pytest.mark.parametrize("arch", list(EXPECTED_ATTENTION))
def test_tiny_preset_geometry_attention_and_processor(arch, caplog):
    caplog.set_level("INFO", logger="inforates")
    model, settings, clip_len = _build(f"tiny-{arch}")
    spec = MODEL_REGISTRY[f"tiny-{arch}"]
    assert clip_len == model.config.num_frames == 8
    assert (model.config.hidden_size, model.config.num_hidden_layers) == (64, 2)
    assert model.config._attn_implementation == EXPECTED_ATTENTION[arch]
    assert f"attention: {EXPECTED_ATTENTION[arch]}" in caplog.text
    assert model.config.id2label == ID2LABEL and model.config.label2id == LABELS
    assert settings.shortest_edge == 32 and settings.crop_size == (32, 32)
    arch = spec.architecture
    assert settings.image_mean == arch.image_mean and settings.image_std == arch.image_std
    logits = model(pixel_values=torch.randn(2, clip_len, 3, 32, 32)).logits
    assert logits.shape == (2, 3)


def test_sdpa_request_for_timesformer_is_refused():
    with pytest.raises(RecipeError, match="eager attention only"):
        _build("tiny-timesformer", attn_implementation="sdpa")


@pytest.mark.parametrize("arch", list(EXPECTED_ATTENTION))
def test_ucf101_recipe_parses_and_builds_its_model_from_config(arch):
    """The real recipe, its full-size architecture from the config class (random weights, nothing downloaded)."""
    recipe = parse_recipe(["--config", f"recipes/{arch}/ucf101.yaml", "--use_cpu", "true", "--random_init", "true"])
    labels = {f"class_{i}": i for i in range(101)}
    model, settings, clip_len = load_model_for_training(recipe.model, labels, {i: n for n, i in labels.items()})
    assert clip_len == recipe.model.num_frames == MODEL_REGISTRY[arch].clip_len
    assert model.config.image_size == 224 and settings.crop_size == (224, 224)
    assert (model.config.hidden_size, model.config.num_hidden_layers, model.config.num_labels) == (768, 12, 101)
    assert model.config._attn_implementation == EXPECTED_ATTENTION[arch]
    assert recipe.training.bf16 and recipe.training.load_best_model_at_end
    assert recipe.training.activation_checkpointing == (arch == "vivit")
    assert recipe.training.metric_for_best_model == "accuracy"
    params = sum(p.numel() for p in model.parameters()) / 1e6
    assert 80 < params < 125, params  # ViT-B sized


@pytest.mark.parametrize("arch", list(EXPECTED_ATTENTION))
def test_fine_tuning_replaces_the_head_only_for_other_labels(arch, saved):
    folder, original = saved[arch]
    same, _, _ = _build(str(folder))
    assert torch.equal(same.classifier.weight, original.classifier.weight)
    other_names, _, _ = _build(str(folder), labels={"x": 0, "y": 1, "z": 2})
    assert other_names.config.id2label == {0: "x", 1: "y", 2: "z"}
    assert not torch.equal(other_names.classifier.weight, original.classifier.weight)
    fewer, _, _ = _build(str(folder), labels={"x": 0, "y": 1})
    assert fewer.classifier.weight.shape == (2, 64)
    backbone = next(
        n for n, _ in original.named_parameters() if re.search(r"layers?\.0\.", n) and n.endswith("weight")
    )
    assert torch.equal(dict(fewer.named_parameters())[backbone], dict(original.named_parameters())[backbone])


def test_timesformer_clip_length_change_resizes_time_embeddings_with_the_config(saved):
    """Oracle: the same weights in a model built for 16 frames, each of the 8 time embeddings used twice.

    (Feeding 16 frames to the 8-frame model instead is wrong: its layers split tokens by config.num_frames.)
    """
    folder, original = saved["timesformer"]
    model, _, clip_len = load_checkpoint(str(folder), ModelArguments(num_frames=16))
    assert clip_len == model.config.num_frames == 16
    reference, _, _ = _build("tiny-timesformer", num_frames=16)
    state = original.state_dict()
    key = "timesformer.embeddings.time_embeddings"
    state[key] = state[key].repeat_interleave(2, dim=1)
    reference.load_state_dict(state)
    reference.eval()
    x = torch.randn(1, 16, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(model(pixel_values=x).logits, reference(pixel_values=x).logits)


def test_videomae_clip_length_replaced_in_config(saved):
    folder, _ = saved["videomae"]
    model, _, clip_len = load_checkpoint(str(folder), ModelArguments(num_frames=16))
    assert clip_len == model.config.num_frames == 16
    assert model(pixel_values=torch.randn(1, 16, 3, 32, 32)).logits.shape == (1, 3)
    with pytest.raises(RecipeError, match=r"num_frames=7: .* tubelets of 2"):
        load_checkpoint(str(folder), ModelArguments(num_frames=7))


def test_vivit_checkpoint_geometry_is_fixed(saved):
    folder, _ = saved["vivit"]
    with pytest.raises(RecipeError, match=r"num_frames=16: .*trained with num_frames=8"):
        load_checkpoint(str(folder), ModelArguments(num_frames=16))
    with pytest.raises(RecipeError, match=r"image_size=48: .*image_size=32"):
        load_checkpoint(str(folder), ModelArguments(image_size=48))
    model, settings, clip_len = load_checkpoint(str(folder))
    assert clip_len == 8 and settings.crop_size == (32, 32) and not model.training


def test_image_size_override_adjusts_the_processor(saved):
    folder, _ = saved["videomae"]
    model, settings, _ = load_checkpoint(str(folder), ModelArguments(image_size=48))
    assert settings.crop_size == (48, 48) and settings.shortest_edge == 48
    assert model(pixel_values=torch.randn(1, 8, 3, 48, 48)).logits.shape == (1, 3)


def test_clear_errors_for_unloadable_sources(tmp_path, monkeypatch):
    with pytest.raises(RecipeError, match="no config.json"):
        load_checkpoint(str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(RecipeError, match="cannot read its config.*HF_HUB_OFFLINE"):
        load_checkpoint("some-org/no-such-video-model")


@pytest.mark.parametrize("name", list(MODEL_REGISTRY))
def test_training_and_evaluation_see_the_same_pixels(name, tmp_path, make_video):
    """For every registry entry: the settings training uses (built by models.py) and the ones evaluation reads back
    from the saved checkpoint give identical pixels for the same frames, in the training collator (augmentation off)
    and in the evaluation grid collator."""
    from inforates.data.collator import VideoCollator
    from inforates.data.processor import ProcessorSettings
    from inforates.data.processor import for_architecture as processor_settings
    from inforates.evaluation.grid import GridCollator
    from inforates.sampling import SamplingVariant

    spec = MODEL_REGISTRY[name]
    size = 32
    if spec.checkpoint is None:  # a tiny preset: the whole path, model saved and loaded back
        model, trained, clip_len = _build(name)
        model.save_pretrained(tmp_path / "ckpt")
        trained.save_pretrained(tmp_path / "ckpt")
        evaluated = load_checkpoint(str(tmp_path / "ckpt"))[1]
    else:  # the full models built from their config (random_init) use the same function, at their size
        trained, clip_len = processor_settings(spec.architecture, size), spec.clip_len
        evaluated = ProcessorSettings.from_pretrained(trained.save_pretrained(tmp_path / "ckpt").parent)
    assert evaluated == trained
    video = str(make_video("v.mp4", num_frames=clip_len, size=(40, 56)))  # one window: every anchor is the same
    variant = SamplingVariant(100, 1)
    train = VideoCollator(trained, clip_len, variant, train=True, random_resized_crop=False, horizontal_flip=False)
    from_training = train([{"video": video, "label": 0}])["pixel_values"][0]
    from_grid = GridCollator([variant], clip_len, evaluated)([{"row": 0, "video": video}])["pixel_values"][0, 0]
    assert from_training.shape == (clip_len, 3, size, size)
    torch.testing.assert_close(from_training, from_grid, rtol=0, atol=1e-6)
