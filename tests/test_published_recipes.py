"""The published-protocol recipes (`recipes/<model>/ucf101_published.yaml`) against the authors' files.

Each recipe parses, sets every regulariser itself (never a silent default), names a source on every value line,
and holds the values of the table below, which says for each key what the authors' file gives and where. The
derived values (VideoMAE's scaled learning rate, the crop boxes written for a 320 x 240 UCF-101 frame) are
recomputed here from the authors' numbers. docs/training.md's "Published protocols" commands are parsed too.
"""

from __future__ import annotations

import functools
import re
import shlex
from pathlib import Path

import pytest
import yaml

from inforates.configs import parse_recipe


REPO_ROOT = Path(__file__).resolve().parents[1]
CPU = ["--bf16", "false", "--use_cpu", "true"]

# The files each recipe cites: the short name its comments use -> repository and path (as stored where noted).
SOURCE_FILES = {
    "videomae": {
        "finetune.sh": "MCG-NJU/VideoMAE scripts/ucf101/videomae_vit_base_patch16_224_tubemasking_ratio_0.75_epoch_3200/"
        "finetune.sh",
        "run_class_finetuning.py": "MCG-NJU/VideoMAE run_class_finetuning.py (argparse defaults, lr scaling)",
        "kinetics.py": "MCG-NJU/VideoMAE kinetics.py (VideoClsDataset: loadvideo_decord, _aug_frame)",
        "utils.py": "MCG-NJU/VideoMAE utils.py (create_ds_config)",
        "MODEL_ZOO.md": "MCG-NJU/VideoMAE MODEL_ZOO.md (UCF101: 91.3 top-1, 16x5x3)",
    },
    "timesformer": {
        "TimeSformer_divST_8x32_224.yaml": "facebookresearch/TimeSformer configs/Kinetics/TimeSformer_divST_8x32_224.yaml",
        "lib/config/defaults.py": "facebookresearch/TimeSformer lib/config/defaults.py (as stored)",
        "lib/models/vit.py": "facebookresearch/TimeSformer lib/models/vit.py (vit_base_patch16_224, as stored)",
        "lib/datasets/decoder.py": "facebookresearch/TimeSformer lib/datasets/decoder.py (as stored)",
        "lib/datasets/kinetics.py": "facebookresearch/TimeSformer timesformer/datasets/kinetics.py (Kinetics.__getitem__)",
        "README.md": "facebookresearch/TimeSformer README.md (Model Zoo: K400 77.9)",
    },
    "vivit": {
        "vivit_base_k400.py": "google-research/scenic scenic/projects/vivit/configs/kinetics400/vivit_base_k400.py",
        "epic_kitchens/vivit_large_factorised_encoder.py": "google-research/scenic scenic/projects/vivit/configs/"
        "epic_kitchens/vivit_large_factorised_encoder.py",
        "data/video_tfrecord_dataset.py": "google-research/scenic scenic/projects/vivit/data/video_tfrecord_dataset.py",
        "scenic/train_lib/optimizers.py": "google-research/scenic scenic/train_lib/optimizers.py",
        "DMVR": "deepmind/dmvr processors.py (sample_sequence, scale_jitter_augm)",
        "README.md": "google-research/scenic scenic/projects/vivit/README.md (Model Zoo: K400 79.9, 4x3)",
    },
}

# key -> (value after parsing, the source short name the key's comment must contain).
PUBLISHED = {
    "videomae": {
        "num_frames": (16, "finetune.sh"),  # --num_frames 16
        "image_size": (224, "finetune.sh"),  # --input_size 224
        "drop_path_rate": (0.2, "finetune.sh"),  # --drop_path 0.2
        "head_dropout": (0.5, "finetune.sh"),  # --fc_drop_rate 0.5
        "random_erasing_prob": (0.25, "run_class_finetuning.py"),  # --reprob default
        "crop_min_scale": (0.08, "kinetics.py"),  # _aug_frame scl [0.08, 1.0]
        "crop_max_scale": (1.0, "kinetics.py"),
        "crop_min_aspect": (0.75, "kinetics.py"),  # _aug_frame asp [0.75, 1.3333]
        "crop_max_aspect": (1.3333, "kinetics.py"),
        "horizontal_flip": (True, "kinetics.py"),
        "rand_augment": ("rand-m7-n4-mstd0.5-inc1", "run_class_finetuning.py"),  # --aa default
        "clips_per_video": (2, "finetune.sh"),  # --num_sample 2
        "sampler": ("dense", "kinetics.py"),
        "train_stride": ([4], "finetune.sh"),  # --sampling_rate 4
        "validation_stride": (4, "finetune.sh"),
        "test_clips": (5, "finetune.sh"),  # --test_num_segment 5
        "test_crops": (3, "finetune.sh"),  # --test_num_crop 3
        "num_train_epochs": (100, "finetune.sh"),  # --epochs 100
        "per_device_train_batch_size": (16, "finetune.sh"),  # --batch_size 16 on each of 8 GPUs
        "gradient_accumulation_steps": (8, "finetune.sh"),
        "activation_checkpointing": (True, "finetune.sh"),  # --use_checkpoint
        "optim": ("adamw_torch", "finetune.sh"),  # --opt adamw
        "learning_rate": (2.5e-4, "finetune.sh"),  # --lr 5e-4 x 128 / 256
        "layer_decay": (0.7, "finetune.sh"),  # --layer_decay 0.7
        "weight_decay": (0.05, "finetune.sh"),
        "adam_beta1": (0.9, "finetune.sh"),  # --opt_betas 0.9 0.999
        "adam_beta2": (0.999, "finetune.sh"),
        "adam_epsilon": (1e-8, "run_class_finetuning.py"),  # --opt_eps default
        "lr_scheduler_type": ("cosine_with_min_lr", "run_class_finetuning.py"),  # utils.cosine_scheduler to min_lr
        "lr_scheduler_kwargs": ({"min_lr_rate": 0.02}, "finetune.sh"),  # --min_lr 1e-5 / --lr 5e-4
        "warmup_steps": (0.05, "run_class_finetuning.py"),  # --warmup_epochs 5 of 100
        "max_grad_norm": (0.0, "run_class_finetuning.py"),  # --clip_grad None
        "mixup_alpha": (0.8, "run_class_finetuning.py"),  # --mixup default
        "cutmix_alpha": (1.0, "run_class_finetuning.py"),  # --cutmix default
        "mixup_prob": (1.0, "run_class_finetuning.py"),
        "mixup_switch_prob": (0.5, "run_class_finetuning.py"),
        "label_smoothing_factor": (0.1, "run_class_finetuning.py"),  # --smoothing default
        "ema_decay": (None, "run_class_finetuning.py"),  # --model_ema off
        "seed": (0, "run_class_finetuning.py"),
    },
    "timesformer": {
        "num_frames": (8, "TimeSformer_divST_8x32_224.yaml"),  # DATA.NUM_FRAMES
        "image_size": (224, "TimeSformer_divST_8x32_224.yaml"),  # DATA.TRAIN_CROP_SIZE
        "drop_path_rate": (0.1, "lib/models/vit.py"),
        "head_dropout": (0.0, "lib/models/vit.py"),  # forward: head(forward_features(x))
        "random_erasing_prob": (0.0, "lib/datasets/kinetics.py"),  # no erasing among its augmentations
        "crop_min_scale": (0.37, "TimeSformer_divST_8x32_224.yaml"),  # TRAIN_JITTER_SCALES [256, 320]
        "crop_max_scale": (0.57, "TimeSformer_divST_8x32_224.yaml"),
        "crop_min_aspect": (1.0, "TimeSformer_divST_8x32_224.yaml"),
        "crop_max_aspect": (1.0, "TimeSformer_divST_8x32_224.yaml"),
        "horizontal_flip": (True, "lib/config/defaults.py"),  # DATA.RANDOM_FLIP
        "rand_augment": (None, "lib/config/defaults.py"),  # DATA.AUTO_AUGMENT ''
        "clips_per_video": (1, "lib/config/defaults.py"),
        "sampler": ("dense", "lib/datasets/decoder.py"),
        "train_stride": ([30], "TimeSformer_divST_8x32_224.yaml"),  # SAMPLING_RATE 32 at TARGET_FPS 30, 25 fps
        "validation_stride": (30, "TimeSformer_divST_8x32_224.yaml"),
        "test_clips": (1, "TimeSformer_divST_8x32_224.yaml"),  # TEST.NUM_ENSEMBLE_VIEWS 1
        "test_crops": (3, "TimeSformer_divST_8x32_224.yaml"),  # TEST.NUM_SPATIAL_CROPS 3
        "num_train_epochs": (15, "TimeSformer_divST_8x32_224.yaml"),  # SOLVER.MAX_EPOCH
        "per_device_train_batch_size": (8, "TimeSformer_divST_8x32_224.yaml"),  # TRAIN.BATCH_SIZE (total)
        "gradient_accumulation_steps": (1, "TimeSformer_divST_8x32_224.yaml"),
        "optim": ("sgd", "TimeSformer_divST_8x32_224.yaml"),
        "optim_args": ("momentum=0.9,nesterov=True", "lib/config/defaults.py"),  # SOLVER.NESTEROV True
        "learning_rate": (0.005, "TimeSformer_divST_8x32_224.yaml"),  # SOLVER.BASE_LR
        "layer_decay": (None, "lib/config/defaults.py"),
        "weight_decay": (1e-4, "TimeSformer_divST_8x32_224.yaml"),
        "lr_scheduler_type": ("cosine", "TimeSformer_divST_8x32_224.yaml"),  # steps_with_relative_lrs: no such key
        "warmup_steps": (0, "lib/config/defaults.py"),  # SOLVER.WARMUP_EPOCHS 0.0
        "max_grad_norm": (0.0, "lib/config/defaults.py"),
        "mixup_alpha": (0.0, "lib/config/defaults.py"),  # MIXUP.ENABLED False
        "cutmix_alpha": (0.0, "lib/config/defaults.py"),
        "mixup_prob": (1.0, "lib/config/defaults.py"),
        "mixup_switch_prob": (0.5, "lib/config/defaults.py"),
        "label_smoothing_factor": (0.0, "TimeSformer_divST_8x32_224.yaml"),  # LOSS_FUNC cross_entropy
        "ema_decay": (None, "lib/config/defaults.py"),  # EMA.ENABLED False
        "dataloader_num_workers": (8, "TimeSformer_divST_8x32_224.yaml"),
        "seed": (0, "TimeSformer_divST_8x32_224.yaml"),  # RNG_SEED 0
    },
    "vivit": {
        "num_frames": (32, "vivit_base_k400.py"),
        "image_size": (224, "vivit_base_k400.py"),  # crop_size
        "drop_path_rate": (0.2, "epic_kitchens/vivit_large_factorised_encoder.py"),  # stochastic_droplayer_rate
        "head_dropout": (0.0, "vivit_base_k400.py"),  # model.dropout_rate 0.
        "random_erasing_prob": (0.0, "vivit_base_k400.py"),  # augmentation_params: no erasing
        "crop_min_scale": (0.32, "vivit_base_k400.py"),  # min_resize 256, scale_max_factor 1.33
        "crop_max_scale": (0.71, "vivit_base_k400.py"),  # scale_min_factor 0.9
        "crop_min_aspect": (0.68, "vivit_base_k400.py"),
        "crop_max_aspect": (1.48, "vivit_base_k400.py"),
        "horizontal_flip": (True, "data/video_tfrecord_dataset.py"),
        "rand_augment": ("m10-n2", "epic_kitchens/vivit_large_factorised_encoder.py"),  # 2 layers, magnitude 15
        "clips_per_video": (1, "data/video_tfrecord_dataset.py"),
        "sampler": ("dense", "data/video_tfrecord_dataset.py"),
        "train_stride": ([2], "vivit_base_k400.py"),
        "validation_stride": (2, "vivit_base_k400.py"),
        "test_clips": (4, "vivit_base_k400.py"),  # num_test_clips 4
        "test_crops": (3, "vivit_base_k400.py"),  # do_three_spatial_crops
        "num_train_epochs": (30, "vivit_base_k400.py"),
        "per_device_train_batch_size": (8, "vivit_base_k400.py"),  # batch_size 64 = 8 x 8
        "gradient_accumulation_steps": (8, "vivit_base_k400.py"),
        "optim": ("sgd", "vivit_base_k400.py"),  # optimizer 'momentum'
        "optim_args": ("momentum=0.9", "scenic/train_lib/optimizers.py"),
        "learning_rate": (0.1, "vivit_base_k400.py"),  # base_learning_rate 1e-1
        "layer_decay": (None, "vivit_base_k400.py"),
        "weight_decay": (0.0, "vivit_base_k400.py"),  # l2_decay_factor 0
        "lr_scheduler_type": ("cosine", "vivit_base_k400.py"),
        "warmup_steps": (0.0833, "vivit_base_k400.py"),  # 2.5 of 30 epochs
        "max_grad_norm": (1.0, "vivit_base_k400.py"),
        "mixup_alpha": (0.1, "epic_kitchens/vivit_large_factorised_encoder.py"),
        "cutmix_alpha": (0.0, "epic_kitchens/vivit_large_factorised_encoder.py"),
        "mixup_prob": (1.0, "epic_kitchens/vivit_large_factorised_encoder.py"),
        "mixup_switch_prob": (0.5, "epic_kitchens/vivit_large_factorised_encoder.py"),
        "label_smoothing_factor": (0.2, "epic_kitchens/vivit_large_factorised_encoder.py"),
        "ema_decay": (None, "vivit_base_k400.py"),
        "seed": (0, "vivit_base_k400.py"),  # rng_seed 0
    },
}

# What a recipe must set itself: regularisation and augmentation, where a default would silently change the protocol.
REGULARISERS = (
    "drop_path_rate", "weight_decay", "layer_decay", "mixup_alpha", "cutmix_alpha", "mixup_prob", "mixup_switch_prob",
    "label_smoothing_factor", "ema_decay", "rand_augment", "random_resized_crop", "crop_min_scale", "crop_max_scale",
    "crop_min_aspect", "crop_max_aspect", "horizontal_flip", "clips_per_video", "max_grad_norm", "head_dropout",
    "random_erasing_prob",
)  # fmt: skip

MODELS = tuple(PUBLISHED)
VALUE_LINE = re.compile(r"^(?P<key>[a-z_0-9]+):\s*(?P<rest>\S.*)$")


def recipe_path(model: str) -> Path:
    return REPO_ROOT / "recipes" / model / "ucf101_published.yaml"


@functools.cache
def parse(model: str):
    """The recipe as the Trainer would get it on this machine (parsed once per model: a parse takes about 1 s)."""
    return parse_recipe(["--config", str(recipe_path(model)), *CPU])


def parsed_value(recipe, key: str):
    for args in recipe[:5]:
        if hasattr(args, key):
            value = getattr(args, key)
            return getattr(value, "value", value)  # transformers' enums (optim, lr_scheduler_type) as their text
    raise KeyError(key)


def same(actual, expected) -> bool:
    """Numbers within float rounding, flags and None by identity (1 is not True), the rest exactly."""
    if isinstance(expected, bool) or expected is None:
        return actual is expected
    if isinstance(expected, float):
        return not isinstance(actual, bool) and actual == pytest.approx(expected)
    return actual == expected


def value_comments(model: str) -> dict[str, str]:
    """key -> the comment on its line, for every line of the recipe that sets a value."""
    comments = {}
    for number, line in enumerate(recipe_path(model).read_text().splitlines(), 1):
        match = VALUE_LINE.match(line)
        if not match:
            assert not line.strip() or line.startswith("#"), f"{model}:{number}: neither a value, a comment nor blank"
            continue
        value, _, comment = match["rest"].partition("  # ")
        assert value.strip() and comment.strip(), f"{model}:{number}: {match['key']} has no source comment"
        comments[match["key"]] = comment.strip()
    return comments


def header(model: str) -> str:
    lines = recipe_path(model).read_text().splitlines()
    return "\n".join(line for line in lines[: lines.index("# Model")])


@pytest.mark.parametrize("model", MODELS)
def test_recipe_parses_with_the_models_checkpoint(model):
    recipe = parse(model)
    assert recipe.model.model_name_or_path == model  # the registry's Kinetics-400 checkpoint, as the quick recipes
    assert recipe.config_path == str(recipe_path(model))


@pytest.mark.parametrize("model", MODELS)
def test_values_are_the_authors(model):
    recipe, comments = parse(model), value_comments(model)
    for key, (expected, source) in PUBLISHED[model].items():
        assert same(parsed_value(recipe, key), expected), f"{model}: {key}={parsed_value(recipe, key)!r}"
        assert source in comments[key], f"{model}: the comment of {key} does not name {source}: {comments[key]!r}"


@pytest.mark.parametrize("model", MODELS)
def test_every_value_line_names_its_source(model):
    comments, sources = value_comments(model), SOURCE_FILES[model]
    for key, comment in comments.items():
        named = [name for name in sources if name in comment]
        assert comment.startswith("project") or named, f"{model}: {key}: {comment!r} names no source"
        assert key not in PUBLISHED[model] or not comment.startswith("project"), f"{model}: {key} is the authors'"
    top = header(model)
    for name in sources:  # the header lists every file the lines cite, with its repository
        assert name in top or name.rsplit("/", 1)[-1] in top, f"{model}: header does not list {name}"


@pytest.mark.parametrize("model", MODELS)
def test_regularisers_are_set_by_the_recipe(model):
    config = yaml.safe_load(recipe_path(model).read_text())
    missing = [key for key in REGULARISERS if key not in config]
    assert not missing, f"{model} leaves {missing} to their defaults"
    assert {key for key in REGULARISERS if key != "random_resized_crop"} <= set(PUBLISHED[model])


@pytest.mark.parametrize("model", MODELS)
def test_header_names_hardware_source_and_top1(model):
    top = header(model)
    assert top.startswith("# 1 x A100 80GB, bf16"), "first line: the hardware the recipe is sized for"
    assert f"inforates train --config recipes/{model}/ucf101_published.yaml" in top
    assert "Sources" in top and "Top-1" in top


def test_videomae_learning_rate_is_the_scripts_scaled_to_its_batch():
    """run_class_finetuning.py: lr = --lr x total batch / 256, total batch = videos per GPU x accumulation x GPUs."""
    training = parse("videomae").training
    videos_per_step = training.per_device_train_batch_size * training.gradient_accumulation_steps
    assert videos_per_step == 16 * 8  # finetune.sh: --batch_size 16 on 8 GPUs
    assert training.learning_rate == pytest.approx(5e-4 * videos_per_step / 256)
    assert training.lr_scheduler_kwargs["min_lr_rate"] == pytest.approx(1e-5 / 5e-4)  # --min_lr over --lr


@pytest.mark.parametrize(("model", "clips"), [("videomae", 128 * 2), ("timesformer", 8), ("vivit", 64)])
def test_a_step_holds_the_authors_batch(model, clips):
    recipe = parse(model)
    per_step = (
        recipe.training.per_device_train_batch_size
        * recipe.training.gradient_accumulation_steps
        * recipe.data.clips_per_video
    )
    assert per_step == clips


def test_crop_boxes_are_the_authors_jitter_on_a_ucf101_frame():
    """The authors resize the short side and crop 224; as a box of the 320 x 240 source frame that is an area share."""
    frame_area = 320 * 240
    # TimeSformer: short side s in TRAIN_JITTER_SCALES [256, 320], a 224 square -> (224 x 240 / s)^2 of the frame.
    data = parse("timesformer").data
    assert data.crop_min_scale == round((224 * 240 / 320) ** 2 / frame_area, 2)
    assert data.crop_max_scale == round((224 * 240 / 256) ** 2 / frame_area, 2)
    # ViViT: min_resize 256, then each axis scaled by a factor in [0.9, 1.33], a 224 square.
    data, resized = parse("vivit").data, 256 * 320 / 240 * 256
    assert data.crop_min_scale == round(224**2 / (resized * 1.33**2), 2)
    assert data.crop_max_scale == round(224**2 / (resized * 0.9**2), 2)
    assert (data.crop_min_aspect, data.crop_max_aspect) == (round(0.9 / 1.33, 2), round(1.33 / 0.9, 2))


def test_timesformer_stride_is_8x32_at_30_fps_on_25_fps_video():
    """lib/datasets/decoder.py: clip_size = SAMPLING_RATE x NUM_FRAMES / TARGET_FPS x fps, frames by linspace."""
    clip_size = 32 * 8 / 30 * 25
    spacing = (clip_size - 1) / (8 - 1)
    assert parse("timesformer").sampling.train_stride == [round(spacing)]


def test_evaluation_grid_is_the_quick_recipes():
    """The published recipes train with the authors' clips but are evaluated over the study's grid."""
    for model in MODELS:
        published = parse(model).sampling
        quick = parse_recipe(["--config", f"recipes/{model}/ucf101.yaml", *CPU]).sampling
        assert [v.name for v in published.grid()] == [v.name for v in quick.grid()]


def published_docs_commands() -> list[str]:
    text = (REPO_ROOT / "docs" / "training.md").read_text()
    section = text.split("\n## Published protocols\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```bash\n(.*?)^```", section, flags=re.M | re.S)
    return [line for block in blocks for line in block.splitlines() if line.strip() and not line.startswith("#")]


def test_docs_commands_parse():
    commands = published_docs_commands()
    assert len(commands) == 4
    for command in commands:
        program, subcommand, *args = shlex.split(command)
        assert (program, subcommand) in {("inforates", "train"), ("inforates", "evaluate")}, command
        recipe = parse_recipe([*args, *CPU])
        if subcommand == "evaluate":  # the authors' own test protocol: one dense cell, the authors' stride
            (cell,) = recipe.sampling.grid()
            assert cell.sampler == "dense" and cell.coverage == 100
            assert cell.stride == recipe.sampling.validation_stride
