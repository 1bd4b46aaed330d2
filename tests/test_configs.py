"""Recipe parsing: YAML as defaults, CLI overrides, loud failures for unknown keys and bad values."""

from pathlib import Path

import pytest
import torch

from inforates.configs import RecipeError, parse_recipe


REPO = Path(__file__).resolve().parents[1]


def write(tmp_path, text, name="recipe.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_yaml_supplies_defaults_and_cli_overrides(tmp_path):
    path = write(
        tmp_path,
        "model_name_or_path: tiny-videomae\nlearning_rate: 1.0e-3\ncoverages: [25, 100]\n"
        "strides: [1, 4]\noutput_dir: out\nhorizontal_flip: false\nnum_train_epochs: 2\n",
    )
    recipe = parse_recipe(["--config", path, "--learning_rate", "5e-4", "--strides", "2", "8"])
    assert recipe.training.learning_rate == 5e-4  # CLI wins
    assert recipe.training.num_train_epochs == 2  # YAML kept
    assert recipe.sampling.coverages == [25.0, 100.0] and recipe.sampling.strides == [2, 8]
    assert recipe.data.horizontal_flip is False
    assert recipe.training.remove_unused_columns is False  # the video collator needs the raw column
    assert recipe.config_path == path
    assert recipe.to_dict()["learning_rate"] == 5e-4


def test_yaml_scalars_are_cast_like_cli_strings(tmp_path):
    # YAML 1.1 reads 1e-4 (no dot) as a string; it must still become a float.
    recipe = parse_recipe(["--config", write(tmp_path, "learning_rate: 1e-4\nstrides: 4\n")])
    assert recipe.training.learning_rate == pytest.approx(1e-4)
    assert recipe.sampling.strides == [4]


def test_misspelt_key_names_the_key_the_file_and_close_matches(tmp_path):
    path = write(tmp_path, "lerning_rate: 0.1\n")
    with pytest.raises(RecipeError) as err:
        parse_recipe(["--config", path])
    message = str(err.value)
    assert "lerning_rate" in message and path in message and "learning_rate" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "text, key",
    [
        ("coverages: [0, 50]\n", "coverages"),
        ("coverages: [150]\n", "coverages"),
        ("strides: [0]\n", "strides"),
        ("coverages: []\n", "coverages"),
        ("sampler: uniform\n", "sampler"),
        ("anchor: middle\n", "anchor"),
        ("model_name_or_path: not-a-model\n", "model_name_or_path"),
        ("dataset_source: youtube\n", "dataset_source"),
        ("ucf_split: 4\n", "ucf_split"),
        ("train_stride: 2.5\n", "train_stride"),
        ("learning_rate: fast\n", "learning_rate"),
        ("decoded_cache_mb: -1\n", "decoded_cache_mb"),
        ("clips_per_video: 0\n", "clips_per_video"),
        ("spacing_unit: minutes\n", "spacing_unit"),
        ("strides: [1.5]\n", "strides"),
        ("sampler: spacing_budget\n", "budgets"),
        ("sampler: spacing_budget\nbudgets: [0]\n", "budgets"),
        ("sampler: spacing_budget\nbudgets: [8]\nspacings: []\n", "spacings"),
        ("spacing_unit: seconds\nstrides: [0]\n", "strides"),
        ("segment_frames: 0\n", "segment_frames"),
        ("layer_decay: 0\n", "layer_decay"),
        ("layer_decay: 1.5\n", "layer_decay"),
        ("mixup_alpha: -0.1\n", "mixup_alpha"),
        ("cutmix_alpha: 1.0\nper_device_train_batch_size: 1\n", "per_device_train_batch_size"),
        ("mixup_prob: 1.5\n", "mixup_prob"),
        ("mixup_switch_prob: -1\n", "mixup_switch_prob"),
        ("ema_decay: 1\n", "ema_decay"),
        ("drop_path_rate: 1\n", "drop_path_rate"),
        ("rand_augment: m7-k4\n", "rand_augment"),
        ("rand_augment: m11-n2\n", "rand_augment"),
        ("rand_augment: n2\n", "rand_augment"),
        ("crop_max_scale: 0.4\n", "crop_max_scale"),
        ("crop_min_aspect: 0\n", "crop_min_aspect"),
        ("crop_max_aspect: 0.5\n", "crop_max_aspect"),
        ("test_crops: 2\n", "test_crops"),
        ("test_clips: 0\n", "test_clips"),
    ],
)
def test_invalid_values_fail_with_one_line_naming_the_key(tmp_path, text, key):
    path = write(tmp_path, text)
    with pytest.raises(RecipeError) as err:
        parse_recipe(["--config", path])
    assert key in str(err.value) and path in str(err.value) and "\n" not in str(err.value)


def test_the_exact_design_and_seconds_parse_into_their_grids(tmp_path):
    exact = parse_recipe(["--config", write(tmp_path, "sampler: spacing_budget\nspacings: [1, 4]\nbudgets: [4, 8]\n")])
    assert [v.name for v in exact.sampling.grid()] == ["d1_k4", "d4_k4", "d1_k8", "d4_k8"]
    assert exact.sampling.validation_variant().anchor == "center" and exact.sampling.train_variants()[0].budget == 8
    seconds = parse_recipe(
        ["--config", write(tmp_path, "spacing_unit: seconds\ncoverages: [100]\nstrides: [0.04, 0.16]\n")]
    )
    assert [v.name for v in seconds.sampling.grid()] == ["cov100_s0p04s", "cov100_s0p16s"]
    default = parse_recipe(["--output_dir", str(tmp_path)])
    assert len(default.sampling.grid()) == 25 and default.sampling.grid()[0].name == "cov10_s1"


def test_fine_tuning_keys_parse_and_are_recorded_in_recipe_yaml(tmp_path):
    import yaml

    from inforates.training.run_dir import save_recipe

    text = (
        "layer_decay: 0.75\nmixup_alpha: 0.8\ncutmix_alpha: 1.0\nlabel_smoothing_factor: 0.1\ndrop_path_rate: 0.1\n"
        "ema_decay: 0.999\nrand_augment: rand-m7-n4-mstd0.5-inc1\ncrop_min_scale: 0.08\ntest_clips: 5\n"
        "test_crops: 3\nper_device_train_batch_size: 4\noutput_dir: out\n"
    )
    recipe = parse_recipe(["--config", write(tmp_path, text)])
    assert recipe.training.mixes and recipe.evaluation.views == 15
    save_recipe(recipe, tmp_path / "recipe.yaml", clip_len=16, image_size=224)
    saved = yaml.safe_load((tmp_path / "recipe.yaml").read_text())
    expected = {
        "layer_decay": 0.75, "mixup_alpha": 0.8, "cutmix_alpha": 1.0, "mixup_prob": 1.0, "mixup_switch_prob": 0.5,
        "label_smoothing_factor": 0.1, "drop_path_rate": 0.1, "ema_decay": 0.999,
        "rand_augment": "rand-m7-n4-mstd0.5-inc1", "crop_min_scale": 0.08, "crop_max_scale": 1.0,
        "horizontal_flip": True, "test_clips": 5, "test_crops": 3,
    }  # fmt: skip
    assert {key: saved[key] for key in expected} == expected
    again = parse_recipe(["--config", str(tmp_path / "recipe.yaml")])  # a run's recipe.yaml reruns it
    assert again.data.rand_augment == recipe.data.rand_augment and again.evaluation.views == 15


def test_horizontal_flip_defaults_per_source(tmp_path):
    assert parse_recipe(["--output_dir", str(tmp_path)]).data.horizontal_flip is True
    assert parse_recipe(["--output_dir", str(tmp_path), "--horizontal_flip", "false"]).data.horizontal_flip is False


@pytest.mark.parametrize("text", ["- a\n- b\n", "key: [unclosed\n"])
def test_malformed_yaml(tmp_path, text):
    with pytest.raises(RecipeError, match="recipe.yaml"):
        parse_recipe(["--config", write(tmp_path, text)])


def test_missing_recipe_file():
    with pytest.raises(RecipeError, match="not found"):
        parse_recipe(["--config", "no/such/recipe.yaml"])


def test_yaml_is_loaded_safely(tmp_path):
    path = write(tmp_path, "output_dir: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(RecipeError, match="not valid YAML"):
        parse_recipe(["--config", path])


def test_every_shipped_recipe_parses():
    recipes = sorted(p for p in REPO.glob("recipes/**/*.yaml") if "studies" not in p.parts)  # study files: own schema
    assert recipes
    cpu_only = [] if torch.cuda.is_available() else ["--use_cpu", "true"]  # bf16 recipes are sized for GPUs
    for path in recipes:
        parse_recipe(["--config", str(path), *cpu_only])


def test_cli_prints_the_one_line_error_and_exits_2(tmp_path, capsys):
    from inforates.cli import main

    path = write(tmp_path, "stides: [1, 2]\n")
    assert main(["train", "--config", path]) == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert lines == [lines[-1]] and lines[-1].startswith("error:") and "stides" in lines[-1] and "strides" in lines[-1]
