"""Model cards and Hub pushes for trained checkpoints.

    card = model_card(recipe, clip_len=16, image_size=224, metrics=eval_metrics, results_csv="eval/results.csv")
    push_checkpoint("outputs/videomae-ucf101", "my-org/videomae-ucf101", results_csv="eval/results.csv")

The card names the base model, the dataset, the recipe (its non-default keys), the sampling protocol (clip length,
training, validation and evaluation sampling, one line per design the recipe runs), the metrics and, given an
evaluation's ``results.csv``, the accuracy of each design it evaluated as a table of its own (spacing x budget,
coverage x stride: :mod:`inforates.result_grids`). Only the final model files are pushed (no ``checkpoint-*``).
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

import yaml

from .configs import Recipe, VideoTrainingArguments
from .data.sources import SOURCES
from .model_registry import resolve
from .result_grids import design_grids
from .sampling import describe_designs


logger = logging.getLogger(__name__)

PUSHED_SUFFIXES = (".safetensors", ".json", ".yaml", ".md", ".csv")  # top-level files of the output folder
NOT_PUSHED = ("inforates_train.json", "trainer_state.json", "skipped.spool.csv")


def recipe_overrides(recipe: Recipe) -> dict[str, Any]:
    """The recipe's keys whose values differ from the argument classes' defaults (what a reader needs)."""
    changed: dict[str, Any] = {}
    for args in recipe[:4]:
        default = type(args)()
        changed.update(
            {
                f.name: getattr(args, f.name)
                for f in dataclasses.fields(args)
                if getattr(args, f.name) != getattr(default, f.name)
            }
        )
    ours = recipe.training.to_dict()
    base = VideoTrainingArguments(output_dir=recipe.training.output_dir).to_dict()
    skip = {"output_dir", "logging_dir", "overwrite_output_dir", "push_to_hub", "hub_token"}
    changed.update({k: v for k, v in ours.items() if k not in skip and not k.startswith("_") and v != base.get(k)})
    return changed


def base_model(recipe: Recipe) -> str | None:
    """The Hub id of the pretrained checkpoint the run started from (the card's ``base_model``); None for a local
    folder (a registry name like ``demo-videomae``, or a path) and for random-init models."""
    resolved = resolve(recipe.model.model_name_or_path, recipe.model.random_init)
    return None if resolved.from_config or resolved.local else resolved.source


def _start(recipe: Recipe) -> str:
    """How the card says where the weights came from."""
    resolved = resolve(recipe.model.model_name_or_path, recipe.model.random_init)
    if resolved.from_config:
        return "trained from random initialisation"
    if resolved.local:
        return f"fine-tuned from the local checkpoint `{resolved.name}`"
    return f"fine-tuned from [{resolved.source}](https://huggingface.co/{resolved.source})"


def dataset_name(recipe: Recipe) -> str:
    data = recipe.data
    title = SOURCES[data.dataset_source].title
    return data.dataset_name or title or f"{data.dataset_source}:{data.dataset_dir or data.manifest_path}"


GRID_TITLE = "## Accuracy of each sampling design (%)"


def grid_section(results_csv: str | Path) -> str:
    """The card section with an evaluation's accuracy (%), one table per sampling design it evaluated."""
    import pandas as pd

    results = pd.read_csv(results_csv)
    missing = {"coverage", "stride", "accuracy"} - set(results.columns)
    if missing:
        raise ValueError(f"{results_csv}: not an evaluation results.csv (no {', '.join(sorted(missing))} column)")
    lines = [GRID_TITLE, "", "From `results.csv` of `inforates evaluate` (test split).", ""]
    for grid in design_grids(results):
        lines += [f"### {grid.title}", "", grid.markdown(lambda v: f"{100 * v:.1f}"), ""]
    return "\n".join(lines)


def fine_tuning_section(recipe: Recipe) -> list[str]:
    """The card's lines for the fine-tuning options a run used (none: no section)."""
    data, training, evaluation = recipe.data, recipe.training, recipe.evaluation
    lines = []
    if data.random_resized_crop:
        flip = "on" if data.horizontal_flip else "off"
        lines.append(
            f"- random resized crop: area {data.crop_min_scale:g}-{data.crop_max_scale:g}, aspect "
            f"{data.crop_min_aspect:.3g}-{data.crop_max_aspect:.3g}; horizontal flip: {flip}"
        )
    if data.rand_augment:
        lines.append(f"- RandAugment `{data.rand_augment}` (the same operations on every frame of a clip)")
    if data.clips_per_video > 1:
        lines.append(f"- repeated augmentation: {data.clips_per_video} clips per decoded video")
    if training.mixes:
        lines.append(
            f"- mixup {training.mixup_alpha:g} / CutMix {training.cutmix_alpha:g} (probability "
            f"{training.mixup_prob:g}, switch {training.mixup_switch_prob:g}), soft targets"
        )
    if training.label_smoothing_factor:
        lines.append(f"- label smoothing {training.label_smoothing_factor:g}")
    if recipe.model.drop_path_rate:
        lines.append(f"- stochastic depth: drop path {recipe.model.drop_path_rate:g} (last layer, linear over depth)")
    if training.layer_decay is not None and training.layer_decay < 1:
        lines.append(f"- layer-wise learning-rate decay {training.layer_decay:g}")
    if training.ema_decay is not None:
        lines.append(f"- these weights are the exponential moving average of training (decay {training.ema_decay:g})")
    if evaluation.views > 1:
        lines.append(f"- test views: {evaluation.test_clips} clips x {evaluation.test_crops} crops, logits averaged")
    return ["## Fine-tuning protocol\n", *lines, ""] if lines else []


def model_card(
    recipe: Recipe,
    clip_len: int,
    image_size: int,
    metrics: dict[str, float] | None = None,
    results_csv: str | Path | None = None,
    repo_id: str | None = None,
) -> str:
    """A Hub model card (README.md) for a run of ``recipe``."""
    from huggingface_hub import ModelCard, ModelCardData

    base = base_model(recipe)
    s = recipe.sampling
    train_designs = describe_designs(s.train_variants())
    train_line = "; ".join(line.replace(", window anchored at random", "") for line in train_designs)
    data = ModelCardData(
        library_name="transformers",
        pipeline_tag="video-classification",
        base_model=base,
        tags=["video-classification", "inforates", "temporal-sampling"],
        metrics=["accuracy"],
    )
    title = repo_id or Path(recipe.training.output_dir).name
    start = _start(recipe)
    sections = [
        f"# {title}\n",
        f"A video classifier {start} on **{dataset_name(recipe)}** with inforates "
        "(Hugging Face Trainer + Accelerate).\n",
        "## Sampling protocol\n",
        f"- clip: **{clip_len} frames** at {image_size} x {image_size} px, sampler `{s.sampler}`",
        f"- training clips (one drawn per clip, random window): {train_line}",
        f"- validation clips (model selection): `{s.validation_variant().name}`",
        *(f"- evaluation design {line}" for line in describe_designs(s.grid())),
        "",
    ]
    sections += fine_tuning_section(recipe)
    if metrics:
        sections += ["## Metrics\n", "| metric | value |", "|---|---|"]
        sections += [f"| {k} | {v:.4g} |" for k, v in metrics.items() if isinstance(v, (int, float))]
        sections.append("")
    recipe_yaml = yaml.safe_dump(recipe_overrides(recipe), sort_keys=False).strip()
    sections += ["## Recipe\n", "```yaml", recipe_yaml, "```\n", "## Usage\n", "```python"]
    sections += [
        "from transformers import AutoImageProcessor, AutoModelForVideoClassification\n",
        f'model = AutoModelForVideoClassification.from_pretrained("{repo_id or title}")',
        f'processor = AutoImageProcessor.from_pretrained("{repo_id or title}")',
        "```\n",
    ]
    if results_csv is not None:  # last, so that push_checkpoint can replace it
        sections.append(grid_section(results_csv))
    return str(
        ModelCard.from_template(
            data, template_str="---\n{{ card_data }}\n---\n\n{{ body }}\n", body="\n".join(sections)
        )
    )


def card_with_results(folder: str | Path, results_csv: str | Path | None) -> str:
    """The run's card (``folder/README.md``) with the accuracy section of ``results_csv`` in place of any earlier one
    (the card unchanged without ``results_csv``)."""
    card = (Path(folder) / "README.md").read_text() if (Path(folder) / "README.md").is_file() else ""
    if results_csv is None:
        return card
    return card.split(GRID_TITLE)[0].rstrip() + "\n\n" + grid_section(results_csv) + "\n"


def pushed_files(folder: str | Path, results_csv: str | Path | None = None) -> dict[str, Path | bytes]:
    """What a push commits, by name in the repository: the run's top-level model files (never ``checkpoint-*`` or
    the run's bookkeeping), the card with the results section when ``results_csv`` is given, and that
    ``results.csv``."""
    folder = Path(folder)
    if not (folder / "config.json").is_file():
        raise FileNotFoundError(f"{folder}: no config.json, so there is no saved model to push")
    files: dict[str, Path | bytes] = {
        p.name: p
        for p in sorted(folder.iterdir())
        if p.is_file() and p.suffix in PUSHED_SUFFIXES and p.name not in NOT_PUSHED
    }
    if results_csv is not None:
        files["README.md"] = card_with_results(folder, results_csv).encode()
        files["results.csv"] = Path(results_csv)
    return files


def push_checkpoint(
    folder: str | Path,
    repo_id: str,
    results_csv: str | Path | None = None,
    private: bool | None = None,
    commit_message: str = "Upload video classifier trained with inforates",
    token: str | None = None,
) -> str:
    """Create ``repo_id`` if needed and commit :func:`pushed_files` of ``folder``; returns the commit URL.

    ``repo_id`` without a namespace goes to the token's user. The model card is ``folder/README.md``, with the
    accuracy of each design of ``results_csv`` added when given. ``token`` (None: the login's, or ``HF_TOKEN``)
    is used for this call only and written nowhere.
    """
    from huggingface_hub import CommitOperationAdd, HfApi

    files = pushed_files(folder, results_csv)
    api = HfApi(token=token)
    if "/" not in repo_id:
        repo_id = f"{api.whoami()['name']}/{repo_id}"
    api.create_repo(repo_id, private=private, exist_ok=True)
    operations = [
        CommitOperationAdd(path_in_repo=name, path_or_fileobj=source if isinstance(source, bytes) else str(source))
        for name, source in files.items()
    ]
    commit = api.create_commit(repo_id, operations=operations, commit_message=commit_message)
    logger.info("pushed %d files to %s", len(operations), repo_id)
    return commit.commit_url
